"""Removing personal data: persons with everything about them, request data, raw feed files.
(The convention's termination is in `termination.py`.)

What "everything" means for a person (pupil, guardian or staff member):
- the person row, their links (guardian links, classes, assignments), their ENT account with its
  activation code and renewal requests, their rectification tasks and lifted holds;
- the personal values inside the audit trail (django-auditlog entries about any of these rows:
  names in `object_repr`, values in `changes` and `serialized_data`; the e-mail and address of
  the person as an actor) — the entries stay, with ids only, so the trail keeps its shape;
- Django admin log rows about them, django-axes login records of their login;
- the import's trail: plan items (`data` holds the feed's values) and problems naming their key.

Callers run these inside a transaction. Deletions run with auditlog disabled: a delete entry
would copy every value into the trail just as the data go.
"""

import datetime
import logging
import os
from collections import Counter
from collections.abc import Sequence
from itertools import batched
from pathlib import Path
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Model, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from accounts.audit import Event, audit_objects
from accounts.directory import directory_refresh
from accounts.models import ActivationCode, RenewalRequest, User
from imports.models import ImportFile, ImportPlanItem, ImportProblem, ImportRun
from privacy.models import (
    AccessExport,
    DataRequest,
    DataRequestNote,
    DataRequestSubject,
    LegalHold,
    RectificationTask,
)
from schools.kinds import RecordKind
from schools.models import (
    Guardian,
    GuardianLink,
    Pupil,
    PupilClass,
    Staff,
    StaffAssignment,
    StaffClass,
)
from scim.services import scim_accounts_removed

logger = logging.getLogger(__name__)


CHUNK = 500


Targets = list[tuple[type[Model], Sequence[int]]]


def _add(counts: Counter, deleted: dict[str, int]) -> None:
    for label, number in deleted.items():
        if number:
            counts[label.lower()] += number


def log_entries_scrub(*, targets: Targets) -> int:
    """Keep the entries about these objects, without the personal values in them."""
    scrubbed = 0
    for model, ids in targets:
        if not ids:
            continue
        content_type = ContentType.objects.get_for_model(model)
        label = "account" if model is User else model._meta.model_name
        for chunk in batched(ids, CHUNK):
            scrubbed += LogEntry.objects.filter(
                content_type=content_type, object_id__in=chunk
            ).update(
                object_repr=Concat(Value(f"{label} "), F("object_pk"), output_field=TextField()),
                changes={},
                changes_text="",
                serialized_data=None,
            )
    return scrubbed


def actor_traces_scrub(*, account_ids: Sequence[int]) -> int:
    """The person as an actor: their e-mail and network address go; the action stays."""
    return sum(
        LogEntry.objects.filter(actor_id__in=chunk).update(
            actor_email=None, remote_addr=None, remote_port=None
        )
        for chunk in batched(account_ids, CHUNK)
    )


def admin_log_delete(*, targets: Targets) -> int:
    from django.contrib.admin.models import LogEntry as AdminLogEntry

    deleted = 0
    for model, ids in targets:
        content_type = ContentType.objects.get_for_model(model)
        for chunk in batched([str(i) for i in ids], CHUNK):
            deleted += AdminLogEntry.objects.filter(
                content_type=content_type, object_id__in=chunk
            ).delete()[0]
    return deleted


