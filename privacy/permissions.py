"""Who acts as the DPO: the one place the privacy pages ask.

The data-protection officer is a city-staff account with the DPO role (`accounts.scope.Role.DPO`,
given on the city-staff page or by `city_staff_invite --role dpo`); the school service and the IT
administrators see every school but not the data-request register.
"""

from accounts.scope import Role, Scope, scope_for_user


def is_dpo_scope(scope: Scope) -> bool:
    return Role.DPO in scope.roles


def is_dpo(user) -> bool:
    """The DPO role (`accounts.scope.is_dpo`)."""
    return is_dpo_scope(scope_for_user(user))
