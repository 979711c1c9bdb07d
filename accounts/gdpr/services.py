"""Writes on the data-request register: filing, deadlines, matching, rectification, decisions,
answers, legal holds and reminders. Each runs in a transaction and is audited; logs carry ids.

Exports are in `export.py`, the retention engine in `retention.py`, erasure in `anonymise.py`.
"""

import datetime
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Event, audit_objects
from accounts.models import User
from entaix.common.exceptions import ApplicationError
from schools.models import Guardian, Pupil, Staff

from . import selectors, tasks
from .inventory import INVENTORY, Source
from .models import (
    DataRequest,
    DataRequestNote,
    DataRequestSubject,
    LegalHold,
    PersonKind,
    RectificationTask,
)

logger = logging.getLogger(__name__)

Status = DataRequest.Status
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ATTACHMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


# --- deadlines -------------------------------------------------------------------------------


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


# --- filing ----------------------------------------------------------------------------------


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


# --- handling --------------------------------------------------------------------------------


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
def data_request_subjects_confirm(
    *,
    request: DataRequest,
    actor,
    guardian_id: int | None = None,
    pupil_ids: Iterable[int] = (),
    staff_id: int | None = None,
) -> DataRequest:
    """A human confirms who the request is about, among the candidates only.

    A child over whom the confirmed guardian holds no present parental authority (legal 1 or 2)
    is not attached and the request is flagged: nothing about that child is ever disclosed.
    """
    _require_open(request)
    pupil_ids = sorted(set(pupil_ids))
    candidates = selectors.data_request_candidates(request=request)
    guardian_ids = {g.guardian.pk for g in candidates.guardians}
    allowed_pupils = {p.pupil.pk for p in candidates.pupils}
    staff_ids = {s.staff.pk for s in candidates.staff}
    if guardian_id is not None and guardian_id not in guardian_ids:
        raise ApplicationError(_("Choose the requester among the candidates."), code="candidate")
    if staff_id is not None and staff_id not in staff_ids:
        raise ApplicationError(_("Choose the requester among the candidates."), code="candidate")
    if any(pk not in allowed_pupils for pk in pupil_ids):
        raise ApplicationError(_("Choose the children among the candidates."), code="candidate")
    if pupil_ids and guardian_id is None:
        raise ApplicationError(_("Confirm the requester (a guardian) first."), code="candidate")
    if guardian_id is None and staff_id is None:
        raise ApplicationError(_("Confirm who the requester is."), code="candidate")
    request.subjects.all().delete()
    subjects = []
    if guardian_id is not None:
        subjects.append(
            DataRequestSubject(
                request=request,
                role=DataRequestSubject.Role.REQUESTER,
                person_kind=PersonKind.GUARDIAN,
                guardian_id=guardian_id,
                confirmed_by=actor,
            )
        )
    if staff_id is not None:
        subjects.append(
            DataRequestSubject(
                request=request,
                role=DataRequestSubject.Role.REQUESTER,
                person_kind=PersonKind.STAFF,
                staff_id=staff_id,
                confirmed_by=actor,
            )
        )
    refused = [
        pk
        for pk in pupil_ids
        if selectors.authority_link(guardian_id=guardian_id, pupil_id=pk) is None
    ]
    subjects += [
        DataRequestSubject(
            request=request,
            role=DataRequestSubject.Role.CHILD,
            person_kind=PersonKind.PUPIL,
            pupil_id=pk,
            confirmed_by=actor,
        )
        for pk in pupil_ids
        if pk not in refused
    ]
    for subject in subjects:
        subject.save()  # one by one: each is audited
    if refused:
        request.flag = DataRequest.Flag.NOT_GUARDIAN
        _audit(Event.REQUEST_FLAGGED, request, actor, flag=request.flag, pupils=len(refused))
        logger.warning("data request %s flagged: requester not a legal guardian", request.pk)
    else:
        request.flag = DataRequest.Flag.NONE
    if request.status == Status.RECEIVED:
        request.status = Status.IN_PROGRESS
    request.save(update_fields=["flag", "status", "updated_at"])
    _audit(Event.REQUEST_SUBJECTS, request, actor, subjects=[s.pk for s in subjects])
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
    request.decision = decision
    request.legal_ground = legal_ground
    request.decided_at = timezone.now()
    request.save(update_fields=["decision", "legal_ground", "decided_at", "updated_at"])
    _audit(Event.REQUEST_DECISION, request, actor, decision=decision, ground=legal_ground)
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
    request.status = status
    request.answer = answer.strip()
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "answer", "closed_at", "updated_at"])
    _audit(Event.REQUEST_HANDLED, request, actor, status=status)
    logger.info("data request %s closed: %s", request.pk, status)
    return request


