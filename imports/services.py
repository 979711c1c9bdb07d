"""Import runs (plan → review → apply) and opening or closing the ENT in a school.

Every write of the directory by the feed goes through here; the plan is stored before anything
is applied, and applying replays exactly the stored plan (checked by its hash).
"""

import datetime
import hashlib
import logging
import time
from collections.abc import Iterable
from itertools import batched
from pathlib import Path

import orjson
from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import account_sync
from entaix.common.db import PAGE, keyset_rows
from entaix.common.exceptions import ApplicationError
from imports import locks, selectors, stage, tasks
from imports.aaf import FeedFileError, Mode, feed_file_from_name
from imports.apply import Applier
from imports.diff import item_schools, restrict_to_schools
from imports.guards import held_reasons
from imports.hooks import after_apply_run, import_blocked
from imports.models import ImportFile, ImportPlanItem, ImportProblem, ImportRun
from imports.plan import FileSetError, Item, Plan, plan_files
from imports.problems import TEXTS as problem_texts
from imports.problems import problem_summary
from schools import services as schools_services
from schools.kinds import RecordKind
from schools.models import GuardianLink, Pupil, School, StaffAssignment

logger = logging.getLogger(__name__)
Status = ImportRun.Status
# The database went away under a run (restart, failover, a cut connection): passing faults.
CONNECTION_LOST = (OperationalError, InterfaceError)
# A plan that no longer applies as it was stored: never applied, the run fails for good.
REFUSED = ("stale-plan", "plan-hash")
# A run that made no progress for this long, with no plan or apply holding the lock, was
# abandoned (its worker or command died): longer than the import task's hard time limit.
ABANDONED_AFTER = datetime.timedelta(minutes=60)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# Plan items hashed per query: a page of their text is a few MB (20,000 raised an académie
# import's peak RSS by 34 MB).
HASH_PAGE = 5000


# Plan items read back per query by the apply (its own pages are as large): a page of 20,000
# items with their values raised an académie first import's peak RSS by 32 MB.
ITEM_PAGE = 5000


def _item_pages(
    columns: str, *, run_id: int, kind: str | None = None, size: int | None = None
) -> Iterable[list[tuple]]:
    """A run's plan items (of one kind), in seq order, a window of `size` seqs at a time: each
    query reads one range of the unique (run, seq) index. `seq > last ORDER BY seq LIMIT n`
    was planned, with statistics that did not know the new items yet, as a scan of every
    item of the run and a sort, for each page (quadratic at académie scale). PostgreSQL."""
    size = size or ITEM_PAGE
    table = connection.ops.quote_name(ImportPlanItem._meta.db_table)
    where = "run_id = %s" + (" AND kind = %s" if kind else "")
    params: list[int | str] = [run_id, kind] if kind else [run_id]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(seq), max(seq) FROM {table} WHERE {where}", params)  # noqa: S608
        first, last = cursor.fetchone()
        if first is None:
            return
        low = first - 1
        while low < last:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {where}"  # noqa: S608 - ours
                " AND seq > %s AND seq <= %s ORDER BY seq",
                [*params, low, low + size],
            )
            yield cursor.fetchall()
            low += size


