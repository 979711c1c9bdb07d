"""Proof with an independent client: an Authlib relying party on loopback, a guardian signed
in through entaix by a real Chromium (the portal's login page, the French consent screen), the
ID token verified against the JWKS, userinfo with exactly the claims of the scopes; then
RP-initiated logout; and a deactivated account that can no longer refresh."""

import pytest
from django.core.cache import cache

from accounts.services import account_lock
from entaix.tests.browser.test_a11y import DESKTOP, LAYOUT_RULES, PHONE, axe_violations, page_width
from oidc import services
from oidc.models import SignIn

from .conftest import PASSWORD
from .relying_party import RelyingParty
from .test_provider import guardian_claims

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def register(world, rp, **fields) -> None:
    client, secret = services.client_create(
        actor=world.it_admin, name="Médiathèque d'Aix", redirect_uris=f"{rp.url}/callback",
        post_logout_redirect_uris=f"{rp.url}/bye", client_type="confidential",
        allowed_scopes="openid profile email ent", **fields,
    )  # fmt: skip
    rp.client_id, rp.client_secret = client.client_id, secret


def a11y_problems(page) -> list:
    problems = [(1280, *v) for v in axe_violations(page)]
    page.set_viewport_size(PHONE)
    if page_width(page) > PHONE["width"]:
        problems.append((375, "page-width", page_width(page)))
    problems += [(375, *v) for v in axe_violations(page, LAYOUT_RULES)]
    page.set_viewport_size(DESKTOP)
    return problems


def test_a_guardian_signs_in_to_an_authlib_relying_party(live_server, browser, world, oidc_keys):
    cache.clear()
    with RelyingParty(issuer=live_server.url, scope="openid profile email ent") as rp:
        register(world, rp, skip_authorization=False)
        context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"{rp.url}/login")
        # Not signed in: the portal's own login page, in French, keyboard only.
        page.wait_for_url(f"{live_server.url}/comptes/login/?next=**")
        assert a11y_problems(page) == []
        page.locator("#id_username").fill(world.guardian.login)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        # The consent screen, in French, for a client that is not a trusted city service.
        page.wait_for_url(f"{live_server.url}/oidc/authorize/?**")
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == "Médiathèque d'Aix demande à utiliser votre compte ENT"
        assert page.locator("main li").all_inner_texts() == [
            "Savoir que c'est vous : un identifiant qui ne révèle ni votre identifiant de "
            "connexion ni votre dossier scolaire",
            "Votre nom et votre profil (élève, responsable, enseignant, directeur, personnel)",
            "Votre adresse électronique, si vous l'avez confirmée",
            "Vos écoles et classes ; pour un parent, l'école et la classe de chaque enfant ; "
            "pour le personnel, ses fonctions",
        ]
        assert a11y_problems(page) == []
        accept = page.get_by_role("button", name="Accepter")
        accept.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{rp.url}/callback?**")
        assert page.get_by_role("heading", level=1).inner_text() == "Connecté"
        assert "error" not in rp.results, rp.results.get("error")
        # The ID token was verified by Authlib against the JWKS: signed with the active key.
        claims = rp.results["id_token_claims"]
        assert claims["aud"] == rp.client_id
        assert claims["iss"] == live_server.url
        assert claims["sub"] == str(world.guardian.public_id)
        from jwcrypto import jwk

        assert (
            rp.results["id_token_kid"] == jwk.JWK.from_pem(oidc_keys.active.encode()).thumbprint()
        )
        # Userinfo: exactly the claims of the four scopes.
        assert rp.results["userinfo"] == guardian_claims(world)
        assert list(SignIn.objects.values_list("account_id", "client__name")) == [
            (world.guardian.pk, "Médiathèque d'Aix")
        ]

        # RP-initiated logout: entaix asks, then sends the browser back to the service.
        page.goto(f"{rp.url}/logout")
        page.wait_for_url(f"{live_server.url}/oidc/logout/?**")
        assert a11y_problems(page) == []
        page.locator("main").get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(f"{rp.url}/bye?**")
        assert rp.results["logged_out_state"] == "au-revoir"
        context.close()


def test_a_trusted_client_skips_consent_and_a_locked_account_cannot_sign_in(
    live_server, browser, world, oidc_keys
):
    cache.clear()
    with RelyingParty(issuer=live_server.url, scope="openid profile email ent") as rp:
        register(world, rp, skip_authorization=True)
        account_lock(account_ids=[world.guardian.pk], actor=world.city, reason="opposition")
        context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"{rp.url}/login")
        page.wait_for_url(f"{live_server.url}/comptes/login/?next=**")
        page.locator("#id_username").fill(world.guardian.login)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        # Refused like any wrong login: the page says nothing more, the service gets nothing.
        page.wait_for_load_state()
        assert "Identifiant ou mot de passe incorrect." in page.content()
        assert rp.results == {}
        # Another guardian (Léa's father), active, signs in without a consent screen.
        father = world.father.account
        father.set_password(PASSWORD)
        father.save()
        page.locator("#id_username").fill(father.login)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        page.wait_for_url(f"{rp.url}/callback?**")
        assert "error" not in rp.results, rp.results.get("error")
        assert rp.results["userinfo"]["sub"] == str(father.public_id)
        assert rp.results["userinfo"]["ent_children"] == [
            {"sub": str(world.lea.account.public_id), "uai": "0130001A",
             "classes": [{"code": "CE1A", "name": "CE1 A", "kind": "class"}]}
        ]  # fmt: skip
        # A refused client's error page: no redirect anywhere, readable at both widths.
        response = page.goto(f"{live_server.url}/oidc/authorize/?client_id=inconnu"
                             "&response_type=code&scope=openid")  # fmt: skip
        assert response.status == 400
        assert page.get_by_role("heading", level=1).inner_text() == "Connexion refusée"
        assert a11y_problems(page) == []
        context.close()
