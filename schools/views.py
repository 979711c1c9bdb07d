from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from accounts import directory_selectors
from accounts.mixins import CityStaffRequiredMixin, ScopedMixin
from accounts.scope import Role, get_in_scope_or_404, schools_for_user, scope_for_user
from imports import selectors as import_selectors
from imports.services import school_close_reconcile, school_open_reconcile

from .forms import SchoolOpenForm


class SchoolListView(ScopedMixin, ListView):
    template_name = "schools/school_list.html"
    context_object_name = "schools"
    paginate_by = 50

    def get_queryset(self):
        return directory_selectors.school_list_for_user(user=self.request.user)


class SchoolDetailView(ScopedMixin, DetailView):
    template_name = "schools/school_detail.html"
    context_object_name = "school"

    def get_object(self, queryset=None):
        return get_in_scope_or_404(schools_for_user(self.request.user), uai=self.kwargs["uai"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["classes"] = directory_selectors.class_list_for_user(
            user=self.request.user, school=self.object
        )
        context["scope"] = scope_for_user(self.request.user)
        context["last_run"] = import_selectors.import_run_last_applied()
        return context


class SchoolOpenView(CityStaffRequiredMixin, View):
    """City staff open the ENT in a school; its people come from the latest applied feed."""

    def post(self, request, uai: str):
        form = SchoolOpenForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give a valid opening date."))
            return redirect("schools:school-detail", uai=uai)
        school = get_in_scope_or_404(schools_for_user(request.user), uai=uai)
        run = school_open_reconcile(
            uais=[school.uai], opened_on=form.cleaned_data["opened_on"], user=request.user
        )
        if run is None:
            messages.success(request, _("ENT open. Its people arrive with the next import."))
        else:
            messages.success(request, _("ENT open: its people were imported."))
        return redirect("schools:school-detail", uai=uai)


class SchoolCloseView(CityStaffRequiredMixin, View):
    def post(self, request, uai: str):
        school = get_in_scope_or_404(schools_for_user(request.user), uai=uai)
        school_close_reconcile(uais=[school.uai], user=request.user)
        messages.success(request, _("ENT closed: the school's people have left."))
        return redirect("schools:school-detail", uai=uai)


class PersonDetailView(ScopedMixin, TemplateView):
    """Pupil, guardian or staff page: identity, links, classes, account, feed history."""

    def get_template_names(self):
        return [f"schools/{self.kwargs['kind']}_detail.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = directory_selectors.PERSON_KINDS[self.kwargs["kind"]]
        person = directory_selectors.person_for_user(
            user=self.request.user, kind=kind, pk=self.kwargs["pk"]
        )
        context["person"] = person
        context["history"] = import_selectors.person_feed_history(
            kind=kind, join_key=person.join_key
        )
        context["events"] = directory_selectors.account_events(account=person.account)
        if kind == "pupils":
            context["links"] = directory_selectors.pupil_links(pupil=person)
            context["classes"] = person.classes.order_by("kind", "name")
        elif kind == "guardians":
            context["links"] = directory_selectors.guardian_links_in_scope(
                user=self.request.user, guardian=person
            )
            # A guardian's address and phones: the school's director and the city only
            # (teachers reach families through the ENT itself).
            scope = scope_for_user(self.request.user)
            context["show_contact"] = scope.is_city or Role.DIRECTOR in scope.roles
        else:
            # A teacher shared with another school: only what lies in the viewer's scope.
            context["assignments"] = directory_selectors.staff_assignments_in_scope(
                user=self.request.user, staff=person
            )
            context["classes"] = directory_selectors.staff_classes_in_scope(
                user=self.request.user, staff=person
            )
        return context


class PersonSearchView(ScopedMixin, TemplateView):
    template_name = "schools/person_search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "")
        context["query"] = query
        context["results"] = directory_selectors.person_search(user=self.request.user, query=query)
        return context
