"""The city's own staff accounts: invite with a role, see who has which, deactivate."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from entaix.common.exceptions import ApplicationError

from . import selectors, services
from .forms import CityStaffInviteForm
from .scope import may_manage_city_staff

TEMPLATE = "accounts/city_staff_list.html"


class CityStaffManagerMixin(LoginRequiredMixin):
    """The school service and the IT administrators; everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_manage_city_staff(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CityStaffListView(CityStaffManagerMixin, View):
    def get(self, request):
        return self._page(request, CityStaffInviteForm())

    def post(self, request):
        form = CityStaffInviteForm(request.POST)
        if form.is_valid():
            try:
                account = services.city_staff_invite(actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error("login", exc.message)
            else:
                messages.success(
                    request,
                    _("%(login)s is invited: a one-time link to choose a password was e-mailed.")
                    % {"login": account.login},
                )
                return redirect("accounts:city-staff")
        return self._page(request, form)

    def _page(self, request, form):
        staff = list(selectors.city_staff_list())
        return render(request, TEMPLATE, {"form": form, "staff": staff})


class CityStaffDeactivateView(CityStaffManagerMixin, View):
    def post(self, request, pk: int):
        account = get_object_or_404(selectors.city_staff_list(), pk=pk)
        try:
            services.city_staff_deactivate(account=account, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(login)s is deactivated.") % {"login": account.login})
        return redirect("accounts:city-staff")
