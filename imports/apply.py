"""Applying a stored plan: bulk writes in dependency order, inside the caller's transaction."""

import datetime
from collections.abc import Callable, Iterable
from itertools import batched

from django.db import connection

from entaix.common.db import bulk_insert
from imports import state
from schools.kinds import RecordKind
from schools.models import (
    Guardian,
    GuardianLink,
    Pupil,
    PupilClass,
    School,
    SchoolClass,
    Staff,
    StaffAssignment,
    StaffClass,
)

BATCH = 2000
PAGE = 5000  # plan items applied at a time
ANALYZE_ABOVE = 5000  # rows written
DIRECTORY = (School, SchoolClass, Pupil, PupilClass, Guardian, GuardianLink, Staff,
             StaffAssignment, StaffClass)  # fmt: skip
# The tables each kind's items write.
WRITES = {
    RecordKind.SCHOOL: (School,),
    RecordKind.CLASS: (SchoolClass,),
    RecordKind.GUARDIAN: (Guardian,),
    RecordKind.STAFF: (Staff, StaffAssignment, StaffClass),
    RecordKind.PUPIL: (Pupil, PupilClass),
    RecordKind.LINK: (GuardianLink,),
}


def _as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _model_values(kind: str, data: dict) -> dict:
    values = {name: data[name] for name in state.MODEL_FIELDS[kind] if name in data}
    if "birth_date" in values:
        values["birth_date"] = _as_date(values["birth_date"])
    return values


def _ids(model, keys: set[str]) -> dict[str, int]:
    """Ids by join key. On PostgreSQL the keys go as one array: an IN list of thousands of
    parameters took longer to build and plan than the lookup itself."""
    if connection.vendor != "postgresql":
        return dict(model.objects.filter(join_key__in=sorted(keys)).values_list("join_key", "id"))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT join_key, id FROM {table} WHERE join_key = ANY(%s)",  # noqa: S608 - ours
            [sorted(keys)],
        )
        return dict(cursor.fetchall())


def _pages(items: Iterable, size: int) -> Iterable[list]:
    page = []
    for item in items:
        page.append(item)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


