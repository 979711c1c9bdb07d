"""Guards: a plan that trips one is held until city staff approve or discard it."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy

from imports import changeover
from imports.aaf import Mode
from imports.plan import Plan
from schools.kinds import PersonKind

# What each guard's code means, as the import pages and the city dashboard show it.
HELD_REASONS = {
    "incomplete-set": gettext_lazy("The Complet set lacks one of the four files."),
    "not-newer": gettext_lazy("The feed is not newer than the last one applied (a replay?)."),
    "too-old": gettext_lazy("The feed is older than the allowed number of days."),
    "future-date": gettext_lazy("The feed is dated after today."),
    "mass-leave-city": gettext_lazy("Too many of the city's persons would leave."),
    "mass-leave-school": gettext_lazy("Too many of one school's persons would leave."),
    "school-emptied": gettext_lazy("A school would lose all its pupils."),
    "count-drop": gettext_lazy("A kind has far fewer records than in the last Complet."),
    "dangling-references": gettext_lazy("Too many references point to unknown persons."),
    "changeover": gettext_lazy(
        "The first Complet of a new school year (the changeover): pupils move up, CM2 leave, "
        "new pupils arrive, classes and staff change. Review it school by school below."
    ),
}


def held_reason_labels(codes: list[str]) -> list[tuple[str, str]]:
    """(code, sentence) pairs for a run's held reasons; an unknown code reads as itself."""
    return [(code, HELD_REASONS.get(code, code)) for code in codes]


@dataclass(frozen=True)
class GuardSettings:
    max_leave_ratio: float
    max_age_days: int
    max_count_drop: float
    max_dangling_ratio: float

    @classmethod
    def from_settings(cls) -> "GuardSettings":
        return cls(
            max_leave_ratio=settings.IMPORT_MAX_LEAVE_RATIO,
            max_age_days=settings.IMPORT_MAX_AGE_DAYS,
            max_count_drop=settings.IMPORT_MAX_COUNT_DROP,
            max_dangling_ratio=settings.IMPORT_MAX_DANGLING_RATIO,
        )


def held_reasons(
    plan: Plan,
    *,
    today: datetime.date,
    last_applied_date: datetime.date | None,
    last_record_counts: dict | None,
    first_import: bool,
    reconcile: bool = False,
    limits: GuardSettings | None = None,
    last_complet_date: datetime.date | None = None,
) -> list[str]:
    """Codes of the guards this plan trips, in a stable order. A changeover Complet (the
    year's first, or one reshaping the classes: imports/changeover.py) is held for
    `changeover` instead of the leave guards."""
    limits = limits or GuardSettings.from_settings()
    reasons = []
    if plan.mode == Mode.COMPLET and plan.missing_kinds:
        reasons.append("incomplete-set")
    if plan.feed_date > today:
        # Dated after today: a clock, a generator or a forged file; never applied unseen.
        reasons.append("future-date")
    if first_import or reconcile:
        return reasons
    if last_applied_date is not None and plan.feed_date <= last_applied_date:
        reasons.append("not-newer")
    if (today - plan.feed_date).days > limits.max_age_days:
        reasons.append("too-old")
    if plan.mode == Mode.COMPLET and (
        changeover.by_date(plan.feed_date, last_complet_date)
        or changeover.by_classes(plan.counts, plan.active_before)
    ):
        reasons.append(changeover.REASON)
    persons_before = sum(plan.active_before.get(k, 0) for k in PersonKind)
    persons_leaving = sum(plan.counts.get(k, {}).get("left", 0) for k in PersonKind)
    if persons_before and persons_leaving / persons_before > limits.max_leave_ratio:
        reasons.append("mass-leave-city")
    for school, active in plan.active_by_school.items():
        leaving = plan.leaving_by_school.get(school, 0)
        if active and leaving / active > limits.max_leave_ratio:
            reasons.append("mass-leave-school")
            break
    if changeover.REASON in reasons:
        reasons = [reason for reason in reasons if reason not in changeover.LEAVE_REASONS]
    for school, pupils in plan.pupils_by_school.items():
        if pupils and plan.pupils_leaving_by_school.get(school, 0) >= pupils:
            reasons.append("school-emptied")
            break
    if plan.mode == Mode.COMPLET and last_record_counts:
        for kind, before in last_record_counts.items():
            now = plan.record_counts.get(kind, 0)
            if before and (before - now) / before > limits.max_count_drop:
                reasons.append("count-drop")
                break
    if plan.references and plan.dangling / plan.references > limits.max_dangling_ratio:
        reasons.append("dangling-references")
    return reasons
