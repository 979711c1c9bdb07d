"""The provider through Django's test client: discovery, keys, the code flow with PKCE, claims
per scope, refresh, userinfo, revocation, and each refusal the spec asks for."""

import base64
import datetime
import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from accounts.services import account_lock, account_sync
from oidc import services
from oidc.models import SignIn
from schools.models import GuardianLink

from .conftest import REDIRECT, authorize_params, pkce_pair, query_of


def bystander_token(world, oidc_client) -> AccessToken:
    """The father's token at the same client: revoking one account's tokens leaves it alone."""
    return AccessToken.objects.create(
        user=world.father.account, application=oidc_client, token="bystander",
        expires=timezone.now() + datetime.timedelta(minutes=5),
    )  # fmt: skip


pytestmark = pytest.mark.django_db


def basic(oidc_client) -> str:
    raw = f"{oidc_client.client_id}:{oidc_client.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def get_code(http, oidc_client, *, scope="openid profile email ent", verifier_challenge=None):
    verifier, challenge = verifier_challenge or pkce_pair()
    response = http.get("/oidc/authorize/", authorize_params(oidc_client, scope=scope,
                                                             challenge=challenge))  # fmt: skip
    assert response.status_code == 302, response.content[:500]
    query = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT + "?")
    return query["code"], verifier


def exchange(http, oidc_client, code, verifier):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        data["code_verifier"] = verifier
    return http.post("/oidc/token/", data, HTTP_AUTHORIZATION=basic(oidc_client))


def refresh(http, oidc_client, token):
    data = {"grant_type": "refresh_token", "refresh_token": token}
    return http.post("/oidc/token/", data, HTTP_AUTHORIZATION=basic(oidc_client))


