"""Explicit audit events on accounts, written as django-auditlog `LogEntry` rows.

Model changes are logged by auditlog itself (see `AccountsConfig.ready`); this module records the
actions that are more than a field change: a code issued or regenerated, a letter printed, a reset,
an activation, a renewal request. Entries carry ids only: never a code, a name or an e-mail.
"""

from collections.abc import Iterable
from enum import StrEnum

from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from entaix.common.db import bulk_insert


class Event(StrEnum):
    ACCOUNT_CREATED = "account-created"
    ACCOUNT_DEACTIVATED = "account-deactivated"
    ACCOUNT_REACTIVATED = "account-reactivated"
    ACCOUNT_LOCKED = "account-locked"
    ACCOUNT_UNLOCKED = "account-unlocked"
    CODE_ISSUED = "code-issued"
    CODE_REGENERATED = "code-regenerated"
    LETTER_PRINTED = "letter-printed"
    RESET = "reset"
    ACTIVATED = "activated"
    EMAIL_SET = "email-set"
    EMAIL_CONFIRMED = "email-confirmed"
    PASSWORD_CHANGED = "password-changed"  # noqa: S105 - an event name
    RECOVERY_LINK_SENT = "recovery-link-sent"
    RECOVERY_PASSWORD_SET = "recovery-password-set"  # noqa: S105 - an event name
    LOGIN_REMINDER_SENT = "login-reminder-sent"
    RENEWAL_REQUESTED = "renewal-requested"
    RENEWAL_SLIP_PRINTED = "renewal-slip-printed"
    MFA_ENROLLED = "mfa-enrolled"
    MFA_RECOVERY_RENEWED = "mfa-recovery-renewed"
    MFA_RECOVERY_USED = "mfa-recovery-used"
    MFA_RESET = "mfa-reset"
    CITY_STAFF_INVITED = "city-staff-invited"
    CITY_STAFF_DEACTIVATED = "city-staff-deactivated"
    # Data protection (privacy): on the request, the export, the person or the purge run.
    REQUEST_RECEIVED = "gdpr-request-received"
    REQUEST_ASSIGNED = "gdpr-request-assigned"
    REQUEST_STATUS = "gdpr-request-status"
    REQUEST_EXTENDED = "gdpr-request-extended"
    REQUEST_SUBJECTS = "gdpr-request-subjects"
    REQUESTER_VERIFIED = "gdpr-requester-verified"
    REQUEST_FLAGGED = "gdpr-request-flagged"
    REQUEST_DECISION = "gdpr-request-decision"
    REQUEST_DECISION_REVERTED = "gdpr-request-decision-reverted"
    REQUEST_HANDLED = "gdpr-request-handled"
    REQUEST_NOTE = "gdpr-request-note"
    REQUEST_ANONYMISED = "gdpr-request-anonymised"
    ATTACHMENT_DOWNLOADED = "gdpr-attachment-downloaded"
    EXPORT_CREATED = "gdpr-export-created"
    EXPORT_SENT = "gdpr-export-sent"
    EXPORT_DOWNLOADED = "gdpr-export-downloaded"
    EXPORT_VIEWED = "gdpr-export-viewed-by-staff"
    RECTIFICATION_OPENED = "gdpr-rectification-opened"
    RECTIFICATION_CLOSED = "gdpr-rectification-closed"
    LEGAL_HOLD_PLACED = "gdpr-legal-hold-placed"
    LEGAL_HOLD_LIFTED = "gdpr-legal-hold-lifted"
    PURGE = "gdpr-purge"
    TERMINATION = "gdpr-termination"


_ACCESS_EVENTS = {
    Event.LETTER_PRINTED,
    Event.RENEWAL_SLIP_PRINTED,
    Event.ATTACHMENT_DOWNLOADED,
    Event.EXPORT_DOWNLOADED,
    Event.EXPORT_VIEWED,
}


def audit_accounts(
    *, event: Event, account_ids: Iterable[int], actor=None, data: dict | None = None
) -> int:
    """One LogEntry per account for `event`; returns how many were written."""
    return audit_objects(event=event, model=User, ids=account_ids, actor=actor, data=data)


def audit_objects(
    *, event: Event, model, ids: Iterable[int], actor=None, data: dict | None = None
) -> int:
    """One LogEntry per object of `model` for `event` (ids only in the entry)."""
    content_type = ContentType.objects.get_for_model(model)
    label = "account" if model._meta.label_lower == "accounts.user" else model._meta.model_name
    try:
        remote_addr = auditlog_value.get().get("remote_addr")
    except LookupError:
        remote_addr = None  # outside a request (import, task, shell)
    action = LogEntry.Action.ACCESS if event in _ACCESS_EVENTS else LogEntry.Action.UPDATE
    additional = {"event": str(event), **(data or {})}
    entries = bulk_insert(
        LogEntry,
        (
            {
                "content_type_id": content_type.pk,
                "object_pk": str(object_id),
                "object_id": object_id,
                "object_repr": f"{label} {object_id}",
                "action": action,
                "changes": {},
                "changes_text": str(event),
                "actor_id": actor.pk if getattr(actor, "pk", None) else None,
                "remote_addr": remote_addr,
                "additional_data": additional,
            }
            for object_id in ids
        ),
    )
    return len(entries)
