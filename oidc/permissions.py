"""Who registers the services that sign people in: the city's IT administrators, and a Django
superuser (the very first administrator). The school service and the DPO do not: a client
receives personal data, registering one is an IT decision recorded in the audit trail."""

from accounts.models import User
from accounts.scope import has_city_role


def may_manage_clients(user) -> bool:
    return has_city_role(user, User.CityRole.IT_ADMIN)
