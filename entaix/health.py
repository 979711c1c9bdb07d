"""Liveness (/healthz), readiness (/readyz) and the Prometheus scrape (/metrics).

All three are answered before host validation and the HTTPS redirect: the container probe and the
Prometheus server call plain http://web:8000, which is neither an allowed host nor HTTPS.
Answers carry check names, ages and exception class names only: never a host, an address or a
person.
"""

import hmac
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse

from entaix import metrics
from entaix.probes import (  # noqa: F401 (HEARTBEAT_KEY, record: the tests use them)
    HEARTBEAT_KEY,
    TIMEOUT,
    redis_client,
    worker_heartbeat_at,
    worker_heartbeat_record,
)
from imports.models import ImportRun

# Failing one of these takes the replica out of service (503): pages cannot work without them.
CRITICAL = ("database", "redis", "broker", "inbox")


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _redis() -> dict:
    redis_client(settings.REDIS_URL).ping()
    return {"ok": True}


def _broker() -> dict:
    url = settings.CELERY_BROKER_URL
    if urlparse(url).scheme in {"redis", "rediss"}:
        redis_client(url).ping()
    else:
        from kombu import Connection

        with Connection(url, connect_timeout=TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1)
    return {"ok": True}


def _inbox() -> dict:
    inbox = Path(settings.AAF_INBOX_DIR)
    inbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=inbox, prefix=".ready-"):
        pass
    return {"ok": True}


def _feed() -> dict:
    last = ImportRun.objects.filter(status=ImportRun.Status.APPLIED).aggregate(
        at=Max("applied_at")
    )["at"]
    if last is None:  # a fresh installation: nothing to be late with yet
        return {"ok": True, "age_hours": None}
    age = round((time.time() - last.timestamp()) / 3600, 1)
    limit = settings.READY_FEED_MAX_AGE_HOURS
    return {"ok": True, "age_hours": age} if age <= limit else {
        "ok": False, "age_hours": age, "max_hours": limit
    }  # fmt: skip


def _worker() -> dict:
    at = worker_heartbeat_at()
    age = None if at is None else max(0, round(time.time() - at))
    limit = settings.WORKER_HEARTBEAT_MAX_AGE
    if age is not None and age <= limit:
        return {"ok": True, "age_seconds": age}
    return {"ok": False, "age_seconds": age, "max_seconds": limit}


CHECKS = {
    "database": _database,
    "redis": _redis,
    "broker": _broker,
    "inbox": _inbox,
    "feed": _feed,
    "worker": _worker,
}


def readiness() -> tuple[int, dict]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure is the answer, not an error page
            results[name] = {"ok": False, "error": type(exc).__name__}
    if not all(results[name]["ok"] for name in CRITICAL):
        return 503, {"status": "fail", "checks": results}
    status = "ok" if all(r["ok"] for r in results.values()) else "degraded"
    return 200, {"status": status, "checks": results}


def _metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            status, body = readiness()
            return JsonResponse(body, status=status)
        if request.path == "/metrics":
            if not _metrics_allowed(request):
                return HttpResponseNotFound()
            content, content_type = metrics.scrape()
            return HttpResponse(content, content_type=content_type)
        return self.get_response(request)
