"""Staff resets and activation letters, scoped: a teacher their classes, a director their school,
city staff every school."""

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import selectors, services
from accounts.models import ActivationCode, LetterBatch, User
from accounts.tests.support import audit_events, codes_in, pdf_pages
from entaix.tests import factories
from entaix.tests.factories import PASSWORD, account, add_guardian, guardian_of
from schools.models import GuardianLink

pytestmark = pytest.mark.django_db


def activate(user: User) -> User:
    user.set_password(PASSWORD)
    user.activated_at = timezone.now()
    user.save()
    return user


def snapshot():
    return (
        list(User.objects.order_by("pk").values_list("pk", "password", "activated_at")),
        list(ActivationCode.objects.order_by("pk").values_list("pk", "digest")),
        LogEntry.objects.count(),
        LetterBatch.objects.count(),
    )


def class_letters(client, capture, school_class, audience="guardian") -> bytes:
    """The class's letters: a batch built in the background (eagerly here), then its PDF."""
    with capture(execute=True):
        response = client.post(
            reverse("accounts:class-letters", args=[school_class.pk]), {"audience": audience}
        )
    batch = LetterBatch.objects.order_by("pk").last()
    assert response.status_code == 302
    assert response.url == reverse("accounts:letter-batch", args=[batch.pk])
    download = client.get(client.get(response.url).context["download_url"])
    assert download["Content-Type"] == "application/pdf"
    return b"".join(download.streaming_content)


def reset(client, *accounts):
    """The reset, confirmed (the first post only asks to confirm)."""
    ids = [a.pk for a in accounts]
    return client.post(reverse("accounts:account-reset"), {"ids": ids, "confirm": "1"})


def test_reset_asks_to_confirm_first_saying_how_many_are_activated(client, synced):
    """It acted at once, even on activated accounts (issue 20)."""
    parent = activate(account(guardian_of(synced["a"]["pupils"][0])))
    teacher = activate(synced["a"]["teachers"][1].account)
    pending = account(guardian_of(synced["a"]["pupils"][1]))
    client.force_login(synced["a"]["director"].account)
    before = snapshot()
    ids = [parent.pk, teacher.pk, pending.pk]
    response = client.post(reverse("accounts:account-reset"), {"ids": ids})
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/reset_confirm.html"
    assert snapshot() == before  # nothing reset, no audit entry, no code
    html = response.content.decode()
    assert "3 comptes vont être réinitialisés." in html
    assert "2 d'entre eux sont activés : leurs titulaires seront déconnectés" in html
    assert html.count('name="ids"') == 3
    assert '<button type="submit" class="primary" name="confirm" value="1">' in html
    assert [a.pk for a in response.context["accounts"]] == sorted(ids)

    confirmed = client.post(reverse("accounts:account-reset"), {"ids": ids, "confirm": "1"})
    assert confirmed.status_code == 302
    assert audit_events("reset") == sorted(ids)


def test_director_resets_accounts_of_their_school(client, synced):
    parent = activate(account(guardian_of(synced["a"]["pupils"][0])))
    teacher = activate(synced["a"]["teachers"][1].account)
    client.force_login(synced["a"]["director"].account)
    response = reset(client, parent, teacher)
    assert response.status_code == 302
    first, second = sorted([parent.pk, teacher.pk])
    assert response.url == f"/comptes/reinitialises/?ids={first}&ids={second}"
    for user in (parent, teacher):
        user.refresh_from_db()
        assert not user.has_usable_password()
        assert user.activated_at is None
        assert ActivationCode.objects.filter(account=user).exists()
    assert audit_events("reset") == sorted([parent.pk, teacher.pk])
    assert audit_events("code-issued") == sorted([parent.pk, teacher.pk])
    entry = LogEntry.objects.filter(additional_data__event="reset").first()
    assert entry.actor_id == synced["a"]["director"].account_id

    done = client.get(response.url)
    assert [a.pk for a in done.context["accounts"]] == sorted([parent.pk, teacher.pk])
    letters = client.post(reverse("accounts:letter-batch-create"), {"ids": [parent.pk, teacher.pk]})
    assert letters["Content-Type"] == "application/pdf"
    assert len(pdf_pages(letters.content)) == 2


def test_director_cannot_reset_in_another_school(client, synced):
    inside = activate(account(guardian_of(synced["a"]["pupils"][0])))
    outside = activate(account(guardian_of(synced["b"]["pupils"][0])))
    client.force_login(synced["a"]["director"].account)
    before = snapshot()
    assert reset(client, outside).status_code == 404
    # One id out of scope spoils the whole request: the in-scope account is not reset either.
    assert reset(client, inside, outside).status_code == 404
    assert reset(client, inside, User.objects.get(login="dir.b")).status_code == 404
    assert snapshot() == before
    inside.refresh_from_db()
    assert inside.check_password(PASSWORD)


def test_teacher_resets_only_their_classes_pupils_and_guardians(client, synced):
    teacher = synced["a"]["teachers"][0]
    own_pupil = account(synced["a"]["pupils"][0])
    other_class_pupil = account(synced["a"]["pupils"][2])
    client.force_login(teacher.account)
    before = snapshot()
    assert reset(client, other_class_pupil).status_code == 404
    assert reset(client, synced["a"]["director"].account).status_code == 404  # never staff
    assert reset(client, teacher.account).status_code == 404  # nor oneself
    assert snapshot() == before
    assert (
        reset(client, own_pupil, account(guardian_of(synced["a"]["pupils"][1]))).status_code == 302
    )
    assert len(audit_events("reset")) == 2


