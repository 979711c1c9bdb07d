"""Account e-mails, sent by the worker after the transaction that asked for them committed."""

from celery import shared_task

from accounts import emails


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def password_reset_email_send(account_id: int) -> bool:
    return emails.password_reset_email_send(account_id=account_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_confirmation_send(account_id: int) -> bool:
    return emails.email_confirmation_send(account_id=account_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def renewal_request_notify(request_id: int) -> int:
    return emails.renewal_request_notify(request_id=request_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def city_staff_invitation_send(account_id: int) -> bool:
    return emails.city_staff_invitation_send(account_id=account_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def renewal_request_handled_notify(request_ids: list[int]) -> int:
    return emails.renewal_request_handled_notify(request_ids=request_ids)
