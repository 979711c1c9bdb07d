"""End to end: a real Celery worker builds the batch while the page, in a real headless Chromium,
follows the progress with our own script and then offers the download."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from accounts import services
from accounts.models import LetterBatch
from accounts.tasks import letter_batch_build_task
from accounts.tests.support import pdf_pages
from entaix.tests import factories
from imports.tests.flows.test_worker import stop, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]


def start_worker(queue: str, media: Path) -> subprocess.Popen:
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "entaix.settings.test",
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            settings_dict["USER"], settings_dict["HOST"] or "127.0.0.1",
            settings_dict["PORT"] or 5432, settings_dict["NAME"],
        ),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_QUEUE": queue,
        "MEDIA_ROOT": str(media),
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "entaix", "worker", "--pool=solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue,
         "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_worker_builds_while_the_page_polls_then_offers_the_download(
    live_server, page, settings, client
):
    school = factories.SchoolFactory(name="École Sextius")
    school_class = factories.SchoolClassFactory(school=school, name="CE1 A")
    for _ in range(3):
        pupil = factories.PupilFactory(school=school)
        factories.enrol(pupil, school_class)
        factories.link(pupil, factories.GuardianFactory(), legal=1)
    director = factories.make_director(school, account__login="dir.sextius").account
    services.account_sync()
    # Asked as the page does, but not enqueued yet (the command origin does not enqueue): the
    # page must first show a pending batch, then the worker gets the task.
    batch = services.letter_batch_request(
        actor=director, school=school, profile="guardian", origin=LetterBatch.Origin.COMMAND
    )
    client.force_login(director)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value,
          "url": live_server.url}]
    )  # fmt: skip
    page.goto(f"{live_server.url}/comptes/lettres/lots/{batch.pk}/")
    assert page.locator("[data-batch-status]").inner_text() == "en attente"
    assert page.locator("[data-batch-refresh]").is_hidden()  # the script polls instead

    queue = f"entaix-test-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue, Path(settings.MEDIA_ROOT))
    try:
        letter_batch_build_task.apply_async([batch.pk], queue=queue)
        built = wait_for(
            lambda: LetterBatch.objects.get(pk=batch.pk).status != "pending", timeout=90
        )
        assert built, worker.stderr.read1().decode() if worker.poll() is not None else "timeout"
        link = page.locator("a[href*='/pdf/']")
        link.wait_for(timeout=30_000)  # the script saw the end and reloaded the page
    finally:
        stop(worker)
    batch.refresh_from_db()
    assert (batch.status, batch.count, batch.attempts) == ("done", 3, 1)
    assert page.locator("[data-batch-status]").inner_text() == "imprimé"
    with page.expect_download() as download:
        link.click()
    pages = pdf_pages(Path(download.value.path()).read_bytes())
    assert len(pages) == 4 and "CE1 A" in pages[0]
