"""Two-factor authentication (TOTP, django-otp) for the people who see many children.

- mandatory for city staff and superusers (`MFA_REQUIRED`, on by default): until they have
  enrolled, every page sends them to the enrolment page; once enrolled, the login asks their
  code;
- offered to directors and teachers (anyone with a scope), who may turn it on;
- ten single-use recovery codes (django-otp static tokens) stand in for a lost phone;
- city staff can reset someone's second factor (audited);
- a wrong code counts against the account's lockout like a wrong password (django-axes).
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.scope import scope_for_user

# Pages a user who must enrol can still reach: the enrolment itself, logging out, the language.
_OPEN_URL_NAMES = {"mfa", "mfa-start", "mfa-confirm", "logout", "set_language"}


def mfa_required_for(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.kind == User.Kind.CITY))


def mfa_offered_to(user) -> bool:
    return mfa_required_for(user) or not scope_for_user(user).is_empty


def has_second_factor(user) -> bool:
    """A confirmed TOTP device: the login asks for a code (or a recovery code)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return sum(d.token_set.count() for d in devices_for_user(user) if hasattr(d, "token_set"))


class MfaRequiredMiddleware:
    """City staff and superusers reach nothing but the enrolment page before they enrol."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not (settings.MFA_REQUIRED and mfa_required_for(user)) or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in _OPEN_URL_NAMES:
            return None
        return redirect(reverse("accounts:mfa"))


def accounts_with_second_factor():
    """Accounts with a confirmed TOTP device, for the city's reset page."""
    return User.objects.filter(
        id__in=TOTPDevice.objects.filter(confirmed=True).values("user_id")
    ).order_by("login")
