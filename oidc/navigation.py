from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope


def oidc_nav(scope: Scope) -> list[tuple[str, str]]:
    """Menu entry of the IT administrators (and superusers, who are city staff too)."""
    if not scope.is_city:
        return []
    return [(reverse("oidc:client-list"), _("Connected services"))]
