import re

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.models import RenewalRequest, User
from accounts.tests.support import audit_events, codes_in, pdf_pages
from entaix.tests.factories import PASSWORD, account, guardian_of

pytestmark = pytest.mark.django_db

DONE = "/mot-de-passe-oublie/envoye/"


def ask(client, identifier, capture):
    with capture(execute=True):
        return client.post(reverse("account:password-forgot"), {"identifier": identifier})


@pytest.fixture
def activated_parent(synced):
    """A guardian of class A0 who activated their account and confirmed an e-mail."""
    user = account(guardian_of(synced["a"]["pupils"][0]))
    user.set_password(PASSWORD)
    user.activated_at = user.email_confirmed_at = timezone.now()
    user.email = "famille@example.fr"
    user.save()
    return user


def test_confirmed_email_gets_a_single_use_link(
    client, activated_parent, django_capture_on_commit_callbacks
):
    response = ask(client, activated_parent.login, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == DONE
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["famille@example.fr"]
    assert activated_parent.first_name not in mail.outbox[0].body
    link = re.search(r"http://localhost:8000(/mot-de-passe-oublie/\S+/)", mail.outbox[0].body)[1]
    assert RenewalRequest.objects.count() == 0
    assert audit_events("recovery-link-sent") == [activated_parent.pk]

    landing = client.get(link)
    assert landing.status_code == 302  # the token moves to the session, out of the URL
    new = "Olivier-Bleu-Puyricard-7"
    done = client.post(landing.url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.url == "/mon-compte/"
    activated_parent.refresh_from_db()
    assert activated_parent.check_password(new)
    assert audit_events("recovery-password-set") == [activated_parent.pk]
    client.logout()
    again = client.get(link, follow=True)
    assert again.context["validlink"] is False


def test_confirmed_email_works_as_identifier(
    client, activated_parent, django_capture_on_commit_callbacks
):
    response = ask(client, "FAMILLE@example.fr", django_capture_on_commit_callbacks)
    assert response.url == DONE
    assert [m.to for m in mail.outbox] == [["famille@example.fr"]]


def test_unconfirmed_email_is_not_used(
    client, activated_parent, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=activated_parent.pk).update(email_confirmed_at=None)
    assert ask(client, "famille@example.fr", django_capture_on_commit_callbacks).url == DONE
    assert mail.outbox == []
    assert RenewalRequest.objects.count() == 0  # an e-mail names no account until confirmed


def test_without_email_the_request_lands_in_the_childs_teachers_queue(
    client, synced, django_capture_on_commit_callbacks
):
    pupil = synced["a"]["pupils"][0]  # class A0
    parent = account(guardian_of(pupil))
    response = ask(client, parent.login, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == DONE
    request = RenewalRequest.objects.get()
    assert (request.account_id, request.status) == (parent.pk, "open")
    # E-mailed to the class teacher only (not the director, not other classes' teachers).
    assert [m.to for m in mail.outbox] == [["ens.a0@ac-aix-marseille.fr"]]
    assert parent.login not in mail.outbox[0].body and pupil.first_name not in mail.outbox[0].body
    assert audit_events("renewal-requested") == [parent.pk]

    def queue(person):
        return list(selectors.renewal_requests_for_user(user=person.account))

    assert queue(synced["a"]["teachers"][0]) == [request]
    assert queue(synced["a"]["director"]) == [request]
    assert queue(synced["a"]["teachers"][1]) == []
    assert queue(synced["b"]["director"]) == []
    # Asking again adds no second request and no second e-mail.
    ask(client, parent.login, django_capture_on_commit_callbacks)
    assert RenewalRequest.objects.count() == 1 and len(mail.outbox) == 1


def test_a_pupils_request_goes_to_their_teacher_a_teachers_to_the_director(
    client, synced, django_capture_on_commit_callbacks
):
    pupil = account(synced["b"]["pupils"][3])  # class B1
    ask(client, pupil.login, django_capture_on_commit_callbacks)
    teacher = synced["b"]["teachers"][1].account
    ask(client, teacher.login, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [
        ["ens.b1@ac-aix-marseille.fr"],
        ["dir.b@ac-aix-marseille.fr"],
    ]
    assert RenewalRequest.objects.filter(account__in=[pupil, teacher]).count() == 2


def test_a_guardian_with_children_in_two_classes_goes_to_the_director(
    client, synced, django_capture_on_commit_callbacks
):
    """Neither teacher may hand a slip reaching the other's class: the director is asked."""
    from entaix.tests import factories

    first, second = synced["a"]["pupils"][0], synced["a"]["pupils"][2]  # classes A0 and A1
    parent = account(guardian_of(first))
    factories.link(second, guardian_of(first))
    ask(client, parent.login, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["dir.a@ac-aix-marseille.fr"]]
    request = RenewalRequest.objects.get(account=parent)
    client.force_login(synced["a"]["teachers"][0].account)
    assert list(client.get(reverse("accounts:renewal-list")).context["requests"]) == []
    client.force_login(synced["a"]["director"].account)
    assert list(client.get(reverse("accounts:renewal-list")).context["requests"]) == [request]


def test_unknown_login_gets_the_same_answer_and_nothing_happens(
    client, synced, django_capture_on_commit_callbacks
):
    entries = LogEntry.objects.count()
    response = ask(client, "personne.inconnue", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == DONE
    assert RenewalRequest.objects.count() == 0
    assert LogEntry.objects.count() == entries
    assert mail.outbox == []


def test_forgot_page_is_rate_limited(client, synced, settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_FORGOT_RATE_PER_LOGIN = "2/h"
    parent = account(guardian_of(synced["a"]["pupils"][0]))
    RenewalRequest.objects.create(account=parent, status="cancelled")
    for _ in range(2):
        assert ask(client, parent.login, django_capture_on_commit_callbacks).status_code == 302
    RenewalRequest.objects.filter(status="open").delete()
    mail.outbox.clear()
    assert ask(client, parent.login.upper(), django_capture_on_commit_callbacks).status_code == 429
    assert RenewalRequest.objects.filter(status="open").count() == 0
    assert mail.outbox == []


def test_teacher_prints_the_renewal_slip(client, synced, django_capture_on_commit_callbacks):
    parent = account(guardian_of(synced["a"]["pupils"][0]))
    parent.set_password(PASSWORD)
    parent.activated_at = timezone.now()
    parent.save()
    ask(client, parent.login, django_capture_on_commit_callbacks)
    request = RenewalRequest.objects.get()

    # The teacher of the other class cannot print it: 404, nothing changes.
    client.force_login(synced["a"]["teachers"][1].account)
    refused = client.post(reverse("accounts:renewal-print"), {"ids": [request.pk]})
    assert refused.status_code == 404
    request.refresh_from_db()
    parent.refresh_from_db()
    assert request.status == "open" and parent.check_password(PASSWORD)

    client.force_login(synced["a"]["teachers"][0].account)
    page = client.get(reverse("accounts:renewal-list"))
    assert list(page.context["requests"]) == [request]
    response = client.post(reverse("accounts:renewal-print"), {"ids": [request.pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store, private"
    [text] = pdf_pages(response.content)
    assert parent.login in text
    [code] = codes_in(text)
    request.refresh_from_db()
    parent.refresh_from_db()
    assert (request.status, request.handled_by_id) == (
        "done",
        synced["a"]["teachers"][0].account_id,
    )
    assert not parent.has_usable_password() and parent.activated_at is None
    assert selectors.account_for_activation(login=parent.login, code=code) == parent
    assert audit_events("renewal-slip-printed") == [parent.pk]
    assert audit_events("reset") == [parent.pk]


def test_when_one_teacher_hands_the_slip_the_others_are_told_and_see_who(
    client, synced, django_capture_on_commit_callbacks
):
    """Both children's teachers were e-mailed; the second found an empty queue (issue 20)."""
    from entaix.tests import factories
    from schools.models import StaffClass

    first, second = synced["a"]["pupils"][0], synced["a"]["pupils"][1]  # both in class A0
    parent = account(guardian_of(first))
    factories.link(second, guardian_of(first))
    # Class A0 has a second teacher: both may hand the slip, both are told.
    StaffClass.objects.create(
        staff=synced["a"]["teachers"][1], school_class=synced["a"]["classes"][0]
    )
    ask(client, parent.login, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ens.a0@ac-aix-marseille.fr",
        "ens.a1@ac-aix-marseille.fr",
    ]
    request = RenewalRequest.objects.get()
    mail.outbox.clear()

    handler = synced["a"]["teachers"][0].account
    client.force_login(handler)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:renewal-print"), {"ids": [request.pk]})
    assert response["Content-Type"] == "application/pdf"
    # The other teacher is told it is done; the one who did it is not.
    assert [m.to for m in mail.outbox] == [["ens.a1@ac-aix-marseille.fr"]]
    assert "ens.a0" in mail.outbox[0].body  # who handled it (their login, never a family name)
    assert parent.login not in mail.outbox[0].body and parent.last_name not in mail.outbox[0].body

    client.force_login(synced["a"]["teachers"][1].account)
    page = client.get(reverse("accounts:renewal-list"))
    assert list(page.context["requests"]) == []
    assert [(r.pk, r.handled_by.login) for r in page.context["handled"]] == [
        (request.pk, handler.login)
    ]
    assert "Déjà traitées" in page.content.decode()
    # Out of scope, nothing shows: the other school's director sees neither list.
    client.force_login(synced["b"]["director"].account)
    page = client.get(reverse("accounts:renewal-list"))
    assert list(page.context["handled"]) == []