def test_city_staff_reset_anywhere_and_others_are_refused(client, synced, city_user):
    parent = activate(account(guardian_of(synced["b"]["pupils"][3])))
    client.force_login(city_user)
    assert reset(client, parent).status_code == 302
    parent.refresh_from_db()
    assert not parent.has_usable_password()

    client.force_login(parent)  # a guardian has no staff pages
    assert reset(client, parent).status_code == 403
    assert client.get(reverse("accounts:account-index")).status_code == 403
    client.logout()
    assert client.get(reverse("accounts:account-index")).status_code == 302


def test_class_letters_one_page_per_guardian_with_authority(
    client, synced, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    school_class = synced["a"]["classes"][0]
    pupils = synced["a"]["pupils"][:2]  # the class's two pupils
    second = add_guardian(pupils[0], legal=2, first_name="Julie")
    add_guardian(pupils[1], legal=0, contact=True, first_name="Tata")  # a contact: no letter
    services.account_sync()
    guardians = [
        link.guardian
        for link in GuardianLink.objects.filter(pupil__in=pupils, legal__gt=0).order_by("pk")
    ]
    assert len(guardians) == 3 and second in guardians
    client.force_login(synced["a"]["teachers"][0].account)

    pages = pdf_pages(class_letters(client, django_capture_on_commit_callbacks, school_class))
    assert len(pages) == 1 + 3  # the class's cover, then the letters
    text = "\n".join(pages)
    for guardian in guardians:
        assert account(guardian).login in text
    assert "Tata" not in text
    assert "École A" in text  # accents survive the PDF fonts
    assert school_class.name in text

    batch = LetterBatch.objects.get()
    assert (batch.kind, batch.profile, batch.status, batch.count) == (
        "class", "guardian", "done", 3,
    )  # fmt: skip
    assert batch.requested_by_id == synced["a"]["teachers"][0].account_id
    assert batch.school_class_id == school_class.pk
    assert audit_events("letter-printed") == sorted(account(g).pk for g in guardians)
    assert LogEntry.objects.filter(additional_data__batch=batch.pk).count() == 3


def test_reprint_shows_the_same_code_until_activation(
    client, synced, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    school_class = synced["a"]["classes"][0]
    client.force_login(synced["a"]["director"].account)

    def print_codes(audience="guardian"):
        content = class_letters(client, django_capture_on_commit_callbacks, school_class, audience)
        return [codes_in(page)[0] for page in pdf_pages(content)[1:]]  # after the cover

    first = print_codes()
    assert len(first) == 2
    assert print_codes() == first
    # Codes never reach the database, the batches or the audit trail in clear.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_activationcode")
        stored = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM accounts_letterbatch")
        stored += repr(cursor.fetchall())
    stored += repr(list(LogEntry.objects.values()))
    for code in first:
        assert code not in stored and code.replace("-", "") not in stored

    # Activating one account takes it off the next print; the other keeps its code.
    parent = account(guardian_of(synced["a"]["pupils"][0]))
    services.account_activate(
        login=parent.login, code=first[0], password=PASSWORD, terms_version="2026-09"
    )
    assert print_codes() == first[1:]
    assert len(print_codes("pupil")) == 2


def test_regenerate_invalidates_the_old_code(synced):
    parent = account(guardian_of(synced["a"]["pupils"][0]))
    old = services.activation_code_regenerate(account=parent)
    new = services.activation_code_regenerate(account=parent)
    assert old != new
    assert selectors.account_for_activation(login=parent.login, code=old) is None
    assert selectors.account_for_activation(login=parent.login, code=new) == parent
    assert audit_events("code-issued") == [parent.pk]
    assert audit_events("code-regenerated") == [parent.pk]


def test_letters_out_of_scope_are_404_and_nothing_is_printed(client, synced):
    client.force_login(synced["a"]["director"].account)
    before = snapshot()
    other_class = synced["b"]["classes"][0]
    url = reverse("accounts:class-letters", args=[other_class.pk])
    assert client.post(url, {"audience": "guardian"}).status_code == 404
    outsider = account(guardian_of(synced["b"]["pupils"][0]))
    response = client.post(reverse("accounts:letter-batch-create"), {"ids": [outsider.pk]})
    assert response.status_code == 404
    assert client.get(reverse("accounts:class-accounts", args=[other_class.pk])).status_code == 404
    assert snapshot() == before


def test_nothing_to_print_is_a_message_not_a_pdf(client, synced):
    parent = activate(account(guardian_of(synced["a"]["pupils"][0])))
    client.force_login(synced["a"]["director"].account)
    before = snapshot()
    response = client.post(
        reverse("accounts:letter-batch-create"),
        {"ids": [parent.pk], "next": "/comptes/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302 and response.url == "/comptes/"
    assert snapshot() == before


def test_class_page_lists_pupils_and_guardians_with_a_fixed_number_of_queries(client, synced):
    school_class = synced["a"]["classes"][0]
    client.force_login(synced["a"]["teachers"][0].account)
    url = reverse("accounts:class-accounts", args=[school_class.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries.captured_queries)

    small = count()
    for _ in range(5):
        pupil = factories.PupilFactory(school=synced["a"]["school"])
        factories.enrol(pupil, school_class)
        add_guardian(pupil)
    services.account_sync()
    assert count() == small
    response = client.get(url)
    assert len(response.context["pupils"]) == 7
    assert response.context["pupils"][0].account.activation_state == "no-code"


def test_staff_menu_shows_accounts_and_renewal_requests(client, synced):
    client.force_login(synced["a"]["teachers"][0].account)
    items = [url for url, _label in client.get(reverse("account:detail")).context["nav_items"]]
    assert "/comptes/" in items and "/comptes/renouvellements/" in items and "/mon-compte/" in items
    client.force_login(account(guardian_of(synced["a"]["pupils"][0])))
    items = [url for url, _label in client.get(reverse("account:detail")).context["nav_items"]]
    assert items == ["/", "/mon-compte/"]
