from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from entaix.common.outage import services_down

from .scope import Role, Scope, may_manage_city_staff, scope_for_user

# Menu entries of apps above accounts (privacy): each callable gets the user's scope and returns
# (url, label) pairs. Registered from the app's `ready()`, so accounts never imports them.
NavEntries = Callable[[Scope], list[tuple[str, str]]]
nav_extensions: list[NavEntries] = []


def nav_extension_register(entries: NavEntries) -> None:
    if entries not in nav_extensions:
        nav_extensions.append(entries)


def navigation(request) -> dict:
    """The menu a user sees depends only on their roles."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_roles": frozenset(), "services_down": []}
    scope = scope_for_user(user)
    items = [(reverse("home"), _("Home"))]
    if scope.is_city or Role.DIRECTOR in scope.roles or Role.TEACHER in scope.roles:
        items.append((reverse("schools:school-list"), _("Schools")))
        items.append((reverse("accounts:account-index"), _("Accounts and letters")))
        items.append((reverse("accounts:renewal-list"), _("Renewal requests")))
    items.append((reverse("account:detail"), _("My account")))
    down = []
    if scope.is_city:
        # City staff hear of an outage of Redis (limits, locks, the task queue) on every page.
        down = services_down()
        items.append((reverse("schools:dashboard"), _("Dashboard")))
        items.append((reverse("imports:run-list"), _("Imports")))
        if may_manage_city_staff(user):
            items.append((reverse("accounts:city-staff"), _("City staff")))
    for entries in nav_extensions:
        items += entries(scope)
    if user.is_superuser:
        items.append((reverse("admin:index"), _("Administration")))
    return {"nav_items": items, "nav_roles": scope.roles, "services_down": down}
