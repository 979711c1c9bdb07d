"""Two-factor authentication (accounts/mfa.py): mandatory for city staff and superusers,
offered to directors and teachers; recovery codes; reset by city staff; the lockout counts
wrong codes."""

import re
import time

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import User
from accounts.tests.support import audit_events
from entaix.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _mfa_on(settings):
    from django.core.cache import cache

    cache.clear()
    settings.MFA_REQUIRED = True


def totp_code(device: TOTPDevice, steps: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def login(client, login_name, password=PASSWORD, code=""):
    return client.post(
        reverse("accounts:login"),
        {"username": login_name, "password": password, "otp_token": code},
    )


@pytest.fixture
def agent(db):
    return UserFactory(login="agent.ville", kind=User.Kind.CITY)


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = services.mfa_enrol_start(account=user)
    return services.mfa_enrol_confirm(account=user, device_id=device.pk, token=totp_code(device))


def test_city_staff_without_a_second_factor_reach_only_the_enrolment(client, agent):
    assert login(client, "agent.ville").status_code == 302
    for url in ("/", reverse("schools:dashboard"), reverse("accounts:account-index")):
        response = client.get(url)
        assert (response.status_code, response.url) == (302, reverse("accounts:mfa"))
    assert client.get(reverse("accounts:mfa")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_superuser_must_enrol_too(client, db):
    User.objects.create_superuser("root.admin", PASSWORD)
    assert login(client, "root.admin").status_code == 302
    assert client.get("/admin/").url == reverse("accounts:mfa")


def test_director_is_offered_but_not_forced(client, two_schools):
    assert login(client, "dir.a").status_code == 302
    assert client.get(reverse("schools:school-list")).status_code == 200
    page = client.get(reverse("accounts:mfa"))
    assert page.status_code == 200
    assert page.context["required"] is False


def test_parents_are_not_offered(client, db):
    parent = UserFactory(login="parent.x", kind=User.Kind.GUARDIAN)
    client.force_login(parent)
    assert client.get(reverse("accounts:mfa")).status_code == 403
    assert client.post(reverse("accounts:mfa-start")).status_code == 403
    assert TOTPDevice.objects.count() == 0


def test_enrolment_with_a_code_gives_ten_recovery_codes(client, agent):
    login(client, "agent.ville")
    start = client.post(reverse("accounts:mfa-start"))
    secret = start.context["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    body = start.content.decode()
    assert '<div class="qr" id="mfa-qr"><svg width=' in body
    title = "QR code à scanner avec l\u2019application d\u2019authentification"
    assert f"<title>{title}</title>" in body
    assert start.context["config_url"].startswith(
        "otpauth://totp/ENT%20Aix-en-Provence%3Aagent.ville?"
    )
    device = TOTPDevice.objects.get(user=agent)
    assert device.confirmed is False
    wrong = client.post(reverse("accounts:mfa-confirm"), {"device": device.pk, "token": "000000"})
    assert wrong.status_code == 200
    assert "Le code n\u2019est pas le bon" in wrong.content.decode()
    assert TOTPDevice.objects.get(user=agent).confirmed is False
    assert audit_events("mfa-enrolled") == []
    done = client.post(
        reverse("accounts:mfa-confirm"), {"device": device.pk, "token": totp_code(device)}
    )
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", c) for c in codes)
    assert TOTPDevice.objects.get(user=agent).confirmed is True
    stored = set(StaticToken.objects.filter(device__user=agent).values_list("token", flat=True))
    assert len(stored) == 10
    assert stored.isdisjoint(codes)  # kept as keyed hashes, never in clear
    assert audit_events("mfa-enrolled") == [agent.pk]
    assert "10 codes de secours restants." in client.get(reverse("accounts:mfa")).content.decode()
    # This session proved the second factor: the portal opens.
    assert client.get(reverse("schools:school-list")).status_code == 200


def test_login_needs_the_code_once_enrolled(client, agent):
    device, _ = enrolled(agent)
    for code in ("", "123456"):
        refused = login(client, "agent.ville", code=code)
        assert refused.status_code == 200
        assert "Identifiant ou mot de passe incorrect." in refused.content.decode()
        assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="agent.ville")
    assert attempt.failures_since_start == 2
    # axes keeps the failed form: never the code, nor the password.
    assert "123456" not in attempt.post_data and PASSWORD not in attempt.post_data
    assert "otp_token=********************" in attempt.post_data
    # django-otp also throttles the device for a second after a wrong code: wait it out.
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    ok = login(client, "agent.ville", code=totp_code(device, steps=1))
    assert ok.status_code == 302
    assert client.get(reverse("schools:school-list")).status_code == 200
    # A successful login clears the failures, as for passwords.
    assert AccessAttempt.objects.count() == 0


def test_a_recovery_code_works_once(client, agent):
    _, codes = enrolled(agent)
    assert login(client, "agent.ville", code=codes[3].lower()).status_code == 302
    assert client.get(reverse("schools:school-list")).status_code == 200
    assert audit_events("mfa-recovery-used") == [agent.pk]
    client.post(reverse("accounts:logout"))
    assert login(client, "agent.ville", code=codes[3]).status_code == 200
    assert "_auth_user_id" not in client.session
    assert StaticToken.objects.filter(device__user=agent).count() == 9


def test_wrong_codes_lock_the_account_like_wrong_passwords(client, agent):
    device, _ = enrolled(agent)
    limit = settings.AXES_FAILURE_LIMIT
    codes = [login(client, "Agent.Ville", code="111111").status_code for _ in range(limit)]
    assert codes == [200] * (limit - 1) + [429]
    assert login(client, "agent.ville", code=totp_code(device, steps=1)).status_code == 429
    assert "_auth_user_id" not in client.session


def test_city_staff_reset_a_second_factor_audited(client, agent, two_schools, settings):
    director = User.objects.get(login="dir.a")
    enrolled(director)
    other = UserFactory(login="agent.deux", kind=User.Kind.CITY)
    # force_login proves no second factor: the enrolment rule is tested above.
    settings.MFA_REQUIRED = False
    client.force_login(other)
    listing = client.get(reverse("accounts:mfa-reset-list"))
    assert [a.login for a in listing.context["accounts"]] == ["dir.a"]
    response = client.post(reverse("accounts:mfa-reset", args=[director.pk]))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=director).count() == 0
    assert StaticDevice.objects.filter(user=director).count() == 0
    entry = LogEntry.objects.get(additional_data__event="mfa-reset")
    assert (entry.object_id, entry.actor_id) == (director.pk, other.pk)


def test_a_director_cannot_reset_a_second_factor(client, agent, two_schools):
    enrolled(agent)
    client.force_login(User.objects.get(login="dir.a"))
    before = LogEntry.objects.count()
    assert client.post(reverse("accounts:mfa-reset", args=[agent.pk])).status_code == 403
    assert client.get(reverse("accounts:mfa-reset-list")).status_code == 403
    assert TOTPDevice.objects.filter(user=agent, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=agent).count() == 10
    assert LogEntry.objects.count() == before
