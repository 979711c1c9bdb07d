"""Reads for the city dashboard: account activation per school and per class, the weekly trend,
accounts waiting to be removed and the state of the AAF imports.

Every figure comes from a fixed number of grouped queries (GROUP BY with conditional counts),
whatever the number of schools or classes: no query per row. Scope comes from `accounts.scope`.

Definitions (all "present" means `left_at` is null):
- guardians of a school or class: present guardians with at least one present link carrying
  parental authority (legal 1 or 2) to a present pupil of that school or class; the rate is the
  share of them whose account is activated;
- pupils and staff: the rate is activated accounts out of the accounts of present persons
  (staff of a school: assigned to it; staff of a class: teaching it);
- an activated account: `activated_at` set and still active;
- a guardian without e-mail: no e-mail in the feed and no confirmed e-mail on the account.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.directory_selectors import open_schools_for_user
from accounts.models import User
from accounts.scope import authority_links, classes_for_user, scope_for_user
from schools.kinds import PersonKind
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

TREND_WEEKS = 16


@dataclass(frozen=True)
class Tally:
    """`activated` out of `base` (guardians with authority, or the accounts of pupils/staff)."""

    base: int = 0
    activated: int = 0

    @property
    def rate(self) -> float | None:
        """Percentage, or None when there is nobody to count."""
        return 100 * self.activated / self.base if self.base else None


@dataclass(frozen=True)
class ActivationRow:
    """One line of the dashboard: a school, a class, or the total (`item` None)."""

    item: School | SchoolClass | None
    guardians: Tally
    pupils: Tally
    staff: Tally
    guardians_without_email: int = 0


def _activated(prefix: str) -> Q:
    return Q(**{f"{prefix}activated_at__isnull": False, f"{prefix}is_active": True})


def _without_email(prefix: str) -> Q:
    """No e-mail in the feed, and no confirmed one on the account (or no account at all)."""
    return Q(**{f"{prefix}email": ""}) & (
        Q(**{f"{prefix}account__isnull": True})
        | Q(**{f"{prefix}account__email": ""})
        | Q(**{f"{prefix}account__email_confirmed_at__isnull": True})
    )


def _guardian_counts(prefix: str = "guardian__", key: str = "guardian_id") -> dict:
    """Per link row, a guardian may appear twice (siblings): count them once. On guardian rows
    (`key` "id") DISTINCT is not needed, and skipping it spares a sort."""
    distinct = key != "id"
    return {
        "base": Count(key, distinct=distinct),
        "activated": Count(key, distinct=distinct, filter=_activated(f"{prefix}account__")),
        "without_email": Count(key, distinct=distinct, filter=_without_email(prefix)),
    }


def _account_counts(prefix: str) -> dict:
    return {
        "base": Count(f"{prefix}account"),
        "activated": Count(f"{prefix}account", filter=_activated(f"{prefix}account__")),
    }


def _authority_links() -> QuerySet[GuardianLink]:
    """`accounts.scope.authority_links` of guardians still present (the figures count people)."""
    return authority_links().filter(guardian__left_at__isnull=True)


def _grouped(queryset: QuerySet, key: str, counts: dict) -> dict[int, dict]:
    rows = queryset.values(key_id=F(key)).annotate(**counts).order_by()
    return {row.pop("key_id"): row for row in rows}


def _tally(row: dict | None) -> Tally:
    return Tally(base=row["base"], activated=row["activated"]) if row else Tally()


def school_activation_rows(*, user: User) -> tuple[list[ActivationRow], ActivationRow]:
    """One row per open school and the total row; six queries, whatever the number of schools.

    The total is not a sum: a guardian of pupils in two schools, or a teacher in two schools,
    is counted once.
    """
    schools_qs = open_schools_for_user(user=user).only("id", "uai", "name")
    schools = list(schools_qs)
    links = _authority_links().filter(pupil__school__in=schools_qs)
    guardians = _grouped(links, "pupil__school_id", _guardian_counts())
    pupils = _grouped(
        Pupil.objects.filter(left_at__isnull=True, school__in=schools_qs),
        "school_id",
        _account_counts(""),
    )
    assignments = StaffAssignment.objects.filter(staff__left_at__isnull=True, school__in=schools_qs)
    staff = _grouped(assignments, "school_id", _account_counts("staff__"))
    rows = [
        ActivationRow(
            item=school,
            guardians=_tally(guardians.get(school.pk)),
            pupils=_tally(pupils.get(school.pk)),
            staff=_tally(staff.get(school.pk)),
            guardians_without_email=guardians.get(school.pk, {}).get("without_email", 0),
        )
        for school in schools
    ]
    guardian_total = Guardian.objects.filter(id__in=links.values("guardian_id")).aggregate(
        **_guardian_counts(prefix="", key="id")
    )
    staff_total = Staff.objects.filter(
        left_at__isnull=True, id__in=assignments.values("staff_id")
    ).aggregate(**_account_counts(""))
    total = ActivationRow(
        item=None,
        guardians=_tally(guardian_total),
        pupils=Tally(
            base=sum(row.pupils.base for row in rows),
            activated=sum(row.pupils.activated for row in rows),
        ),
        staff=_tally(staff_total),
        guardians_without_email=guardian_total["without_email"],
    )
    return rows, total


def class_activation_rows(*, user: User, school: School) -> list[ActivationRow]:
    """One row per present class and group of a school; four queries, whatever their number."""
    classes_qs = (
        classes_for_user(user)
        .filter(school=school, left_at__isnull=True)
        .only("id", "name", "kind", "school_id")
        .order_by("kind", "name")
    )
    classes = list(classes_qs)
    guardians = _grouped(
        _authority_links().filter(pupil__class_links__school_class__in=classes_qs),
        "pupil__class_links__school_class_id",
        _guardian_counts(),
    )
    pupils = _grouped(
        PupilClass.objects.filter(pupil__left_at__isnull=True, school_class__in=classes_qs),
        "school_class_id",
        _account_counts("pupil__"),
    )
    staff = _grouped(
        StaffClass.objects.filter(staff__left_at__isnull=True, school_class__in=classes_qs),
        "school_class_id",
        _account_counts("staff__"),
    )
    return [
        ActivationRow(
            item=school_class,
            guardians=_tally(guardians.get(school_class.pk)),
            pupils=_tally(pupils.get(school_class.pk)),
            staff=_tally(staff.get(school_class.pk)),
            guardians_without_email=guardians.get(school_class.pk, {}).get("without_email", 0),
        )
        for school_class in classes
    ]


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def activation_trend(
    *, weeks: int = TREND_WEEKS, now: datetime.datetime | None = None
) -> list[tuple[datetime.date, int]]:
    """(Monday, accounts activated by the end of that week) for the last `weeks` weeks, the
    current one last (counted up to now). One query: a conditional count per week.

    Persons' accounts only (pupils, guardians, staff); an account deactivated since still
    counts, since it was activated then.
    """
    today = timezone.localdate(now)
    this_monday = today - datetime.timedelta(days=today.weekday())
    mondays = [this_monday - datetime.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    counts = User.objects.filter(
        kind__in=PersonKind.values,
        activated_at__isnull=False,
    ).aggregate(
        **{
            f"w{i}": Count(
                "id",
                filter=Q(activated_at__lt=_midnight(monday + datetime.timedelta(weeks=1))),
            )
            for i, monday in enumerate(mondays)
        }
    )
    return [(monday, counts[f"w{i}"]) for i, monday in enumerate(mondays)]


def account_pending_removal_counts() -> dict[str, int]:
    """Accounts still active whose person left the feed, per kind and in total.

    Account sync deactivates them after each import, so anything here means it has not run.
    Three small queries on the `left_at` index rather than one scan of every account.
    """
    counts = {
        kind: model.objects.filter(left_at__isnull=False, account__is_active=True).count()
        for kind, model in (("pupils", Pupil), ("guardians", Guardian), ("staff", Staff))
    }
    counts["total"] = sum(counts.values())
    return counts


def city_only_credential_counts() -> dict[str, int]:
    """Present accounts that reach more than one school, whose letters, resets and renewal
    slips only city staff may give (`accounts.scope.credential_accounts_for_user`): guardians
    with authority over children in several schools, staff assigned to several schools.
    Two grouped queries."""
    guardians = (
        _authority_links()
        .filter(guardian__account__is_active=True)
        .values("guardian_id")
        .annotate(schools=Count("pupil__school_id", distinct=True))
        .filter(schools__gt=1)
        .count()
    )
    staff = (
        StaffAssignment.objects.filter(staff__left_at__isnull=True, staff__account__is_active=True)
        .values("staff_id")
        .annotate(schools=Count("school_id", distinct=True))
        .filter(schools__gt=1)
        .count()
    )
    return {"guardians": guardians, "staff": staff, "total": guardians + staff}


@dataclass(frozen=True)
class DashboardFigures:
    rows: list[ActivationRow]
    total: ActivationRow
    trend: list[tuple[datetime.date, int]]
    pending_removal: dict[str, int]
    city_only_credentials: dict[str, int]
    computed_at: datetime.datetime


CACHE_KEY = "schools:dashboard:city:v2"


def dashboard_figures(*, user: User) -> DashboardFigures:
    """Everything but the per-class table and the import state: ten queries when computed.

    City staff all see the same figures, so they are cached for `DASHBOARD_CACHE_SECONDS`
    (default 60; 0 turns the cache off): at académie scale they take most of a second to
    compute, and a dashboard a minute old is still right. The page shows when they were made.
    """
    timeout = settings.DASHBOARD_CACHE_SECONDS
    cacheable = timeout > 0 and scope_for_user(user).is_city
    if cacheable:
        cached = cache.get(CACHE_KEY)
        if cached is not None:
            return cached
    rows, total = school_activation_rows(user=user)
    figures = DashboardFigures(
        rows=rows,
        total=total,
        trend=activation_trend(),
        pending_removal=account_pending_removal_counts(),
        city_only_credentials=city_only_credential_counts(),
        computed_at=timezone.now(),
    )
    if cacheable:
        cache.set(CACHE_KEY, figures, timeout)
    return figures
