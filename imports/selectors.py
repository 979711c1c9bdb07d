"""Reads about import runs, fetches and alerts."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import cast

import orjson
from django.core.cache import cache
from django.db.models import Count, QuerySet

from entaix.common.db import IN_CHUNK
from imports import changeover
from imports.models import DeliveryAlert, FetchAttempt, ImportPlanItem, ImportProblem, ImportRun
from schools.kinds import RecordKind
from schools.models import Pupil, PupilClass, School, SchoolClass, StaffAssignment


def import_run_last_applied(*, mode: str | None = None) -> ImportRun | None:
    runs = ImportRun.objects.filter(status=ImportRun.Status.APPLIED, feed_date__isnull=False)
    runs = runs.exclude(trigger=ImportRun.Trigger.RECONCILE)
    if mode:
        runs = runs.filter(mode=mode)
    return runs.order_by("-feed_date", "-applied_at", "-pk").first()


def import_run_last_complet_date() -> datetime.date | None:
    """Feed date of the last Complet applied in full: a changeover approved for some schools
    only (its rest still held) does not end the changeover for the others."""
    run = (
        ImportRun.objects.filter(status=ImportRun.Status.APPLIED, mode="Complet")
        .exclude(trigger=ImportRun.Trigger.RECONCILE)
        .exclude(remainders__status=ImportRun.Status.HELD)
        .order_by("-feed_date", "-applied_at", "-pk")
        .first()
    )
    return run.feed_date if run else None


def import_run_held_remainder(*, run: ImportRun) -> ImportRun | None:
    """The held rest of a changeover approved for some schools only."""
    return run.remainders.filter(status=ImportRun.Status.HELD).order_by("-pk").first()


def changeover_school_keys(*, run: ImportRun, uais: list[str]) -> list[str]:
    """Join keys of the ticked schools, among those the run's plan changes (nothing else)."""
    planned = ImportPlanItem.objects.filter(run=run).values("school_key")
    return list(
        School.objects.filter(uai__in=uais, join_key__in=planned)
        .order_by("join_key")
        .values_list("join_key", flat=True)
    )


def import_run_last_record_counts() -> dict | None:
    run = import_run_last_applied(mode="Complet")
    return run.record_counts if run else None


def import_run_list() -> QuerySet[ImportRun]:
    return ImportRun.objects.select_related("requested_by", "decided_by").order_by("-pk")


def fetch_attempt_list(*, limit: int = 10) -> list[FetchAttempt]:
    return list(FetchAttempt.objects.order_by("-pk")[:limit])


def fetch_attempt_requested_since(
    *, actor_id: int, since: datetime.datetime
) -> FetchAttempt | None:
    """The fetch a person asked for at `since`, if the worker has started it."""
    return (
        FetchAttempt.objects.filter(requested_by_id=actor_id, created_at__gte=since)
        .order_by("-pk")
        .first()
    )


def delivery_alerts_open() -> QuerySet[DeliveryAlert]:
    return DeliveryAlert.objects.filter(resolved_at__isnull=True).order_by("-date")


def import_problems(*, run: ImportRun, school_key: str | None = None) -> QuerySet[ImportProblem]:
    problems = run.problems.order_by("id")
    if school_key is not None:
        problems = problems.filter(school_key=school_key)
    return problems


def import_plan_summary(*, run: ImportRun, school_key: str | None = None) -> list[dict]:
    """What a held run would do, kind by action, for the review screen."""
    items = ImportPlanItem.objects.filter(run=run)
    if school_key is not None:
        items = items.filter(school_key=school_key)
    rows = items.values("kind", "action").annotate(n=Count("id")).order_by("kind", "action")
    return [dict(row) for row in rows]


def import_plan_items(*, run: ImportRun, action: str, limit: int = 200) -> list[ImportPlanItem]:
    return list(ImportPlanItem.objects.filter(run=run, action=action).order_by("seq")[:limit])


def import_runs_interrupted() -> QuerySet[ImportRun]:
    """Runs that stopped for a passing reason (database lost, abandoned): they can resume."""
    return ImportRun.objects.filter(status=ImportRun.Status.FAILED, retryable=True).order_by("pk")


def import_state() -> dict:
    """The latest import run and the open delivery alerts; two queries."""
    return {
        "last_run": ImportRun.objects.order_by("-pk").first(),
        "alerts": list(DeliveryAlert.objects.filter(resolved_at__isnull=True).order_by("-date")),
    }


