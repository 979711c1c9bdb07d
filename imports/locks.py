"""One small lock helper: only one fetch and one import run at a time, across workers."""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection


def lock_id(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"entaix:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def exclusive(name: str, *, timeout: int) -> Iterator[bool]:
    """Yields True when this caller holds the lock named `name`.

    On PostgreSQL: a session advisory lock, which the server frees by itself if the worker
    holding it dies (a killed import never blocks the next one). Elsewhere (the SQLite demo,
    one process): the cache's atomic add, freed after `timeout` seconds at worst.
    """
    if connection.vendor == "postgresql":
        key = lock_id(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    token = secrets.token_hex(16)
    acquired = cache.add(f"lock:{name}", token, timeout)
    try:
        yield acquired
    finally:
        if acquired and cache.get(f"lock:{name}") == token:
            cache.delete(f"lock:{name}")
