"""Reads of retention: who is purged when and why, legal holds, purge runs, the termination."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from privacy import selectors
from privacy.inventory import Rule
from privacy.models import LegalHold, PurgeRun
from schools.kinds import PersonKind, person_model
from schools.models import Guardian, GuardianLink, Pupil, Staff


@dataclass(frozen=True)
class Entry:
    """One person scheduled for purging, with the rule and the date it is computed from."""

    kind: str
    person_id: int
    rule: str
    reference: datetime.date
    purge_on: datetime.date
    held: bool = False
    blocked: str = ""  # "child-held": a child of this guardian is under a legal hold

    def is_due(self, today: datetime.date) -> bool:
        return not self.held and not self.blocked and self.purge_on <= today


@dataclass
class RetentionPlan:
    today: datetime.date
    entries: list[Entry]
    present: dict[str, int] = field(default_factory=dict)

    @property
    def due(self) -> list[Entry]:
        return [e for e in self.entries if e.is_due(self.today)]

    def due_count(self, rule: str) -> int:
        return sum(1 for e in self.due if e.rule == rule)


def _end_of_year(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 12, 31)


def _day(moment: datetime.datetime | None) -> datetime.date:
    # Only read from rows filtered on a set `left_at`: never None here.
    assert moment is not None
    return timezone.localdate(moment)


def retention_plan(*, today: datetime.date | None = None) -> RetentionPlan:
    """Every person with a purge date, due or not, sorted by purge date. Reads only."""
    today = today or timezone.localdate()
    held = selectors.held_persons()
    entries: list[Entry] = []

    for pk, left_at in Pupil.objects.filter(left_at__isnull=False).values_list("pk", "left_at"):
        reference = _day(left_at)
        entries.append(
            Entry(
                PersonKind.PUPIL,
                pk,
                Rule.PUPIL,
                reference,
                _end_of_year(reference),
                held=(PersonKind.PUPIL, pk) in held,
            )
        )

    links = defaultdict(list)
    for guardian_id, pupil_id, link_left, pupil_left in GuardianLink.objects.values_list(
        "guardian_id", "pupil_id", "left_at", "pupil__left_at"
    ):
        links[guardian_id].append((pupil_id, link_left, pupil_left))
    present_guardians = 0
    for pk, left_at in Guardian.objects.values_list("pk", "left_at"):
        ends, kept, child_held = [], False, False
        for pupil_id, link_left, pupil_left in links.get(pk, ()):
            if link_left is None and pupil_left is None:
                kept = True  # a present child, still linked
                break
            ends.append(_day(min(d for d in (link_left, pupil_left) if d is not None)))
            child_held = child_held or (PersonKind.PUPIL, pupil_id) in held
        if left_at is not None:
            ends.append(_day(left_at))
        if kept or not ends:
            present_guardians += 1
            continue
        reference = max(ends)
        entries.append(
            Entry(
                PersonKind.GUARDIAN,
                pk,
                Rule.GUARDIAN,
                reference,
                _end_of_year(reference),
                held=(PersonKind.GUARDIAN, pk) in held,
                blocked="child-held" if child_held else "",
            )
        )

    for pk, left_at in Staff.objects.filter(left_at__isnull=False).values_list("pk", "left_at"):
        reference = _day(left_at)
        entries.append(
            Entry(
                PersonKind.STAFF,
                pk,
                Rule.STAFF,
                reference,
                reference,
                held=(PersonKind.STAFF, pk) in held,
            )
        )

    entries.sort(key=lambda e: (e.purge_on, e.kind, e.person_id))
    present = {
        PersonKind.PUPIL: Pupil.objects.filter(left_at__isnull=True).count(),
        PersonKind.GUARDIAN: present_guardians,
        PersonKind.STAFF: Staff.objects.filter(left_at__isnull=True).count(),
    }
    return RetentionPlan(
        today=today, entries=entries, present={str(k): v for k, v in present.items()}
    )


def person_get(*, kind: str, pk: int):
    return person_model(kind).objects.select_related("account").get(pk=pk)


def legal_holds(*, active: bool = True) -> QuerySet[LegalHold]:
    holds = LegalHold.objects.select_related("pupil", "guardian", "staff", "placed_by")
    return holds.filter(lifted_at__isnull=True) if active else holds


def held_persons() -> set[tuple[str, int]]:
    return {
        (kind, pupil or guardian or staff)
        for kind, pupil, guardian, staff in LegalHold.objects.filter(
            lifted_at__isnull=True
        ).values_list("person_kind", "pupil_id", "guardian_id", "staff_id")
    }


def purge_runs() -> QuerySet[PurgeRun]:
    return PurgeRun.objects.select_related("performed_by").prefetch_related("receipts")


def convention_terminated() -> bool:
    """True once the convention's termination destroyed the data (imports should then stop)."""
    return PurgeRun.objects.filter(
        kind=PurgeRun.Kind.TERMINATION, status=PurgeRun.Status.DONE
    ).exists()
