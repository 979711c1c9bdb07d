"""Reads for letter batches: who gets a letter in a batch over a school or a class, grouped by
class for the school office's piles.

Every account comes through `accounts.scope.credential_accounts_for_user`, and a guardian's
children through `pupils_for_user`: a letter never names a child the user may not see. A fixed
number of queries whatever the size of the batch.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.utils import timezone

from accounts.models import LetterBatch, User
from accounts.scope import credential_accounts_for_user, pupils_for_user
from schools.models import GuardianLink, Pupil, PupilClass, School, SchoolClass, Staff, StaffClass

Filter = LetterBatch.Filter
Profile = LetterBatch.Profile


@dataclass(frozen=True)
class Child:
    name: str
    school: str
    school_class: str


@dataclass
class BatchEntry:
    account_id: int
    login: str
    kind: str
    first_name: str
    last_name: str
    activated: bool
    printed: bool
    school: str = ""
    school_class: str = ""
    children: list[Child] = field(default_factory=list)

    @property
    def holder(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.login

    def sort_key(self) -> tuple:
        return (self.last_name.casefold(), self.first_name.casefold(), self.account_id)


@dataclass
class BatchGroup:
    """One pile: a class (or the staff, or the pupils without a class) and its letters."""

    class_id: int | None
    title: str
    teachers: list[str] = field(default_factory=list)
    entries: list[BatchEntry] = field(default_factory=list)


@dataclass
class BatchSelection:
    school: School
    groups: list[BatchGroup]

    @property
    def entries(self) -> list[BatchEntry]:
        return [entry for group in self.groups for entry in group.entries]

    @property
    def count(self) -> int:
        return sum(len(group.entries) for group in self.groups)


# An entry and where it is filed: (class id, class name), or None for no class.
type Placed = tuple[tuple[Any, ...] | None, BatchEntry]

_ACCOUNT = ("account__password", "account__activation_code__printed_at",
            "account__activation_code__expires_at")  # fmt: skip


def _state(state: Sequence[Any], now: datetime.datetime) -> tuple[bool, bool]:
    """(activated, printed) from (password, printed_at, expires_at): a code counts as printed
    only while it is still valid."""
    password, printed_at, expires_at = state
    activated = not password.startswith(UNUSABLE_PASSWORD_PREFIX)
    printed = printed_at is not None and expires_at is not None and expires_at > now
    return activated, printed


def _keep(entry: BatchEntry, batch_filter: str) -> bool:
    if batch_filter == Filter.ALL:
        return True
    if batch_filter == Filter.NOT_PRINTED:
        return not entry.activated and not entry.printed
    return not entry.activated


def _allowed(user: User, account_ids: list[int]) -> set[int]:
    """The candidates whose credential the user may obtain (one query over the candidates
    only: the scope rule is evaluated for the batch's accounts, not for the whole city)."""
    if not account_ids:
        return set()
    return set(
        credential_accounts_for_user(user).filter(pk__in=account_ids).values_list("pk", flat=True)
    )


def _home_classes(pupil_ids: list[int]) -> dict[int, tuple[int, str]]:
    """{pupil id: (class id, name)}: each pupil's present class (not a group), first by name."""
    home: dict[int, tuple[int, str]] = {}
    if not pupil_ids:
        return home
    for pupil_id, class_id, name in (
        PupilClass.objects.filter(
            pupil_id__in=pupil_ids,
            school_class__kind=SchoolClass.Kind.CLASS,
            school_class__left_at__isnull=True,
        )
        .order_by("school_class__name", "school_class_id")
        .values_list("pupil_id", "school_class_id", "school_class__name")
    ):
        home.setdefault(pupil_id, (class_id, name))
    return home


def _pupil_entries(*, user: User, school, school_class, now) -> list[Placed]:
    pupils = Pupil.objects.filter(school=school, left_at__isnull=True, account__isnull=False)
    if school_class is not None:
        pupils = pupils.filter(class_links__school_class=school_class)
    rows = list(
        pupils.values_list(
            "pk", "account_id", "account__login", "first_name", "last_name", *_ACCOUNT
        )
    )
    allowed = _allowed(user, [row[1] for row in rows])
    rows = [row for row in rows if row[1] in allowed]
    home = _home_classes([row[0] for row in rows])
    result = []
    for pk, account_id, login, first, last, *state in rows:
        activated, printed = _state(state, now)
        where = (school_class.pk, school_class.name) if school_class else home.get(pk)
        entry = BatchEntry(
            account_id=account_id, login=login, kind=Profile.PUPIL, first_name=first,
            last_name=last, activated=activated, printed=printed, school=school.name,
            school_class=where[1] if where else "",
        )  # fmt: skip
        result.append((where, entry))
    return result


def _guardian_entries(*, user: User, school, school_class, now) -> list[Placed]:
    """One entry per guardian with authority, filed under their youngest child in scope.

    The letter lists every child the user may see (any school, any class); the guardian
    belongs to this batch only if that youngest child is in its school (and class).
    """
    visible = pupils_for_user(user).filter(
        left_at__isnull=True, school__ent_open=True, school__left_at__isnull=True
    )
    links = GuardianLink.objects.filter(
        left_at__isnull=True,
        legal__gt=0,
        pupil__in=visible,
        guardian__left_at__isnull=True,
        guardian__account__isnull=False,
    )
    here = links.filter(pupil__school=school)
    if school_class is not None:
        here = here.filter(pupil__class_links__school_class=school_class)
    mine = links.filter(guardian_id__in=here.values("guardian_id"))
    rows = list(mine.order_by("pupil__first_name", "pupil_id").values_list(
        "guardian_id", "guardian__account_id", "guardian__account__login",
        "guardian__first_name", "guardian__last_name",
        "guardian__account__password", "guardian__account__activation_code__printed_at",
        "guardian__account__activation_code__expires_at",
        "pupil_id", "pupil__first_name", "pupil__last_name", "pupil__birth_date",
        "pupil__school_id", "pupil__school__name",
    ))  # fmt: skip
    allowed = _allowed(user, list({row[1] for row in rows}))
    rows = [row for row in rows if row[1] in allowed]
    pupil_ids = list({row[8] for row in rows})
    home = _home_classes(pupil_ids)
    member_of_class = (
        set(
            PupilClass.objects.filter(
                school_class=school_class, pupil_id__in=pupil_ids
            ).values_list("pupil_id", flat=True)
        )
        if school_class is not None
        else set()
    )
    guardians: dict[int, dict] = {}
    for row in rows:
        (guardian_id, account_id, login, first, last, password, printed_at, expires_at,
         pupil_id, pupil_first, pupil_last, birth_date, school_id, school_name) = row  # fmt: skip
        item = guardians.setdefault(
            guardian_id,
            {"entry": None, "children": [], "state": (password, printed_at, expires_at),
             "head": (account_id, login, first, last)},
        )  # fmt: skip
        item["children"].append((pupil_id, pupil_first, pupil_last, birth_date, school_id,
                                 school_name))  # fmt: skip
    result = []
    for item in guardians.values():
        children = item["children"]
        # The youngest child: the latest birth date (unknown counts as oldest), then the last id.
        youngest = max(children, key=lambda c: (c[3] or datetime.date.min, c[0]))
        if youngest[4] != school.pk:
            continue
        if school_class is not None and youngest[0] not in member_of_class:
            continue
        where = (school_class.pk, school_class.name) if school_class else home.get(youngest[0])
        account_id, login, first, last = item["head"]
        activated, printed = _state(item["state"], now)
        entry = BatchEntry(
            account_id=account_id, login=login, kind=Profile.GUARDIAN, first_name=first,
            last_name=last, activated=activated, printed=printed, school=school.name,
            school_class=where[1] if where else "",
            children=[
                Child(name=f"{c[1]} {c[2]}", school=c[5], school_class=home.get(c[0], (0, ""))[1])
                for c in children
            ],
        )  # fmt: skip
        result.append((where, entry))
    return result


def _staff_entries(*, user: User, school, school_class, now) -> list[Placed]:
    staff = Staff.objects.filter(
        assignments__school=school, left_at__isnull=True, account__isnull=False
    )
    if school_class is not None:
        staff = staff.filter(class_links__school_class=school_class)
    where = (school_class.pk, school_class.name) if school_class else None
    rows = list(
        staff.values_list("account_id", "account__login", "first_name", "last_name", *_ACCOUNT)
    )
    allowed = _allowed(user, [row[0] for row in rows])
    result = []
    for account_id, login, first, last, *state in rows:
        if account_id not in allowed:
            continue
        activated, printed = _state(state, now)
        entry = BatchEntry(
            account_id=account_id, login=login, kind=Profile.STAFF, first_name=first,
            last_name=last, activated=activated, printed=printed, school=school.name,
            school_class=where[1] if where else "",
        )  # fmt: skip
        result.append((where, entry))
    return result


_BY_PROFILE = {
    Profile.PUPIL: _pupil_entries,
    Profile.GUARDIAN: _guardian_entries,
    Profile.STAFF: _staff_entries,
}


def letter_batch_selection(
    *,
    user: User,
    school: School,
    school_class: SchoolClass | None = None,
    profile: str,
    batch_filter: str = Filter.NOT_ACTIVATED,
    staff_title: str = "",
    no_class_title: str = "",
) -> BatchSelection:
    """The letters of a batch over `school` (or one of its classes), grouped by class (classes
    by name, then the accounts without a class), each group sorted by name."""
    now = timezone.now()
    rows = _BY_PROFILE[Profile(profile)](
        user=user, school=school, school_class=school_class, now=now
    )
    groups: dict[int | None, BatchGroup] = {}
    for where, entry in rows:
        if not _keep(entry, batch_filter):
            continue
        class_id, title = where if where else (None, "")
        if class_id is None:
            title = staff_title if profile == Profile.STAFF else no_class_title
        groups.setdefault(class_id, BatchGroup(class_id=class_id, title=title)).entries.append(
            entry
        )
    teachers: dict[int | None, list[str]] = {}
    for class_id, first, last in (
        StaffClass.objects.filter(
            school_class_id__in=[pk for pk in groups if pk is not None], staff__left_at__isnull=True
        )
        .order_by("staff__last_name", "staff__first_name", "staff_id")
        .values_list("school_class_id", "staff__first_name", "staff__last_name")
    ):
        teachers.setdefault(class_id, []).append(f"{first} {last}")
    ordered = sorted(groups.values(), key=lambda g: (g.class_id is None, g.title.casefold()))
    for group in ordered:
        group.entries.sort(key=BatchEntry.sort_key)
        group.teachers = teachers.get(group.class_id, [])
    return BatchSelection(school=school, groups=ordered)
