"""What readiness and metrics both read: the worker's heartbeat and short-timeout Redis clients."""

import time

import redis
from django.core.cache import cache

HEARTBEAT_KEY = "health:worker-heartbeat"
TIMEOUT = 2  # seconds, for each network check


def worker_heartbeat_record() -> None:
    """Called every minute by a Celery task (beat → broker → worker → Redis)."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=24 * 3600)


def worker_heartbeat_at() -> float | None:
    try:
        return cache.get(HEARTBEAT_KEY)
    except Exception:  # Redis down: the redis check reports it
        return None


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
