import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse

from accounts.models import User
from entaix.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()


def post_login(client, login, password):
    return client.post(reverse("accounts:login"), {"username": login, "password": password})


def test_login_page_is_french_by_default(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Identifiant" in body
    assert "Se connecter au portail" in body


def test_login_page_in_english_when_asked(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Log in to the portal" in body


def test_login_is_case_insensitive_and_lands_home(client, two_schools):
    response = post_login(client, "DIR.A", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(User.objects.get(login="dir.a").pk)


@pytest.mark.parametrize("login", ["dir.a", "nobody.here"])
def test_wrong_credentials_give_one_generic_message(client, two_schools, login):
    response = post_login(client, login, "wrong password!!")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_account_gets_the_same_generic_message(client):
    UserFactory(login="parti.ailleurs", is_active=False)
    response = post_login(client, "parti.ailleurs", PASSWORD)
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_nth_failure_locks_the_login_even_with_the_right_password(client, two_schools):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        assert post_login(client, "dir.a", "wrong password!!").status_code == 200
    locked = post_login(client, "dir.a", "wrong password!!")
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.content.decode()
    # The right password no longer opens the locked login...
    assert post_login(client, "dir.a", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # The attempt made while locked counts too: the lock does not leak whether it was right.
    assert AccessAttempt.objects.get(username="dir.a").failures_since_start == limit + 1
    # ...while another login from the same address still works.
    assert post_login(client, "dir.b", PASSWORD).status_code == 302


def test_logout_needs_post_and_ends_the_session(client, two_schools):
    post_login(client, "dir.a", PASSWORD)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_is_unique_whatever_the_case():
    User.objects.create_user("marie.curie", PASSWORD, kind=User.Kind.GUARDIAN)
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(login="Marie.Curie", kind=User.Kind.GUARDIAN)])


def test_manager_normalises_login_to_lower_case():
    user = User.objects.create_user("  Jean.Dupont ", PASSWORD, kind=User.Kind.GUARDIAN)
    assert user.login == "jean.dupont"
    assert User.objects.get_by_natural_key("JEAN.DUPONT") == user


def test_password_validators_are_djangos_with_min_length_12():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = User(login="lea.martin", first_name="Léa", last_name="Martin")
    with pytest.raises(ValidationError) as short:
        validate_password("x7#kQ9!mZ2", user)
    assert [e.code for e in short.value.error_list] == ["password_too_short"]
    with pytest.raises(ValidationError) as common:
        validate_password("password1234", user)
    assert "password_too_common" in [e.code for e in common.value.error_list]
    with pytest.raises(ValidationError) as similar:
        validate_password("lea.martin.2026", user)
    assert "password_too_similar" in [e.code for e in similar.value.error_list]
    assert validate_password("Tulipe-Rouge-Sextius-42", user) is None