def plan_hash(*, run_id: int) -> str:
    """SHA-256 of a run's stored plan, in order, as the database renders it: taken once the plan
    is stored and again before applying it, so a changed, added or removed item is refused.

    Each item is its kind, action, key, school, data (as text) and digest, as Python's str()
    renders them (NULL as "None"), joined by \\x1f, then a newline: held runs planned before
    keep their hash. On PostgreSQL the database renders each item's line, a page at a time (the
    ORM's work per row was most of the hash's cost)."""
    digest = hashlib.sha256()
    if connection.vendor != "postgresql":
        rows = (
            ImportPlanItem.objects.filter(run_id=run_id)
            .order_by("seq")
            .annotate(text=Cast("data", TextField()))
            .values_list("kind", "action", "key", "school_key", "text", "digest")
        )
        for row in rows.iterator(chunk_size=5000):
            digest.update("\x1f".join(map(str, row)).encode())
            digest.update(b"\n")
        return digest.hexdigest()
    line = (
        "concat_ws(chr(31), kind, action, key, school_key, COALESCE(data::text, 'None'),"
        " COALESCE(digest::text, 'None')) || chr(10)"
    )
    for page in _item_pages(line, run_id=run_id, size=HASH_PAGE):
        for (text,) in page:
            digest.update(text.encode())
    return digest.hexdigest()


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, directories by their *.xml files."""
    result = []
    for path in paths:
        if path.is_dir():
            result.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml"))
        elif path.is_file():
            result.append(path)
        else:
            raise ApplicationError(
                _("%(path)s: no such file or directory.") % {"path": path}, code="no-such-path"
            )
    return result


@transaction.atomic
def import_run_create(
    *, paths: Iterable[Path], trigger: str, actor: User | None = None, fetched_at=None
) -> ImportRun:
    run = ImportRun.objects.create(status=Status.PLANNING, trigger=trigger, requested_by=actor)
    files = []
    for path in paths:
        feed = feed_file_from_name(path.name)
        files.append(
            ImportFile(
                run=run,
                name=path.name,
                kind=str(feed.kind) if feed else "",
                mode=str(feed.mode) if feed else "",
                feed_date=feed.date if feed else timezone.localdate(),
                part=feed.part if feed else 0,
                size=path.stat().st_size,
                sha256=_sha256(path),
                path=str(path.resolve()),
                fetched_at=fetched_at,
            )
        )
    ImportFile.objects.bulk_create(files)
    return run


def _fail(
    run: ImportRun, *, code: str, message: str, file: str = "", line=None, retryable=False
) -> ImportRun:
    with transaction.atomic():
        run.status = Status.FAILED
        run.failure = message
        run.retryable = retryable
        run.error_count = run.problems.filter(level="error").count() + 1
        run.save(update_fields=["status", "failure", "retryable", "error_count", "updated_at"])
        ImportProblem.objects.create(
            run=run, level="error", code=code, file=file, line=line, message=message
        )
    logger.warning("import run %s failed: %s", run.pk, code)
    return run


def import_preview(*, paths: Iterable[Path]) -> Plan:
    """Plan without storing anything (the command's --dry-run): every guard is evaluated as
    the real run would, and its codes are left in ``plan.held_reasons``."""
    try:
        base = selectors.import_run_last_applied()
        plan = plan_files(paths)
        plan.held_reasons = _held_reasons(plan, base=base, reconcile=False)
        return plan
    finally:
        stage.drop()


def _held_reasons(
    plan: Plan, *, base: ImportRun | None, reconcile: bool, approved: Iterable[str] = ()
) -> list[str]:
    """The guards a plan trips, less the reasons already approved for the run it derives
    from (a school opened from an approved run is not held again for the same reason)."""
    if not plan.item_count:
        return []
    first_import = base is None and not School.objects.exists()
    reasons = held_reasons(
        plan,
        today=timezone.localdate(),
        last_applied_date=base.feed_date if base else None,
        last_record_counts=selectors.import_run_last_record_counts(),
        last_complet_date=selectors.import_run_last_complet_date(),
        first_import=first_import,
        reconcile=reconcile,
    )
    approved = set(approved)
    return [reason for reason in reasons if reason not in approved]


def import_run_plan(
    *, run_id: int, reconcile_schools: Iterable[str] = (), approved_reasons: Iterable[str] = ()
) -> ImportRun:
    """Compute and store the plan; the run ends planned, held (with reasons) or failed.
    ``approved_reasons``: held reasons city staff already approved for the run this one
    derives from (opening schools from an approved Complet)."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status != Status.PLANNING:
        return run  # already planned: a second delivery of the task does nothing
    try:
        return _plan_and_store(run, reconcile_schools, approved_reasons)
    finally:
        stage.drop()  # the staging tables outlive a failed plan only until the next one


def _plan_and_store(
    run: ImportRun, reconcile_schools: Iterable[str], approved_reasons: Iterable[str] = ()
) -> ImportRun:
    run_id = run.pk
    started = time.monotonic()
    base = selectors.import_run_last_applied()
    paths = [Path(f.path) for f in run.files.all()]
    try:
        plan = plan_files(paths)
    except FileSetError as exc:
        return _fail(run, code=exc.code, message=exc.message)
    except FeedFileError as exc:
        return _fail(run, code=exc.code, message=str(exc.message), file=exc.file, line=exc.line)
    except OSError as exc:
        return _fail(
            run,
            code="unreadable",
            message=_("A file could not be read: %(reason)s") % {"reason": exc.strerror},
        )
    parsed = time.monotonic()

    reconcile = bool(reconcile_schools)
    if reconcile:
        # Opening schools adds their people; it never rewrites anyone else from older files.
        restrict_to_schools(plan, reconcile_schools)
    reasons = _held_reasons(plan, base=base, reconcile=reconcile, approved=approved_reasons)
    with transaction.atomic():
        locks.transaction_lock(locks.WRITE)
        run = ImportRun.objects.get(pk=run_id)
        if run.status != Status.PLANNING:
            return run  # a concurrent delivery of the same task stored the plan first
        run.feed_date = plan.feed_date
        run.mode = plan.mode
        run.base_run = base
        run.counts = plan.counts
        run.school_counts = plan.school_counts if not reconcile else {}
        run.record_counts = plan.record_counts
        run.skipped_counts = plan.skipped
        run.held_reasons = reasons
        run.error_count = sum(p.level == "error" for p in plan.problems)
        run.warning_count = sum(p.level == "warning" for p in plan.problems)
        stage.store(run_id=run.pk, table=ImportPlanItem._meta.db_table)
        school_of = _problem_schools(plan.problems)
        ImportProblem.objects.bulk_create(
            (
                ImportProblem(run=run, level=p.level, code=p.code, file=p.file, line=p.line,
                              identifier=p.identifier or "", message=p.message,
                              school_key=school_of.get(p.identifier or "", ""))
                for p in plan.problems
            ),
            batch_size=5000,
        )  # fmt: skip
        run.plan_hash = plan_hash(run_id=run.pk)
        run.status = Status.HELD if reasons else Status.PLANNED
        run.timings = {"parse_and_diff": round(parsed - started, 3),
                       "store_plan": round(time.monotonic() - parsed, 3)}  # fmt: skip
        run.progress = 50
        run.save()
    logger.info("import run %s planned: %s items, status %s", run.pk, plan.item_count, run.status)
    return run


def _problem_schools(problems) -> dict[str, str]:
    """The school each problem's person belongs to, for the directors' per-school report:
    from the plan for newcomers, from the directory for the others."""
    keys = {p.identifier for p in problems if p.identifier}
    found = item_schools(keys)
    rest = sorted(keys - set(found))
    for chunk in batched(rest, 5000):
        for rows in (
            Pupil.objects.filter(join_key__in=chunk).values_list("join_key", "school__join_key"),
            StaffAssignment.objects.filter(staff__join_key__in=chunk).values_list(
                "staff__join_key", "school__join_key"
            ),
            GuardianLink.objects.filter(guardian__join_key__in=chunk).values_list(
                "guardian__join_key", "pupil__school__join_key"
            ),
        ):
            for key, school_key in rows:
                found.setdefault(key, school_key)
    return found


def import_run_apply(*, run_id: int) -> ImportRun:
    """Apply exactly the stored plan, all or nothing. A plan that no longer applies (another
    run applied since, or the stored rows changed) is refused and its run fails for good."""
    try:
        return _apply(run_id)
    except ApplicationError as exc:
        if exc.code in REFUSED:
            _fail(ImportRun.objects.get(pk=run_id), code=exc.code, message=str(exc.message))
        raise


def _apply(run_id: int) -> ImportRun:
    with transaction.atomic():
        locks.transaction_lock(locks.WRITE)
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status == Status.APPLIED:
            return run  # idempotent: Celery may deliver twice
        if run.status != Status.PLANNED:
            raise ApplicationError(
                _("Run %(run)s is %(status)s: only a planned run can be applied.")
                % {"run": run.pk, "status": run.get_status_display()},
                code="not-planned",
            )
        if import_blocked():
            raise ApplicationError(
                _("The convention with the Académie has ended: no data may be imported."),
                code="convention-terminated",
            )
        last = selectors.import_run_last_applied()
        if run.trigger != ImportRun.Trigger.RECONCILE and (
            (last.pk if last else None) != run.base_run_id
        ):
            raise ApplicationError(
                _("Run %(run)s was planned before run %(last)s was applied: import again.")
                % {"run": run.pk, "last": last.pk if last else None},
                code="stale-plan",
            )
        if plan_hash(run_id=run.pk) != run.plan_hash:
            raise ApplicationError(
                _("Run %(run)s: the stored plan changed.") % {"run": run.pk}, code="plan-hash"
            )
        started = time.monotonic()
        applier = Applier(run_id=run.pk, now=timezone.now(), left_at=_feed_moment(run.feed_date))
        # One page of one kind at a time: memory stays flat whatever the plan's size.
        applier.apply_kinds(lambda kind: _stored_items(run, kind=kind))
        applier.refresh_statistics()
        # Same transaction: a person and their ENT account arrive or leave together. A plan
        # that changes nothing cannot change who is entitled to an account.
        if applier.written:
            run.account_counts = account_sync(run_id=run.pk)
            # Apps above (privacy) act on what the run wrote: corrections asked in a data
            # request are closed once the feed shows them.
            after_apply_run(run_id=run.pk)
        # Only the latest values are kept (convention, annex 1): the plan keeps its keys and
        # field names, the directory holds the values.
        plan_payload_drop(run_id=run.pk)
        problem_payload_drop(run_id=run.pk)
        run.status = Status.APPLIED
        run.applied_at = timezone.now()
        run.progress = 100
        run.timings = {**run.timings, "apply": round(time.monotonic() - started, 3)}
        run.save()
    logger.info("import run %s applied", run.pk)
    return run


def _feed_moment(feed_date: datetime.date | None) -> datetime.datetime | None:
    """The start of the feed's day (local time): the date departures in that run are given."""
    if feed_date is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(feed_date, datetime.time.min))