def person_feed_history(*, kind: str, join_key: str, limit: int = 50) -> list:
    """Every applied change the feed made to this person, newest first."""
    return list(
        ImportPlanItem.objects.filter(kind=kind, key=join_key, run__status=ImportRun.Status.APPLIED)
        .select_related("run")
        .order_by("-run__applied_at", "-seq")[:limit]
    )


# --- the changeover review (imports/changeover.py) -------------------------------------------


@dataclass
class SchoolChangeover:
    """What a changeover run would do in one school: figures only, no person named."""

    key: str
    uai: str = ""
    name: str = ""
    # [(level, count, expected)]: pupils leaving the city's open schools, by their last level.
    leavers: list = field(default_factory=list)
    arrivals: list = field(default_factory=list)  # [(level, count)]: new or returning pupils
    moved_out: int = 0  # pupils going to another open school of the city
    moved_in: int = 0
    class_moves: list = field(default_factory=list)  # [(from class, to class, pupils)]
    renamed: list = field(default_factory=list)  # [(old name, new name)]
    splits: list = field(default_factory=list)  # [(old name, [new names])]
    new_classes: list = field(default_factory=list)
    closed_classes: list = field(default_factory=list)
    staff_arrived: int = 0
    staff_left: int = 0
    staff_in: list = field(default_factory=list)  # [(from school, count)]
    staff_out: list = field(default_factory=list)  # [(to school, count)]

    @property
    def leavers_total(self) -> int:
        return sum(n for _level, n, _expected in self.leavers)

    @property
    def unexpected_leavers(self) -> int:
        return sum(n for _level, n, expected in self.leavers if not expected)

    @property
    def arrivals_total(self) -> int:
        return sum(n for _level, n in self.arrivals)


def _chunked(rows: QuerySet, keys: list[str], *, field: str = "join_key"):
    """The rows of a values_list queryset whose `field` is one of `keys`, IN_CHUNK at a time."""
    keys = sorted(set(keys))
    for start in range(0, len(keys), IN_CHUNK):
        yield from rows.filter(**{f"{field}__in": keys[start : start + IN_CHUNK]})


def _home_class(keys) -> str | None:
    """A pupil's class (not a group) among their class keys, first by key."""
    homes = sorted(key for key in keys if key.split("|")[1:2] == ["class"])
    return homes[0] if homes else None


def _by_level(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (changeover.level_rank(item[0]), item[0]))


REVIEW_CACHE_SECONDS = 600


def changeover_review_cached(*, run: ImportRun) -> list[SchoolChangeover]:
    """`changeover_review`, kept a few minutes per run and plan hash (a city's review reads
    every pupil's plan item: seconds; the page is opened again and again while deciding). A
    plan split by an approval gets a new hash, hence new figures."""
    key = f"changeover-review:{run.pk}:{run.plan_hash}"
    review = cache.get_or_set(key, lambda: changeover_review(run=run), REVIEW_CACHE_SECONDS)
    return cast("list[SchoolChangeover]", review)


