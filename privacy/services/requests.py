"""Writes on the data-request register: filing, deadlines, handling, decisions, answers and
reminders. Each runs in a transaction and is audited; logs carry ids.
"""

import datetime
import logging
import secrets
from collections import defaultdict
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Event, audit_objects
from accounts.models import User
from accounts.services import account_lock, account_unlock
from entaix.common.exceptions import ApplicationError
from privacy import emails, selectors, tasks
from privacy.models import (
    DataRequest,
    DataRequestNote,
    DataRequestSubject,
    RectificationTask,
)
from privacy.services.anonymise import log_entries_scrub

logger = logging.getLogger(__name__)


Status = DataRequest.Status


_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


ATTACHMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def due_date(received_on: datetime.date) -> datetime.date:
    """One calendar month after receipt (31 January → 28 or 29 February), GDPR art. 12(3)."""
    return received_on + relativedelta(months=1)


def extended_due_date(received_on: datetime.date) -> datetime.date:
    """Two further months at most: three calendar months after receipt."""
    return received_on + relativedelta(months=3)


def _reference(year: int) -> str:
    return f"RGPD-{year}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def _audit(event: Event, request: DataRequest, actor=None, **data) -> None:
    audit_objects(event=event, model=DataRequest, ids=[request.pk], actor=actor, data=data)


def _require_open(request: DataRequest) -> None:
    if not request.is_open:
        raise ApplicationError(_("This request is closed."), code="closed")


@transaction.atomic
def data_request_create(
    *,
    kind: str,
    requester_name: str,
    requester_email: str,
    relation: str,
    requester_phone: str = "",
    child_first_name: str = "",
    child_last_name: str = "",
    child_birth_date: datetime.date | None = None,
    school=None,
    message: str = "",
    attachment: UploadedFile | None = None,
    attachment_type: str = "",
    submitted_by: User | None = None,
    received_at: datetime.datetime | None = None,
) -> DataRequest:
    """File a request: reference number, due date, attachment stored privately, acknowledgement.

    `attachment_type` is the MIME type found by content sniffing (forms.py); the stored file gets
    a random name, never the uploaded one (which may carry a name).
    """
    received_at = received_at or timezone.now()
    request = DataRequest(
        kind=kind,
        requester_name=requester_name.strip(),
        requester_email=User.objects.normalize_email(requester_email.strip()),
        requester_phone=requester_phone.strip(),
        relation=relation,
        child_first_name=child_first_name.strip(),
        child_last_name=child_last_name.strip(),
        child_birth_date=child_birth_date,
        school=school,
        message=message.strip(),
        submitted_by=submitted_by if getattr(submitted_by, "pk", None) else None,
        received_at=received_at,
        due_on=due_date(timezone.localdate(received_at)),
    )
    for _attempt in range(5):
        request.reference = _reference(timezone.localdate(received_at).year)
        try:
            with transaction.atomic():
                request.save()
            break
        except IntegrityError:  # the same reference drawn twice: draw again
            request.pk = None
    else:
        raise ApplicationError(_("Please try again."), code="reference")
    if attachment is not None:
        _attachment_store(request, attachment, attachment_type)
    _audit(Event.REQUEST_RECEIVED, request, actor=submitted_by, kind=kind)
    transaction.on_commit(partial(tasks.data_request_acknowledge_task.delay, request.pk))
    logger.info("data request %s received (%s)", request.pk, kind)
    return request


def _attachment_store(request: DataRequest, attachment: UploadedFile, content_type: str) -> None:
    if content_type not in ATTACHMENT_TYPES:
        raise ApplicationError(_("This type of file is not accepted."), code="attachment")
    name = f"{secrets.token_hex(16)}.{ATTACHMENT_TYPES[content_type]}"
    request.attachment.save(name, attachment, save=False)
    try:
        request.attachment_type = content_type
        request.attachment_size = attachment.size
        request.save(update_fields=["attachment", "attachment_type", "attachment_size"])
    except Exception:
        request.attachment.delete(save=False)  # no file without its row
        raise


@transaction.atomic
def data_request_assign(*, request: DataRequest, assignee: User | None, actor) -> DataRequest:
    if assignee is not None and (assignee.kind != User.Kind.CITY or not assignee.is_active):
        raise ApplicationError(_("Only an active city staff account can be assigned."))
    request.assignee = assignee
    request.save(update_fields=["assignee", "updated_at"])
    _audit(Event.REQUEST_ASSIGNED, request, actor, assignee=assignee.pk if assignee else None)
    return request


