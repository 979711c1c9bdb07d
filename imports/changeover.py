"""The September changeover ("la rentrée"): recognising the Complet that starts a school year.

That Complet moves every pupil up a level, lets the CM2 go, brings new CP and PS, renames or
splits classes and moves teachers: far beyond the leave guards, yet expected. Recognised, it is
held for one reason, `changeover`, and reviewed school by school (imports/selectors.py), instead
of tripping `mass-leave-*` like an accident would.

Two rules, each set by the city (settings, from the environment):
- the date: the first Complet on or after `SCHOOL_YEAR_CHANGEOVER` (MM-DD, default 08-20) since
  the last Complet applied in full;
- the classes: a Complet that creates, closes or renames more than
  `IMPORT_CHANGEOVER_CLASS_RATIO` of the classes present (a changeover on another date).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from schools.kinds import RecordKind

REASON = "changeover"
# Replaced by the changeover review: a changeover's departures are the year's, not an accident's.
LEAVE_REASONS = frozenset({"mass-leave-city", "mass-leave-school"})
# Pupils who leave a school at the end of its last level are expected to go.
LEVELS = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")


def changeover_day() -> tuple[int, int] | None:
    """(month, day) of `SCHOOL_YEAR_CHANGEOVER`, or None when the date rule is off."""
    raw = (settings.SCHOOL_YEAR_CHANGEOVER or "").strip()
    if not raw:
        return None
    try:
        month, day = (int(part) for part in raw.split("-"))
        datetime.date(2027, month, day)  # a non-leap year: 02-29 is refused
    except ValueError as exc:
        raise ImproperlyConfigured(
            "The environment variable SCHOOL_YEAR_CHANGEOVER must be MM-DD (e.g. 08-20)."
        ) from exc
    return month, day


def school_year_start(day: datetime.date) -> datetime.date | None:
    """The changeover date of the school year `day` belongs to (on or before it)."""
    month_day = changeover_day()
    if month_day is None:
        return None
    start = datetime.date(day.year, *month_day)
    return start if start <= day else start.replace(year=day.year - 1)


def by_date(feed_date: datetime.date, last_complet_date: datetime.date | None) -> bool:
    """The first Complet of its school year: the last one applied in full is older."""
    start = school_year_start(feed_date)
    return start is not None and last_complet_date is not None and last_complet_date < start


def by_classes(counts: dict, active_before: dict) -> bool:
    """Created, closed and renamed classes (and groups) against those present before."""
    limit = settings.IMPORT_CHANGEOVER_CLASS_RATIO
    before = active_before.get(RecordKind.CLASS, 0)
    if limit <= 0 or not before:
        return False
    classes = counts.get(RecordKind.CLASS, {})
    changed = sum(classes.get(name, 0) for name in ("created", "left", "updated"))
    return changed / before > limit


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def expected_leaving_level(level: str, structure_type: str) -> bool:
    """CM2 leave for collège; a nursery school's GS leave for an elementary school's CP."""
    return level == "CM2" or (level == "GS" and "MATERNELLE" in (structure_type or "").upper())
