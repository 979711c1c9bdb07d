"""Account e-mails, sent by the worker after the transaction that asked for them committed;
letter batches built in the background, and their files purged."""

from celery import shared_task

from accounts import emails, services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def password_reset_email_send_task(account_id: int) -> bool:
    return emails.password_reset_email_send(account_id=account_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def login_reminder_send_task(account_ids: list[int]) -> bool:
    return emails.login_reminder_send(account_ids=account_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_confirmation_send_task(account_id: int) -> bool:
    return emails.email_confirmation_send(account_id=account_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def renewal_request_notify_task(request_id: int) -> int:
    return emails.renewal_request_notify(request_id=request_id)


@shared_task
def letter_batch_build_task(batch_id: int) -> str:
    """Build a letter batch; safe when delivered twice (only a pending batch is built)."""
    return services.letter_batch_build(batch_id=batch_id).status


@shared_task
def letter_batches_purge_task() -> int:
    return services.letter_batches_purge()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def city_staff_invitation_send_task(account_id: int) -> bool:
    return emails.city_staff_invitation_send(account_id=account_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def renewal_request_handled_notify_task(request_ids: list[int]) -> int:
    return emails.renewal_request_handled_notify(request_ids=request_ids)
