"""Who registers SCIM clients: the city's IT administrators (and a Django superuser)."""

from accounts.models import User
from accounts.scope import has_city_role


def may_manage_scim_clients(user) -> bool:
    return has_city_role(user, User.CityRole.IT_ADMIN)
