"""The DPO's register: urgency, the detail page and its actions, the private attachment."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from entaix.tests import factories
from privacy.models import AccessExport, DataRequest, LegalHold
from privacy.tests.conftest import PDF, file_request

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def test_register_shows_overdue_and_due_soon_first(client, city_user, family):
    overdue = file_request(family, received_at=days_ago(40))
    soon = file_request(family, received_at=days_ago(26))
    later = file_request(family, received_at=days_ago(1))
    closed = file_request(family, received_at=days_ago(50))
    DataRequest.objects.filter(pk=closed.pk).update(status="answered", closed_at=timezone.now())
    client.force_login(city_user)
    response = client.get(reverse("privacy:request-list"))
    assert response.status_code == 200
    rows = [(r.pk, urgency) for r, urgency in response.context["rows"]]
    assert rows == [(overdue.pk, "overdue"), (soon.pk, "due-soon"), (later.pk, "")]
    html = response.content.decode()
    assert (
        html.count('class="urgency-overdue"') == 1 and html.count('class="urgency-due-soon"') == 1
    )
    closed_rows = client.get(reverse("privacy:request-list"), {"state": "closed"}).context["rows"]
    assert [r.pk for r, _u in closed_rows] == [closed.pk]


def test_register_list_has_a_constant_number_of_queries(client, city_user, family):
    agent = factories.UserFactory(login="agent.rgpd", kind="city")
    client.force_login(city_user)
    file_request(family)
    client.get(reverse("privacy:request-list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("privacy:request-list"))
    for _ in range(10):
        DataRequest.objects.filter(pk=file_request(family).pk).update(assignee=agent)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("privacy:request-list"))
    assert len(response.context["rows"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_detail_page_and_its_actions(client, city_user, family, django_capture_on_commit_callbacks):
    request = file_request(family)
    client.force_login(city_user)
    url = reverse("privacy:request-detail", args=[request.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["candidates"].state == "exact"
    assert request.reference in page.content.decode()

    def act(action, data=None):
        response = client.post(
            reverse("privacy:request-action", args=[request.pk]), {"action": action, **(data or {})}
        )
        assert response.status_code == 302 and response.url == url
        request.refresh_from_db()

    act("assign", {"assignee": city_user.pk})
    assert request.assignee == city_user
    act("subjects", {"guardian": family.mother.pk, "pupils": [family.lea.pk]})
    assert request.subjects.count() == 2 and request.status == "in-progress"
    # No export before the requester is verified (finding 1), then recorded from the page.
    act("export")
    assert AccessExport.objects.filter(request=request).count() == 0
    act("verify", {"method": "email-feed", "note": ""})
    assert request.subjects.get(role="requester").verification_method == "email-feed"
    with django_capture_on_commit_callbacks(execute=True):
        act("export")
    assert AccessExport.objects.filter(request=request).count() == 1
    act("note", {"text": "Appel de la mère"})
    assert request.notes.get().text == "Appel de la mère"
    # Closing needs an answer: refused with a message, nothing changes.
    act("close", {"status": "answered", "answer": ""})
    assert request.status == "in-progress"
    act("close", {"status": "answered", "answer": "Copie envoyée par lien."})
    assert request.status == "answered" and request.closed_at is not None
    history = client.get(url).context["history"]
    events = {e.additional_data.get("event") for e in history if e.additional_data}
    assert {
        "gdpr-request-received",
        "gdpr-request-assigned",
        "gdpr-request-subjects",
        "gdpr-requester-verified",
        "gdpr-request-note",
        "gdpr-request-handled",
    } <= events


def test_the_attachment_is_private(client, city_user, family):
    request = file_request(
        family, attachment=SimpleUploadedFile("x.pdf", PDF), attachment_type="application/pdf"
    )
    url = reverse("privacy:request-attachment", args=[request.pk])
    assert client.get(url).status_code == 302  # login first
    client.force_login(family.director.account)
    assert client.get(url).status_code == 403
    client.force_login(city_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{request.reference}.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    entry = LogEntry.objects.get(additional_data__event="gdpr-attachment-downloaded")
    assert (entry.actor, entry.object_id) == (city_user, request.pk)
    # No URL serves the private folder.
    assert client.get("/media/private/" + request.attachment.name).status_code == 404


def test_legal_hold_pages(client, city_user, family):
    client.force_login(city_user)
    response = client.post(
        reverse("privacy:hold-list"),
        {"person_kind": "pupil", "person_id": family.lea.pk, "reason": "Réquisition"},
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.pupil_id, hold.placed_by) == (family.lea.pk, city_user)
    again = client.post(
        reverse("privacy:hold-list"),
        {"person_kind": "pupil", "person_id": family.lea.pk, "reason": "Encore"},
    )
    assert again.status_code == 200 and LegalHold.objects.count() == 1
    client.post(reverse("privacy:hold-lift", args=[hold.pk]))
    hold.refresh_from_db()
    assert hold.lifted_at is not None and hold.lifted_by == city_user
