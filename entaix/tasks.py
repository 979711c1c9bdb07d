"""Project-level Celery tasks (found by entaix/celery.py)."""

from celery import shared_task

from entaix.probes import worker_heartbeat_record


@shared_task(ignore_result=True)
def worker_heartbeat_record_task() -> None:
    """Proves beat, the broker, a worker and Redis work together; /readyz reads it."""
    worker_heartbeat_record()