# --- rectification ---------------------------------------------------------------------------

_PERSON_MODELS = {PersonKind.PUPIL: Pupil, PersonKind.GUARDIAN: Guardian, PersonKind.STAFF: Staff}
ACCOUNT_EMAIL = "account.email"


def rectifiable_fields(person_kind: str) -> list[str]:
    """Fields a rectification may target: the feed's identity and contact fields, and the
    ENT account's e-mail (which the person owns: corrected directly)."""
    model = _PERSON_MODELS[PersonKind(person_kind)]
    label = model._meta.label_lower
    skip = {
        "join_key",
        "school",
        "classes",
        "guardians",
        "schools",
        "specialities",
        "other_first_names",
    }
    names = [
        f.name
        for f in model._meta.concrete_fields
        if INVENTORY[label][f.name].source == Source.AAF and f.name not in skip
    ]
    return [*names, ACCOUNT_EMAIL]


def _value(person, name: str) -> str:
    if name == ACCOUNT_EMAIL:
        return person.account.email if person.account_id else ""
    value = getattr(person, name)
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _same(current: str, wanted: str) -> bool:
    return " ".join(current.split()).casefold() == " ".join(wanted.split()).casefold()


@transaction.atomic
def rectification_create(
    *, request: DataRequest, actor, person_kind: str, person_id: int, field: str, value: str
) -> RectificationTask:
    """A correction asked for a confirmed subject of the request.

    The account e-mail (the person's own) is corrected at once (and must be confirmed again);
    a feed field becomes a task for the school director, to be corrected in ONDE.
    """
    _require_open(request)
    if request.flag:
        raise ApplicationError(_("This request is flagged: nothing is changed."), code="flagged")
    subject = request.subjects.filter(
        person_kind=person_kind, **{f"{person_kind}_id": person_id}
    ).first()
    if subject is None:
        raise ApplicationError(_("Confirm this person as a subject first."), code="subject")
    if field not in rectifiable_fields(person_kind):
        raise ApplicationError(_("This field cannot be rectified."), code="field")
    value = value.strip()
    person = (
        _PERSON_MODELS[PersonKind(person_kind)].objects.select_related("account").get(pk=person_id)
    )
    task = RectificationTask(
        request=request,
        person_kind=person_kind,
        **{person_kind: person},
        school_id=selectors.rectification_school_id(person_kind=person_kind, person=person),
        field=field,
        current_value=_value(person, field),
        requested_value=value,
        created_by=actor,
    )
    if field == ACCOUNT_EMAIL:
        if not person.account_id:
            raise ApplicationError(_("This person has no ENT account."), code="no-account")
        from accounts.services import account_email_set

        account_email_set(account=person.account, email=value)
        task.direct = True
        task.status = RectificationTask.Status.DONE
        task.closed_at = timezone.now()
        task.current_value = task.requested_value = ""
    task.save()
    audit_objects(
        event=Event.RECTIFICATION_CLOSED if task.direct else Event.RECTIFICATION_OPENED,
        model=RectificationTask,
        ids=[task.pk],
        actor=actor,
        data={"request": request.pk, "field": field},
    )
    if not task.direct:
        transaction.on_commit(partial(tasks.rectification_notify_task.delay, task.pk))
    logger.info("rectification %s for request %s (%s)", task.pk, request.pk, field)
    return task


