"""Rectification: corrections of feed data, made in ONDE by the school and closed when the feed
brings them.
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Event, audit_objects
from accounts.services import account_email_set
from entaix.common.exceptions import ApplicationError
from privacy import selectors, tasks
from privacy.inventory import INVENTORY, Source
from privacy.models import (
    DataRequest,
    PersonKind,
    RectificationTask,
)
from privacy.persons import PERSON_MODELS as _PERSON_MODELS
from privacy.services.requests import _require_open

logger = logging.getLogger(__name__)
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
    for task in closed:
        # The parent hears that the corrected value arrived (after the commit: the run applied).
        transaction.on_commit(partial(tasks.rectification_done_notify_task.delay, task.pk))
    if closed:
        logger.info("import run %s closed %s rectification tasks", run_id, len(closed))
    return len(closed)