@transaction.atomic
def import_run_approve(
    *, run_id: int, actor: User | None = None, school_keys: Iterable[str] | None = None
) -> ImportRun:
    """Approve a held run. With `school_keys` (a changeover reviewed school by school), only
    those schools' part of the plan is approved; the rest stays held as a new run
    (`split_from` this one), to approve or discard later."""
    run = ImportRun.objects.select_for_update().get(pk=run_id)
    if run.status != Status.HELD:
        raise ApplicationError(
            _("Run %(run)s is %(status)s, not held.")
            % {"run": run.pk, "status": run.get_status_display()},
            code="not-held",
        )
    if school_keys is not None:
        _split_held_rest(run, set(school_keys))
    run.status = Status.PLANNED
    run.decided_by = actor
    run.decided_at = timezone.now()
    run.save()
    transaction.on_commit(lambda: logger.info("import run %s approved", run.pk))
    return run


def _split_held_rest(run: ImportRun, chosen: set[str]) -> ImportRun | None:
    """Move the plan items of the schools not chosen to a new held run. The schools' own
    records go with the approved part; so do the new classes and guardians its items need
    (a pupil's new class, a link's new guardian), wherever they are counted."""
    if not chosen:
        raise ApplicationError(_("Choose at least one school to approve."), code="no-school")
    items = ImportPlanItem.objects.filter(run=run)
    kept = items.filter(Q(kind=RecordKind.SCHOOL) | Q(school_key__in=chosen))
    needed: set[tuple[str, str]] = set()
    for kind, key, data in kept.filter(
        kind__in=(RecordKind.PUPIL, RecordKind.STAFF, RecordKind.LINK),
        action__in=("create", "update", "return"),
    ).values_list("kind", "key", "data"):
        if kind == RecordKind.LINK:
            needed.add((RecordKind.GUARDIAN.value, key.split("|", 1)[1]))
        else:
            needed.update(
                (RecordKind.CLASS.value, class_key) for class_key in (data or {}).get("classes", ())
            )
    rest = items.exclude(Q(kind=RecordKind.SCHOOL) | Q(school_key__in=chosen))
    # Creates and returns the approved part needs, found among the rest (a few rows at most).
    also = [
        pk
        for pk, kind, key in rest.filter(
            kind__in=(RecordKind.GUARDIAN, RecordKind.CLASS), action__in=("create", "return")
        ).values_list("pk", "kind", "key")
        if (kind, key) in needed
    ]
    rest = rest.exclude(pk__in=also)
    if not rest.exists():
        return None  # every school of the plan was chosen
    remainder = ImportRun.objects.create(
        status=Status.HELD, trigger=run.trigger, requested_by=run.requested_by,
        feed_date=run.feed_date, mode=run.mode, base_run=run, split_from=run,
        held_reasons=run.held_reasons, record_counts=run.record_counts, progress=50,
    )  # fmt: skip
    ImportFile.objects.bulk_create(
        ImportFile(run=remainder, fetch_id=f.fetch_id, name=f.name, kind=f.kind, mode=f.mode,
                   feed_date=f.feed_date, part=f.part, size=f.size, sha256=f.sha256,
                   path=f.path, fetched_at=f.fetched_at, purged_at=f.purged_at)
        for f in run.files.all()
    )  # fmt: skip
    rest.update(run=remainder)
    for part in (run, remainder):
        part.counts = _item_counts(part, unchanged=run.counts if part is run else None)
        part.school_counts = {
            key: counts
            for key, counts in run.school_counts.items()
            if (key in chosen) == (part is run)
        }
        part.plan_hash = plan_hash(run_id=part.pk)
    remainder.save()
    logger.info("import run %s split: the rest is held as run %s", run.pk, remainder.pk)
    return remainder


