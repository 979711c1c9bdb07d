import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ActivationCode, User
from accounts.tests.support import audit_events
from entaix.tests.factories import PASSWORD, account, guardian_of

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def parent(synced):
    """A guardian of school A with a printed letter: (account, code)."""
    user = account(guardian_of(synced["a"]["pupils"][0]))
    return user, services.activation_code_regenerate(account=user)


def post(client, login, code, **extra):
    data = {
        "login": login,
        "code": code,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "email": "",
        "accept_terms": "on",
        **extra,
    }
    return client.post(reverse("account:activate"), data, REMOTE_ADDR=extra.pop("ip", "10.0.0.1"))


def assert_not_activated(user):
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert user.activated_at is None
    assert user.terms_version == ""
    assert ActivationCode.objects.filter(account=user).exists()
    assert audit_events("activated") == []
    assert mail.outbox == []


def test_activation_page_is_public(client):
    response = client.get(reverse("account:activate"))
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {
        "login", "code", "password1", "password2", "email", "accept_terms",
    }  # fmt: skip


def test_parent_activates_and_lands_on_my_account(
    client, parent, django_capture_on_commit_callbacks
):
    user, code = parent
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, user.login.upper(), code.lower()[:5] + "-" + code.lower()[5:],
            email="Parent@Example.FR",
        )  # fmt: skip
    assert response.status_code == 302
    assert response.url == reverse("account:detail") == "/mon-compte/"
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.activated_at is not None
    assert user.terms_version == settings.TERMS_OF_USE_VERSION == "2026-09"
    assert user.terms_accepted_at == user.activated_at
    assert user.email == "Parent@example.fr"
    assert user.email_confirmed_at is None  # not used for recovery until confirmed
    assert not ActivationCode.objects.filter(account=user).exists()
    assert audit_events("activated") == [user.pk]
    # The confirmation e-mail, and its single-use link.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Parent@example.fr"]
    link = re.search(r"http://localhost:8000(/mon-compte/email/\S+/)", mail.outbox[0].body)[1]
    assert client.get(link).context["valid"] is True
    user.refresh_from_db()
    assert user.email_confirmed_at is None  # opening the link confirms nothing
    assert client.post(link).status_code == 302
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert audit_events("email-confirmed") == [user.pk]
    assert client.post(link).status_code == 400  # used once

    page = client.get(reverse("account:detail"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'<dd id="account-login">{user.login}</dd>' in body
    child = user.guardian.pupils.get()
    assert f"{child.first_name} {child.last_name}" in body


def _failure_page(response, login, code):
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert [e.code for e in errors["__all__"]] == ["invalid_activation"]
    # What differs is only what was typed, echoed back for correction.
    return CSRF.sub("", response.content.decode()).replace(login, "LOGIN").replace(code, "CODE")


def test_wrong_expired_or_unknown_give_one_same_answer(client, parent):
    user, code = parent
    wrong = "A" * 10 if code != "A" * 10 else "B" * 10
    pages = [_failure_page(post(client, user.login, wrong), user.login, wrong)]
    unknown = post(client, "personne.inconnue", code)
    pages.append(_failure_page(unknown, "personne.inconnue", code))
    ActivationCode.objects.filter(account=user).update(expires_at=timezone.now() - timedelta(1))
    pages.append(_failure_page(post(client, user.login, code), user.login, code))
    ActivationCode.objects.filter(account=user).update(expires_at=timezone.now() + timedelta(9))
    User.objects.filter(pk=user.pk).update(is_active=False)
    pages.append(_failure_page(post(client, user.login, code), user.login, code))
    assert pages[0] == pages[1] == pages[2] == pages[3]
    assert "_auth_user_id" not in client.session
    assert_not_activated(user)


def test_every_error_is_shown_at_once(client, parent):
    user, _code = parent
    response = post(
        client, user.login, "WRONGCODE2", password1="court", password2="autre",
        email="pas-une-adresse", accept_terms="",
    )  # fmt: skip
    assert response.status_code == 200
    errors = {
        field: [e.code for e in errs]
        for field, errs in response.context["form"].errors.as_data().items()
    }
    assert errors == {
        "__all__": ["invalid_activation"],
        "password1": ["password_too_short"],
        "password2": ["password_mismatch"],
        "email": ["invalid"],
        "accept_terms": ["required"],
    }
    body = response.content.decode()
    assert body.count('role="alert"') == 1  # one summary listing them all
    assert_not_activated(user)


def test_password_may_not_look_like_the_name_once_the_code_is_right(client, parent):
    user, code = parent
    weak = f"{user.first_name}.{user.last_name}".lower() + "2026"
    response = post(client, user.login, code, password1=weak, password2=weak)
    assert [e.code for e in response.context["form"].errors.as_data()["password1"]] == [
        "password_too_similar"
    ]
    assert_not_activated(user)


def test_a_code_works_once(client, parent):
    user, code = parent
    assert post(client, user.login, code).status_code == 302
    client.logout()
    response = post(client, user.login, code, password1="Autre-Mot-De-Passe-99",
                    password2="Autre-Mot-De-Passe-99")  # fmt: skip
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert audit_events("activated") == [user.pk]


def test_rate_limit_per_login_blocks_even_the_right_code(client, parent, settings):
    settings.ACTIVATION_RATE_PER_LOGIN = "3/h"
    user, code = parent
    for n in range(3):  # from three addresses: the limit follows the login
        assert post(client, user.login, "WRONGCODE2", ip=f"10.0.1.{n}").status_code == 200
    assert post(client, user.login.upper(), code, ip="10.0.1.9").status_code == 429
    assert_not_activated(user)
    # Another login from the same address is not blocked.
    other = post(client, "autre.personne", "WRONGCODE2", ip="10.0.1.9")
    assert other.status_code == 200


def test_rate_limit_per_address(client, parent, settings):
    settings.ACTIVATION_RATE_PER_IP = "3/h"
    user, code = parent
    for n in range(3):
        assert post(client, f"personne{n}.inconnue", "WRONGCODE2").status_code == 200
    assert post(client, user.login, code).status_code == 429
    assert_not_activated(user)
    assert post(client, user.login, code, ip="10.0.0.2").status_code == 302
