"""Rectification tasks: directors see their schools', the DPO all."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from accounts.scope import Role, scope_for_user
from entaix.common.exceptions import ApplicationError
from privacy import selectors, services
from privacy.models import RectificationTask
from privacy.views.common import DpoRequiredMixin


class DirectorOrCityMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            scope = scope_for_user(request.user)
            if not (scope.is_city or Role.DIRECTOR in scope.roles):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RectificationListView(DirectorOrCityMixin, ListView):
    template_name = "privacy/rectification_list.html"
    context_object_name = "tasks"
    paginate_by = 50

    def get_queryset(self):
        status = self.request.GET.get("status", RectificationTask.Status.OPEN)
        self.status = status if status in RectificationTask.Status.values else ""
        return selectors.rectification_tasks_for_user(user=self.request.user, status=self.status)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            status=self.status,
            statuses=RectificationTask.Status.choices,
            is_city=scope_for_user(self.request.user).is_city,
            **kwargs,
        )


class RectificationCancelView(DpoRequiredMixin, View):
    def post(self, request, pk):
        task = get_object_or_404(RectificationTask, pk=pk)
        try:
            services.rectification_cancel(task=task, actor=request.user)
            messages.success(request, _("Task cancelled."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("privacy:request-detail", pk=task.request_id)