def _item_counts(run: ImportRun, *, unchanged: dict | None) -> dict:
    """Counts per kind and action of a run's stored items (`unchanged` kept from the plan)."""
    names = {"create": "created", "update": "updated", "leave": "left", "return": "returned"}
    zero = dict.fromkeys((*names.values(), "unchanged"), 0)
    counts = {
        kind: {**zero, "unchanged": kind_counts.get("unchanged", 0)}
        for kind, kind_counts in (unchanged or {}).items()
    }
    rows = ImportPlanItem.objects.filter(run=run).values_list("kind", "action")
    for kind, action, n in rows.annotate(n=Count("id")).order_by():
        counts.setdefault(kind, dict(zero))[names[action]] = n
    return counts


def _stored_items(run: ImportRun, *, kind: str) -> Iterable[Item]:
    """One kind's stored items in order, read in pages of plain rows (the ORM's work per row
    was a fifth of a first import's apply)."""
    if connection.vendor != "postgresql":
        table = connection.ops.quote_name(ImportPlanItem._meta.db_table)
        sql = (
            f"SELECT seq, action, key, school_key, data, digest FROM {table}"  # noqa: S608
            f" WHERE run_id = %s AND kind = %s AND seq > %s ORDER BY seq LIMIT {PAGE}"
        )
        rows = keyset_rows(sql, [run.pk, kind], after=-1)
        for _seq, action, key, school_key, data, digest in rows:
            yield Item(kind, action, key, school_key, orjson.loads(data), digest)
        return
    columns = "action, key, school_key, data, digest"
    for page in _item_pages(columns, run_id=run.pk, kind=kind):
        for action, key, school_key, data, digest in page:
            yield Item(kind, action, key, school_key, orjson.loads(data), digest)


