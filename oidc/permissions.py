"""Who registers the services that sign people in: the city's IT administrators, and a Django
superuser (the very first administrator). The school service and the DPO do not: a client
receives personal data, registering one is an IT decision recorded in the audit trail."""

from accounts.models import User


def may_manage_clients(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.kind == User.Kind.CITY and user.city_role == User.CityRole.IT_ADMIN
