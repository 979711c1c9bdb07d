"""The one home of test data: factory_boy factories of the directory and accounts, and the small
helpers that build on them. Used by every app's tests and by the root conftest's fixtures."""

import factory
from django.utils import timezone

from accounts.models import User
from schools import models

# The password of the accounts tests' users.
PASSWORD = "Tulipe-Rouge-Sextius-42"


class FeedOwnedFactory(factory.django.DjangoModelFactory):
    join_key = factory.Sequence(lambda n: str(100000 + n))
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ()

    login = factory.Sequence(lambda n: f"user.{n}")
    kind = User.Kind.STAFF
    password = factory.django.Password("correct horse battery staple")


class SchoolFactory(FeedOwnedFactory):
    class Meta:
        model = models.School

    uai = factory.Sequence(lambda n: f"{1300000 + n:07d}X")
    name = factory.Sequence(lambda n: f"École {n}")
    ent_open = True
    ent_opened_on = factory.LazyFunction(lambda: timezone.localdate())


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SchoolClass

    school = factory.SubFactory(SchoolFactory)
    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"Classe {n}")
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


class PupilFactory(FeedOwnedFactory):
    class Meta:
        model = models.Pupil

    school = factory.SubFactory(SchoolFactory)
    last_name = "Martin"
    first_name = factory.Sequence(lambda n: f"Élève{n}")


class GuardianFactory(FeedOwnedFactory):
    class Meta:
        model = models.Guardian

    last_name = "Martin"
    first_name = factory.Sequence(lambda n: f"Parent{n}")


class StaffFactory(FeedOwnedFactory):
    class Meta:
        model = models.Staff

    last_name = "Durand"
    first_name = factory.Sequence(lambda n: f"Agent{n}")
    account = factory.SubFactory(UserFactory, kind=User.Kind.STAFF)


def enrol(pupil, school_class):
    return models.PupilClass.objects.create(pupil=pupil, school_class=school_class)


def link(pupil, guardian, *, legal=1, relation="mother", financial=True, contact=True):
    return models.GuardianLink.objects.create(
        pupil=pupil,
        guardian=guardian,
        legal=legal,
        relation=relation,
        financial=financial,
        contact=contact,
    )


def make_director(school, **kwargs):
    staff = StaffFactory(**kwargs)
    models.StaffAssignment.objects.create(staff=staff, school=school, is_director=True)
    return staff


def make_teacher(*school_classes, **kwargs):
    staff = StaffFactory(**kwargs)
    for school_class in school_classes:
        models.StaffAssignment.objects.get_or_create(staff=staff, school=school_class.school)
        models.StaffClass.objects.create(staff=staff, school_class=school_class)
    return staff


def guardian_of(pupil):
    return pupil.guardian_links.get().guardian


def account(person) -> User:
    person.refresh_from_db()
    return User.objects.get(pk=person.account_id)


def add_guardian(pupil, *, legal=1, contact=True, **kwargs):
    guardian = GuardianFactory(**kwargs)
    link(pupil, guardian, legal=legal, contact=contact)
    return guardian