class Applier:
    def __init__(
        self, *, run_id: int, now: datetime.datetime, left_at: datetime.datetime | None = None
    ) -> None:
        self.run_id = run_id
        self.now = now
        # Departures are dated by the feed that recorded them (the retention clock starts
        # there), not by when the run was approved: `left_at` is the feed date's start.
        self.left_at = left_at or now
        self.school_ids: dict[str, int] = {}
        self.written = 0
        self.class_ids: dict[str, int] = {}
        self.analyzed: set = set()  # tables analyzed and not written since

    def apply_kinds(self, items_of: Callable[[str], Iterable]) -> None:
        """Dependency order: schools, classes, then persons, then the links between them. Each
        kind is read and written a page at a time: memory does not grow with the plan."""
        for kind, write in (
            (RecordKind.SCHOOL, lambda page: self._feed_owned(RecordKind.SCHOOL, School, page)),
            (RecordKind.CLASS, self._classes),
            (
                RecordKind.GUARDIAN,
                lambda page: self._feed_owned(RecordKind.GUARDIAN, Guardian, page),
            ),
            (RecordKind.STAFF, lambda page: self._feed_owned(RecordKind.STAFF, Staff, page)),
            (RecordKind.PUPIL, lambda page: self._feed_owned(RecordKind.PUPIL, Pupil, page)),
            (RecordKind.LINK, self._links),
        ):
            if kind == RecordKind.CLASS:
                self.school_ids = dict(School.objects.values_list("join_key", "id"))
            if kind == RecordKind.LINK:
                # The links look their persons up by key a page at a time: with statistics
                # that still say "empty", each lookup would scan the whole table.
                self.refresh_statistics(models=(Pupil, Guardian, GuardianLink))
            if kind == RecordKind.GUARDIAN:
                self.class_ids = {
                    state.class_key(school_key, class_kind, code): pk
                    for pk, school_key, class_kind, code in SchoolClass.objects.values_list(
                        "id", "school__join_key", "kind", "code"
                    )
                }
            for page in _pages(items_of(kind), PAGE):
                write(page)
                self.written += len(page)
                self.analyzed.difference_update(WRITES[kind])

    def refresh_statistics(self, models=DIRECTORY) -> None:
        """After a large first import, the planner's statistics still describe empty tables:
        the queries that follow in the same transaction (account sync) would pick plans that
        never finish. ANALYZE sees this transaction's own rows. A table analyzed since its last
        write (the persons, before the links) is not analyzed again."""
        if connection.vendor != "postgresql" or self.written < ANALYZE_ABOVE:
            return
        with connection.cursor() as cursor:
            for model in models:
                if model not in self.analyzed:
                    cursor.execute(f'ANALYZE "{model._meta.db_table}"')
                    self.analyzed.add(model)

    # -- feed-owned rows (schools and persons) ------------------------------------------------
    def _feed_owned(self, kind: str, model, items) -> None:
        if not items:
            return
        stamp = {"last_seen_at": self.now, "last_changed_run": self.run_id}
        creates = [i for i in items if i.action == "create"]
        changes = [i for i in items if i.action in ("update", "return")]
        leaves = [i.key for i in items if i.action == "leave"]

        new_ids = bulk_insert(model, (self._new_row(kind, item, stamp) for item in creates))

        if changes:
            rows = model.objects.in_bulk([i.key for i in changes], field_name="join_key")
            fields = {"last_seen_at", "last_changed_run"}
            for item in changes:
                row = rows[item.key]
                for name, value in _model_values(kind, item.data).items():
                    setattr(row, name, value)
                    fields.add(name)
                if kind == RecordKind.PUPIL and "school" in item.data:
                    row.school_id = self.school_ids[item.data["school"]]
                    fields.add("school_id")
                if item.action == "return":
                    row.left_at = None
                    fields.add("left_at")
                row.feed_digest = item.digest
                fields.add("feed_digest")
                row.last_seen_at = self.now
                row.last_changed_run = self.run_id
            model.objects.bulk_update(rows.values(), sorted(fields), batch_size=BATCH)

        if leaves:
            for chunk in batched(leaves, BATCH):
                model.objects.filter(join_key__in=chunk).update(
                    left_at=self.left_at, last_changed_run=self.run_id
                )
        if kind in (RecordKind.PUPIL, RecordKind.STAFF):
            new = dict(zip((i.key for i in creates), new_ids, strict=True))
            self._memberships(kind, model, creates + changes, new)

    def _new_row(self, kind: str, item, stamp: dict) -> dict:
        values = {"join_key": item.key, "first_seen_at": self.now, "left_at": None, **stamp,
                  "feed_digest": item.digest}  # fmt: skip
        values.update(_model_values(kind, item.data))
        if kind == RecordKind.PUPIL:
            values["school_id"] = self.school_ids[item.data["school"]]
        return values

    def _memberships(self, kind, model, items, new_ids: dict[str, int]) -> None:
        touched = [i for i in items if "classes" in i.data or "assignments" in i.data]
        if not touched:
            return
        ids = dict(
            model.objects.filter(
                join_key__in=[i.key for i in touched if i.key not in new_ids]
            ).values_list("join_key", "id")
        )
        ids.update(new_ids)
        through, owner = (
            (PupilClass, "pupil_id") if kind == RecordKind.PUPIL else (StaffClass, "staff_id")
        )
        with_classes = [i for i in touched if "classes" in i.data]
        # A new person has no membership yet: only changed ones have old rows to replace.
        replaced = [ids[i.key] for i in with_classes if i.action != "create"]
        through.objects.filter(**{f"{owner}__in": replaced}).delete()
        bulk_insert(
            through,
            (
                {owner: ids[i.key], "school_class_id": self.class_ids[key]}
                for i in with_classes
                for key in i.data["classes"]
            ),
        )
        if kind == RecordKind.STAFF:
            with_assignments = [i for i in touched if "assignments" in i.data]
            StaffAssignment.objects.filter(
                staff_id__in=[ids[i.key] for i in with_assignments if i.action != "create"]
            ).delete()
            bulk_insert(
                StaffAssignment,
                (
                    {
                        "staff_id": ids[i.key],
                        "school_id": self.school_ids[school_key],
                        "is_director": is_director,
                        "functions": functions,
                    }
                    for i in with_assignments
                    for school_key, is_director, functions in i.data["assignments"]
                ),
            )

    # -- classes and links ----------------------------------------------------------------
    def _classes(self, items) -> None:
        existing = {
            state.class_key(key, kind, code): row
            for row, key, kind, code in (
                (row, row.school.join_key, row.kind, row.code)
                for row in SchoolClass.objects.select_related("school").filter(
                    school__join_key__in={i.key.split("|")[0] for i in items}
                )
            )
        }
        new_rows, changed, left = [], [], []
        for item in items:
            if item.action == "create":
                new_rows.append(
                    SchoolClass(
                        school_id=self.school_ids[item.data["school"]],
                        kind=item.data["kind"],
                        code=item.data["code"],
                        name=item.data["name"],
                        first_seen_at=self.now,
                        last_seen_at=self.now,
                        feed_digest=item.digest,
                    )
                )
            elif item.action == "leave":
                left.append(existing[item.key].pk)
            else:
                row = existing[item.key]
                row.name = item.data.get("name", row.name)
                row.left_at = None
                row.last_seen_at = self.now
                row.feed_digest = item.digest
                changed.append(row)
        SchoolClass.objects.bulk_create(new_rows, batch_size=BATCH)
        SchoolClass.objects.bulk_update(
            changed, ["name", "left_at", "last_seen_at", "feed_digest"], BATCH
        )
        SchoolClass.objects.filter(pk__in=left).update(left_at=self.left_at)

    def _links(self, items) -> None:
        if not items:
            return
        ends = [state.link_ends(item.key) for item in items]
        pupil_ids = _ids(Pupil, {pupil for pupil, _ in ends})
        guardian_ids = _ids(Guardian, {guardian for _, guardian in ends})
        existing = {}
        others = [i for i in items if i.action != "create"]
        if others:
            pairs = {tuple(i.key.split("|")) for i in others}
            pupils = {pupil_ids[p] for p, _ in pairs}
            for row in GuardianLink.objects.filter(pupil_id__in=pupils).select_related(
                "pupil", "guardian"
            ):
                existing[state.link_key(row.pupil.join_key, row.guardian.join_key)] = row
        changed = []
        bulk_insert(
            GuardianLink,
            (
                {
                    "pupil_id": pupil_ids[item.data["pupil"]],
                    "guardian_id": guardian_ids[item.data["guardian"]],
                    "left_at": None,
                    "feed_digest": item.digest,
                    **_model_values(RecordKind.LINK, item.data),
                }
                for item in items
                if item.action == "create"
            ),
        )
        for item in items:
            if item.action == "create":
                continue
            row = existing[item.key]
            if item.action == "leave":
                row.left_at = self.left_at
            else:
                for name, value in _model_values(RecordKind.LINK, item.data).items():
                    setattr(row, name, value)
                row.left_at = None
                row.feed_digest = item.digest
            changed.append(row)
        GuardianLink.objects.bulk_update(
            changed, [*state.LINK_FIELDS, "left_at", "feed_digest"], BATCH
        )
