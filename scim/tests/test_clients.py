"""Registering SCIM clients: the page (IT administrators; other city staff only read the list)
and the command. The token is shown once and only its digest is kept."""

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from entaix.tests import factories
from scim.models import ScimClient
from scim.selectors import scim_client_for_token, token_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def it_admin(db):
    return factories.UserFactory(
        login="dsi.ville", kind=User.Kind.CITY, city_role=User.CityRole.IT_ADMIN
    )


def test_an_it_administrator_connects_a_service_and_sees_its_token_once(
    client, it_admin, two_schools
):
    school = two_schools["a"]["school"]
    client.force_login(it_admin)
    response = client.post("/scim/clients/", {"name": "Cantine", "schools": [school.pk]})
    assert response.status_code == 200
    token = response.context["token"]
    scim_client = ScimClient.objects.get()
    assert (scim_client.name, list(scim_client.schools.all())) == ("Cantine", [school])
    assert scim_client.token_digest == token_digest(token) != token
    assert token in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    assert scim_client_for_token(token) == scim_client
    # The list never shows it again.
    assert token not in client.get("/scim/clients/").content.decode()
    event = LogEntry.objects.get(additional_data__event="scim-client-created")
    assert (event.actor, event.object_id) == (it_admin, scim_client.pk)
    # A new token replaces it at once.
    renewed = client.post(f"/scim/clients/{scim_client.pk}/jeton/").context["token"]
    assert scim_client_for_token(token) is None
    assert scim_client_for_token(renewed) == scim_client
    # Deactivated: no token works.
    client.post(f"/scim/clients/{scim_client.pk}/", {"schools": [school.pk]})
    assert scim_client_for_token(renewed) is None


def test_the_school_service_reads_the_list_and_changes_nothing(client, city_user, two_schools):
    existing = ScimClient.objects.create(name="ENT", token_digest="0" * 64)
    client.force_login(city_user)
    page = client.get("/scim/clients/")
    assert page.status_code == 200
    assert "ENT" in page.content.decode()
    assert 'name="name"' not in page.content.decode()
    school = two_schools["a"]["school"]
    assert client.post("/scim/clients/", {"name": "X", "schools": [school.pk]}).status_code == 403
    assert client.get(f"/scim/clients/{existing.pk}/").status_code == 403
    assert client.post(f"/scim/clients/{existing.pk}/jeton/").status_code == 403
    assert list(ScimClient.objects.values_list("name", "token_digest")) == [("ENT", "0" * 64)]


def test_the_command_creates_renews_lists_and_deactivates(two_schools):
    uai = two_schools["a"]["school"].uai
    out = io.StringIO()
    call_command("scim_client", "create", "--name", "ENT ONE", "--school", uai, stdout=out)
    token = out.getvalue().strip()
    assert scim_client_for_token(token).name == "ENT ONE"
    out = io.StringIO()
    call_command("scim_client", "renew", "--name", "ENT ONE", stdout=out)
    assert scim_client_for_token(token) is None
    renewed = out.getvalue().strip()
    out = io.StringIO()
    call_command("scim_client", "list", stdout=out)
    assert out.getvalue().split("\t")[1:] == ["ENT ONE", "actif", f"{uai}\n"]
    call_command("scim_client", "deactivate", "--name", "ENT ONE", stdout=io.StringIO())
    assert scim_client_for_token(renewed) is None
    with pytest.raises(CommandError, match="École inconnue : 0000000X"):
        call_command("scim_client", "create", "--name", "Autre", "--school", "0000000x")
    assert ScimClient.objects.count() == 1