def import_run_queue(*, run_id: int) -> None:
    """Apply in the worker once the current transaction commits (approval from the portal)."""
    transaction.on_commit(lambda: tasks.import_run_execute_task.delay(run_id))


def plan_payload_drop(*, run_id: int) -> int:
    """Replace each plan item's values by its field names (`{"first_name": null, …}`)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE imports_importplanitem SET data = COALESCE("
                "(SELECT jsonb_object_agg(name, NULL) FROM jsonb_object_keys(data) AS name),"
                " '{}'::jsonb) WHERE run_id = %s AND data <> '{}'::jsonb",
                [run_id],
            )
            return cursor.rowcount
    items = list(ImportPlanItem.objects.filter(run_id=run_id).only("pk", "data"))
    for item in items:
        item.data = dict.fromkeys(item.data or {})
    ImportPlanItem.objects.bulk_update(items, ["data"], batch_size=1000)
    return len(items)


def problem_payload_drop(*, run_id: int) -> int:
    """A record's problems keep level, code, file, line, the record's key and school; their
    message becomes the fixed sentence of their code (imports/problems.py), without values."""
    updated = 0
    rows = (
        ImportProblem.objects.filter(run_id=run_id)
        .exclude(identifier="")
        .exclude(message__in=problem_texts)
    )
    for code in rows.values_list("code", flat=True).distinct().order_by():
        updated += rows.filter(code=code).update(message=problem_summary(code))
    return updated


@transaction.atomic
def import_run_discard(*, run_id: int, actor: User | None = None) -> ImportRun:
    run = ImportRun.objects.select_for_update().get(pk=run_id)
    if run.status not in (Status.HELD, Status.PLANNED):
        raise ApplicationError(
            _("Run %(run)s is %(status)s: it cannot be discarded.")
            % {"run": run.pk, "status": run.get_status_display()},
            code="not-discardable",
        )
    run.status = Status.DISCARDED
    run.decided_by = actor
    run.decided_at = timezone.now()
    run.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    plan_payload_drop(run_id=run.pk)
    problem_payload_drop(run_id=run.pk)
    return run


def import_run_execute(*, run_id: int) -> ImportRun:
    """Plan, then apply unless a guard held the run (or nothing changes). A run that failed for
    a passing reason goes on where it stopped: replanned if its plan was never stored, applied
    if it was (no new approval: the stored plan is checked against its base and its hash).

    The database connection lost on the way raises ApplicationError("database-lost") with one
    line to show; the run is marked failed-retryable if the database answers again by then."""
    try:
        _reopen(run_id)
        run = import_run_plan(run_id=run_id)
        if run.status == Status.PLANNED:
            run = import_run_apply(run_id=run.pk)
        return run
    except CONNECTION_LOST as exc:
        raise _connection_lost(run_id, exc) from exc


def _reopen(run_id: int) -> None:
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status != Status.FAILED or not run.retryable:
            return
        run.status = Status.PLANNED if run.plan_hash else Status.PLANNING
        run.failure = ""
        run.retryable = False
        run.save(update_fields=["status", "failure", "retryable", "updated_at"])
        logger.info("import run %s resumed (%s)", run.pk, run.status)


def _connection_lost(run_id: int, exc: Exception) -> ApplicationError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    message = _(
        "Run %(run)s: the database connection was lost while applying (%(detail)s). Nothing was"
        " applied; resume it with: manage.py aaf_import --resume %(run)s"
    ) % {"run": run_id, "detail": detail}
    logger.warning("import run %s: database connection lost (%s)", run_id, type(exc).__name__)
    connection.close()  # a broken connection is opened afresh by the next query
    try:
        run = ImportRun.objects.get(pk=run_id)
        if run.status in (Status.PLANNING, Status.PLANNED, Status.APPLYING):
            _fail(run, code="database-lost", message=message, retryable=True)
    except DatabaseError:
        # Still down: the run stays as it was; --resume, --approve or the abandoned-run check
        # take it on.
        connection.close()
    return ApplicationError(message, code="database-lost", extra={"run_id": run_id})


def import_run_resume(*, run_id: int) -> ImportRun:
    """`aaf_import --resume`: a run interrupted or abandoned goes on without a new approval."""
    run = ImportRun.objects.get(pk=run_id)
    resumable = run.status in (Status.PLANNING, Status.PLANNED, Status.APPLIED) or (
        run.status == Status.FAILED and run.retryable
    )
    if not resumable:
        raise ApplicationError(
            _("Run %(run)s is %(status)s: it cannot be resumed.")
            % {"run": run.pk, "status": run.get_status_display()},
            code="not-resumable",
        )
    return import_run_execute(run_id=run_id)


@transaction.atomic
def import_run_resume_queue(*, run_id: int, actor: User | None = None) -> ImportRun:
    """The imports page's "Resume": an interrupted run goes on in the worker."""
    run = ImportRun.objects.select_for_update().get(pk=run_id)
    if not (run.status == Status.FAILED and run.retryable):
        raise ApplicationError(
            _("Run %(run)s is %(status)s: it cannot be resumed.")
            % {"run": run.pk, "status": run.get_status_display()},
            code="not-resumable",
        )
    logger.info("import run %s resumed by account %s", run.pk, actor.pk if actor else None)
    import_run_queue(run_id=run.pk)
    return run


