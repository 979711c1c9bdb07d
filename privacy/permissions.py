"""Who acts as the DPO: the privacy pages ask here, the answer lives in `accounts.scope`.

The data-protection officer is a city-staff account with the DPO role (`accounts.scope.Role.DPO`,
given on the city-staff page or by `city_staff_invite --role dpo`); the school service and the IT
administrators see every school but not the data-request register.
"""

from accounts.scope import Role, Scope, is_dpo  # noqa: F401  (the one DPO check, re-exported)


def is_dpo_scope(scope: Scope) -> bool:
    """The same check on a scope already computed (the menu has it at hand)."""
    return Role.DPO in scope.roles
