"""Outages of the services the portal leans on (Redis: rate limits, locks, the task queue).

A request that meets an unreachable service reports it here: the outage is logged once a minute
per process, not once per request (a back-to-school evening would fill the disk). City staff see a
banner, from a probe made at most every PROBE_SECONDS per process.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache import cache

logger = logging.getLogger("entaix.outage")

LOG_EVERY_SECONDS = 60.0
PROBE_SECONDS = 30.0

_lock = threading.Lock()
_logged_at: dict[str, float] = {}
_probed: dict[str, tuple[float, bool]] = {}


def outage_report(service: str, exc: BaseException) -> bool:
    """Record that `service` failed; True when this call wrote the log line."""
    now = time.monotonic()
    with _lock:
        _probed[service] = (now, False)
        last = _logged_at.get(service)
        if last is not None and now - last < LOG_EVERY_SECONDS:
            return False
        _logged_at[service] = now
    # The exception's class and text: a host and a port, never a user's data.
    logger.error("%s unreachable: %s: %s", service, type(exc).__name__, exc)
    return True


def outage_recovered(service: str) -> None:
    """A call to `service` worked: log the recovery once if an outage was logged."""
    if service not in _logged_at:
        return
    with _lock:
        if _logged_at.pop(service, None) is None:
            return
        _probed[service] = (time.monotonic(), True)
    logger.warning("%s reachable again", service)


def service_up(service: str, probe: Callable[[], object]) -> bool:
    """Whether `service` answers, probed at most every PROBE_SECONDS (a failure seen by a
    request counts as a probe)."""
    now = time.monotonic()
    seen = _probed.get(service)
    if seen is not None and now - seen[0] < PROBE_SECONDS:
        return seen[1]
    try:
        probe()
    except Exception as exc:  # whatever the client raises, the service is down
        outage_report(service, exc)
        return False
    outage_recovered(service)
    with _lock:
        _probed[service] = (now, True)
    return True


def forget() -> None:
    """Start afresh (tests)."""
    with _lock:
        _logged_at.clear()
        _probed.clear()


def services_down() -> list[str]:
    """The services that do not answer now, for the city staff's banner."""
    ping = getattr(cache, "ping", None)
    if ping is None:
        return []  # a local-memory cache (the demo): nothing to reach
    return [] if service_up("redis", ping) else ["redis"]
