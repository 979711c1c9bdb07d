import pytest
from django.utils import timezone

from accounts.models import User
from entaix.tests import factories
from schools.models import Staff, StaffAssignment


@pytest.fixture
def city_schools(db):
    """A and B open, C not open yet, D gone from the feed; Hélène DURAND of the feed at A."""
    schools = {
        "A": factories.SchoolFactory(uai="0130001A", name="École Sextius"),
        "B": factories.SchoolFactory(uai="0130002B", name="École Jas de Bouffan"),
        "C": factories.SchoolFactory(uai="0130003C", name="École Puyricard", ent_open=False,
                                     ent_opened_on=None),
        "D": factories.SchoolFactory(uai="0130004D", name="École fermée", left_at=timezone.now()),
    }  # fmt: skip
    helene = factories.StaffFactory(last_name="DURAND", first_name="Hélène", join_key="2001")
    StaffAssignment.objects.create(staff=helene, school=schools["A"], is_director=True)
    schools["feed_staff"] = helene
    return schools


@pytest.fixture
def school_service(db):
    return factories.UserFactory(
        login="agent.ecoles", kind=User.Kind.CITY, city_role=User.CityRole.SCHOOL_SERVICE
    )


def city_people():
    """(last, first, role, [uai…], start, end, email) of every city-sourced person."""
    return [
        (s.last_name, s.first_name, s.role,
         sorted(s.assignments.values_list("school__uai", flat=True)),
         s.start_date.isoformat(), s.end_date.isoformat(), s.email)
        for s in Staff.objects.filter(source=Staff.Source.CITY).order_by("last_name", "pk")
    ]  # fmt: skip
