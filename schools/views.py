from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import DetailView, ListView

from accounts.scope import get_in_scope_or_404, schools_for_user, scope_for_user

from . import selectors


class ScopedMixin(LoginRequiredMixin):
    """Staff pages: a logged-in user with no role in any school gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and scope_for_user(request.user).is_empty:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SchoolListView(ScopedMixin, ListView):
    template_name = "schools/school_list.html"
    context_object_name = "schools"
    paginate_by = 50

    def get_queryset(self):
        return selectors.school_list_for_user(user=self.request.user)


class SchoolDetailView(ScopedMixin, DetailView):
    template_name = "schools/school_detail.html"
    context_object_name = "school"

    def get_object(self, queryset=None):
        return get_in_scope_or_404(schools_for_user(self.request.user), uai=self.kwargs["uai"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["classes"] = selectors.class_list_for_user(
            user=self.request.user, school=self.object
        )
        return context
