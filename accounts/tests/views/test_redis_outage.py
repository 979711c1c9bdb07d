"""Redis unreachable: login keeps working, the public forms answer a translated 503, never a
500; the outage is logged once a minute and shown to city staff (README, "Faults")."""

import logging
import socket

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import User
from accounts.tests.support import audit_events
from entaix.common import outage
from entaix.tests.factories import PASSWORD, account, guardian_of
from privacy.models import DataRequest

pytestmark = pytest.mark.django_db
STAFF = "correct horse battery staple"  # the factories' password


def closed_port() -> int:
    """A loopback port nothing listens on: Redis is "down" the way a stopped server is."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    outage.forget()
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    yield
    outage.forget()


@pytest.fixture
def parent(synced):
    user = account(guardian_of(synced["a"]["pupils"][0]))
    return user, services.activation_code_regenerate(account=user)


def assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert "Service momentanément indisponible" in body
    assert "Réessayez dans une minute" in body
    assert response.templates[0].name == "503.html"


def test_login_keeps_working_without_redis(client, two_schools, redis_down):
    response = client.post(reverse("accounts:login"), {"username": "dir.a", "password": STAFF})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(User.objects.get(login="dir.a").pk)


def test_login_lockout_still_counts_failures_without_redis(client, two_schools, redis_down):
    """The per-login lockout lives in the database (django-axes): it still holds."""
    for _ in range(5):
        response = client.post(reverse("accounts:login"), {"username": "dir.a", "password": "x"})
    assert response.status_code == 429
    assert AccessAttempt.objects.get().failures_since_start == 5
    assert "_auth_user_id" not in client.session


def test_activation_fails_closed_with_503(client, parent, redis_down):
    user, code = parent
    response = client.post(
        reverse("account:activate"),
        {"login": user.login, "code": code, "password1": PASSWORD, "password2": PASSWORD,
         "email": "", "accept_terms": "on"},
    )  # fmt: skip
    assert_unavailable(response)
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert user.activated_at is None
    assert audit_events("activated") == []
    assert "_auth_user_id" not in client.session


def test_activation_page_itself_still_shows(client, redis_down):
    assert client.get(reverse("account:activate")).status_code == 200


def test_password_forgot_fails_closed_with_503(client, parent, redis_down):
    user, _code = parent
    response = client.post(reverse("account:password-forgot"), {"identifier": user.login})
    assert_unavailable(response)
    assert mail.outbox == []


def test_login_forgot_fails_closed_with_503(client, parent, redis_down):
    user, _code = parent
    User.objects.filter(pk=user.pk).update(
        email="famille@example.fr", email_confirmed_at=timezone.now()
    )
    response = client.post(reverse("account:login-forgot"), {"email": "famille@example.fr"})
    assert_unavailable(response)
    assert mail.outbox == []
    assert audit_events("login-reminder-sent") == []


def test_data_request_fails_closed_with_503(client, two_schools, redis_down):
    response = client.post(
        reverse("privacy:request-create"),
        {"requester_name": "Aïssatou N'Diaye", "requester_email": "a@example.fr",
         "requester_phone": "", "relation": "parent", "kind": "access",
         "child_first_name": "Léa", "child_last_name": "N'Diaye",
         "child_birth_date": "2018-03-04", "school": two_schools["a"]["school"].pk,
         "message": "", "website": ""},
    )  # fmt: skip
    assert_unavailable(response)
    assert DataRequest.objects.count() == 0
    assert mail.outbox == []


def test_503_page_in_english_when_asked(client, parent, redis_down):
    user, _code = parent
    response = client.post(
        reverse("account:password-forgot"), {"identifier": user.login}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.content.decode()


def test_outage_is_logged_once_a_minute_not_per_request(client, parent, redis_down, caplog):
    user, _code = parent
    caplog.set_level(logging.INFO, logger="entaix.outage")
    for _ in range(3):
        client.post(reverse("account:password-forgot"), {"identifier": user.login})
    records = [r for r in caplog.records if r.name == "entaix.outage"]
    assert [r.levelname for r in records] == ["ERROR"]
    assert records[0].getMessage().startswith("redis unreachable: ConnectionError")
    assert user.login not in records[0].getMessage()


def test_city_staff_see_the_outage_and_their_pages_work(client, city_user, two_schools, redis_down):
    client.force_login(city_user)
    response = client.get(reverse("schools:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Redis (limites de tentatives, verrous, file des tâches) ne répond pas" in body
    assert response.context["services_down"] == ["redis"]


def test_other_staff_do_not_see_the_banner(client, two_schools, redis_down):
    client.force_login(User.objects.get(login="dir.a"))
    response = client.get(reverse("schools:school-list"))
    assert response.status_code == 200
    assert "ne répond pas" not in response.content.decode()


def test_no_banner_when_redis_answers(client, city_user, two_schools):
    outage.forget()
    client.force_login(city_user)
    response = client.get(reverse("schools:dashboard"))
    assert response.status_code == 200
    assert response.context["services_down"] == []


def test_login_per_address_limit_still_holds_when_redis_answers(client, two_schools, settings):
    settings.LOGIN_RATE_PER_IP = "2/h"
    for _ in range(2):
        response = client.post(reverse("accounts:login"), {"username": "dir.a", "password": "x"})
        assert response.status_code == 200
    response = client.post(reverse("accounts:login"), {"username": "dir.a", "password": STAFF})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get().failures_since_start == 2
