"""Rules that hold on every page: NUL bytes are a 400, logged-in answers are never stored, the
Content-Security-Policy allows our own origin only."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/ecoles/recherche/?q=Du%00pont",
        "/comptes/ecoles/%00/personnel/",
        "/ecoles/personnel/1/?x%00=1",
        "/comptes/login/?next=%00",
    ],
)
def test_nul_byte_in_url_or_query_is_a_400(client, city_user, url):
    client.force_login(city_user)
    response = client.get(url)
    assert response.status_code == 400


def test_nul_byte_in_a_form_field_is_a_400_and_logs_nobody_in(client, two_schools):
    from axes.models import AccessAttempt

    response = client.post(reverse("accounts:login"), {"username": "dir.a\x00", "password": "x"})
    assert response.status_code == 400
    assert AccessAttempt.objects.count() == 0
    assert "_auth_user_id" not in client.session


def test_nul_byte_in_a_cookie_is_a_400(client):
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get(reverse("accounts:login")).status_code == 400


def test_pages_with_personal_data_are_not_stored(client, two_schools):
    pupil = two_schools["a"]["pupils"][0]
    client.force_login(two_schools["a"]["director"].account)
    for url in (reverse("schools:pupil", args=[pupil.pk]), reverse("accounts:account-index"),
                "/ecoles/recherche/?q=a"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200
        assert set(response["Cache-Control"].replace(" ", "").split(",")) >= {"no-store", "private"}


def test_public_page_keeps_its_cache_headers(client):
    response = client.get(reverse("account:terms"))
    assert "no-store" not in response.get("Cache-Control", "")


def test_content_security_policy_allows_our_origin_only(client):
    policy = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
