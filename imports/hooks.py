"""Hooks through which an app above imports (privacy) takes part in an import, without imports
importing it (CONVENTIONS §1). Registered from that app's `ready()`.

- a blocker answers whether no data may be received any more (the convention has ended);
- an after-apply callback runs inside the apply's transaction with the run's id (rectification
  tasks closed by the values the feed brought).
"""

from collections.abc import Callable

_blockers: list[Callable[[], bool]] = []
_after_apply: list[Callable[..., object]] = []


def import_blocker_register(blocker: Callable[[], bool]) -> None:
    if blocker not in _blockers:
        _blockers.append(blocker)


def import_blocked() -> bool:
    """True when a registered blocker forbids receiving data (fetching or applying a run)."""
    return any(blocker() for blocker in _blockers)


def after_apply_register(callback: Callable[..., object]) -> None:
    """`callback(run_id=…)` is called after an applied run wrote to the directory."""
    if callback not in _after_apply:
        _after_apply.append(callback)


def after_apply_run(*, run_id: int) -> None:
    for callback in _after_apply:
        callback(run_id=run_id)
