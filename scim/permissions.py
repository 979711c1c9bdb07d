"""Who registers SCIM clients: the city's IT administrators (and a Django superuser)."""

from accounts.models import User


def may_manage_scim_clients(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.kind == User.Kind.CITY and user.city_role == User.CityRole.IT_ADMIN