@transaction.atomic
def rectification_cancel(*, task: RectificationTask, actor) -> RectificationTask:
    if task.status != RectificationTask.Status.OPEN:
        raise ApplicationError(_("This task is closed."), code="closed")
    task.status = RectificationTask.Status.CANCELLED
    task.closed_at = timezone.now()
    task.current_value = task.requested_value = ""
    task.save(
        update_fields=["status", "closed_at", "current_value", "requested_value", "updated_at"]
    )
    audit_objects(
        event=Event.RECTIFICATION_CLOSED,
        model=RectificationTask,
        ids=[task.pk],
        actor=actor,
        data={"status": "cancelled"},
    )
    return task


@transaction.atomic
def rectification_tasks_check(*, run_id: int) -> int:
    """After an import is applied: close every open task whose person now shows the requested
    value (the director corrected it in ONDE and the feed brought it). Returns how many closed.

    Call it from `imports.services.import_run_apply`, after `account_sync`, in the same
    transaction. Cheap: it reads only the persons of open tasks.
    """
    open_tasks = list(
        RectificationTask.objects.select_for_update(of=("self",))
        .filter(status=RectificationTask.Status.OPEN)
        .select_related("pupil", "guardian", "staff")
    )
    closed = []
    now = timezone.now()
    for task in open_tasks:
        person = task.person
        if person is None:
            continue
        if _same(_value(person, task.field), task.requested_value):
            task.status = RectificationTask.Status.DONE
            task.closed_at = now
            task.closed_by_run = run_id
            task.current_value = task.requested_value = ""
            task.updated_at = now
            closed.append(task)
    RectificationTask.objects.bulk_update(
        closed,
        ["status", "closed_at", "closed_by_run", "current_value", "requested_value", "updated_at"],
    )
    audit_objects(
        event=Event.RECTIFICATION_CLOSED,
        model=RectificationTask,
        ids=[t.pk for t in closed],
        data={"run": run_id},
    )
    if closed:
        logger.info("import run %s closed %s rectification tasks", run_id, len(closed))
    return len(closed)


# --- legal holds -----------------------------------------------------------------------------


@transaction.atomic
def legal_hold_place(*, person_kind: str, person_id: int, reason: str, actor) -> LegalHold:
    """Keep one person beyond the retention rules (and the termination) until lifted."""
    if not reason.strip():
        raise ApplicationError(_("A legal hold needs its reason."), code="reason")
    person = _PERSON_MODELS[PersonKind(person_kind)].objects.filter(pk=person_id).first()
    if person is None:
        raise ApplicationError(_("No such person."), code="person")
    if LegalHold.objects.filter(
        lifted_at__isnull=True, **{f"{person_kind}_id": person_id}
    ).exists():
        raise ApplicationError(_("This person is already under a legal hold."), code="held")
    hold = LegalHold.objects.create(
        person_kind=person_kind, **{person_kind: person}, reason=reason.strip(), placed_by=actor
    )
    audit_objects(event=Event.LEGAL_HOLD_PLACED, model=LegalHold, ids=[hold.pk], actor=actor)
    logger.info("legal hold %s placed on %s %s", hold.pk, person_kind, person_id)
    return hold


@transaction.atomic
def legal_hold_lift(*, hold: LegalHold, actor) -> LegalHold:
    if hold.lifted_at is not None:
        raise ApplicationError(_("This hold is already lifted."), code="lifted")
    hold.lifted_at = timezone.now()
    hold.lifted_by = actor
    hold.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
    audit_objects(event=Event.LEGAL_HOLD_LIFTED, model=LegalHold, ids=[hold.pk], actor=actor)
    return hold


# --- reminders -------------------------------------------------------------------------------


def data_requests_remind(*, today: datetime.date | None = None) -> int:
    """E-mail each assignee (or the DPO address for unassigned requests) the references of the
    open requests overdue or due soon; at most once a day per request. Returns e-mails sent."""
    from django.conf import settings

    from . import emails

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
