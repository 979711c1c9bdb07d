"""Celery tasks of the data-protection module: load by id, call the service, retry on I/O.

Each is idempotent: an acknowledgement or a notice already sent is not sent again, a purge run
twice the same day finds nothing left to purge.
"""

import datetime

from celery import shared_task

from privacy import emails, services
from privacy.models import PurgeRun
from privacy.services import retention


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def data_request_acknowledge_task(request_id: int) -> bool:
    return emails.data_request_acknowledge(request_id=request_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def data_request_extension_notify_task(request_id: int) -> bool:
    return emails.data_request_extension_notify(request_id=request_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def access_export_link_send_task(export_id: int) -> bool:
    return emails.access_export_link_send(export_id=export_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def rectification_notify_task(task_id: int) -> int:
    return emails.rectification_notify(task_id=task_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def rectification_done_notify_task(task_id: int) -> bool:
    return emails.rectification_done_notify(task_id=task_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def data_requests_remind_task(today: str | None = None) -> int:
    day = datetime.date.fromisoformat(today) if today else None
    return services.data_requests_remind(today=day)


@shared_task
def retention_purge_task(today: str | None = None) -> int | None:
    day = datetime.date.fromisoformat(today) if today else None
    result = retention.retention_purge(today=day, apply=True, trigger=PurgeRun.Trigger.SCHEDULE)
    return result.run.pk if result.run else None