def userinfo(http, access_token):
    return http.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def signed_in_tokens(client, world, oidc_client, scope="openid profile email ent"):
    client.force_login(world.guardian)
    code, verifier = get_code(client, oidc_client, scope=scope)
    response = exchange(client, oidc_client, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def guardian_claims(world) -> dict:
    return {
        "sub": str(world.guardian.public_id),
        "name": "Aïssatou N'Diaye",
        "given_name": "Aïssatou",
        "family_name": "N'Diaye",
        "ent_profile": "guardian",
        "email": "aissatou@example.fr",
        "email_verified": True,
        "ent_schools": [{"uai": "0130001A", "name": "École Sextius"}],
        "ent_children": [
            {
                "sub": str(world.lea.account.public_id),
                "uai": "0130001A",
                "classes": [{"code": "CE1A", "name": "CE1 A", "kind": "class"}],
            },
            {
                "sub": str(world.tom.account.public_id),
                "uai": "0130001A",
                "classes": [{"code": "CM2B", "name": "CM2 B", "kind": "class"}],
            },
        ],
    }


def test_discovery_document_names_the_endpoints_and_only_the_safe_choices(client, oidc_keys):
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    base = "http://testserver"
    assert doc["issuer"] == base
    assert {k: doc[k] for k in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                                "jwks_uri", "end_session_endpoint")} == {
        "authorization_endpoint": f"{base}/oidc/authorize/",
        "token_endpoint": f"{base}/oidc/token/",
        "userinfo_endpoint": f"{base}/oidc/userinfo/",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "end_session_endpoint": f"{base}/oidc/logout/",
    }  # fmt: skip
    assert doc["scopes_supported"] == ["openid", "profile", "email", "ent", "aaf"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"][0] == "RS256"
    assert doc["subject_types_supported"] == ["public"]


def test_jwks_publishes_both_keys_during_a_rotation(client, oidc_keys):
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    expected = [
        jwk.JWK.from_pem(pem.encode()).thumbprint()
        for pem in (oidc_keys.active, oidc_keys.inactive)
    ]
    assert [k["kid"] for k in keys] == expected
    assert {(k["kty"], k["alg"], k["use"]) for k in keys} == {("RSA", "RS256", "sig")}
    assert all("d" not in k for k in keys)  # public parts only


def test_code_flow_gives_exactly_the_claims_of_the_scopes(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    tokens = signed_in_tokens(client, world, oidc_client)
    assert set(tokens) == {"access_token", "refresh_token", "id_token", "expires_in",
                           "token_type", "scope"}  # fmt: skip
    assert tokens["scope"] == "openid profile email ent"
    # The ID token is signed with the active key, whose kid the JWKS publishes.
    public = jwk.JWK.from_pem(oidc_keys.active.encode())
    id_token = jwt.JWT(jwt=tokens["id_token"], key=public, algs=["RS256"])
    claims = json.loads(id_token.claims)
    assert json.loads(id_token.token.objects["protected"])["kid"] == public.thumbprint()
    assert claims["aud"] == oidc_client.client_id
    assert claims["iss"] == "http://testserver"
    assert claims["nonce"] == "nonce-42"
    expected = guardian_claims(world)
    assert {k: claims[k] for k in expected} == expected
    # Userinfo: exactly the scopes' claims, nothing else (no login, no AAF key, no Inès).
    assert userinfo(client, tokens["access_token"]).json() == expected
    # The access token is tied to the ID token issued with it (its jti).
    access = AccessToken.objects.select_related("id_token").get()
    assert str(access.id_token.jti) == claims["jti"]
    sign_in = SignIn.objects.get()
    assert (sign_in.account_id, sign_in.client_id, sign_in.scopes) == (
        world.guardian.pk,
        oidc_client.pk,
        "openid profile email ent",
    )


def test_openid_alone_gives_the_sub_only(client, world, oidc_keys, make_client):
    tokens = signed_in_tokens(client, world, make_client(), scope="openid")
    assert userinfo(client, tokens["access_token"]).json() == {"sub": str(world.guardian.public_id)}


def test_an_unconfirmed_email_is_not_given(client, world, oidc_keys, make_client):
    world.guardian.email_confirmed_at = None
    world.guardian.save()
    tokens = signed_in_tokens(client, world, make_client(), scope="openid email")
    assert userinfo(client, tokens["access_token"]).json() == {"sub": str(world.guardian.public_id)}


def test_staff_claims_give_functions_and_classes(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    client.force_login(world.director.account)
    code, verifier = get_code(client, oidc_client, scope="openid profile ent")
    tokens = exchange(client, oidc_client, code, verifier).json()
    assert userinfo(client, tokens["access_token"]).json() == {
        "sub": str(world.director.account.public_id),
        "name": "Claire Roux",
        "given_name": "Claire",
        "family_name": "Roux",
        "ent_profile": "director",
        "ent_schools": [
            {"uai": "0130001A", "name": "École Sextius", "director": True,
             "functions": [{"code": "DIR", "label": "DIRECTION"}]}
        ],
        "ent_classes": [],
    }  # fmt: skip
    client.force_login(world.teacher.account)
    code, verifier = get_code(client, oidc_client, scope="openid profile ent")
    tokens = exchange(client, oidc_client, code, verifier).json()
    claims = userinfo(client, tokens["access_token"]).json()
    assert claims["ent_profile"] == "teacher"
    assert claims["ent_classes"] == [
        {"uai": "0130001A", "code": "CE1A", "name": "CE1 A", "kind": "class"}
    ]


def test_pupil_claims(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    client.force_login(world.lea.account)
    code, verifier = get_code(client, oidc_client, scope="openid profile ent")
    tokens = exchange(client, oidc_client, code, verifier).json()
    claims = userinfo(client, tokens["access_token"]).json()
    assert {k: claims[k] for k in ("ent_profile", "ent_schools", "ent_classes")} == {
        "ent_profile": "pupil",
        "ent_schools": [{"uai": "0130001A", "name": "École Sextius"}],
        "ent_classes": [{"uai": "0130001A", "code": "CE1A", "name": "CE1 A", "kind": "class"}],
    }


def test_aaf_scope_only_for_the_client_under_the_convention(client, world, oidc_keys, make_client):
    ent = make_client(name="ONE", allowed_scopes="openid aaf", aaf_convention=True)
    tokens = signed_in_tokens(client, world, ent, scope="openid aaf")
    assert userinfo(client, tokens["access_token"]).json() == {
        "sub": str(world.guardian.public_id),
        "aaf_join_key": "RESP-AISSATOU",
    }
    # The flag withdrawn, tokens issued before no longer carry the join key.
    type(ent).objects.filter(pk=ent.pk).update(aaf_convention=False)
    assert userinfo(client, tokens["access_token"]).json() == {"sub": str(world.guardian.public_id)}
    other = make_client(name="Médiathèque")
    _, challenge = pkce_pair()
    response = client.get("/oidc/authorize/", authorize_params(other, scope="openid aaf",
                                                               challenge=challenge))  # fmt: skip
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_scope"
    assert Grant.objects.filter(application=other).count() == 0


def test_refresh_rotates_and_the_old_refresh_token_is_refused(
    client, world, oidc_keys, make_client
):
    oidc_client = make_client()
    tokens = signed_in_tokens(client, world, oidc_client)
    renewed = refresh(client, oidc_client, tokens["refresh_token"])
    assert renewed.status_code == 200
    assert renewed.json()["refresh_token"] != tokens["refresh_token"]
    renewed_claims = json.loads(jwt.JWT(jwt=renewed.json()["id_token"]).token.objects["payload"])
    access = AccessToken.objects.select_related("id_token").get()
    assert str(access.id_token.jti) == renewed_claims["jti"]
    replay = refresh(client, oidc_client, tokens["refresh_token"])
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    # The replay revoked the whole family (reuse protection), the refusal notwithstanding: the
    # token endpoint's transaction commits what a refused request wrote.
    stolen = refresh(client, oidc_client, renewed.json()["refresh_token"])
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 0


def test_a_failing_code_exchange_leaves_nothing_behind(client, world, oidc_keys, make_client,
                                                        monkeypatch):  # fmt: skip
    """The token endpoint writes in one transaction: the ID token, the tokens, the sign-in and
    the grant's deletion all happen, or none does."""
    oidc_client = make_client()
    client.force_login(world.guardian)
    code, verifier = get_code(client, oidc_client)

    def broken(**kwargs):
        raise RuntimeError("the sign-in record cannot be written")

    monkeypatch.setattr(services, "sign_in_record", broken)
    with pytest.raises(RuntimeError):
        exchange(client, oidc_client, code, verifier)
    assert IDToken.objects.count() == 0
    assert AccessToken.objects.count() == 0
    assert RefreshToken.objects.count() == 0
    assert SignIn.objects.count() == 0
    assert Grant.objects.filter(code=code).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_code_exchanged_twice_at_once_gives_tokens_once(world, oidc_keys, make_client,
                                                          monkeypatch):  # fmt: skip
    """Two exchanges of the same code at the same moment (a replayed code): the second waits
    for the first (the grant is locked), then finds the code spent. One set of tokens only."""
    oidc_client = make_client()
    browser = Client()
    browser.force_login(world.guardian)
    code, verifier = get_code(browser, oidc_client)
    first_is_writing = threading.Event()
    record = services.sign_in_record

    def slow_record(**kwargs):
        sign_in = record(**kwargs)
        first_is_writing.set()
        time.sleep(1)  # the first exchange holds its tokens, not yet committed
        return sign_in

    monkeypatch.setattr(services, "sign_in_record", slow_record)
    answers = {}

    def exchange_as(name):
        try:
            answers[name] = exchange(Client(), oidc_client, code, verifier)
        finally:
            connection.close()

    first = threading.Thread(target=exchange_as, args=("first",))
    first.start()
    assert first_is_writing.wait(20)
    second = threading.Thread(target=exchange_as, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert answers["first"].status_code == 200
    assert (answers["second"].status_code, answers["second"].json()["error"]) == (
        400, "invalid_grant",
    )  # fmt: skip
    assert AccessToken.objects.count() == 1
    assert RefreshToken.objects.count() == 1
    assert IDToken.objects.count() == 1
    assert SignIn.objects.count() == 1
    assert Grant.objects.count() == 0


def test_untrusted_client_asks_consent_in_french(client, world, oidc_keys, make_client):
    oidc_client = make_client(name="Médiathèque", skip_authorization=False)
    client.force_login(world.guardian)
    verifier, challenge = pkce_pair()
    params = authorize_params(oidc_client, scope="openid profile", challenge=challenge)
    page = client.get("/oidc/authorize/", params)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Médiathèque demande à utiliser votre compte ENT" in body
    assert "Votre nom et votre profil" in body
    assert "adresse électronique" not in body  # email was not asked
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    refused = client.post("/oidc/authorize/", form)
    assert query_of(refused["Location"])["error"] == "access_denied"
    assert Grant.objects.count() == 0
    accepted = client.post("/oidc/authorize/", {**form, "allow": "on"})
    code = query_of(accepted["Location"])["code"]
    assert exchange(client, oidc_client, code, verifier).status_code == 200


@pytest.mark.parametrize("case", ["unknown-client", "wrong-redirect", "inactive-client"])
def test_refused_clients_and_wrong_redirects_get_an_error_page_never_a_redirect(
    client, world, oidc_keys, make_client, case
):
    oidc_client = make_client()
    client.force_login(world.guardian)
    _, challenge = pkce_pair()
    params = authorize_params(oidc_client, challenge=challenge)
    if case == "unknown-client":
        params["client_id"] = "nobody"
    elif case == "wrong-redirect":
        params["redirect_uri"] = "http://127.0.0.1:9/elsewhere"
    else:
        oidc_client.is_active = False
        oidc_client.save()
    response = client.get("/oidc/authorize/", params)
    assert response.status_code == 400
    assert "Location" not in response
    assert "Connexion refusée" in response.content.decode()
    assert Grant.objects.count() == 0


def test_pkce_is_required_at_both_ends(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    client.force_login(world.guardian)
    no_challenge = client.get("/oidc/authorize/", authorize_params(oidc_client))
    assert query_of(no_challenge["Location"])["error"] == "invalid_request"
    plain = client.get("/oidc/authorize/", authorize_params(
        oidc_client, code_challenge="x" * 43, code_challenge_method="plain"))  # fmt: skip
    assert query_of(plain["Location"])["error"] == "invalid_request"
    code, _verifier = get_code(client, oidc_client)
    missing = exchange(client, oidc_client, code, None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    code, _verifier = get_code(client, oidc_client)
    wrong = exchange(client, oidc_client, code, "w" * 50)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert AccessToken.objects.count() == 0


def test_deactivated_account_loses_its_tokens_and_cannot_refresh(
    client, world, oidc_keys, make_client
):
    oidc_client = make_client()
    tokens = signed_in_tokens(client, world, oidc_client)
    bystander_token(world, oidc_client)
    # The feed withdraws the mother's authority over her children: she is no longer entitled.
    GuardianLink.objects.filter(guardian=world.mother).update(legal=0)
    assert account_sync()["deactivated"] == 1
    assert AccessToken.objects.filter(user=world.guardian).count() == 0
    assert RefreshToken.objects.filter(user=world.guardian, revoked__isnull=True).count() == 0
    assert userinfo(client, tokens["access_token"]).status_code == 401
    response = refresh(client, oidc_client, tokens["refresh_token"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert list(AccessToken.objects.values_list("token", flat=True)) == ["bystander"]


def test_an_inactive_account_is_refused_even_with_live_tokens(
    client, world, oidc_keys, make_client
):
    """Belt and braces: the validator checks the account itself, whatever happened to tokens."""
    oidc_client = make_client()
    tokens = signed_in_tokens(client, world, oidc_client)
    type(world.guardian).objects.filter(pk=world.guardian.pk).update(is_active=False)
    assert userinfo(client, tokens["access_token"]).status_code == 401
    response = refresh(client, oidc_client, tokens["refresh_token"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_a_locked_account_cannot_exchange_a_code_it_got_before(
    client, world, oidc_keys, make_client
):
    oidc_client = make_client()
    client.force_login(world.guardian)
    code, verifier = get_code(client, oidc_client)
    account_lock(account_ids=[world.guardian.pk], actor=world.city, reason="opposition")
    response = exchange(client, oidc_client, code, verifier)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert SignIn.objects.count() == 0


@pytest.mark.parametrize("how", ["opposition upheld", "purged"])
def test_an_opposed_or_purged_account_loses_its_tokens(client, world, oidc_keys, make_client, how):
    oidc_client = make_client()
    tokens = signed_in_tokens(client, world, oidc_client)
    bystander_token(world, oidc_client)
    account_id = world.guardian.pk
    if how == "purged":
        # What the retention purge does (privacy/services/anonymise.py): the person, then the
        # account.
        GuardianLink.objects.filter(guardian=world.mother).delete()
        world.mother.delete()
        type(world.guardian).objects.filter(pk=account_id).delete()
    else:
        account_lock(account_ids=[account_id], actor=world.city, reason="opposition")
    assert AccessToken.objects.filter(user_id=account_id).count() == 0
    assert RefreshToken.objects.filter(user_id=account_id, revoked__isnull=True).count() == 0
    assert userinfo(client, tokens["access_token"]).status_code == 401
    response = refresh(client, oidc_client, tokens["refresh_token"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert list(AccessToken.objects.values_list("token", flat=True)) == ["bystander"]


def test_city_staff_get_access_denied(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    client.force_login(world.city)
    _, challenge = pkce_pair()
    response = client.get("/oidc/authorize/", authorize_params(oidc_client, challenge=challenge))
    assert query_of(response["Location"]) == {"error": "access_denied", "state": "etat-42"}
    assert Grant.objects.count() == 0


def test_revoked_tokens_are_refused(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    tokens = signed_in_tokens(client, world, oidc_client)
    response = client.post("/oidc/revoke/", {"token": tokens["access_token"]},
                           HTTP_AUTHORIZATION=basic(oidc_client))  # fmt: skip
    assert response.status_code == 200
    assert userinfo(client, tokens["access_token"]).status_code == 401
    # Revoking the access token revoked its refresh token too (RFC 7009 §2.1).
    response = refresh(client, oidc_client, tokens["refresh_token"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_anonymous_authorize_goes_to_the_portal_login_and_back(
    client, world, oidc_keys, make_client
):
    oidc_client = make_client()
    _verifier, challenge = pkce_pair()
    params = authorize_params(oidc_client, challenge=challenge)
    response = client.get("/oidc/authorize/", params)
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=/oidc/authorize/")
    login = client.post(
        response["Location"],
        {"username": world.guardian.login, "password": "Tulipe-Rouge-Sextius-42",
         "next": response["Location"].split("next=", 1)[1]},
    )  # fmt: skip
    from urllib.parse import unquote

    assert unquote(login["Location"]).startswith("/oidc/authorize/?")
    back = client.get(unquote(login["Location"]))
    assert back["Location"].startswith(REDIRECT + "?code=")


def test_claims_leave_out_closed_schools_inactive_children_and_ended_classes(
    world, oidc_keys, make_client
):
    """Straight from oidc/claims.py: what each selector leaves out, for each profile."""
    from django.utils import timezone

    from accounts.models import User
    from entaix.tests import factories
    from oidc.claims import claims_for
    from schools.models import StaffAssignment, StaffClass

    oidc_client = make_client(allowed_scopes="openid profile ent aaf", aaf_convention=True)
    scopes = ["openid", "profile", "ent", "aaf"]
    User.objects.filter(pk=world.tom.account_id).update(is_active=False)
    world.ce1.left_at = timezone.now()
    world.ce1.save()
    guardian = claims_for(account=world.guardian, scopes=scopes, client=oidc_client)
    assert (guardian["ent_schools"], guardian["ent_children"], guardian["aaf_join_key"]) == (
        [{"uai": "0130001A", "name": "École Sextius"}],
        [{"sub": str(world.lea.account.public_id), "uai": "0130001A", "classes": []}],
        "RESP-AISSATOU",
    )  # fmt: skip
    # The teacher (so marked by the feed) also teaches in the closed school; CE1 A has ended.
    world.teacher.is_teacher = True
    world.teacher.save()
    puyricard = factories.SchoolClassFactory(school=world.closed, name="CP", code="CP")
    StaffAssignment.objects.create(staff=world.teacher, school=world.closed)
    StaffClass.objects.create(staff=world.teacher, school_class=puyricard)
    teacher = claims_for(account=world.teacher.account, scopes=scopes, client=oidc_client)
    assert {k: teacher[k] for k in ("ent_profile", "ent_schools", "ent_classes")} == {
        "ent_profile": "teacher",
        "ent_schools": [{"uai": "0130001A", "name": "École Sextius", "director": False,
                         "functions": []}],
        "ent_classes": [],
    }  # fmt: skip
    assert teacher["aaf_join_key"] == "PERS-ENS"
    # Left with no assignment in an open school: no school, but the same person and join key.
    StaffAssignment.objects.filter(staff=world.teacher, school=world.school).delete()
    alone = claims_for(account=world.teacher.account, scopes=scopes, client=oidc_client)
    assert (alone["ent_schools"], alone["ent_classes"], alone["aaf_join_key"]) == (
        [], [], "PERS-ENS"
    )  # fmt: skip
    # A guardian with no child left in an open school keeps their join key.
    GuardianLink.objects.filter(guardian=world.mother).update(legal=0)
    orphan = claims_for(account=world.guardian, scopes=scopes, client=oidc_client)
    assert (orphan["ent_schools"], orphan["ent_children"], orphan["aaf_join_key"]) == (
        [], [], "RESP-AISSATOU"
    )  # fmt: skip
