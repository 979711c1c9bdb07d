"""Reads of the school directory as a user may see it: every one goes through the user's scope
(`accounts.scope`), which is why they live in accounts, above the directory (`schools`)."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from accounts import scope
from accounts.models import User
from accounts.scope import classes_for_user, pupils_for_user, schools_for_user, scope_for_user
from schools.models import GuardianLink, School, SchoolClass


def school_list_for_user(*, user) -> QuerySet[School]:
    """The schools in scope, with the classes and pupils the user's scope holds in each (a
    teacher counts their classes and their pupils, as their school page shows them)."""
    pupils = Q(pupils__left_at__isnull=True)
    classes = Q(classes__left_at__isnull=True, classes__kind=SchoolClass.Kind.CLASS)
    if not scope_for_user(user).is_city:
        pupils &= Q(pupils__in=pupils_for_user(user).values("id"))
        classes &= Q(classes__in=classes_for_user(user).values("id"))
    return (
        schools_for_user(user)
        .annotate(
            pupil_count=Count("pupils", filter=pupils, distinct=True),
            class_count=Count("classes", filter=classes, distinct=True),
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


# --- person pages -----------------------------------------------------------------------------

PERSON_KINDS = {"eleve": "pupils", "responsable": "guardians", "personnel": "staff"}


def person_for_user(*, user, kind: str, pk: int):
    """One pupil, guardian or staff member in the user's scope (404 otherwise)."""
    querysets = {
        "pupils": scope.pupils_for_user(user).select_related("school", "account"),
        "guardians": scope.guardians_for_user(user).select_related("account"),
        "staff": scope.staff_for_user(user).select_related("account"),
    }
    return scope.get_in_scope_or_404(querysets[kind], pk=pk)


def pupil_links(*, pupil) -> QuerySet:
    return (
        GuardianLink.objects.filter(pupil=pupil)
        .select_related("guardian", "guardian__account")
        .order_by("left_at", "-legal", "guardian__last_name")
    )


def guardian_links_in_scope(*, user, guardian) -> QuerySet:
    """A guardian's children — only those the user may see (third parties stay hidden)."""
    return (
        GuardianLink.objects.filter(guardian=guardian, pupil__in=pupils_for_user(user))
        .select_related("pupil", "pupil__school")
        .order_by("left_at", "pupil__last_name")
    )


def staff_assignments_in_scope(*, user, staff) -> QuerySet:
    """A staff member's schools — only those the user may see (a shared teacher's other school
    stays hidden from a director who has no scope there)."""
    return staff.assignments.filter(school__in=schools_for_user(user)).select_related("school")


def staff_classes_in_scope(*, user, staff) -> QuerySet:
    """A staff member's classes — only those the user may see."""
    return (
        staff.classes.filter(id__in=classes_for_user(user).values("id"))
        .select_related("school")
        .order_by("name")
    )


def account_events(*, account, limit: int = 50) -> list:
    """Audit events about this account (letters printed, resets, activation…), newest first."""
    if account is None:
        return []
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(account)), object_id=account.pk
        )
        .select_related("actor")
        .order_by("-timestamp")[:limit]
    )


def person_search(*, user, query: str, limit: int = 30) -> dict:
    """Pupils, guardians and staff in scope whose first name, last name or login starts with
    each word of the query ("lea mar" finds Léa Martin). Prefix matching keeps the search fast
    on an académie-size directory; logins are matched through their own index."""
    words = [w for w in query.split() if len(w) >= 2][:4]
    if not words:
        return {"pupils": [], "guardians": [], "staff": []}
    condition = Q()
    for word in words:
        logins = User.objects.filter(login__startswith=word.lower()).values("id")
        condition &= (
            Q(last_name__istartswith=word)
            | Q(first_name__istartswith=word)
            | Q(account_id__in=logins)
        )
    return {
        "pupils": list(
            scope.pupils_for_user(user).filter(condition).select_related("school", "account")
            .order_by("last_name", "first_name")[:limit]
        ),
        "guardians": list(
            scope.guardians_for_user(user).filter(condition).select_related("account")
            .order_by("last_name", "first_name")[:limit]
        ),
        "staff": list(
            scope.staff_for_user(user).filter(condition).select_related("account")
            .order_by("last_name", "first_name")[:limit]
        ),
    }  # fmt: skip
