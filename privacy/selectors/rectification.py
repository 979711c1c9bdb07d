"""Reads of rectification tasks, scoped by `accounts.scope` (directors see their school's)."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.scope import Role, scope_for_user
from privacy.models import RectificationTask
from schools.kinds import PersonKind
from schools.models import Pupil, Staff, StaffAssignment


def rectification_tasks_for_user(
    *, user: User, status: str = "open"
) -> QuerySet[RectificationTask]:
    """City staff: every task; a director: their schools' tasks; anyone else: none."""
    scope = scope_for_user(user)
    tasks = RectificationTask.objects.select_related(
        "school", "pupil", "guardian", "staff", "request"
    )
    if status:
        tasks = tasks.filter(status=status)
    if scope.is_city:
        return tasks
    if Role.DIRECTOR in scope.roles:
        return tasks.filter(school_id__in=scope.school_ids)
    return tasks.none()


def rectification_school_id(*, person_kind: str, person) -> int | None:
    """The school whose director corrects this person in ONDE."""
    if person_kind == PersonKind.PUPIL:
        return person.school_id
    if person_kind == PersonKind.GUARDIAN:
        return (
            Pupil.objects.filter(guardian_links__guardian=person, guardian_links__legal__gt=0)
            .order_by("left_at", "id")
            .values_list("school_id", flat=True)
            .first()
        )
    return (
        StaffAssignment.objects.filter(staff=person)
        .order_by("-is_director", "id")
        .values_list("school_id", flat=True)
        .first()
    )


def school_director_recipients(*, school_id: int) -> list[tuple[int | None, str]]:
    """(account id, e-mail) of the present directors of a school who can be written to."""
    rows = []
    for staff in (
        Staff.objects.filter(
            left_at__isnull=True,
            assignments__school_id=school_id,
            assignments__is_director=True,
        )
        .select_related("account")
        .order_by("id")
    ):
        address = (staff.account.email if staff.account and staff.account.email else "") or (
            staff.email or ""
        )
        rows.append((staff.account_id, address))
    return rows