def changeover_review(*, run: ImportRun) -> list[SchoolChangeover]:
    """Per school, from the stored plan and the directory it would change: leavers by level
    (CM2 expected, the others to check), arrivals by level, pupils from class to class, renamed
    and split classes, staff moving between schools. City staff only (every school)."""
    items = list(
        ImportPlanItem.objects.filter(
            run=run, kind__in=(RecordKind.PUPIL, RecordKind.CLASS, RecordKind.STAFF)
        )
        .order_by("seq")
        .values_list("kind", "action", "key", "school_key", "data")
    )
    pupil_keys = [
        key for kind, action, key, *_ in items if kind == RecordKind.PUPIL and action != "create"
    ]
    staff_keys = [
        key for kind, action, key, *_ in items if kind == RecordKind.STAFF and action == "update"
    ]
    pupils = {
        key: (level, school)
        for key, level, school in _chunked(
            Pupil.objects.values_list("join_key", "level", "school__join_key"), pupil_keys
        )
    }
    homes: dict[str, str] = {}
    memberships = PupilClass.objects.filter(
        school_class__kind=SchoolClass.Kind.CLASS, school_class__left_at__isnull=True
    ).order_by("pupil__join_key", "school_class__code")
    for pupil, school_key, code in _chunked(
        memberships.values_list("pupil__join_key", "school_class__school__join_key",
                                "school_class__code"),
        pupil_keys, field="pupil__join_key",
    ):  # fmt: skip
        homes.setdefault(pupil, f"{school_key}|class|{code}")
    staff_schools: dict[str, set[str]] = {}
    for staff, school_key in _chunked(
        StaffAssignment.objects.values_list("staff__join_key", "school__join_key"),
        staff_keys,
        field="staff__join_key",
    ):
        staff_schools.setdefault(staff, set()).add(school_key)
    class_names = {
        f"{school}|{kind}|{code}": name
        for school, kind, code, name in SchoolClass.objects.filter(
            school__ent_open=True
        ).values_list("school__join_key", "kind", "code", "name")
    }
    old_names = dict(class_names)
    schools: dict[str, SchoolChangeover] = {}

    def school(key: str) -> SchoolChangeover:
        return schools.setdefault(key, SchoolChangeover(key=key))

    leavers: dict[str, Counter] = defaultdict(Counter)
    arrivals: dict[str, Counter] = defaultdict(Counter)
    moves: dict[str, Counter] = defaultdict(Counter)
    staff_in: dict[str, Counter] = defaultdict(Counter)
    staff_out: dict[str, Counter] = defaultdict(Counter)
    for kind, action, key, school_key, data in items:
        data = orjson.loads(data) if isinstance(data, str | bytes) else data
        if kind == RecordKind.CLASS:
            if key.split("|")[1:2] != ["class"]:
                continue  # groups (choir, language…) are not where pupils belong
            if action in ("create", "return"):
                class_names[key] = data.get("name") or old_names.get(key, key)
                school(school_key).new_classes.append(class_names[key])
            elif action == "leave":
                school(school_key).closed_classes.append(old_names.get(key, key))
            elif "name" in data:
                class_names[key] = data["name"]
                school(school_key).renamed.append((old_names.get(key, key), data["name"]))
        elif kind == RecordKind.PUPIL:
            level, old_school = pupils.get(key, ("", ""))
            if action == "leave":
                leavers[school_key or old_school][level] += 1
            elif action in ("create", "return") or (
                old_school and data.get("school", old_school) != old_school
            ):
                new_level = data.get("level", level)
                if action == "update":  # from another open school of the city
                    school(old_school).moved_out += 1
                    school(school_key).moved_in += 1
                else:
                    arrivals[school_key][new_level] += 1
            else:
                old = homes.get(key)
                new = _home_class(data["classes"]) if "classes" in data else old
                if old and new:
                    moves[school_key][(old, new)] += 1
        elif kind == RecordKind.STAFF:
            if action in ("create", "return"):
                school(school_key).staff_arrived += 1
            elif action == "leave":
                school(school_key).staff_left += 1
            elif "assignments" in data:
                before = staff_schools.get(key, set())
                after = {assignment[0] for assignment in data["assignments"]}
                for gone in sorted(before - after):
                    for came in sorted(after - before) or [""]:
                        staff_out[gone][came] += 1
                for came in sorted(after - before):
                    for gone in sorted(before - after) or [""]:
                        staff_in[came][gone] += 1
    for key in (*leavers, *arrivals, *moves, *staff_in, *staff_out):
        school(key)
    schools.pop("", None)
    rows = School.objects.filter(join_key__in=[*schools, *staff_in, *staff_out])
    info = {k: (uai, name, kind) for k, uai, name, kind in rows.values_list(
        "join_key", "uai", "name", "structure_type")}  # fmt: skip
    for key, entry in schools.items():
        entry.uai, entry.name, structure = info.get(key, ("", key, ""))
        entry.leavers = [
            (level, n, changeover.expected_leaving_level(level, structure))
            for level, n in _by_level(leavers[key])
        ]
        entry.arrivals = _by_level(arrivals[key])
        sources: dict[str, set[str]] = defaultdict(set)
        for old, new in moves[key]:
            sources[new].add(old)
        flows: dict[str, list[str]] = defaultdict(list)
        for (old, new), n in sorted(moves[key].items()):
            entry.class_moves.append((old_names.get(old, old), class_names.get(new, new), n))
            if sources[new] == {old}:
                flows[old].append(new)
        entry.class_moves.sort(key=lambda move: (move[0].casefold(), move[1].casefold()))
        entry.splits = sorted(
            (old_names.get(old, old), sorted(class_names.get(new, new) for new in news))
            for old, news in flows.items()
            if len(news) >= 2
        )
        entry.renamed.sort()
        entry.new_classes.sort()
        entry.closed_classes.sort()

        def named(other: str) -> str:
            return info.get(other, ("", "", ""))[1] if other else ""

        entry.staff_in = sorted((named(k), n) for k, n in staff_in[key].items())
        entry.staff_out = sorted((named(k), n) for k, n in staff_out[key].items())
    return sorted(schools.values(), key=lambda entry: (entry.name.casefold(), entry.key))
