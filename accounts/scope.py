"""Who may see what. Every view and selector asks this module; nothing else decides scope.

- city staff (`User.Kind.CITY`): every school, whatever their city role; the data-protection
  officer (`User.CityRole.DPO`) also holds `Role.DPO` (`is_dpo`); the school service and the IT
  administrators manage the city's own staff accounts (`may_manage_city_staff`);
- a school director: the schools they direct (their `StaffAssignment.is_director`);
- a teacher: the classes they teach (`StaffClass`);
- a person can be director and teacher at once: the union applies;
- pupils, guardians, inactive users and staff who left the feed see nothing here.

Credentials (activation letter, reset, renewal slip) follow a stricter rule,
`credential_accounts_for_user`: an account whose reach (what its holder would see once
activated) goes beyond the actor's own scope is left to city staff.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
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

_CACHE_ATTR = "_entaix_scope"


class Role(StrEnum):
    CITY = "city"
    DPO = "dpo"  # the data-protection officer: city staff with that role
    DIRECTOR = "director"
    TEACHER = "teacher"


@dataclass(frozen=True)
class Scope:
    roles: frozenset[Role]
    school_ids: frozenset[int]  # directed schools
    class_ids: frozenset[int]  # taught classes

    @property
    def is_city(self) -> bool:
        return Role.CITY in self.roles

    @property
    def is_empty(self) -> bool:
        return not self.roles


_EMPTY = Scope(roles=frozenset(), school_ids=frozenset(), class_ids=frozenset())


def scope_for_user(user: User | AnonymousUser) -> Scope:
    """The user's scope, computed once per request object (two small queries at most)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    setattr(user, _CACHE_ATTR, scope)
    return scope


def _compute_scope(user: User | AnonymousUser) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _EMPTY
    if user.kind == user.Kind.CITY:
        roles = {Role.CITY, Role.DPO} if user.city_role == user.CityRole.DPO else {Role.CITY}
        return Scope(roles=frozenset(roles), school_ids=frozenset(), class_ids=frozenset())
    if user.kind != user.Kind.STAFF:
        return _EMPTY
    staff = Staff.objects.filter(account=user, left_at__isnull=True).only("id").first()
    if staff is None:
        return _EMPTY
    school_ids = frozenset(
        StaffAssignment.objects.filter(
            staff=staff, is_director=True, school__ent_open=True, school__left_at__isnull=True
        ).values_list("school_id", flat=True)
    )
    class_ids = frozenset(
        StaffClass.objects.filter(
            staff=staff,
            school_class__left_at__isnull=True,
            school_class__school__ent_open=True,
        ).values_list("school_class_id", flat=True)
    )
    roles = set()
    if school_ids:
        roles.add(Role.DIRECTOR)
    if class_ids:
        roles.add(Role.TEACHER)
    return Scope(roles=frozenset(roles), school_ids=school_ids, class_ids=class_ids)


def is_dpo(user: User | AnonymousUser) -> bool:
    """The city's data-protection officer: the data-request register and its pages are theirs."""
    return Role.DPO in scope_for_user(user).roles


