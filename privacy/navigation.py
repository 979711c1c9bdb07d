"""The privacy app's menu entries (registered into accounts' navigation)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scope import Role, Scope

from .permissions import is_dpo_scope


def privacy_nav(scope: Scope) -> list[tuple[str, str]]:
    if is_dpo_scope(scope):
        return [(reverse("privacy:request-list"), _("Data requests"))]
    if Role.DIRECTOR in scope.roles:
        return [(reverse("privacy:rectification-list"), _("Corrections to make in ONDE"))]
    return []