_STATUS_MOVES = {
    Status.RECEIVED: {Status.IDENTITY_CHECK, Status.IN_PROGRESS},
    Status.IDENTITY_CHECK: {Status.IN_PROGRESS},
    Status.IN_PROGRESS: {Status.IDENTITY_CHECK},
    Status.EXTENDED: {Status.IDENTITY_CHECK},
}


@transaction.atomic
def data_request_status_set(
    *, request: DataRequest, status: str, actor, reason: str = ""
) -> DataRequest:
    """Received → identity check (with its reason: a reasonable doubt) → in progress.

    Answering and rejecting go through `data_request_close`, extending through
    `data_request_extend`.
    """
    if status not in _STATUS_MOVES.get(request.status, set()):
        raise ApplicationError(_("This change of status is not possible."), code="status")
    if status == Status.IDENTITY_CHECK:
        if not reason.strip():
            raise ApplicationError(
                _("Say what raises a reasonable doubt about the requester's identity."),
                code="reason",
            )
        request.identity_check_reason = reason.strip()
    previous = request.status
    # An extended request keeps its extended deadline and status label after the check.
    extended = request.extended_at is not None and status == Status.IN_PROGRESS
    request.status = Status.EXTENDED if extended else status
    request.save(update_fields=["status", "identity_check_reason", "updated_at"])
    _audit(Event.REQUEST_STATUS, request, actor, previous=previous, status=request.status)
    return request


@transaction.atomic
def data_request_extend(
    *, request: DataRequest, reason: str, actor, today: datetime.date | None = None
) -> DataRequest:
    """Extend to three months: once, with a reason, before the first month ends; notice sent."""
    today = today or timezone.localdate()
    request = DataRequest.objects.select_for_update().get(pk=request.pk)
    _require_open(request)
    if request.extended_at is not None:
        raise ApplicationError(_("This request was already extended."), code="extended")
    if not reason.strip():
        raise ApplicationError(_("An extension needs a reason."), code="reason")
    first_due = due_date(request.received_on)
    if today > first_due:
        raise ApplicationError(
            _("Too late: an extension must be notified before the first month ends (%(date)s).")
            % {"date": first_due.isoformat()},
            code="too-late",
        )
    request.extended_at = timezone.now()
    request.extension_reason = reason.strip()
    request.due_on = extended_due_date(request.received_on)
    request.status = Status.EXTENDED
    request.save(
        update_fields=["extended_at", "extension_reason", "due_on", "status", "updated_at"]
    )
    _audit(Event.REQUEST_EXTENDED, request, actor, due_on=request.due_on.isoformat())
    transaction.on_commit(partial(tasks.data_request_extension_notify_task.delay, request.pk))
    logger.info("data request %s extended to %s", request.pk, request.due_on)
    return request


@transaction.atomic
def data_request_note_add(*, request: DataRequest, actor, text: str) -> DataRequestNote:
    if not text.strip():
        raise ApplicationError(_("The note is empty."), code="empty")
    note = DataRequestNote.objects.create(request=request, author=actor, text=text.strip())
    _audit(Event.REQUEST_NOTE, request, actor, note=note.pk)
    return note


@transaction.atomic
def data_request_decide(
    *, request: DataRequest, actor, decision: str, legal_ground: str
) -> DataRequest:
    """Record the decision on an opposition, an erasure (or another request) and its ground."""
    _require_open(request)
    if decision not in DataRequest.Decision.values or not decision:
        raise ApplicationError(_("Choose a decision."), code="decision")
    if legal_ground not in DataRequest.LegalGround.values or not legal_ground:
        raise ApplicationError(_("A decision needs its legal ground."), code="ground")
    takes_effect = (
        decision in (DataRequest.Decision.GRANTED, DataRequest.Decision.PARTLY)
        and legal_ground in _UPHELD_GROUNDS
        and request.kind in (DataRequest.Kind.OPPOSITION, DataRequest.Kind.ERASURE)
    )
    accounts = _decision_accounts(request) if takes_effect else []
    if takes_effect and not accounts:
        raise ApplicationError(
            _("Confirm who the request is about first: the decision must take effect."),
            code="unmatched",
        )
    request.decision = decision
    request.legal_ground = legal_ground
    request.decided_at = timezone.now()
    request.save(update_fields=["decision", "legal_ground", "decided_at", "updated_at"])
    _audit(Event.REQUEST_DECISION, request, actor, decision=decision, ground=legal_ground)
    if accounts:
        # The right takes effect: no ENT account, no letter, until the DPO reverses it.
        account_lock(account_ids=accounts, actor=actor, reason=_lock_reason(request))
    return request


