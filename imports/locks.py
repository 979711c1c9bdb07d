"""The one lock mechanism of imports: named PostgreSQL advisory locks, freed by the server if
the process holding them dies (a killed import never blocks the next one).

- `exclusive(name)` tries once and holds the lock for a block: one fetch (FETCH) and one import
  task (IMPORT) at a time across workers; a worker that finds it taken retries later;
- `transaction_lock(name)` waits for it until the transaction ends: one plan stored, applied or
  school closed at a time (WRITE), whoever asks (a task, a command, a page).
"""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection

FETCH = "aaf-fetch"
IMPORT = "aaf-import"
WRITE = "aaf-import-write"


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


def transaction_lock(name: str) -> None:
    """Wait for the lock named `name` and hold it until the current transaction ends. On
    PostgreSQL a transaction advisory lock; elsewhere (the SQLite demo) nothing: SQLite lets
    one transaction write at a time."""
    if not connection.in_atomic_block:
        raise RuntimeError("transaction_lock() needs a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id(name)])
