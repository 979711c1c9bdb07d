import pytest
from django.http import Http404
from django.utils import timezone

from accounts import scope
from accounts.models import User
from entaix.tests import factories
from schools.models import Guardian, Pupil, School, SchoolClass, Staff, StaffClass

pytestmark = pytest.mark.django_db

QUERYSETS = {
    "schools": scope.schools_for_user,
    "classes": scope.classes_for_user,
    "pupils": scope.pupils_for_user,
    "guardians": scope.guardians_for_user,
    "staff": scope.staff_for_user,
}


def visible(user) -> dict[str, set[int]]:
    return {name: set(fn(user).values_list("id", flat=True)) for name, fn in QUERYSETS.items()}


def ids(objects) -> set[int]:
    return {o.id for o in objects}


def expected_for_school(world, tag):
    part = world[tag]
    pupils = part["pupils"]
    return {
        "schools": {part["school"].id},
        "classes": ids(part["classes"]),
        "pupils": ids(pupils),
        "guardians": set(
            Guardian.objects.filter(pupil_links__pupil__in=pupils).values_list("id", flat=True)
        ),
        "staff": ids([part["director"], *part["teachers"]]),
    }


def test_city_staff_sees_everything(two_schools, city_user):
    assert scope.scope_for_user(city_user).roles == {scope.Role.CITY}
    assert visible(city_user) == {
        "schools": set(School.objects.values_list("id", flat=True)),
        "classes": set(SchoolClass.objects.values_list("id", flat=True)),
        "pupils": set(Pupil.objects.values_list("id", flat=True)),
        "guardians": set(Guardian.objects.values_list("id", flat=True)),
        "staff": set(Staff.objects.values_list("id", flat=True)),
    }
    assert len(visible(city_user)["pupils"]) == 8


@pytest.mark.parametrize("tag", ["a", "b"])
def test_director_sees_exactly_their_school(two_schools, tag):
    user = two_schools[tag]["director"].account
    assert scope.scope_for_user(user).roles == {scope.Role.DIRECTOR}
    assert visible(user) == expected_for_school(two_schools, tag)


def test_teacher_sees_only_their_class(two_schools):
    teacher = two_schools["a"]["teachers"][0]
    own_class = two_schools["a"]["classes"][0]
    pupils = set(own_class.pupils.values_list("id", flat=True))
    assert scope.scope_for_user(teacher.account).roles == {scope.Role.TEACHER}
    assert visible(teacher.account) == {
        "schools": {two_schools["a"]["school"].id},
        "classes": {own_class.id},
        "pupils": pupils,
        "guardians": set(
            Guardian.objects.filter(pupil_links__pupil__in=pupils).values_list("id", flat=True)
        ),
        "staff": {teacher.id},
    }
    assert len(pupils) == 2


def test_director_who_also_teaches_elsewhere_gets_the_union(two_schools):
    director = two_schools["a"]["director"]
    other_class = two_schools["b"]["classes"][1]
    StaffClass.objects.create(staff=director, school_class=other_class)
    got = visible(director.account)
    own = expected_for_school(two_schools, "a")
    assert scope.scope_for_user(director.account).roles == {scope.Role.DIRECTOR, scope.Role.TEACHER}
    assert got["schools"] == own["schools"] | {two_schools["b"]["school"].id}
    assert got["classes"] == own["classes"] | {other_class.id}
    assert got["pupils"] == own["pupils"] | set(other_class.pupils.values_list("id", flat=True))


def test_staff_who_left_the_feed_sees_nothing(two_schools):
    director = two_schools["a"]["director"]
    director.left_at = timezone.now()
    director.save()
    assert scope.scope_for_user(director.account).is_empty
    assert visible(director.account) == {name: set() for name in QUERYSETS}


def test_director_of_a_school_where_the_ent_is_closed_sees_nothing(two_schools):
    School.objects.filter(id=two_schools["a"]["school"].id).update(
        ent_open=False, ent_opened_on=None
    )
    user = two_schools["a"]["director"].account
    assert visible(user) == {name: set() for name in QUERYSETS}


@pytest.mark.parametrize("kind", [User.Kind.PUPIL, User.Kind.GUARDIAN, User.Kind.STAFF])
def test_accounts_without_a_role_see_nothing(two_schools, kind):
    user = factories.UserFactory(kind=kind)
    assert scope.scope_for_user(user).is_empty
    assert visible(user) == {name: set() for name in QUERYSETS}


def test_inactive_city_user_sees_nothing(two_schools, city_user):
    city_user.is_active = False
    city_user.save()
    assert visible(city_user) == {name: set() for name in QUERYSETS}


def test_anonymous_sees_nothing(two_schools):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == {name: set() for name in QUERYSETS}


def test_scope_is_computed_once_per_user_object(two_schools, django_assert_num_queries):
    user = User.objects.get(login="dir.a")
    with django_assert_num_queries(3):  # staff row, directed schools, taught classes
        scope.scope_for_user(user)
    with django_assert_num_queries(0):
        scope.scope_for_user(user)


def test_get_in_scope_or_404_hides_other_schools(two_schools):
    user = two_schools["a"]["director"].account
    own = two_schools["a"]["school"]
    assert scope.get_in_scope_or_404(scope.schools_for_user(user), uai=own.uai) == own
    with pytest.raises(Http404):
        scope.get_in_scope_or_404(scope.schools_for_user(user), uai=two_schools["b"]["school"].uai)
