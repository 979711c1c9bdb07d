"""City staff's pages of connected services: who may see, register and change them; the secret
shown once and stored hashed; the audit trail; the nightly purge."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from oidc import services
from oidc.models import Client, SignIn

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Cantine et périscolaire",
    "redirect_uris": "https://cantine.aixenprovence.fr/oidc/callback\n",
    "post_logout_redirect_uris": "",
    "client_type": "confidential",
    "allowed_scopes": ["openid", "profile", "ent"],
    "skip_authorization": "on",
    "is_active": "on",
}


def test_an_it_administrator_registers_a_client_and_sees_its_secret_once(client, world, oidc_keys):
    client.force_login(world.it_admin)
    response = client.post("/services-connectes/nouveau/", FORM)
    assert response.status_code == 200
    registered = Client.objects.get()
    secret = response.context["secret"]
    body = response.content.decode()
    assert secret in body and registered.client_id in body
    assert "affiché que cette fois" in body
    # Stored hashed: the database never holds it in clear.
    assert registered.client_secret != secret
    assert check_password(secret, registered.client_secret)
    assert registered.client_secret.startswith("pbkdf2_sha256_client_secret$1$")
    assert (registered.name, registered.allowed_scopes, registered.skip_authorization,
            registered.aaf_convention, registered.algorithm, registered.created_by) == (
        "Cantine et périscolaire", "openid profile ent", True, False, "RS256", world.it_admin
    )  # fmt: skip
    events = LogEntry.objects.filter(additional_data__event="oidc-client-registered")
    assert list(events.values_list("object_id", "actor_id")) == [(registered.pk, world.it_admin.pk)]
    # The list page never shows it again.
    listing = client.get("/services-connectes/").content.decode()
    assert "Cantine et périscolaire" in listing and secret not in listing


def test_a_new_secret_replaces_the_old_at_once(client, world, oidc_keys, make_client):
    oidc_client = make_client()
    client.force_login(world.it_admin)
    response = client.post(f"/services-connectes/{oidc_client.pk}/secret/")
    new = response.context["secret"]
    oidc_client.refresh_from_db()
    assert check_password(new, oidc_client.client_secret)
    assert not check_password(oidc_client.secret, oidc_client.client_secret)


def test_aaf_scope_needs_the_convention_flag(client, world, oidc_keys):
    client.force_login(world.it_admin)
    response = client.post("/services-connectes/nouveau/",
                           {**FORM, "allowed_scopes": ["openid", "aaf"]})  # fmt: skip
    assert response.status_code == 200
    assert "réservée au service travaillant dans le cadre de la convention" in (
        response.content.decode()
    )
    assert Client.objects.count() == 0


def test_a_wrong_redirect_address_is_refused(client, world, oidc_keys):
    client.force_login(world.it_admin)
    response = client.post("/services-connectes/nouveau/", {**FORM, "redirect_uris": "ftp://x"})
    assert response.status_code == 200
    assert response.context["form"].errors["redirect_uris"]
    assert Client.objects.count() == 0


@pytest.mark.parametrize("who", ["city", "director", "guardian"])
def test_others_cannot_register_or_change_clients(client, world, oidc_keys, make_client, who):
    oidc_client = make_client()
    user = {"city": world.city, "director": world.director.account,
            "guardian": world.guardian}[who]  # fmt: skip
    client.force_login(user)
    before = list(Client.objects.values_list("name", "client_secret", "is_active"))
    assert client.post("/services-connectes/nouveau/", FORM).status_code == 403
    assert client.post(f"/services-connectes/{oidc_client.pk}/", FORM).status_code == 403
    assert client.post(f"/services-connectes/{oidc_client.pk}/secret/").status_code == 403
    assert list(Client.objects.values_list("name", "client_secret", "is_active")) == before
    # City staff see the list (which services receive data), without the links to change it.
    listing = client.get("/services-connectes/")
    assert listing.status_code == (200 if who == "city" else 403)


def test_deactivating_a_client_deletes_its_tokens(client, world, oidc_keys, make_client):
    from oauth2_provider.models import AccessToken

    oidc_client = make_client()
    other = make_client(name="Médiathèque")
    for application, token in ((oidc_client, "t1"), (other, "t2")):
        expires = timezone.now() + datetime.timedelta(minutes=5)
        AccessToken.objects.create(
            user=world.guardian, application=application, token=token, expires=expires
        )
    client.force_login(world.it_admin)
    form = {**FORM, "redirect_uris": oidc_client.redirect_uris}
    del form["is_active"]
    response = client.post(f"/services-connectes/{oidc_client.pk}/", form)
    assert response.status_code == 302
    oidc_client.refresh_from_db()
    assert not oidc_client.is_active
    assert list(AccessToken.objects.values_list("token", flat=True)) == ["t2"]  # the other's


def test_the_purge_deletes_old_sign_ins_and_expired_tokens(world, oidc_keys, make_client):
    from oauth2_provider.models import AccessToken

    oidc_client = make_client()
    now = timezone.now()
    old = SignIn.objects.create(account=world.guardian, client=oidc_client, scopes="openid",
                                at=now - datetime.timedelta(days=181))  # fmt: skip
    recent = SignIn.objects.create(account=world.guardian, client=oidc_client, scopes="openid")
    AccessToken.objects.create(user=world.guardian, application=oidc_client, token="t1",
                               expires=now - datetime.timedelta(days=1))  # fmt: skip
    assert services.oidc_records_purge(now=now) == {"sign_ins": 1}
    assert list(SignIn.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SignIn.objects.filter(pk=old.pk).exists()
    assert AccessToken.objects.count() == 0
