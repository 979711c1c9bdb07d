"""Writes on the people outside the feed: one by one, by CSV (check, then apply whole or
discard), and their departure at their end date. Each write is one transaction, audited with
ids only, and ends with `account_sync`, which gives them accounts as it does the feed's staff."""

import datetime
import logging
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import Event, audit_objects
from accounts.services import account_sync
from entaix.common.exceptions import ApplicationError
from imports.city import checks, csvfile
from imports.models import CityPersonImport
from schools.models import Staff, StaffAssignment

logger = logging.getLogger(__name__)

# City join keys cannot meet a feed key: the feed's are the Académie's, and the import
# compares only rows whose source is the feed (imports/stage.py).
CITY_KEY_PREFIX = "ville:"
# An import checked but neither applied nor discarded loses its rows after this long.
UNDECIDED_HOURS = 24
_FIELDS = ("last_name", "first_name", "civility", "email", "role", "start_date", "end_date")


def _write(staff: Staff | None, values: dict, *, now: datetime.datetime) -> tuple[Staff, bool]:
    created = staff is None
    if created:
        staff = Staff(
            source=Staff.Source.CITY,
            join_key=f"{CITY_KEY_PREFIX}{uuid.uuid4().hex}",
            first_seen_at=now,
        )
    for name in _FIELDS:
        setattr(staff, name, values[name])
    staff.last_seen_at = now
    if staff.left_at is not None and staff.end_date >= timezone.localdate(now):
        staff.left_at = None  # a new contract for someone who had left
    staff.save()
    wanted = set(values["school_ids"])
    StaffAssignment.objects.filter(staff=staff).exclude(school_id__in=wanted).delete()
    have = set(StaffAssignment.objects.filter(staff=staff).values_list("school_id", flat=True))
    StaffAssignment.objects.bulk_create(
        StaffAssignment(staff=staff, school_id=school_id) for school_id in sorted(wanted - have)
    )
    return staff, created


def _refuse_errors(row: checks.CheckedRow) -> None:
    errors = [f for f in row.findings if f.level == checks.ERROR]
    if errors:
        raise ApplicationError("; ".join(f.message for f in errors), code="invalid")


@transaction.atomic
def city_person_create(*, values: dict, actor) -> Staff:
    """One person outside the feed, with an account (account_sync). `values` as the form's
    check gives them (imports/city/forms.py): the same rules as a CSV row."""
    staff, _created = _write(None, values, now=timezone.now())
    audit_objects(event=Event.CITY_PERSON_CREATED, model=Staff, ids=[staff.pk], actor=actor)
    account_sync()
    logger.info("city person %s created by account %s", staff.pk, getattr(actor, "pk", None))
    return staff


@transaction.atomic
def city_person_update(*, staff: Staff, values: dict, actor) -> Staff:
    if staff.source != Staff.Source.CITY:
        # The feed's records are the Académie's: the city never edits them here.
        raise ApplicationError(_("Only people entered by the city are edited here."), code="feed")
    staff, _created = _write(staff, values, now=timezone.now())
    audit_objects(event=Event.CITY_PERSON_UPDATED, model=Staff, ids=[staff.pk], actor=actor)
    account_sync()
    logger.info("city person %s updated by account %s", staff.pk, getattr(actor, "pk", None))
    return staff


def _findings(parsed_findings: list[dict], rows: list[checks.CheckedRow]) -> list[dict]:
    return parsed_findings + [f.as_dict() for row in rows for f in row.findings]


def _counts(findings: list[dict]) -> tuple[int, int]:
    return (
        sum(1 for f in findings if f["level"] == checks.ERROR),
        sum(1 for f in findings if f["level"] == checks.WARNING),
    )


@transaction.atomic
def city_person_import_check(*, data: bytes, filename: str, actor) -> CityPersonImport:
    """Read and check an uploaded CSV; nothing is applied. The preview shows its findings."""
    parsed = csvfile.parse(data)
    file_findings = [f.as_dict() for f in checks.file_findings(parsed)]
    rows = [] if parsed.errors else parsed.rows
    checked = checks.rows_check(rows, today=timezone.localdate()) if rows else []
    findings = _findings(file_findings, checked)
    errors, warnings = _counts(findings)
    run = CityPersonImport.objects.create(
        requested_by=actor if getattr(actor, "pk", None) else None,
        filename=filename[:255],
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        rows=rows,
        findings=findings,
        row_count=len(rows),
        error_count=errors,
        warning_count=warnings,
    )
    counts = {"rows": len(rows), "errors": errors, "warnings": warnings}
    audit_objects(
        event=Event.CITY_IMPORT_CHECKED, model=CityPersonImport, ids=[run.pk], actor=actor,
        data=counts,
    )  # fmt: skip
    logger.info("city person import %s checked: %s rows, %s errors, %s warnings",
                run.pk, len(rows), errors, warnings)  # fmt: skip
    return run


