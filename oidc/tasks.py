from celery import shared_task

from oidc import services


@shared_task
def oidc_records_purge_task() -> dict[str, int]:
    """Nightly: expired tokens and old sign-in records (idempotent)."""
    return services.oidc_records_purge()