def has_city_role(user: User | AnonymousUser, *roles: str) -> bool:
    """An active city-staff account with one of these city roles, or a Django superuser (the
    very first administrator). The one check behind every "who may manage…" question."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.kind == User.Kind.CITY and user.city_role in roles


def may_manage_city_staff(user: User | AnonymousUser) -> bool:
    """Who invites, lists and deactivates the city's own staff: the school service and the IT
    administrators."""
    return has_city_role(user, User.CityRole.SCHOOL_SERVICE, User.CityRole.IT_ADMIN)


def may_manage_city_people(user: User | AnonymousUser) -> bool:
    """Who enters the people outside the feed (ATSEM, after-school staff…), one by one or by
    CSV: the school service. Not the DPO nor the IT administrators."""
    return has_city_role(user, User.CityRole.SCHOOL_SERVICE)


def forget_scope(user: User | AnonymousUser) -> None:
    """Drop the cached scope (after a change of assignments within one request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def schools_for_user(user: User) -> QuerySet[School]:
    scope = scope_for_user(user)
    if scope.is_city:
        return School.objects.all()
    return School.objects.filter(
        Q(id__in=scope.school_ids)
        | Q(id__in=SchoolClass.objects.filter(id__in=scope.class_ids).values("school_id"))
    )


def classes_for_user(user: User) -> QuerySet[SchoolClass]:
    scope = scope_for_user(user)
    if scope.is_city:
        return SchoolClass.objects.all()
    return SchoolClass.objects.filter(Q(school_id__in=scope.school_ids) | Q(id__in=scope.class_ids))


def pupils_for_user(user: User) -> QuerySet[Pupil]:
    scope = scope_for_user(user)
    if scope.is_city:
        return Pupil.objects.all()
    taught = PupilClass.objects.filter(school_class_id__in=scope.class_ids).values("pupil_id")
    return Pupil.objects.filter(Q(school_id__in=scope.school_ids) | Q(id__in=taught))


def guardians_for_user(user: User) -> QuerySet[Guardian]:
    scope = scope_for_user(user)
    if scope.is_city:
        return Guardian.objects.all()
    pupils = pupils_for_user(user).values("id")
    return Guardian.objects.filter(
        id__in=Guardian.pupils.through.objects.filter(pupil_id__in=pupils).values("guardian_id")
    )


def staff_for_user(user: User) -> QuerySet[Staff]:
    scope = scope_for_user(user)
    if scope.is_city:
        return Staff.objects.all()
    in_directed = StaffAssignment.objects.filter(school_id__in=scope.school_ids).values("staff_id")
    in_taught = StaffClass.objects.filter(school_class_id__in=scope.class_ids).values("staff_id")
    return Staff.objects.filter(Q(id__in=in_directed) | Q(id__in=in_taught))


def get_in_scope_or_404(queryset: QuerySet, **lookup):
    """Fetch one object from a scoped queryset; out of scope and missing look the same (404)."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def system_actor() -> User:
    """Who prints from the command line (`letters_print`): the school service's reach (every
    school), recorded nowhere as a person — an account never saved (no id), so audit entries and
    batches carry no actor id. A `User` all the same: services take `actor: User`."""
    return User(
        login="system",
        kind=User.Kind.CITY,
        city_role=User.CityRole.SCHOOL_SERVICE,
        is_active=True,
        is_superuser=False,
    )


def authority_links() -> QuerySet[GuardianLink]:
    """Present links carrying parental authority (legal 1 or 2) to a present pupil."""
    return GuardianLink.objects.filter(
        left_at__isnull=True, legal__gt=0, pupil__left_at__isnull=True
    )


def credential_accounts_for_user(user: User) -> QuerySet[User]:
    """Active accounts for which `user` may obtain a credential: letter, reset, renewal slip.

    A credential hands over everything its account reaches, so the account's whole reach must lie
    within the actor's scope:

    - city staff: every present pupil, guardian with authority and staff member;
    - a pupil of the actor's scope (their school for a director, their classes for a teacher);
    - a guardian whose children (links with authority, present) are ALL in the actor's scope:
      a guardian with a child elsewhere (another school, or another class for a teacher) is
      printed by the school service, so that no school gains a way into another;
    - directors only: a staff member whose every assignment is in a school they direct and
      every class in such a school; staff who work in several schools are the school service's.

    Never oneself, never a city account, never an inactive account.
    """
    scope = scope_for_user(user)
    if scope.is_empty:
        return User.objects.none()
    links = authority_links()
    if scope.is_city:
        condition = (
            Q(pupil__left_at__isnull=True, pupil__isnull=False)
            | Q(guardian__in=Guardian.objects.filter(
                left_at__isnull=True, id__in=links.values("guardian_id")
            ))
            | Q(staff__left_at__isnull=True, staff__isnull=False)
        )  # fmt: skip
        return User.objects.filter(condition, is_active=True).exclude(pk=user.pk)
    pupils = pupils_for_user(user).filter(left_at__isnull=True)
    guardians = Guardian.objects.filter(
        left_at__isnull=True, id__in=links.filter(pupil__in=pupils).values("guardian_id")
    ).exclude(id__in=links.exclude(pupil__in=pupils).values("guardian_id"))
    condition = Q(pupil__in=pupils) | Q(guardian__in=guardians)
    if Role.DIRECTOR in scope.roles:
        directed = list(scope.school_ids)
        staff = (
            Staff.objects.filter(
                left_at__isnull=True,
                id__in=StaffAssignment.objects.filter(school_id__in=directed).values("staff_id"),
            )
            .exclude(
                id__in=StaffAssignment.objects.exclude(school_id__in=directed).values("staff_id")
            )
            .exclude(
                id__in=StaffClass.objects.exclude(school_class__school_id__in=directed).values(
                    "staff_id"
                )
            )
        )
        condition |= Q(staff__in=staff)
    return User.objects.filter(condition, is_active=True).exclude(pk=user.pk)


def may_obtain_credentials(user: User, account_ids) -> bool:
    """True when `user` may obtain a credential for every one of `account_ids`."""
    wanted = set(account_ids)
    if not wanted:
        return True
    allowed = credential_accounts_for_user(user).filter(pk__in=wanted).values_list("pk", flat=True)
    return set(allowed) == wanted
