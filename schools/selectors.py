"""Reads of the school directory, always through the user's scope."""

from django.db.models import Count, Q, QuerySet

from accounts.scope import classes_for_user, schools_for_user
from schools.models import School, SchoolClass


def school_list_for_user(*, user) -> QuerySet[School]:
    return (
        schools_for_user(user)
        .annotate(
            pupil_count=Count("pupils", filter=Q(pupils__left_at__isnull=True), distinct=True),
            class_count=Count(
                "classes",
                filter=Q(classes__left_at__isnull=True, classes__kind=SchoolClass.Kind.CLASS),
                distinct=True,
            ),
        )
        .order_by("name")
    )


def class_list_for_user(*, user, school: School) -> QuerySet[SchoolClass]:
    return (
        classes_for_user(user)
        .filter(school=school, left_at__isnull=True)
        .annotate(
            pupil_count=Count("pupils", filter=Q(pupils__left_at__isnull=True), distinct=True)
        )
        .order_by("kind", "name")
    )
