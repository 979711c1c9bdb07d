"""Two-factor authentication pages: status, enrolment with a TOTP app, recovery codes, and the
reset by city staff. The rules are in `accounts/mfa.py`."""

from base64 import b32encode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django_otp.plugins.otp_totp.models import TOTPDevice

from entaix.common.exceptions import ApplicationError

from . import mfa, services
from .forms import MfaConfirmForm
from .mixins import CityStaffRequiredMixin
from .models import User


class MfaOfferedMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not mfa.mfa_offered_to(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _enrol_page(request, device: TOTPDevice, form: MfaConfirmForm):
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "secret": b32encode(device.bin_key).decode(),
            "config_url": device.config_url,
            # The same link as a QR code for the phone's camera: inline SVG, no image request.
            "qr_svg": mark_safe(  # noqa: S308 - segno's own markup of our own link
                segno.make(device.config_url, error="m").svg_inline(
                    scale=4, title=str(_("QR code to scan with the authenticator app"))
                )
            ),
            "form": form,
        },
    )


class MfaView(MfaOfferedMixin, TemplateView):
    template_name = "accounts/mfa.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            enrolled=mfa.has_second_factor(user),
            required=mfa.mfa_required_for(user),
            recovery_left=mfa.recovery_codes_left(user),
            **kwargs,
        )


class MfaStartView(MfaOfferedMixin, View):
    def post(self, request):
        device = services.mfa_enrol_start(account=request.user)
        return _enrol_page(request, device, MfaConfirmForm(initial={"device": device.pk}))


class MfaConfirmView(MfaOfferedMixin, View):
    def post(self, request):
        form = MfaConfirmForm(request.POST)
        device_id = form.data.get("device", "")
        device = TOTPDevice.objects.filter(
            user=request.user, confirmed=False, pk=device_id if str(device_id).isdigit() else 0
        ).first()
        if device is None:
            return redirect("accounts:mfa")
        if form.is_valid():
            try:
                device, codes = services.mfa_enrol_confirm(
                    account=request.user, device_id=device.pk, token=form.cleaned_data["token"]
                )
            except ApplicationError as error:
                form.add_error("token", error.message)
            else:
                # This session has just proved the second factor.
                django_otp.login(request, device)
                return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes})
        return _enrol_page(request, device, form)


class MfaRecoveryRenewView(MfaOfferedMixin, View):
    def post(self, request):
        try:
            codes = services.mfa_recovery_codes_renew(account=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("accounts:mfa")
        return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes})


class MfaResetView(CityStaffRequiredMixin, View):
    """City staff remove someone's second factor (lost phone); audited."""

    def post(self, request, pk: int):
        account = get_object_or_404(User, pk=pk)
        try:
            services.mfa_reset(account=account, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Two-factor authentication reset: they enrol again."))
        return redirect("accounts:mfa-reset-list")


class MfaResetListView(CityStaffRequiredMixin, TemplateView):
    """City staff: the accounts with a second factor, each with its reset button."""

    template_name = "accounts/mfa_reset_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(accounts=mfa.accounts_with_second_factor(), **kwargs)
