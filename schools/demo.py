"""A small generated city for newcomers: a few schools, classes, pupils, guardians and staff."""

import random
import secrets
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

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

_FIRST = ["Léa", "Hugo", "Zoé", "Jean-Baptiste", "Inès", "Noé", "Chloé", "Mathéo", "Anaïs", "Loïc"]
_LAST = ["Martin", "Lefèvre", "N'Diaye", "Garcia", "Roux", "Bérard", "D'Angelo", "Fabre", "Muller"]
_SCHOOLS = [
    ("0130001A", "École élémentaire Sextius", True),
    ("0130002B", "École maternelle Les Milles", True),
    ("0130003C", "École primaire Jas de Bouffan", True),
    ("0130004D", "École élémentaire Puyricard", False),
]


@dataclass(frozen=True)
class DemoCity:
    city_login: str
    city_password: str
    director_logins: tuple[str, ...]
    staff_password: str


@transaction.atomic
def demo_city_create(*, seed: int = 1) -> DemoCity:
    rng = random.Random(seed)  # noqa: S311 - demo names, not secrets
    now = timezone.now()
    stamp = {"first_seen_at": now, "last_seen_at": now}
    staff_password = secrets.token_urlsafe(12)
    directors = []
    key = 1000
    for index, (uai, name, is_open) in enumerate(_SCHOOLS):
        key += 1
        school = School.objects.create(
            join_key=str(key),
            uai=uai,
            name=name,
            structure_type=name.split()[1].upper(),
            city="AIX-EN-PROVENCE",
            postal_code="13090",
            ent_open=is_open,
            ent_opened_on=date(2026, 9, 1) if is_open else None,
            **stamp,
        )
        if not is_open:
            continue
        director = _staff(key := key + 1, rng, school, stamp, staff_password, is_director=True)
        directors.append(director.account.login)
        for number in range(1, 4):
            school_class = SchoolClass.objects.create(
                school=school, code=f"C{number}", name=f"Classe {number}", **stamp
            )
            teacher = _staff(key := key + 1, rng, school, stamp, staff_password)
            StaffClass.objects.create(staff=teacher, school_class=school_class)
            for _ in range(8):
                key += 1
                pupil = Pupil.objects.create(
                    join_key=str(key),
                    school=school,
                    last_name=rng.choice(_LAST),
                    first_name=rng.choice(_FIRST),
                    birth_date=date(2018 - index, 5, 1),
                    **stamp,
                )
                PupilClass.objects.create(pupil=pupil, school_class=school_class)
                for legal in (1, 2):
                    key += 1
                    guardian = Guardian.objects.create(
                        join_key=str(key),
                        last_name=pupil.last_name,
                        first_name=rng.choice(_FIRST),
                        **stamp,
                    )
                    GuardianLink.objects.create(
                        pupil=pupil,
                        guardian=guardian,
                        legal=legal,
                        contact=True,
                        relation=GuardianLink.Relation.MOTHER if legal == 1 else "father",
                    )
    city_password = secrets.token_urlsafe(12)
    city = User.objects.create_user(
        "demo.ville",
        city_password,
        kind=User.Kind.CITY,
        first_name="Service",
        last_name="Écoles",
        is_staff=True,
        is_superuser=True,
    )
    return DemoCity(city.login, city_password, tuple(directors), staff_password)


def _staff(key, rng, school, stamp, password, *, is_director=False) -> Staff:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    login = f"demo.{'dir' if is_director else 'ens'}{key}"
    account = User.objects.create_user(
        login, password, kind=User.Kind.STAFF, first_name=first, last_name=last
    )
    staff = Staff.objects.create(
        join_key=str(key),
        first_name=first,
        last_name=last,
        account=account,
        is_teacher=True,
        **stamp,
    )
    StaffAssignment.objects.create(staff=staff, school=school, is_director=is_director)
    return staff
