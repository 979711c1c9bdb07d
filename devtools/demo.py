"""A small generated city for newcomers, loaded through the real pipeline (feed → import)."""

import datetime
import secrets
import tempfile
from base64 import b32encode
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

from accounts import services as accounts_services
from accounts.models import User
from devtools import feedgen
from imports import services
from imports.models import ImportRun
from schools.models import School, StaffAssignment, StaffClass


@dataclass(frozen=True)
class DemoCity:
    city_login: str
    city_password: str
    director_logins: tuple[str, ...]  # one per open school
    teacher_login: str  # a teacher who is not a director
    staff_password: str
    closed_uai: str
    # The city account must use two-factor authentication: its app secret, and recovery codes.
    city_totp_secret: str = ""
    city_totp_uri: str = ""
    city_recovery_codes: tuple[str, ...] = ()


def demo_city_create(*, seed: int = 1, schools: int = 4, pupils_per_school: int = 40) -> DemoCity:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with tempfile.TemporaryDirectory() as folder:
        feed = feedgen.generate_complet(
            Path(folder),
            feedgen.GenOptions(
                schools=schools, pupils_per_school=pupils_per_school, seed=seed, date=yesterday
            ),
        )
        services.import_files(paths=[Path(folder)], trigger=ImportRun.Trigger.COMMAND)
        closed = feed.closed_school_uais[0] if feed.closed_school_uais else ""
        opened = [uai for uai in feed.school_uais if uai != closed]
        # Opening imports each school's people from the feed just applied, accounts included.
        services.school_open_reconcile(uais=opened, opened_on=yesterday)
    return _demo_logins(closed)


@transaction.atomic
def _demo_logins(closed: str) -> DemoCity:
    staff_password = secrets.token_urlsafe(12)
    directors_logins = []
    directors = StaffAssignment.objects.filter(is_director=True, school__ent_open=True)
    for assignment in directors.select_related("staff__account").order_by("school__name"):
        account = assignment.staff.account
        account.set_password(staff_password)
        account.activated_at = timezone.now()
        account.save(update_fields=["password", "activated_at"])
        directors_logins.append(account.login)
    teacher = (
        StaffClass.objects.exclude(staff__assignments__is_director=True)
        .select_related("staff__account")
        .order_by("staff__last_name")
        .first()
    )
    teacher_login = ""
    if teacher:
        teacher.staff.account.set_password(staff_password)
        teacher.staff.account.activated_at = timezone.now()
        teacher.staff.account.save(update_fields=["password", "activated_at"])
        teacher_login = teacher.staff.account.login
    city_password = secrets.token_urlsafe(12)
    city = User.objects.create_user(
        "demo.ville", city_password, kind=User.Kind.CITY, first_name="Service",
        last_name="Écoles", is_staff=True, is_superuser=True, activated_at=timezone.now(),
    )  # fmt: skip
    assert School.objects.filter(ent_open=True).exists()
    # Enrolled through the real path: a secret, then a code computed from it.
    device = accounts_services.mfa_enrol_start(account=city)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    device, recovery = accounts_services.mfa_enrol_confirm(
        account=city, device_id=device.pk, token=f"{code:0{device.digits}d}"
    )
    return DemoCity(
        city_login=city.login,
        city_password=city_password,
        director_logins=tuple(directors_logins),
        teacher_login=teacher_login,
        staff_password=staff_password,
        closed_uai=closed,
        city_totp_secret=b32encode(device.bin_key).decode(),
        city_totp_uri=device.config_url,
        city_recovery_codes=tuple(recovery[:3]),
    )
