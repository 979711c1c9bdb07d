"""The portal's own people: the school service invites city staff with a role (school service,
data-protection officer, IT administrator), sees who has which role, deactivates them."""

import re

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.management import call_command

from accounts.models import User
from accounts.scope import Role, is_dpo, scope_for_user
from accounts.tests.support import audit_events
from entaix.tests import factories

pytestmark = pytest.mark.django_db
PAGE = "/comptes/personnel-ville/"


@pytest.fixture
def service(db):
    return factories.UserFactory(
        login="chef.service", kind=User.Kind.CITY, city_role=User.CityRole.SCHOOL_SERVICE
    )


def invite(client, capture, **fields):
    data = {"login": "claire.dpo", "first_name": "Claire", "last_name": "Dupuis",
            "email": "dpo@mairie-aixenprovence.fr", "role": "dpo", **fields}  # fmt: skip
    with capture(execute=True):
        return client.post(PAGE, data)


def state():
    return (
        list(User.objects.order_by("pk").values_list("pk", "login", "is_active", "city_role")),
        LogEntry.objects.count(),
        len(mail.outbox),
    )


def test_school_service_invites_a_dpo_who_chooses_a_password_from_a_one_time_link(
    client, service, django_capture_on_commit_callbacks
):
    client.force_login(service)
    response = invite(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == PAGE
    dpo = User.objects.get(login="claire.dpo")
    assert (dpo.kind, dpo.city_role, dpo.is_staff, dpo.is_superuser) == (
        "city",
        "dpo",
        False,
        False,
    )
    assert not dpo.has_usable_password()
    assert audit_events("city-staff-invited") == [dpo.pk]
    entry = LogEntry.objects.get(additional_data__event="city-staff-invited")
    assert (entry.actor_id, entry.additional_data["role"]) == (service.pk, "dpo")
    assert [m.to for m in mail.outbox] == [["dpo@mairie-aixenprovence.fr"]]
    assert "Claire" not in mail.outbox[0].body  # ids and links only, never a name
    assert "claire.dpo" in mail.outbox[0].body
    link = re.search(r"http://localhost:8000(/mot-de-passe-oublie/\S+/)", mail.outbox[0].body)[1]

    client.logout()
    landing = client.get(link)
    assert landing.status_code == 302
    password = "Sainte-Victoire-Cezanne-1906"
    done = client.post(landing.url, {"new_password1": password, "new_password2": password})
    assert done.status_code == 302
    dpo.refresh_from_db()
    assert dpo.check_password(password)
    assert is_dpo(dpo) and scope_for_user(dpo).roles == {Role.CITY, Role.DPO}
    assert client.get(link).status_code == 200  # the link's second use shows "invalid link"
    assert not is_dpo(service)


def test_the_page_shows_who_has_which_role(client, service, city_user):
    factories.UserFactory(login="it.admin", kind="city", city_role="it-admin", is_staff=True)
    factories.UserFactory(login="ancien.dpo", kind="city", city_role="dpo", is_active=False)
    client.force_login(service)
    response = client.get(PAGE)
    assert response.status_code == 200
    rows = [(u.login, u.get_city_role_display(), u.is_active) for u in response.context["staff"]]
    assert rows == [
        ("agent.ville", "service des écoles", True),
        ("ancien.dpo", "délégué à la protection des données", False),
        ("chef.service", "service des écoles", True),
        ("it.admin", "administrateur informatique", True),
    ]


def test_deactivating_a_staff_member_is_audited_and_not_oneself(client, service):
    dpo = factories.UserFactory(login="claire.dpo", kind="city", city_role="dpo")
    client.force_login(service)
    response = client.post(f"{PAGE}{dpo.pk}/desactiver/", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["claire.dpo est désactivé."]
    dpo.refresh_from_db()
    assert not dpo.is_active and not is_dpo(dpo)
    assert audit_events("city-staff-deactivated") == [dpo.pk]

    before = state()
    response = client.post(f"{PAGE}{service.pk}/desactiver/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Vous ne pouvez pas désactiver votre propre compte."
    ]
    assert state() == before


def test_a_taken_login_is_refused_and_nothing_is_created(
    client, service, django_capture_on_commit_callbacks
):
    client.force_login(service)
    before = state()
    response = invite(client, django_capture_on_commit_callbacks, login="Chef.Service")
    assert response.status_code == 200
    assert response.context["form"].errors == {"login": ["Cet identifiant est déjà pris."]}
    assert state() == before


@pytest.mark.parametrize("who", ["director", "teacher", "dpo", "no-role"])
def test_others_cannot_see_or_invite_or_deactivate(
    who, client, two_schools, service, django_capture_on_commit_callbacks
):
    users = {
        "director": two_schools["a"]["director"].account,
        "teacher": two_schools["a"]["teachers"][0].account,
        "dpo": factories.UserFactory(login="claire.dpo", kind="city", city_role="dpo"),
        "no-role": factories.UserFactory(login="agent.ville", kind="city"),
    }
    client.force_login(users[who])
    before = state()
    assert client.get(PAGE).status_code == 403
    assert invite(client, django_capture_on_commit_callbacks, login="x.y").status_code == 403
    assert client.post(f"{PAGE}{service.pk}/desactiver/").status_code == 403
    assert state() == before


def test_command_invites_the_first_it_administrator(capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "city_staff_invite", "--login", "admin.dsi", "--email", "dsi@mairie-aixenprovence.fr",
            "--first-name", "Hugo", "--last-name", "Martel", "--role", "it-admin",
        )  # fmt: skip
    admin = User.objects.get(login="admin.dsi")
    assert (admin.kind, admin.city_role, admin.is_staff, admin.is_superuser) == (
        "city", "it-admin", True, False,
    )  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith(f"Invitation envoyée au compte {admin.pk} (admin.dsi, it-admin) : ")
    assert "/mot-de-passe-oublie/" in out
    assert [m.to for m in mail.outbox] == [["dsi@mairie-aixenprovence.fr"]]
    assert audit_events("city-staff-invited") == [admin.pk]
