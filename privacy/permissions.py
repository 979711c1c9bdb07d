"""Who acts as the DPO: the one place that decides it (issue 20 brings a dedicated role).

Today the DPO role is city staff (`accounts.scope.Scope.is_city`): the school service answers
data requests (README, "Who uses it").
"""

from accounts.scope import Scope, scope_for_user


def is_dpo_scope(scope: Scope) -> bool:
    return scope.is_city


def is_dpo(user) -> bool:
    """The DPO role (today: city staff)."""
    return is_dpo_scope(scope_for_user(user))
