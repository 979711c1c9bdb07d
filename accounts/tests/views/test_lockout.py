"""One lockout per account (django-axes) whatever the case or the spaces typed, on every form
that checks a password; the per-address limit answers the 429 page; the admin login is no
password oracle."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()


def post_login(client, login, password):
    return client.post(reverse("accounts:login"), {"username": login, "password": password})


def test_case_and_space_variants_share_one_counter_and_one_lockout(client, two_schools):
    variants = ["dir.a", "DIR.A", " Dir.A", "dIr.a  ", "Dir.a"]
    assert len(variants) == settings.AXES_FAILURE_LIMIT
    codes = [post_login(client, v, "wrong password!!").status_code for v in variants]
    assert codes == [200] * 4 + [429]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["dir.a"]
    # The right password with yet other capitals does not open the locked account.
    assert post_login(client, "DIR.a", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_change_counts_wrong_old_passwords(client, two_schools):
    user = User.objects.get(login="dir.a")
    client.force_login(user)
    url = reverse("account:password-change")
    data = {"old_password": "wrong password!!", "new_password1": "Tulipe-Rouge-Sextius-42",
            "new_password2": "Tulipe-Rouge-Sextius-42"}  # fmt: skip
    codes = [client.post(url, data).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert codes == [200] * 4 + [429]
    attempt = AccessAttempt.objects.get(username="dir.a")
    assert attempt.failures_since_start == 5
    assert "wrong password" not in attempt.post_data
    assert "Tulipe" not in attempt.post_data
    # Locked: even the right old password changes nothing.
    right = {**data, "old_password": PASSWORD}
    assert client.post(url, right).status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_per_address_limit_answers_the_429_page(client, two_schools, settings):
    from accounts import views

    # The login view reads its rate when the request comes.
    settings.LOGIN_RATE_PER_IP = "2/h"
    codes = [post_login(client, f"x.{n}", "nope").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    response = post_login(client, "dir.a", PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert views.LoginView is not None


def test_admin_login_is_the_portal_login(client, two_schools):
    """/admin/login/ checks no password: it sends to the portal's login (limits, lockout, MFA)."""
    response = client.post(
        reverse("admin:login"), {"username": "dir.a", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.count() == 0
    # A wrong password there tells nothing either: the same redirect.
    wrong = client.post(reverse("admin:login"), {"username": "dir.a", "password": "x"})
    assert wrong.status_code == 302
    assert "_auth_user_id" not in client.session


def test_admin_stays_closed_to_a_logged_in_non_superuser(client, two_schools):
    client.force_login(User.objects.get(login="dir.a"))
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]
    assert response.status_code == 403