def _locked(import_id: int) -> CityPersonImport:
    run = CityPersonImport.objects.select_for_update().filter(pk=import_id).first()
    if run is None:
        raise ApplicationError(_("No such import."), code="missing")
    if run.status != CityPersonImport.Status.CHECKED:
        raise ApplicationError(_("This import was already applied or discarded."), code="decided")
    return run


@transaction.atomic
def city_person_import_apply(
    *, import_id: int, actor, approve_warnings: bool = False
) -> CityPersonImport:
    """Apply a checked CSV whole, in one transaction, or nothing of it.

    The rows are checked again first (the directory may have changed since the preview): if the
    findings differ, the new ones are saved and nothing is applied (status stays `checked`).
    Any error refuses the whole file; warnings need `approve_warnings`.
    """
    run = _locked(import_id)
    file_findings = [f for f in run.findings if f["line"] == 0]
    checked = checks.rows_check(run.rows, today=timezone.localdate())
    findings = _findings(file_findings, checked)
    if findings != run.findings:
        run.findings = findings
        run.error_count, run.warning_count = _counts(findings)
        run.save(update_fields=["findings", "error_count", "warning_count", "updated_at"])
        logger.info("city person import %s: findings changed since the check", run.pk)
        return run
    if run.error_count:
        raise ApplicationError(
            _("The file has errors: nothing is applied. Correct the file and upload it again."),
            code="errors",
        )
    if run.warning_count and not approve_warnings:
        raise ApplicationError(
            _("Read the warnings and tick the box that approves them."), code="warnings"
        )
    now = timezone.now()
    existing = Staff.objects.in_bulk([r.existing_id for r in checked if r.existing_id])
    outcome = []
    for row in checked:
        staff, created = _write(existing.get(row.existing_id), row.values, now=now)
        outcome.append({"line": row.line, "action": "created" if created else "updated",
                        "staff": staff.pk})  # fmt: skip
    for action, event in (("created", Event.CITY_PERSON_CREATED),
                          ("updated", Event.CITY_PERSON_UPDATED)):  # fmt: skip
        ids = [o["staff"] for o in outcome if o["action"] == action]
        audit_objects(event=event, model=Staff, ids=ids, actor=actor, data={"import": run.pk})
    accounts = account_sync()
    run.status = CityPersonImport.Status.APPLIED
    run.rows = []  # the cells (names, e-mails) leave with the decision
    run.warnings_approved = bool(run.warning_count)
    run.decided_by = actor if getattr(actor, "pk", None) else None
    run.decided_at = now
    run.report = {"rows": outcome, "accounts": accounts}
    run.save()
    audit_objects(event=Event.CITY_IMPORT_APPLIED, model=CityPersonImport, ids=[run.pk],
                  actor=actor, data={"persons": len(outcome)})  # fmt: skip
    logger.info("city person import %s applied by account %s: %s rows, accounts %s",
                run.pk, getattr(actor, "pk", None), len(outcome), accounts)  # fmt: skip
    return run


@transaction.atomic
def city_person_import_discard(*, import_id: int, actor) -> CityPersonImport:
    run = _locked(import_id)
    run.status = CityPersonImport.Status.DISCARDED
    run.rows = []
    run.decided_by = actor if getattr(actor, "pk", None) else None
    run.decided_at = timezone.now()
    run.save()
    audit_objects(event=Event.CITY_IMPORT_DISCARDED, model=CityPersonImport, ids=[run.pk],
                  actor=actor)  # fmt: skip
    logger.info("city person import %s discarded", run.pk)
    return run


@transaction.atomic
def city_person_imports_expire(*, now: datetime.datetime | None = None) -> int:
    """Imports left undecided for UNDECIDED_HOURS are discarded: their cells are personal."""
    now = now or timezone.now()
    stale = CityPersonImport.objects.filter(
        status=CityPersonImport.Status.CHECKED,
        created_at__lt=now - datetime.timedelta(hours=UNDECIDED_HOURS),
    )
    count = stale.update(status=CityPersonImport.Status.DISCARDED, rows=[], decided_at=now)
    if count:
        logger.info("%s undecided city person imports discarded", count)
    return count


@transaction.atomic
def city_persons_leave(*, today: datetime.date | None = None) -> dict:
    """People outside the feed whose end date has passed leave: `left_at` is set, and
    account_sync deactivates their accounts. The staff retention rule (not kept after
    departure, privacy/services/retention.py) then purges them."""
    today = today or timezone.localdate()
    leaving = Staff.objects.filter(
        source=Staff.Source.CITY, left_at__isnull=True, end_date__lt=today
    )
    ids = list(leaving.values_list("pk", flat=True))
    now = timezone.now()
    Staff.objects.filter(pk__in=ids).update(left_at=now, last_seen_at=now)
    audit_objects(event=Event.CITY_PERSON_LEFT, model=Staff, ids=ids,
                  data={"as_of": today.isoformat()})  # fmt: skip
    accounts = account_sync()
    logger.info("city persons leaving on %s: %s (accounts %s)", today, ids, accounts)
    return {"left": len(ids), "accounts": accounts}
