from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .scope import Role, may_manage_city_staff, scope_for_user


def navigation(request) -> dict:
    """The menu a user sees depends only on their roles."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_roles": frozenset()}
    scope = scope_for_user(user)
    items = [(reverse("home"), _("Home"))]
    if scope.is_city or Role.DIRECTOR in scope.roles or Role.TEACHER in scope.roles:
        items.append((reverse("schools:school-list"), _("Schools")))
        items.append((reverse("accounts:account-index"), _("Accounts and letters")))
        items.append((reverse("accounts:renewal-list"), _("Renewal requests")))
    items.append((reverse("account:detail"), _("My account")))
    if scope.is_city:
        items.append((reverse("schools:dashboard"), _("Dashboard")))
        items.append((reverse("imports:run-list"), _("Imports")))
        items.append((reverse("gdpr:request-list"), _("Data requests")))
        if may_manage_city_staff(user):
            items.append((reverse("accounts:city-staff"), _("City staff")))
    elif Role.DIRECTOR in scope.roles:
        items.append((reverse("gdpr:rectification-list"), _("Corrections to make in ONDE")))
    if user.is_superuser:
        items.append((reverse("admin:index"), _("Administration")))
    return {"nav_items": items, "nav_roles": scope.roles}