def login_records_delete(*, logins: Sequence[str]) -> int:
    """django-axes keeps the typed login (a name) of attempts and logins."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    deleted = 0
    for chunk in batched([login.lower() for login in logins], CHUNK):
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            deleted += (
                model.objects.annotate(typed=Lower("username")).filter(typed__in=chunk).delete()[0]
            )
    return deleted


def import_traces_delete(
    *, pupil_keys: Sequence[str], guardian_keys: Sequence[str], staff_keys: Sequence[str]
) -> tuple[int, int]:
    """Plan items and problems about these join keys: (plan items, problems) deleted."""
    items = problems = 0
    by_kind = (
        (RecordKind.PUPIL, pupil_keys),
        (RecordKind.GUARDIAN, guardian_keys),
        (RecordKind.STAFF, staff_keys),
    )
    for kind, keys in by_kind:
        for chunk in batched(keys, CHUNK):
            condition = Q(kind=kind, key__in=chunk)
            if kind == RecordKind.PUPIL:
                for key in chunk:
                    condition |= Q(kind=RecordKind.LINK, key__startswith=f"{key}|")
            elif kind == RecordKind.GUARDIAN:
                for key in chunk:
                    condition |= Q(kind=RecordKind.LINK, key__endswith=f"|{key}")
            items += ImportPlanItem.objects.filter(condition).delete()[0]
            named = Q(identifier__in=chunk)
            for key in chunk:
                named |= Q(message__contains=key)
            problems += ImportProblem.objects.filter(named).delete()[0]
    return items, problems


def _ids(queryset: QuerySet, name: str = "pk") -> list:
    return list(queryset.values_list(name, flat=True))


def persons_erase(
    *,
    pupil_ids: Sequence[int] = (),
    guardian_ids: Sequence[int] = (),
    staff_ids: Sequence[int] = (),
    extra_account_ids: Sequence[int] = (),
) -> Counter:
    """Delete these persons and everything about them (see the module docstring).

    Returns counts per table (`app.model`), plus the audit entries scrubbed. The caller has
    excluded persons under a legal hold.
    """
    counts: Counter = Counter()
    pupils = list(
        Pupil.objects.filter(pk__in=pupil_ids).values_list("pk", "join_key", "account_id")
    )
    guardians = list(
        Guardian.objects.filter(pk__in=guardian_ids).values_list("pk", "join_key", "account_id")
    )
    staff = list(Staff.objects.filter(pk__in=staff_ids).values_list("pk", "join_key", "account_id"))
    pupil_ids = [p[0] for p in pupils]
    guardian_ids = [g[0] for g in guardians]
    staff_ids = [s[0] for s in staff]
    account_ids = sorted(
        {row[2] for row in (*pupils, *guardians, *staff) if row[2]} | set(extra_account_ids)
    )
    logins = _ids(User.objects.filter(pk__in=account_ids), "login")
    # Guardians kept whose child goes: what other services see of them changes (their groups).
    kept_guardians = sorted(
        set(
            GuardianLink.objects.filter(
                pupil_id__in=pupil_ids, guardian__account__isnull=False
            ).values_list("guardian__account_id", flat=True)
        )
        - set(account_ids)
    )
    links = GuardianLink.objects.filter(Q(pupil_id__in=pupil_ids) | Q(guardian_id__in=guardian_ids))
    person_q = (
        Q(pupil_id__in=pupil_ids) | Q(guardian_id__in=guardian_ids) | Q(staff_id__in=staff_ids)
    )
    targets: Targets = [
        (Pupil, pupil_ids),
        (Guardian, guardian_ids),
        (Staff, staff_ids),
        (User, account_ids),
        (GuardianLink, _ids(links)),
        (PupilClass, _ids(PupilClass.objects.filter(pupil_id__in=pupil_ids))),
        (StaffAssignment, _ids(StaffAssignment.objects.filter(staff_id__in=staff_ids))),
        (StaffClass, _ids(StaffClass.objects.filter(staff_id__in=staff_ids))),
        (ActivationCode, _ids(ActivationCode.objects.filter(account_id__in=account_ids))),
        (RenewalRequest, _ids(RenewalRequest.objects.filter(account_id__in=account_ids))),
        (RectificationTask, _ids(RectificationTask.objects.filter(person_q))),
        (LegalHold, _ids(LegalHold.objects.filter(person_q))),
        (DataRequestSubject, _ids(DataRequestSubject.objects.filter(person_q))),
    ]
    with disable_auditlog():
        counts["auditlog.logentry:scrubbed"] += log_entries_scrub(targets=targets)
        counts["auditlog.logentry:actor-traces"] += actor_traces_scrub(account_ids=account_ids)
        counts["admin.logentry"] += admin_log_delete(targets=targets)
        counts["axes:login-records"] += login_records_delete(logins=logins)
        items, problems = import_traces_delete(
            pupil_keys=[p[1] for p in pupils],
            guardian_keys=[g[1] for g in guardians],
            staff_keys=[s[1] for s in staff],
        )
        counts["imports.importplanitem"] += items
        counts["imports.importproblem"] += problems
        for model, ids in ((Pupil, pupil_ids), (Guardian, guardian_ids), (Staff, staff_ids)):
            for chunk in batched(ids, CHUNK):
                if model is Guardian:
                    _add(counts, GuardianLink.objects.filter(guardian_id__in=chunk).delete()[1])
                _add(counts, model.objects.filter(pk__in=chunk).delete()[1])
        # The SCIM clients that received an account keep it as a removal (its id only), so
        # that they deactivate it: written before the delete takes the deliveries away.
        counts["scim.scimremoval:written"] += scim_accounts_removed(account_ids=account_ids)
        for chunk in batched(account_ids, CHUNK):
            _add(counts, User.objects.filter(pk__in=chunk).delete()[1])
        if kept_guardians:
            directory_refresh(account_ids=kept_guardians)
    return +counts


def _inbox() -> Path:
    return Path(settings.AAF_INBOX_DIR).resolve()


def raw_files_unlink(
    *, up_to: datetime.date | None = None, finished_runs_only: bool = True
) -> dict:
    """Delete the raw feed files (of runs done with, fed on or before `up_to`), where they lie:
    in AAF_INBOX_DIR (fetched) or elsewhere (`aaf_import PATH`). A file that cannot be deleted
    is not marked purged: its id is returned in `failed`."""
    files = raw_files_pending(up_to=up_to, finished_runs_only=finished_runs_only)
    now = timezone.now()
    result: dict[str, Any] = {"deleted": 0, "outside_inbox": 0, "failed": []}
    inbox = _inbox()
    for file in files.order_by("pk"):
        path = Path(file.path)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            result["failed"].append(file.pk)
            continue
        if inbox not in path.resolve().parents:
            result["outside_inbox"] += 1
        ImportFile.objects.filter(pk=file.pk).update(purged_at=now, updated_at=now)
        result["deleted"] += 1
    return result


def raw_files_pending(*, up_to: datetime.date | None = None, finished_runs_only: bool = True):
    files = ImportFile.objects.filter(purged_at__isnull=True)
    if up_to is not None:
        files = files.filter(feed_date__lte=up_to)
    if finished_runs_only:
        done = (ImportRun.Status.APPLIED, ImportRun.Status.DISCARDED, ImportRun.Status.FAILED)
        files = files.filter(run__status__in=done)
    return files


def raw_files_undeletable() -> list[str]:
    """Recorded raw files that exist but cannot be deleted (not a file, or no write access)."""
    stuck = []
    for path in raw_files_pending(finished_runs_only=False).values_list("path", flat=True):
        target = Path(path)
        if not target.exists() and not target.is_symlink():
            continue
        if target.is_dir() or not os.access(target.parent, os.W_OK | os.X_OK):
            stuck.append(path)
    return stuck


def inbox_files_delete() -> int:
    """Every file left in AAF_INBOX_DIR (also partial downloads): for the termination."""
    inbox = _inbox()
    if not inbox.is_dir():
        return 0
    deleted = 0
    for root, _dirs, files in os.walk(inbox):
        for name in files:
            Path(root, name).unlink(missing_ok=True)
            deleted += 1
    return deleted


def _file_delete(field_file) -> bool:
    if field_file and field_file.name:
        field_file.delete(save=False)
        return True
    return False


def attachments_delete(*, requests) -> int:
    """Delete the attachments (identity documents…) of these requests."""
    now = timezone.now()
    deleted = 0
    for data_request in requests:
        if _file_delete(data_request.attachment):
            deleted += 1
        data_request.attachment_deleted_at = now
        data_request.save(update_fields=["attachment", "attachment_deleted_at", "updated_at"])
    return deleted


def exports_delete(*, exports) -> int:
    now = timezone.now()
    deleted = 0
    for export in exports:
        if _file_delete(export.file):
            deleted += 1
        export.file_deleted_at = now
        export.save(update_fields=["file", "file_deleted_at", "updated_at"])
    return deleted


_REQUEST_BLANKS = {
    "requester_name": "",
    "requester_email": "",
    "requester_phone": "",
    "child_first_name": "",
    "child_last_name": "",
    "child_birth_date": None,
    "school": None,
    "message": "",
    "submitted_by": None,
    "assignee": None,
    "identity_check_reason": "",
    "extension_reason": "",
    "answer": "",
}


def requests_anonymise(*, request_ids: Sequence[int]) -> Counter:
    """Keep the register's row (reference, kind, dates, status, decision and legal ground) and
    remove every personal value: requester, child, texts, notes, subjects, files, task values."""
    counts: Counter = Counter()
    request_ids = list(request_ids)
    if not request_ids:
        return counts
    now = timezone.now()
    with disable_auditlog():
        requests = list(DataRequest.objects.filter(pk__in=request_ids))
        counts["files:attachments"] += attachments_delete(requests=requests)
        exports = list(AccessExport.objects.filter(request_id__in=request_ids))
        counts["files:exports"] += exports_delete(
            exports=[e for e in exports if e.file_deleted_at is None]
        )
        notes = _ids(DataRequestNote.objects.filter(request_id__in=request_ids))
        subjects = _ids(DataRequestSubject.objects.filter(request_id__in=request_ids))
        tasks = _ids(RectificationTask.objects.filter(request_id__in=request_ids))
        counts["auditlog.logentry:scrubbed"] += log_entries_scrub(
            targets=[
                (DataRequest, request_ids),
                (DataRequestNote, notes),
                (DataRequestSubject, subjects),
                (AccessExport, [e.pk for e in exports]),
                (RectificationTask, tasks),
            ]
        )
        _add(counts, DataRequestNote.objects.filter(pk__in=notes).delete()[1])
        _add(counts, DataRequestSubject.objects.filter(pk__in=subjects).delete()[1])
        RectificationTask.objects.filter(pk__in=tasks).update(current_value="", requested_value="")
        counts["privacy.datarequest:anonymised"] += DataRequest.objects.filter(
            pk__in=request_ids
        ).update(**_REQUEST_BLANKS, attachment="", anonymised_at=now, updated_at=now)
    audit_objects(event=Event.REQUEST_ANONYMISED, model=DataRequest, ids=request_ids)
    return +counts