# Grounds under which an opposition or erasure is upheld, and so takes effect.
_UPHELD_GROUNDS = (DataRequest.LegalGround.OPPOSITION_DUE, DataRequest.LegalGround.ERASURE_DUE)


def _lock_reason(request: DataRequest) -> str:
    return f"privacy-request-{request.pk}"


def _decision_accounts(request: DataRequest) -> list[int]:
    """The accounts an upheld decision switches off: the children named, else the requester."""
    subjects = list(request.subjects.all())
    children = [s for s in subjects if s.role == DataRequestSubject.Role.CHILD and s.person_id]
    targets = children or [s for s in subjects if s.person_id]
    return [s.person.account_id for s in targets if s.person.account_id]


@transaction.atomic
def data_request_decision_revert(*, request: DataRequest, actor) -> DataRequest:
    """The DPO reverses a decision: its locks are lifted (accounts entitled come back)."""
    request = DataRequest.objects.select_for_update().get(pk=request.pk)
    previous = {"decision": request.decision, "ground": request.legal_ground}
    account_unlock(
        account_ids=User.objects.filter(lock_reason=_lock_reason(request)).values_list(
            "pk", flat=True
        ),
        actor=actor,
        reason=_lock_reason(request),
    )
    request.decision = DataRequest.Decision.NONE
    request.legal_ground = DataRequest.LegalGround.NONE
    request.decided_at = None
    request.save(update_fields=["decision", "legal_ground", "decided_at", "updated_at"])
    _audit(Event.REQUEST_DECISION_REVERTED, request, actor, **previous)
    return request


@transaction.atomic
def data_request_close(*, request: DataRequest, actor, status: str, answer: str) -> DataRequest:
    """Answered or rejected, with the answer sent. Oppositions, erasures and rejections need a
    recorded decision and legal ground first."""
    _require_open(request)
    if status not in (Status.ANSWERED, Status.REJECTED):
        raise ApplicationError(_("A request is closed as answered or rejected."), code="status")
    if not answer.strip():
        raise ApplicationError(_("Write the answer sent to the requester."), code="answer")
    needs_decision = status == Status.REJECTED or request.kind in (
        DataRequest.Kind.OPPOSITION,
        DataRequest.Kind.ERASURE,
    )
    if needs_decision and not (request.decision and request.legal_ground):
        raise ApplicationError(
            _("Record the decision and its legal ground before closing."), code="decision"
        )
    if request.rectifications.filter(status=RectificationTask.Status.OPEN).exists():
        raise ApplicationError(
            _("A correction of this request is still waiting for the feed: it cannot close yet."),
            code="rectification-open",
        )
    request.status = status
    request.answer = answer.strip()
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "answer", "closed_at", "updated_at"])
    _audit(Event.REQUEST_HANDLED, request, actor, status=status)
    _closed_request_minimise(request)
    logger.info("data request %s closed: %s", request.pk, status)
    return request


# Only needed to find who the request is about; once it is closed the confirmed subjects (or
# nobody, once purged) say it. An update, not a save: no audit entry copies the old values.
_TYPED_ON_FORM = {
    "child_first_name": "",
    "child_last_name": "",
    "child_birth_date": None,
    "requester_phone": "",
}


def _closed_request_minimise(request: DataRequest) -> None:
    DataRequest.objects.filter(pk=request.pk).update(**_TYPED_ON_FORM)
    for name, value in _TYPED_ON_FORM.items():
        setattr(request, name, value)
    # Its audit entries (the filing copied the form's values) keep events and ids only.
    log_entries_scrub(targets=[(DataRequest, [request.pk])])


def data_requests_remind(*, today: datetime.date | None = None) -> int:
    """E-mail each assignee (or the DPO address for unassigned requests) the references of the
    open requests overdue or due soon; at most once a day per request. Returns e-mails sent."""
    today = today or timezone.localdate()
    due = [r for r in selectors.data_requests_due(today=today) if r.last_reminded_on != today]
    by_address: dict[str, list[DataRequest]] = defaultdict(list)
    fallback = settings.GDPR_DPO_EMAIL or settings.CITY_ALERT_EMAIL
    for request in due:
        address = (request.assignee.email if request.assignee else "") or fallback
        if address:
            by_address[address].append(request)
    sent = 0
    for address, requests in sorted(by_address.items()):
        emails.data_requests_reminder(address=address, requests=requests, today=today)
        DataRequest.objects.filter(pk__in=[r.pk for r in requests]).update(last_reminded_on=today)
        sent += 1
    logger.info("data request reminders: %s e-mails for %s requests", sent, len(due))
    return sent
