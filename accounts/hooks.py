"""Hooks through which an app above accounts hears of account changes, without accounts
importing it (CONVENTIONS §1). Registered from that app's `ready()`.

- on deactivation: `callback(account_ids=[…])` runs inside the transaction that deactivated the
  accounts (left the feed, school closed, authority withdrawn, locked, city staff removed); the
  OpenID Connect provider revokes their tokens there.
"""

from collections.abc import Callable, Sequence

_on_deactivation: list[Callable[..., object]] = []


def account_deactivation_register(callback: Callable[..., object]) -> None:
    if callback not in _on_deactivation:
        _on_deactivation.append(callback)


def accounts_deactivated(*, account_ids: Sequence[int]) -> None:
    """Tell the registered apps that these accounts were just deactivated."""
    if not account_ids:
        return
    for callback in _on_deactivation:
        callback(account_ids=list(account_ids))
