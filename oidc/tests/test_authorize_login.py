"""The portal's sign-in guards on the way to a connected service: a person who is not signed in
and starts at the authorization endpoint goes through the portal's login page, with its second
factor, its lockout and its per-address limit; until that page lets them in, the service gets
no code."""

import json
import time
from urllib.parse import unquote

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django_otp.oath import TOTP
from jwcrypto import jwk, jwt
from oauth2_provider.models import AccessToken, Grant

from accounts import services as account_services
from oidc.models import SignIn

from .conftest import PASSWORD, REDIRECT, authorize_params, pkce_pair, query_of
from .test_provider import exchange

pytestmark = pytest.mark.django_db


def totp_code(device, steps: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def start_at_the_service(client, oidc_client) -> tuple[str, str, str]:
    """The relying party sends the browser to the authorization endpoint: (login page address,
    the authorization address it returns to, the PKCE verifier)."""
    verifier, challenge = pkce_pair()
    response = client.get("/oidc/authorize/", authorize_params(oidc_client, challenge=challenge))
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith("/comptes/login/?next=/oidc/authorize/")
    return login_url, unquote(login_url.split("next=", 1)[1]), verifier


def post_login(client, login_url, next_url, login, password=PASSWORD, code=None):
    data = {"username": login, "password": password, "next": next_url}
    if code is not None:
        data["otp_token"] = code
    return client.post(login_url, data)


@pytest.fixture
def teacher(world):
    """Paul Martel, teacher of CE1 A, with a second factor (offered to school staff)."""
    account = world.teacher.account
    account.set_password(PASSWORD)
    account.save()
    device = account_services.mfa_enrol_start(account=account)
    device, _recovery = account_services.mfa_enrol_confirm(
        account=account, device_id=device.pk, token=totp_code(device)
    )
    return account, device


def test_a_second_factor_is_asked_on_the_way_to_a_service(client, world, oidc_keys, make_client,
                                                          teacher):  # fmt: skip
    account, device = teacher
    oidc_client = make_client()
    login_url, next_url, verifier = start_at_the_service(client, oidc_client)
    page = client.get(login_url)
    assert page.status_code == 200
    assert 'name="otp_token"' in page.content.decode()
    right = totp_code(device, steps=1)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    # The right password without the code, then with a wrong code: refused, no session, and
    # the authorization endpoint still sends the browser back to the login page.
    for code in ("", wrong):
        refused = post_login(client, login_url, next_url, account.login, code=code)
        assert refused.status_code == 200
        assert "Identifiant ou mot de passe incorrect." in refused.content.decode()
        assert "_auth_user_id" not in client.session
        again = client.get(next_url)
        assert again["Location"].startswith("/comptes/login/?next=/oidc/authorize/")
    assert Grant.objects.count() == 0
    assert AccessToken.objects.count() == 0
    assert SignIn.objects.count() == 0
    # Each refusal counts against the account's lockout, as a wrong password does.
    assert AccessAttempt.objects.get(username=account.login).failures_since_start == 2
    device.refresh_from_db()
    device.throttle_reset()  # django-otp waits a second after a wrong code
    signed_in = post_login(client, login_url, next_url, account.login, code=right)
    assert signed_in.status_code == 302
    assert unquote(signed_in["Location"]) == unquote(next_url)
    back = client.get(signed_in["Location"])
    assert back["Location"].startswith(REDIRECT + "?code=")
    code = query_of(back["Location"])["code"]
    tokens = exchange(client, oidc_client, code, verifier)
    assert tokens.status_code == 200
    key = jwk.JWK.from_pem(oidc_keys.active.encode())
    claims = jwt.JWT(key=key, jwt=tokens.json()["id_token"]).claims
    assert json.loads(claims)["sub"] == str(account.public_id)
    assert list(SignIn.objects.values_list("account_id", "client_id")) == [
        (account.pk, oidc_client.pk)
    ]


def test_the_lockout_holds_on_the_way_to_a_service(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    login_url, next_url, _verifier = start_at_the_service(client, oidc_client)
    login = world.guardian.login
    statuses = [
        post_login(client, login_url, next_url, login, password="pas le bon!!").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = post_login(client, login_url, next_url, login)
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(next_url)["Location"].startswith("/comptes/login/")
    assert Grant.objects.count() == 0


def test_the_per_address_limit_holds_on_the_way_to_a_service(client, world, oidc_keys,
                                                             make_client, settings):  # fmt: skip
    settings.LOGIN_RATE_PER_IP = "2/h"
    oidc_client = make_client()
    login_url, next_url, _verifier = start_at_the_service(client, oidc_client)
    statuses = [
        post_login(client, login_url, next_url, f"inconnu.{n}", password="nope").status_code
        for n in range(2)
    ]
    assert statuses == [200, 200]
    limited = post_login(client, login_url, next_url, world.guardian.login)
    assert limited.status_code == 429
    assert "Trop de demandes depuis votre connexion" in limited.content.decode()
    assert "_auth_user_id" not in client.session
    assert Grant.objects.count() == 0


def test_a_session_that_did_not_prove_the_second_factor_gives_no_code(
    client, world, oidc_keys, make_client
):
    """Signed in by password before the second factor was turned on (another browser, say):
    that session never proved it. On the way to a service it is signed out and sent to the
    login page, which asks for the code; the service gets nothing meanwhile."""
    account = world.teacher.account
    account.set_password(PASSWORD)
    account.save()
    oidc_client = make_client()
    login_url, next_url, _verifier = start_at_the_service(client, oidc_client)
    assert post_login(client, login_url, next_url, account.login).status_code == 302
    device = account_services.mfa_enrol_start(account=account)
    account_services.mfa_enrol_confirm(account=account, device_id=device.pk,
                                       token=totp_code(device))  # fmt: skip
    response = client.get(next_url)
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=/oidc/authorize/")
    assert "_auth_user_id" not in client.session
    assert Grant.objects.count() == 0
    refused = post_login(client, login_url, next_url, account.login)
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
