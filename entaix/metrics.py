"""Prometheus metrics (prometheus-client): requests, imports, fetches, letters, requests, queue.

Request counters live in each gunicorn worker (shared through PROMETHEUS_MULTIPROC_DIR); the rest
is read from PostgreSQL and Redis at each scrape, so every replica answers the same figures
whichever process handled the imports. Labels are view names, statuses and queue names only:
never a path, a login, a name or an address.
"""

import datetime
import logging
import os
import time

import redis
from django.conf import settings
from django.db.models import Count, Max, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from accounts.models import LetterBatch
from entaix.probes import redis_client, worker_heartbeat_at
from imports.models import FetchAttempt, ImportRun
from privacy.models import DataRequest

logger = logging.getLogger(__name__)

# Not registered globally: each scrape builds its own registry (single or multi-process).
REQUESTS = Counter(
    "entaix_http_requests",
    "HTTP requests answered, by view name and status code.",
    ["method", "view", "status"],
    registry=None,
)
LATENCY = Histogram(
    "entaix_http_request_duration_seconds",
    "Time to answer an HTTP request, by view name.",
    ["view"],
    registry=None,
)
# A data request due within this many days raises the "due soon" alert.
DUE_SOON_DAYS = 3
# Runs older than this are left out of the duration summary (one run a day: a year of them).
DURATION_WINDOW_DAYS = 365


class RequestMetricsMiddleware:
    """First in MIDDLEWARE: counts every answer, including redirects and refusals."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "none"
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        LATENCY.labels(view).observe(time.monotonic() - started)
        return response


def _queue_length() -> int:
    """Messages waiting in the Celery queue (Redis broker: one list per priority step)."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client = redis_client(settings.CELERY_BROKER_URL)
    names = [queue] + [f"{queue}\x06\x16{step}" for step in (3, 6, 9)]
    return sum(client.llen(name) for name in names)


class DatabaseCollector:
    """Figures read at scrape time."""

    def collect(self):
        runs = GaugeMetricFamily("entaix_import_runs", "Import runs by status.", labels=["status"])
        by_status = dict(ImportRun.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in ImportRun.Status.values:
            runs.add_metric([status], by_status.get(status, 0))
        yield runs

        durations = SummaryMetricFamily(
            "entaix_import_run_duration_seconds",
            "Planning plus applying time of the import runs of the last year, by status.",
            labels=["status"],
        )
        since = timezone.now() - datetime.timedelta(days=DURATION_WINDOW_DAYS)
        totals: dict[str, list[float]] = {}
        for status, timings in ImportRun.objects.filter(created_at__gte=since).values_list(
            "status", "timings"
        ):
            if timings:
                entry = totals.setdefault(status, [0, 0.0])
                entry[0] += 1
                entry[1] += sum(float(v) for v in timings.values())
        for status, (count, total) in sorted(totals.items()):
            durations.add_metric([status], count_value=count, sum_value=total)
        yield durations

        last = ImportRun.objects.filter(status=ImportRun.Status.APPLIED).aggregate(
            at=Max("applied_at")
        )["at"]
        applied = GaugeMetricFamily(
            "entaix_feed_last_applied_timestamp_seconds",
            "When the last import run was applied (Unix time; 0: never).",
        )
        applied.add_metric([], last.timestamp() if last else 0)
        yield applied

        fetches = GaugeMetricFamily(
            "entaix_fetch_attempts", "SFTP fetch attempts by outcome.", labels=["status"]
        )
        by_status = dict(
            FetchAttempt.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in FetchAttempt.Status.values:
            fetches.add_metric([status], by_status.get(status, 0))
        yield fetches

        letters = CounterMetricFamily(
            "entaix_letters_printed", "Activation letters and renewal slips printed."
        )
        printed = LetterBatch.objects.filter(status=LetterBatch.Status.DONE).aggregate(
            n=Sum("count")
        )["n"]
        letters.add_metric([], printed or 0)
        yield letters

        today = timezone.localdate()
        open_requests = DataRequest.objects.filter(status__in=DataRequest.OPEN)
        yield GaugeMetricFamily(
            "entaix_data_requests_open", "Data requests not yet answered.",
            value=open_requests.count(),
        )  # fmt: skip
        yield GaugeMetricFamily(
            "entaix_data_requests_overdue", "Open data requests past their due date.",
            value=open_requests.filter(due_on__lt=today).count(),
        )  # fmt: skip
        due_soon = GaugeMetricFamily(
            "entaix_data_requests_due_within_days",
            "Open data requests due today or within the next days (not yet overdue).",
            labels=["days"],
        )
        due_soon.add_metric(
            [str(DUE_SOON_DAYS)],
            open_requests.filter(
                due_on__gte=today, due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
            ).count(),
        )
        yield due_soon

        heartbeat = GaugeMetricFamily(
            "entaix_worker_heartbeat_timestamp_seconds",
            "Last heartbeat of a Celery worker (Unix time; 0: none recorded).",
        )
        heartbeat.add_metric([], worker_heartbeat_at() or 0)
        yield heartbeat

        queue = GaugeMetricFamily(
            "entaix_celery_queue_length", "Tasks waiting in the Celery queue.", labels=["queue"]
        )
        try:
            queue.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], _queue_length())
        except redis.RedisError:  # broker down: no sample, and /readyz says why
            logger.warning("metrics: the broker did not answer")
        yield queue


def scrape() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
