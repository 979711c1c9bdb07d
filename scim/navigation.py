"""The SCIM app's menu entry (registered into accounts' navigation).

Every city-staff member sees the list of connected services (the DPO answers for these
recipients); only IT administrators register, renew or deactivate them (`permissions`).
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scope import Scope


def scim_nav(scope: Scope) -> list[tuple[str, str]]:
    if scope.is_city:
        return [(reverse("scim:client-list"), _("Connected services"))]
    return []