def import_run_approve_apply(
    *, run_id: int, actor: User | None = None, school_keys: Iterable[str] | None = None
) -> ImportRun:
    """`aaf_import --approve [--school UAI…]`: approve a held run (or some schools of a
    changeover) and apply it; a run already approved but not applied (or interrupted since) is
    resumed instead of refused."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status == Status.HELD:
        import_run_approve(run_id=run_id, actor=actor, school_keys=school_keys)
    elif not (
        (run.status == Status.PLANNED and run.decided_at)
        or (run.status == Status.FAILED and run.retryable)
    ):
        raise ApplicationError(
            _("Run %(run)s is %(status)s, not held.")
            % {"run": run.pk, "status": run.get_status_display()},
            code="not-held",
        )
    return import_run_execute(run_id=run_id)


def import_runs_abandoned_check(*, now: datetime.datetime | None = None) -> list[int]:
    """Mark the runs that stopped without an end (planning, planned or applying and untouched
    for ABANDONED_AFTER, while no plan or apply is running) failed-retryable, and tell the
    city's school service once. Returns the ids of the runs marked."""
    now = now or timezone.now()
    limit = now - ABANDONED_AFTER
    with (
        locks.exclusive(locks.IMPORT, timeout=60) as no_task,
        locks.exclusive(locks.WRITE, timeout=60) as no_write,
    ):
        if not (no_task and no_write):
            return []  # an import task is running, or a command is planning or applying
        with transaction.atomic():
            runs = list(
                ImportRun.objects.select_for_update()
                .filter(status__in=[Status.PLANNING, Status.PLANNED, Status.APPLYING])
                .filter(updated_at__lt=limit)
                .order_by("pk")
            )
            for run in runs:
                state = run.get_status_display()
                message = _(
                    "Run %(run)s made no progress for more than %(minutes)s minutes (%(status)s):"
                    " abandoned. Resume it with: manage.py aaf_import --resume %(run)s"
                ) % {
                    "run": run.pk,
                    "minutes": int(ABANDONED_AFTER.total_seconds() // 60),
                    "status": state,
                }
                _fail(run, code="abandoned", message=message, retryable=True)
            if runs:
                ids = [run.pk for run in runs]
                transaction.on_commit(lambda: _tell_city_abandoned(ids))
    return [run.pk for run in runs]


def _tell_city_abandoned(run_ids: list[int]) -> None:
    logger.warning("import runs %s abandoned", run_ids)
    if not settings.CITY_ALERT_EMAIL:
        return
    listed = ", ".join(f"#{pk}" for pk in run_ids)
    send_mail(
        subject=_("ENT: import stopped before its end (%(runs)s)") % {"runs": listed},
        message=_(
            "The imports %(runs)s stopped before their end; nothing of them was applied. "
            "Resume them from the imports page or with: manage.py aaf_import --resume NUMBER."
        )
        % {"runs": listed}
        + f"\n\n{settings.ENT_SITE_URL}/imports/",
        from_email=None,
        recipient_list=[settings.CITY_ALERT_EMAIL],
    )


def import_files(*, paths: Iterable[Path], trigger: str, actor: User | None = None) -> ImportRun:
    run = import_run_create(paths=expand_paths(paths), trigger=trigger, actor=actor)
    return import_run_execute(run_id=run.pk)


# --- opening and closing the ENT in a school -------------------------------------------------


def school_open_reconcile(
    *, uais: Iterable[str], opened_on: datetime.date, actor: User | None = None
) -> ImportRun | None:
    """Open the ENT (`schools.services.school_open`), then bring the schools' people from the
    latest applied Complet, if its files are still on disk, in a reconcile run."""
    schools = schools_services.school_open(uais=uais, opened_on=opened_on)
    source = selectors.import_run_last_applied(mode=Mode.COMPLET)
    if source is None:
        return None
    paths = [Path(f.path) for f in source.files.all()]
    if not paths or not all(p.exists() for p in paths):
        return None  # the raw files are gone: the next Complet brings them
    run = import_run_create(paths=paths, trigger=ImportRun.Trigger.RECONCILE, actor=actor)
    # What city staff approved when the source run was held does not hold its derived runs.
    approved = source.held_reasons if source.decided_at else []
    run = import_run_plan(
        run_id=run.pk,
        reconcile_schools=[s.join_key for s in schools],
        approved_reasons=approved,
    )
    if run.status == Status.PLANNED:
        run = import_run_apply(run_id=run.pk)
    return run


@transaction.atomic
def school_close_reconcile(*, uais: Iterable[str], actor: User | None = None) -> ImportRun:
    """Close the ENT (`schools.services.school_close`: the school's people leave, except their
    links to other open schools) as an applied reconcile run, under the import lock, and update
    the accounts that follow."""
    locks.transaction_lock(locks.WRITE)
    now = timezone.now()
    run = ImportRun.objects.create(
        status=Status.APPLIED, trigger=ImportRun.Trigger.RECONCILE, requested_by=actor,
        applied_at=now, progress=100,
    )  # fmt: skip
    counts = schools_services.school_close(uais=uais, left_at=now, run_id=run.pk)
    run.counts = {kind: {"left": n} for kind, n in counts.items()}
    run.account_counts = account_sync(run_id=run.pk)
    run.save(update_fields=["counts", "account_counts"])
    return run
