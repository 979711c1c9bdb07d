"""Writes of the school directory made by city staff rather than by the feed: opening and
closing the ENT in a school. Opening marks the school; closing also makes its people leave.

The feed's side of both (replaying the latest Complet for an opened school, the import run that
records a closing, the accounts that follow) is `imports.services.school_open_reconcile` and
`school_close_reconcile`, which call these: the directory never imports the importer.
"""

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from entaix.common.exceptions import ApplicationError
from schools.kinds import RecordKind
from schools.models import (
    Guardian,
    GuardianLink,
    Pupil,
    School,
    SchoolClass,
    Staff,
    StaffAssignment,
    StaffClass,
)

logger = logging.getLogger(__name__)


def schools_by_uai(uais: Iterable[str]) -> list[School]:
    """The schools of these UAI (any case, spaces ignored); an unknown UAI is refused."""
    uais = [u.strip().upper() for u in uais]
    schools = list(School.objects.filter(uai__in=uais))
    unknown = sorted(set(uais) - {s.uai for s in schools})
    if unknown:
        raise ApplicationError(
            _("Unknown UAI: %(uais)s.") % {"uais": ", ".join(unknown)}, code="unknown-uai"
        )
    return schools


@transaction.atomic
def school_open(*, uais: Iterable[str], opened_on: datetime.date) -> list[School]:
    """Open the ENT in these schools (a school already open keeps its first opening date)."""
    schools = schools_by_uai(uais)
    for school in schools:
        school.ent_open = True
        school.ent_opened_on = school.ent_opened_on or opened_on
        school.save(update_fields=["ent_open", "ent_opened_on", "updated_at"])
    return schools


@transaction.atomic
def school_close(*, uais: Iterable[str], left_at: datetime.datetime, run_id: int) -> dict[str, int]:
    """Close the ENT in these schools: their pupils, classes and the links to them leave at
    `left_at`, and so do guardians and staff left with no present link elsewhere; staff keep their
    other schools. `run_id` is the import run recorded as having changed them. Returns how many
    of each kind left."""
    school_ids = [s.pk for s in schools_by_uai(uais)]
    School.objects.filter(pk__in=school_ids).update(ent_open=False, ent_opened_on=None)
    stamp = {"left_at": left_at, "last_changed_run": run_id}
    present = Q(left_at__isnull=True)
    pupils = Pupil.objects.filter(present, school_id__in=school_ids)
    pupil_ids = list(pupils.values_list("pk", flat=True))
    counts: dict[str, int] = {RecordKind.PUPIL: pupils.update(**stamp)}
    counts[RecordKind.LINK] = GuardianLink.objects.filter(
        pupil_id__in=pupil_ids, left_at__isnull=True
    ).update(left_at=left_at)
    counts[RecordKind.GUARDIAN] = (
        Guardian.objects.filter(present)
        .exclude(pupil_links__left_at__isnull=True, pupil_links__pupil__left_at__isnull=True)
        .update(**stamp)
    )
    # Staff keep their other schools: their rows no longer match the digest of their record.
    Staff.objects.filter(
        Q(assignments__school_id__in=school_ids)
        | Q(class_links__school_class__school_id__in=school_ids)
    ).update(feed_digest=None)
    # Only the staff of these schools may leave: a city person waiting for a school that is not
    # open yet has no open school either, and stays.
    affected = list(
        StaffAssignment.objects.filter(school_id__in=school_ids).values_list("staff_id", flat=True)
    )
    StaffClass.objects.filter(school_class__school_id__in=school_ids).delete()
    StaffAssignment.objects.filter(school_id__in=school_ids).delete()
    counts[RecordKind.STAFF] = (
        Staff.objects.filter(present, pk__in=affected)
        .exclude(assignments__school__ent_open=True)
        .update(**stamp)
    )
    counts[RecordKind.CLASS] = SchoolClass.objects.filter(
        school_id__in=school_ids, left_at__isnull=True
    ).update(left_at=left_at)
    logger.info("schools %s closed by run %s", school_ids, run_id)
    return counts
