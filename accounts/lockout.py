"""One lockout per account (django-axes), whatever the case or the spaces of the login typed.

Logins match case-insensitively and without surrounding spaces (`UserManager.normalize_login`),
so axes must count `Marie.Dupont ` and `marie.dupont` as one login. The password change form and
the second factor report their failures here too, so that every check of a secret counts.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from accounts.models import UserManager


def typed_login(request: HttpRequest, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the login axes counts for a request."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username", "")
    return UserManager.normalize_login(str(value or ""))[:254]


def login_is_locked(request: HttpRequest, login: str) -> bool:
    return AxesProxyHandler.is_locked(request, credentials={"username": login})


def login_failure_record(request: HttpRequest, login: str) -> None:
    """Count a failed check of a secret (old password, second factor) against `login`."""
    user_login_failed.send(sender=__name__, credentials={"username": login}, request=request)
