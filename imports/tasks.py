"""Celery tasks: load by id, call one service, decide on retries. No logic here."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from entaix.common.exceptions import ApplicationError
from imports import fetch, locks, services
from imports.models import ImportRun

logger = logging.getLogger(__name__)
IMPORT_LOCK_SECONDS = 40 * 60


@shared_task(bind=True, max_retries=None, soft_time_limit=10 * 60, time_limit=11 * 60)
def aaf_fetch_task(self, trigger: str = ImportRun.Trigger.SCHEDULE, user_id: int | None = None):
    try:
        attempt = fetch.aaf_fetch(trigger=trigger, requested_by_id=user_id)
    except ApplicationError as exc:
        if exc.code in ("fetch-running", "convention-terminated"):
            return exc.code  # the other fetch does the work / nothing may be fetched any more
        raise
    if trigger == ImportRun.Trigger.SCHEDULE and not attempt.run_ids and _before_cutoff():
        raise self.retry(countdown=settings.AAF_FETCH_RETRY_MINUTES * 60)
    return attempt.pk


def _before_cutoff() -> bool:
    now = timezone.localtime()
    cutoff = now.replace(
        hour=settings.AAF_FETCH_CUTOFF.hour, minute=settings.AAF_FETCH_CUTOFF.minute, second=0
    )
    return now + datetime.timedelta(minutes=settings.AAF_FETCH_RETRY_MINUTES) <= cutoff


# The database lost (restart, failover): try again after 30 s, 1 min, 2 min… up to 30 min
# apart, about 3 h 40 in all; after that the abandoned-run check tells the city.
DATABASE_RETRIES = 10


def database_back_off(retries: int) -> int:
    return min(30 * 2**retries, 30 * 60)


@shared_task(bind=True, max_retries=None, soft_time_limit=30 * 60, time_limit=35 * 60)
def import_run_execute_task(self, run_id: int):
    try:
        with locks.exclusive(locks.IMPORT, timeout=IMPORT_LOCK_SECONDS) as acquired:
            if not acquired:
                raise self.retry(countdown=60)  # another import is running: queue behind it
            return services.import_run_execute(run_id=run_id).status
    except (ApplicationError, OperationalError, InterfaceError) as exc:
        code = getattr(exc, "code", "database-lost")
        if code != "database-lost":
            raise
        connection.close()
        countdown = database_back_off(self.request.retries)
        logger.warning("import run %s: %s, retry in %s s", run_id, code, countdown)
        raise self.retry(countdown=countdown, max_retries=DATABASE_RETRIES) from exc


@shared_task(soft_time_limit=5 * 60, time_limit=6 * 60)
def import_runs_abandoned_check_task():
    return services.import_runs_abandoned_check()


@shared_task(soft_time_limit=60, time_limit=90)
def aaf_delivery_check_task():
    alert = fetch.aaf_delivery_check()
    return alert.code if alert else None


@shared_task(soft_time_limit=10 * 60, time_limit=11 * 60)
def aaf_inbox_purge_task():
    return fetch.aaf_inbox_purge()
