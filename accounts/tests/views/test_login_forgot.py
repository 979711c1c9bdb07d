"""Forgotten login (issue 21): an e-mail address in, the logins of the confirmed accounts holding
it out, by e-mail, with the children's first names only; the same answer whatever the address."""

import logging
import re

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import RenewalRequest, User
from accounts.tests.support import audit_events
from entaix.tests import factories
from entaix.tests.factories import PASSWORD, account, guardian_of
from schools.models import Pupil

pytestmark = pytest.mark.django_db

PAGE = "/identifiant-oublie/"
DONE = "/identifiant-oublie/envoye/"


def ask(client, email, capture, **extra):
    with capture(execute=True):
        return client.post(reverse("account:login-forgot"), {"email": email}, **extra)


def confirm(user, email):
    user.set_password(PASSWORD)
    user.activated_at = user.email_confirmed_at = timezone.now()
    user.email = email
    user.save()
    return user


@pytest.fixture
def activated_parent(synced):
    """The guardian of a pupil of class A0, activated, with a confirmed e-mail."""
    pupil = synced["a"]["pupils"][0]
    pupil.first_name = "Léa"
    pupil.save(update_fields=["first_name"])
    return confirm(account(guardian_of(pupil)), "famille@example.fr")


def test_page_is_public_french_and_linked_from_login_and_password_pages(client):
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<h1>Identifiant oublié</h1>" in body
    assert 'autocomplete="email"' in body
    for source in (reverse("accounts:login"), reverse("account:password-forgot")):
        assert f'href="{PAGE}"' in client.get(source).content.decode()


