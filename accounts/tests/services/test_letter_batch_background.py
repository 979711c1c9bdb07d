"""The batch built in the background: progress, the printed record only once the PDF exists,
a retry that issues no code twice, the private file behind an expiring link, the purge."""

import datetime
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ActivationCode, LetterBatch
from accounts.tests.support import audit_events, pdf_pages

pytestmark = pytest.mark.django_db


def request_batch(director, school, **options) -> LetterBatch:
    """Asked, not built: outside django_capture_on_commit_callbacks the task is not enqueued."""
    return services.letter_batch_request(
        actor=director, school=school, profile=options.pop("profile", "guardian"), **options
    )


def messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def private_files(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "private" / "letters"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_failed_batch_prints_nothing_and_its_retry_issues_no_code_twice(
    synced, client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    a = synced["a"]
    director = a["director"].account
    batch = request_batch(director, a["school"])
    real = services.letter_batch_render

    def broken(*args, **kwargs):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(services, "letter_batch_render", broken)
    failed = services.letter_batch_build(batch_id=batch.pk)
    assert (failed.status, failed.error, failed.attempts, failed.printed_at) == (
        "failed", "RuntimeError", 1, None,
    )  # fmt: skip
    # Codes were issued (and kept for the retry), but none is recorded as printed.
    issued = dict(ActivationCode.objects.values_list("account_id", "digest"))
    assert len(issued) == 4
    assert not ActivationCode.objects.filter(printed_at__isnull=False).exists()
    assert audit_events("code-issued") == sorted(issued)
    assert audit_events("letter-printed") == []
    assert private_files(settings) == [] and not failed.file

    client.force_login(director)
    page = client.get(reverse("accounts:letter-batch", args=[batch.pk]))
    assert "Le lot a échoué" in page.content.decode()
    monkeypatch.setattr(services, "letter_batch_render", real)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:letter-batch-retry", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.count, batch.error) == ("done", 2, 4, "")
    assert dict(ActivationCode.objects.values_list("account_id", "digest")) == issued
    assert audit_events("code-issued") == sorted(issued)  # once each, not twice
    assert audit_events("code-regenerated") == []
    assert audit_events("letter-printed") == sorted(issued)
    assert ActivationCode.objects.filter(printed_at=batch.printed_at).count() == 4
    assert len(private_files(settings)) == 1

    # A done batch is neither retried nor built again (a task delivered twice).
    entries = LogEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:letter-batch-retry", args=[batch.pk]))
    assert services.letter_batch_build(batch_id=batch.pk).attempts == 2
    assert LogEntry.objects.count() == entries and len(private_files(settings)) == 1


def test_a_batch_whose_worker_died_is_taken_up_by_the_redelivered_task(synced, settings):
    a = synced["a"]
    batch = request_batch(a["director"].account, a["school"])
    started = timezone.now() - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT - 60)
    LetterBatch.objects.filter(pk=batch.pk).update(status="running", started_at=started)
    # Still within a task's lifetime: another worker may be building it; left alone.
    assert services.letter_batch_build(batch_id=batch.pk).status == "running"
    assert audit_events("code-issued") == []
    LetterBatch.objects.filter(pk=batch.pk).update(
        started_at=started - datetime.timedelta(seconds=120)
    )
    batch = services.letter_batch_build(batch_id=batch.pk)
    assert (batch.status, batch.count, batch.attempts) == ("done", 4, 1)


def test_progress_page_status_and_expiring_download(
    synced, client, settings, django_capture_on_commit_callbacks
):
    a, b = synced["a"], synced["b"]
    director = a["director"].account
    batch = request_batch(director, a["school"], layout="slips")
    client.force_login(director)
    url = reverse("accounts:letter-batch", args=[batch.pk])
    status_url = reverse("accounts:letter-batch-status", args=[batch.pk])
    page = client.get(url).content.decode()
    assert f'data-status-url="{status_url}"' in page
    assert "Actualiser pour voir l'avancement" in page and "js/letter_batch.js" in page
    status = client.get(status_url)
    assert status["Cache-Control"] == "no-store, private"
    assert status.json() == {
        "status": "pending", "status_label": "en attente", "progress": 0, "count": 4,
        "percent": 0, "finished": False,
    }  # fmt: skip

    services.letter_batch_build(batch_id=batch.pk)
    assert client.get(status_url).json()["finished"] is True
    context = client.get(url).context
    link = context["download_url"]
    assert link.startswith(f"/comptes/lettres/lots/{batch.pk}/pdf/")
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store, private"
    assert len(pdf_pages(b"".join(response.streaming_content))) == 2 + 2

    # Only who asked: another director, even the same link, gets a 404; so does a forged link.
    client.force_login(b["director"].account)
    for target in (link, url, status_url):
        assert client.get(target).status_code == 404
    client.force_login(director)
    assert client.get(link[:-3] + "abc/").status_code == 404

    # After LETTER_BATCH_KEEP_HOURS the purge deletes the file; the link is dead.
    batch.refresh_from_db()
    assert services.letter_batches_purge(now=batch.expires_at - datetime.timedelta(seconds=1)) == 0
    assert services.letter_batches_purge(now=batch.expires_at) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.file.name) == ("expired", "")
    assert private_files(settings) == []
    assert client.get(link).status_code == 404
    assert "Le fichier a été supprimé" in client.get(url).content.decode()


def test_school_page_asks_a_batch_and_refuses_with_a_message(
    synced, client, django_capture_on_commit_callbacks
):
    a, b = synced["a"], synced["b"]
    director = a["director"].account
    client.force_login(director)
    page = client.get(reverse("accounts:school-letters", args=[a["school"].uai]))
    assert page.status_code == 200
    assert [c.pk for c in page.context["form"].fields["school_class"].queryset] == [
        c.pk for c in sorted(a["classes"], key=lambda c: c.name)
    ]
    assert client.get(reverse("accounts:school-letters", args=[b["school"].uai])).status_code == 404
    data = {"school": a["school"].uai, "profile": "guardian", "filter": "not-activated",
            "layout": "letter", "school_class": "", "next": "/comptes/"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:letter-batch-request"), data)
    batch = LetterBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("accounts:letter-batch", args=[batch.pk])
    assert (batch.status, batch.count, batch.kind) == ("done", 4, "school")

    # Another school's UAI: 404; a batch that selects nobody: a message, nothing written.
    assert client.post(reverse("accounts:letter-batch-request"),
                       {**data, "school": b["school"].uai}).status_code == 404  # fmt: skip
    entries = LogEntry.objects.count()
    response = client.post(reverse("accounts:letter-batch-request"),
                           {**data, "filter": "not-printed"}, follow=True)  # fmt: skip
    assert messages(response) == ["Personne dans ce lot n'a besoin d'une lettre."]
    assert LetterBatch.objects.count() == 1 and LogEntry.objects.count() == entries
    # A teacher prints their class from the class page, not the whole school.
    teacher = a["teachers"][0].account
    client.force_login(teacher)
    class_page = client.get(reverse("accounts:class-accounts", args=[a["classes"][0].pk]))
    assert f'name="school_class" value="{a["classes"][0].pk}"' in class_page.content.decode()
    response = client.post(reverse("accounts:letter-batch-request"), data, follow=True)
    assert messages(response) == [
        "Seul le directeur ou la directrice imprime les lettres de toute l'école."
    ]
    assert LetterBatch.objects.count() == 1
