"""The public request form: reference and acknowledgement, attachments, spam limits."""

import datetime
import os

import pytest
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from entaix.tests.factories import account
from privacy.models import DataRequest
from privacy.tests.conftest import PDF, PNG

pytestmark = pytest.mark.django_db
URL = "/donnees-personnelles/demande/"


def form_data(family, **overrides):
    data = {
        "requester_name": "Aïssatou N'Diaye",
        "requester_email": "Aissatou@Example.fr",
        "requester_phone": "",
        "relation": "parent",
        "kind": "access",
        "child_first_name": "Léa",
        "child_last_name": "N'Diaye",
        "child_birth_date": "2018-03-04",
        "school": family.school.pk,
        "message": "",
        "website": "",
    }
    data.update(overrides)
    return data


def stored_files(private_dirs) -> list[str]:
    root = private_dirs / "media"
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _s, files in os.walk(root) for f in files
    )


def test_urls():
    assert reverse("privacy:request-create") == URL
    assert reverse("privacy:request-list") == "/rgpd/"


def test_valid_request_gets_a_reference_and_an_acknowledgement(
    client, family, private_dirs, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level("INFO")
    upload = SimpleUploadedFile("carte-identite-NDiaye.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**form_data(family), "attachment": upload})
    assert response.status_code == 302
    assert response.url == "/donnees-personnelles/demande/envoyee/"
    request = DataRequest.objects.get()
    assert request.reference.startswith(f"RGPD-{request.received_on.year}-")
    assert len(request.reference) == 16
    assert request.kind == "access" and request.status == "received"
    assert request.requester_email == "Aissatou@example.fr"
    assert (request.child_first_name, request.child_last_name) == ("Léa", "N'Diaye")
    assert request.child_birth_date == datetime.date(2018, 3, 4)
    assert request.school == family.school
    assert request.submitted_by is None
    assert request.acknowledged_at is not None
    # The attachment is stored privately under a random name, never the uploaded one.
    assert request.attachment_type == "application/pdf" and request.attachment_size == len(PDF)
    files = stored_files(private_dirs)
    assert len(files) == 1 and files[0].startswith("private/gdpr/requests/")
    assert "NDiaye" not in files[0] and files[0].endswith(".pdf")
    assert (private_dirs / "media" / files[0]).stat().st_mode & 0o777 == 0o600

    done = client.get(response.url)
    assert done.context["reference"] == request.reference
    assert request.reference in done.content.decode()

    assert [m.to for m in mail.outbox] == [["Aissatou@example.fr"], ["dpo@mairie-aixenprovence.fr"]]
    acknowledgement = mail.outbox[0]
    assert request.reference in acknowledgement.subject
    assert request.reference in acknowledgement.body
    # The address was typed on a public form: the child is never named in the e-mail.
    assert "Léa" not in acknowledgement.body and "Diaye" not in acknowledgement.body
    assert f"/rgpd/demandes/{request.pk}/" in mail.outbox[1].body
    # Logs carry ids only.
    assert f"data request {request.pk} received" in caplog.text
    for value in ("Léa", "Diaye", "Aissatou", "aissatou", request.reference):
        assert value not in caplog.text
    assert (
        LogEntry.objects.filter(
            additional_data__event="gdpr-request-received", object_id=request.pk
        ).count()
        == 1
    )


def test_due_date_is_one_calendar_month_after_receipt(client, family):
    client.post(URL, form_data(family))
    request = DataRequest.objects.get()
    assert request.due_on == request.received_on + relativedelta(months=1)


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("scan.pdf", b"%PDF-1.4" + b"0" * (5 * 1024 * 1024), "too-large"),
        ("scan.pdf", b"MZ\x90\x00 not a pdf at all", "type"),
        ("photo.heic", PNG, "type"),
        ("page.html", b"<html><script>alert(1)</script></html>", "type"),
    ],
)
def test_oversized_or_wrong_type_attachment_is_refused_and_nothing_is_stored(
    client, family, private_dirs, django_capture_on_commit_callbacks, name, content, error
):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**form_data(family), "attachment": upload})
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["attachment"]
    assert [e.code for e in errors] == [error]
    # The message is shown next to the field and in the summary.
    assert escape(errors[0].messages[0]) in response.content.decode()
    assert DataRequest.objects.count() == 0
    assert stored_files(private_dirs) == []
    assert mail.outbox == []
    assert not LogEntry.objects.filter(additional_data__event="gdpr-request-received").exists()


def test_a_png_is_accepted(client, family, private_dirs):
    upload = SimpleUploadedFile("photo.PNG", PNG, content_type="image/png")
    assert client.post(URL, {**form_data(family), "attachment": upload}).status_code == 302
    assert DataRequest.objects.get().attachment_type == "image/png"
    assert stored_files(private_dirs)[0].endswith(".png")


def test_parents_must_name_the_child_and_other_requests_need_details(client, family):
    response = client.post(
        URL,
        form_data(family, child_first_name="", child_birth_date="", kind="opposition", message=""),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "child_first_name",
        "child_birth_date",
        "message",
    }
    assert DataRequest.objects.count() == 0


def test_the_honeypot_refuses_robots(client, family):
    response = client.post(URL, form_data(family, website="http://spam.example"))
    assert response.status_code == 200
    assert DataRequest.objects.count() == 0 and mail.outbox == []


def test_form_is_rate_limited_per_address(
    client, family, settings, django_capture_on_commit_callbacks
):
    settings.GDPR_REQUEST_RATE_PER_IP = "2/h"
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert client.post(URL, form_data(family)).status_code == 302
        blocked = client.post(URL, form_data(family))
    assert blocked.status_code == 429
    assert DataRequest.objects.count() == 2
    assert len(mail.outbox) == 4  # two acknowledgements, two DPO notices; none for the third
    # Another address is not blocked.
    assert client.post(URL, form_data(family), REMOTE_ADDR="10.1.2.3").status_code == 302


def test_a_logged_in_guardian_finds_the_form_filled_in(client, family):
    mother = account(family.mother)
    mother.email = "aissatou@example.fr"
    mother.save()
    # Two children: the child is left for the parent to type.
    client.force_login(mother)
    initial = client.get(URL).context["form"].initial
    assert initial == {
        "requester_name": "Aïssatou N'Diaye",
        "requester_email": "aissatou@example.fr",
        "relation": "parent",
    }
    response = client.post(URL, form_data(family))
    assert response.status_code == 302
    assert DataRequest.objects.get().submitted_by == mother


def test_a_guardian_with_one_child_gets_the_child_filled_in(client, family):
    father = account(family.father)
    client.force_login(father)
    initial = client.get(URL).context["form"].initial
    assert initial["child_first_name"] == "Léa" and initial["child_last_name"] == "N'Diaye"
    assert initial["child_birth_date"] == datetime.date(2018, 3, 4)
    assert initial["school"] == family.school.pk


def test_privacy_notice_names_the_cnil(client, db):
    response = client.get("/donnees-personnelles/")
    assert response.status_code == 200
    notice = response.context["notice"]
    assert notice["cnil"]["website"] == "https://www.cnil.fr"
    assert notice["cnil"]["address"] == "3 Place de Fontenoy, TSA 80715, 75334 Paris Cedex 07"
    assert "https://www.cnil.fr" in response.content.decode()