def test_confirmed_address_gets_one_message_with_login_and_childs_first_name(
    client, activated_parent, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO)
    response = ask(client, "famille@example.fr", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == DONE
    [message] = mail.outbox
    assert message.to == ["famille@example.fr"]
    assert message.subject == "ENT : votre identifiant"
    login = activated_parent.login
    assert message.body == (
        "Bonjour,\n\n"
        "Quelqu'un a demandé l'identifiant ENT des comptes liés à cette adresse e-mail :\n\n"
        f"- {login}, pour Léa\n\n"
        "Pour vous connecter : http://localhost:8000/comptes/login/\n"
        "Mot de passe oublié : http://localhost:8000/mot-de-passe-oublie/\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : rien ne change.\n\n"
        "Ville d'Aix-en-Provence — service des écoles\n"
    )
    pupil = Pupil.objects.get(first_name="Léa")
    assert pupil.last_name not in message.body
    assert activated_parent.last_name not in message.body
    assert audit_events("login-reminder-sent") == [activated_parent.pk]
    entry = LogEntry.objects.get(additional_data__event="login-reminder-sent")
    assert "famille" not in str(entry.additional_data) and "famille" not in entry.changes_text
    assert RenewalRequest.objects.count() == 0
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"login reminder sent to accounts [{activated_parent.pk}]" in logged
    assert "famille" not in logged and login not in logged


def test_address_matches_whatever_its_case(
    client, activated_parent, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=activated_parent.pk).update(email="Famille@Example.fr")
    ask(client, "  FAMILLE@example.FR ", django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["Famille@Example.fr"]]
    assert activated_parent.login in mail.outbox[0].body


def test_a_guardian_with_two_accounts_gets_one_message_listing_both(
    client, synced, django_capture_on_commit_callbacks
):
    """One parent known twice to the feed (two schools): two accounts, the same address."""
    first, (second, third) = synced["a"]["pupils"][0], synced["b"]["pupils"][:2]
    for pupil, name in ((first, "Léa"), (second, "Tom"), (third, "Inès")):
        pupil.first_name = name
        pupil.save(update_fields=["first_name"])
    factories.link(third, guardian_of(second))
    one = confirm(account(guardian_of(first)), "parent@example.fr")
    two = confirm(account(guardian_of(second)), "PARENT@example.fr")
    ask(client, "parent@example.fr", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == ["parent@example.fr"]
    lines = [line for line in message.body.splitlines() if line.startswith("- ")]
    assert lines == [f"- {one.login}, pour Léa", f"- {two.login}, pour Inès, Tom"]
    assert audit_events("login-reminder-sent") == sorted([one.pk, two.pk])


def test_a_pupil_and_a_teacher_get_their_login(client, synced, django_capture_on_commit_callbacks):
    pupil = synced["b"]["pupils"][3]
    pupil.first_name = "Noé"
    pupil.save(update_fields=["first_name"])
    child = confirm(account(pupil), "maison@example.fr")
    teacher = confirm(synced["b"]["teachers"][1].account, "maison@example.fr")
    ask(client, "maison@example.fr", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    lines = [line for line in message.body.splitlines() if line.startswith("- ")]
    # In the order the accounts were created: the teacher's came first.
    assert teacher.pk < child.pk
    assert lines == [f"- {teacher.login}", f"- {child.login}, pour Noé"]


def normalised(body: bytes) -> bytes:
    """The page without what differs on every render whoever asks (CSRF mask, CSP nonce)."""
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)
    return re.sub(rb'nonce="[^"]+"', b"", body)


def test_no_enumeration_unknown_unconfirmed_and_known_answer_alike(
    client, synced, django_capture_on_commit_callbacks
):
    known = confirm(account(guardian_of(synced["a"]["pupils"][0])), "connue@example.fr")
    unconfirmed = account(guardian_of(synced["a"]["pupils"][2]))  # class A1
    User.objects.filter(pk=unconfirmed.pk).update(email="attente@example.fr")
    answers = []
    for email in ("inconnue@example.fr", "attente@example.fr", "connue@example.fr"):
        before = (LogEntry.objects.count(), RenewalRequest.objects.count(), len(mail.outbox))
        response = ask(client, email, django_capture_on_commit_callbacks)
        page = client.get(response.url)
        answers.append(
            (response.status_code, response.url, response.content, page.status_code,
             normalised(page.content))
        )  # fmt: skip
        if email == "inconnue@example.fr":
            # Nothing recorded, nothing sent for an address no account holds.
            after = (LogEntry.objects.count(), RenewalRequest.objects.count(), len(mail.outbox))
            assert after == before == (LogEntry.objects.count(), 0, 0)
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (302, DONE)
    body = answers[0][4].decode()
    assert "Si une adresse confirmée" in body and "demandez à l'enseignant" in body
    # The unconfirmed address: the request lands in the class teacher's renewal queue.
    request = RenewalRequest.objects.get()
    assert (request.account_id, request.status) == (unconfirmed.pk, "open")
    assert audit_events("renewal-requested") == [unconfirmed.pk]
    assert [m.to for m in mail.outbox] == [["ens.a1@ac-aix-marseille.fr"], ["connue@example.fr"]]
    assert unconfirmed.login not in mail.outbox[0].body
    assert audit_events("login-reminder-sent") == [known.pk]


def test_not_an_address_is_a_form_error_and_nothing_happens(
    client, synced, django_capture_on_commit_callbacks
):
    entries = LogEntry.objects.count()
    response = ask(client, "pas-une-adresse", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    assert LogEntry.objects.count() == entries
    assert (RenewalRequest.objects.count(), mail.outbox) == (0, [])


def test_rate_limited_per_typed_address_whatever_its_case(
    client, activated_parent, settings, django_capture_on_commit_callbacks
):
    settings.LOGIN_FORGOT_RATE_PER_EMAIL = "2/h"
    for email in ("famille@example.fr", "Famille@Example.fr"):
        assert ask(client, email, django_capture_on_commit_callbacks).status_code == 302
    assert len(mail.outbox) == 2
    mail.outbox.clear()
    entries = LogEntry.objects.count()
    response = ask(client, "FAMILLE@EXAMPLE.FR", django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert (mail.outbox, LogEntry.objects.count()) == ([], entries)
    # Another address from the same client is still served.
    assert ask(client, "autre@example.fr", django_capture_on_commit_callbacks).status_code == 302


def test_rate_limited_per_client_address_behind_the_proxy(
    client, activated_parent, settings, django_capture_on_commit_callbacks
):
    settings.LOGIN_FORGOT_RATE_PER_IP = "2/h"
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    proxied = {"REMOTE_ADDR": "10.0.0.1"}
    for index in range(2):
        email = f"x{index}@example.fr"
        response = ask(client, email, django_capture_on_commit_callbacks,
                       HTTP_X_FORWARDED_FOR="203.0.113.7", **proxied)  # fmt: skip
        assert response.status_code == 302
    refused = ask(client, "famille@example.fr", django_capture_on_commit_callbacks,
                  HTTP_X_FORWARDED_FOR="203.0.113.7", **proxied)  # fmt: skip
    assert refused.status_code == 429 and mail.outbox == []
    # Another client behind the same proxy is not held back by the first one's count.
    other = ask(client, "famille@example.fr", django_capture_on_commit_callbacks,
                HTTP_X_FORWARDED_FOR="198.51.100.9", **proxied)  # fmt: skip
    assert other.status_code == 302
    assert [m.to for m in mail.outbox] == [["famille@example.fr"]]
