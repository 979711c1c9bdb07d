"""Reads of the school directory as a user may see it: every one goes through the user's scope
(`accounts.scope`), which is why they live in accounts, above the directory (`schools`)."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from accounts import scope
from accounts.models import User
from accounts.scope import (
    Role,
    classes_for_user,
    pupils_for_user,
    schools_for_user,
    scope_for_user,
)
from schools import search
from schools.kinds import PersonKind
from schools.models import GuardianLink, School, SchoolClass


def school_list_for_user(*, user: User) -> QuerySet[School]:
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


def open_schools_for_user(*, user: User) -> QuerySet[School]:
    """The schools in scope where the ENT is open (and which the feed still holds), by name: the
    dashboard reports on these."""
    return (
        schools_for_user(user).filter(ent_open=True, left_at__isnull=True).order_by("name", "uai")
    )


def directed_schools_for_user(*, user: User) -> QuerySet[School]:
    """The open schools whose staff accounts and import reports the user may manage: the
    schools a director directs; every open school for city staff; none for a teacher."""
    scope = scope_for_user(user)
    if not (scope.is_city or Role.DIRECTOR in scope.roles):
        return School.objects.none()
    schools = open_schools_for_user(user=user)
    if not scope.is_city:
        schools = schools.filter(id__in=scope.school_ids)
    return schools


def open_classes_for_user(*, user: User) -> QuerySet[SchoolClass]:
    """Every present class and group in scope of the schools where the ENT is open, with their
    school (the staff's account pages list them all)."""
    return (
        classes_for_user(user)
        .filter(left_at__isnull=True, school__ent_open=True)
        .select_related("school")
        .order_by("school__name", "kind", "name")
    )


def school_classes_for_user(*, user: User, school: School) -> QuerySet[SchoolClass]:
    """One school's present classes and groups in scope, with their present pupils counted (the
    school page)."""
    return (
        classes_for_user(user)
        .filter(school=school, left_at__isnull=True)
        .annotate(
            pupil_count=Count("pupils", filter=Q(pupils__left_at__isnull=True), distinct=True)
        )
        .order_by("kind", "name")
    )


# --- person pages -----------------------------------------------------------------------------


def person_for_user(*, user: User, kind: PersonKind, pk: int):
    """One pupil, guardian or staff member in the user's scope (404 otherwise)."""
    querysets = {
        PersonKind.PUPIL: scope.pupils_for_user(user).select_related("school", "account"),
        PersonKind.GUARDIAN: scope.guardians_for_user(user).select_related("account"),
        PersonKind.STAFF: scope.staff_for_user(user).select_related("account"),
    }
    return scope.get_in_scope_or_404(querysets[kind], pk=pk)


def pupil_links(*, pupil) -> QuerySet:
    return (
        GuardianLink.objects.filter(pupil=pupil)
        .select_related("guardian", "guardian__account")
        .order_by("left_at", "-legal", "guardian__last_name")
    )


def guardian_links_in_scope(*, user: User, guardian) -> QuerySet:
    """A guardian's children — only those the user may see (third parties stay hidden)."""
    return (
        GuardianLink.objects.filter(guardian=guardian, pupil__in=pupils_for_user(user))
        .select_related("pupil", "pupil__school")
        .order_by("left_at", "pupil__last_name")
    )


def staff_assignments_in_scope(*, user: User, staff) -> QuerySet:
    """A staff member's schools — only those the user may see (a shared teacher's other school
    stays hidden from a director who has no scope there)."""
    return staff.assignments.filter(school__in=schools_for_user(user)).select_related("school")


def staff_classes_in_scope(*, user: User, staff) -> QuerySet:
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


# A whole-directory search sorts its matches itself while they are this few; past that, it walks
# the names in order until the page is full (schools.search). At académie scale (bench/
# pages_bench.py: 100k pupils, 130k guardians) the most common surname has 1,211 pupils and 1,419
# guardians: sorted, they cost 3 ms of the database's time per kind, whereas walking the
# guardians' names to the last ones (a surname sorting late) took 45-65 ms (EXPLAIN ANALYZE,
# load 6 on 2 CPUs). A short word ("ma", 15% of everyone) is walked: 30 found within a few
# hundred names.
SEARCH_SORT_AT_MOST = 2000


def person_search(*, user: User, query: str, limit: int = 30) -> dict:
    """Pupils, guardians and staff in scope a word of whose first or last name starts with each
    word of the query, accents and case aside ("lea mar" finds Léa Martin, "baptiste"
    Jean-Baptiste); a word with a dot is the start of a login. The first ``limit`` of each in
    name order, with the columns the search page shows.

    How it stays fast on an académie-size directory (`schools.search`): a director's or a
    teacher's scope is reached through its own indexes and its few hundred persons compared row
    by row. City staff search everyone: the words' index finds the matches; up to
    SEARCH_SORT_AT_MOST of them are sorted by name, more (a short word) are found by walking an
    index in name order until the page is full, which they soon fill. Two queries a kind:
    the page's ids, then the page; nothing counted beyond SEARCH_SORT_AT_MOST + 1."""
    names, logins = search.query_words(query)
    if not names and not logins:
        return {"pupils": [], "guardians": [], "staff": []}
    whole_directory = scope_for_user(user).is_city

    def first_matches(queryset, *columns: str) -> list:
        model = queryset.model
        order = ("last_name", "first_name", "pk")
        shown = ("first_name", "last_name", "left_at", *columns, "account__login")

        def page(chosen: QuerySet) -> QuerySet:
            return chosen.select_related("account").only(*shown).order_by(*order)[:limit]

        def first_of(found: QuerySet) -> list:
            # The page's rows picked by id first, then joined: joining every match before the
            # sort (a common surname matches a thousand people) cost more than the search.
            ids = found.order_by(*order).values("pk")[:limit]
            return list(page(model.objects.filter(pk__in=ids)))

        if not whole_directory:
            return first_of(search.persons_matching(queryset, names=names, logins=logins))
        found = search.persons_matching(queryset, names=names, logins=logins, indexed=True)
        head = search.first_of_few(found, limit=limit, at_most=SEARCH_SORT_AT_MOST)
        if head is not None:
            return list(page(model.objects.filter(pk__in=head))) if head else []
        # Many: walk the names in order, matching row by row the key the name index carries.
        return first_of(search.persons_matching(queryset, names=names, logins=logins))

    return {
        "pupils": first_matches(scope.pupils_for_user(user), "school_id"),
        "guardians": first_matches(scope.guardians_for_user(user)),
        "staff": first_matches(scope.staff_for_user(user)),
    }
