"""The Redis cache, made to degrade instead of answering 500 when Redis is unreachable.

Reads miss and writes are skipped (the dashboard recomputes its figures); counters and locks
(`add`, `incr`, `decr`) raise `CacheUnavailable`, because a silent answer there would switch a
rate limit or a lock off: each page decides (README, "Faults"). Every failure is reported to
`entaix.common.outage`, which logs it once a minute.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from entaix.common.outage import outage_recovered, outage_report

DOWN = (RedisConnectionError, RedisTimeoutError)


class CacheUnavailable(Exception):
    """The cache (Redis) cannot be reached."""


class FaultTolerantRedisCache(RedisCache):
    def _down(self, exc: Exception) -> None:
        outage_report("redis", exc)

    def _read(self, name: str, default, *args, **kwargs):
        try:
            value = getattr(super(), name)(*args, **kwargs)
        except DOWN as exc:
            self._down(exc)
            return default
        outage_recovered("redis")
        return value

    def _count(self, name: str, *args, **kwargs):
        try:
            value = getattr(super(), name)(*args, **kwargs)
        except DOWN as exc:
            self._down(exc)
            raise CacheUnavailable(str(exc)) from exc
        outage_recovered("redis")
        return value

    # Reads: a miss.
    def get(self, key, default=None, version=None):
        return self._read("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._read("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._read("has_key", False, key, version)

    # Writes: skipped.
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._read("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._read("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._read("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._read("delete", False, key, version)

    def delete_many(self, keys, version=None):
        self._read("delete_many", None, keys, version)

    def clear(self):
        return self._read("clear", False)

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            self.set(key, value, timeout, version)
        return value

    # Counters and locks: the caller decides.
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._count("add", key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._count("incr", key, delta, version)

    def decr(self, key, delta=1, version=None):
        return self._count("decr", key, delta, version)

    def ping(self) -> None:
        """Raise if Redis does not answer (the city staff's banner)."""
        self._cache.get_client().ping()
