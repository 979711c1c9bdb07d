"""End to end with a real Celery worker process on Redis: SFTP → worker → PostgreSQL."""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from devtools import feedgen
from entaix.celery import app as celery_app
from imports import services
from imports.models import ImportRun
from imports.tasks import aaf_fetch_task, import_run_execute_task
from imports.tests.flows.test_fetch import deliver
from schools.models import Guardian, GuardianLink, Pupil, School, Staff
from schools.tests.factories import SchoolFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def queue(settings):
    """A queue of our own, so no stale message of another run reaches this worker."""
    name = f"entaix-test-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield name
    celery_app.conf.task_always_eager = previous


def start_worker(queue, server, inbox) -> subprocess.Popen:
    config = server.config
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "entaix.settings.test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{**connection.settings_dict, "HOST": connection.settings_dict["HOST"] or "127.0.0.1",
               "PORT": connection.settings_dict["PORT"] or 5432}
        ),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_QUEUE": queue,
        "SFTP_HOST": config.host,
        "SFTP_PORT": str(config.port),
        "SFTP_USER": config.user,
        "SFTP_KEY_PATH": str(config.key_path),
        "SFTP_KNOWN_HOSTS": str(config.known_hosts),
        "SFTP_REMOTE_DIR": config.remote_dir,
        "AAF_INBOX_DIR": str(inbox),
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "entaix", "worker", "--pool=solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue,
         "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def applying() -> bool:
    """Another session holds an open transaction that has written: the worker's apply."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        return cursor.fetchone()[0] > 0


def stop(worker):
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_worker_fetches_and_imports_the_morning_delivery(sftp_server, tmp_path, queue):
    SchoolFactory(join_key="1301001", uai="0131234A")
    SchoolFactory(join_key="1301002", uai="0135678B")
    deliver(sftp_server)
    worker = start_worker(queue, sftp_server, tmp_path / "inbox")
    try:
        aaf_fetch_task.apply_async([ImportRun.Trigger.MANUAL], queue=queue)
        applied = wait_for(
            lambda: ImportRun.objects.filter(status=ImportRun.Status.APPLIED).exists()
        )
        assert applied, worker.stderr.read1().decode() if worker.poll() is not None else "timeout"
    finally:
        stop(worker)
    run = ImportRun.objects.get()
    assert run.files.count() == 4
    assert sftp_server.remote_names() == []
    assert sorted(Pupil.objects.values_list("join_key", flat=True)) == [
        "4001",
        "4002",
        "4003",
        "4004",
        "4005",
    ]
    assert Guardian.objects.count() == 6
    assert Staff.objects.count() == 3
    assert GuardianLink.objects.count() == 8


def test_worker_killed_during_apply_leaves_nothing_half_done_and_the_next_run_completes(
    sftp_server, tmp_path, queue
):

    date = timezone.localdate() - datetime.timedelta(days=1)
    feed = feedgen.generate_complet(
        tmp_path / "gen", feedgen.GenOptions(schools=8, pupils_per_school=600, seed=3, date=date)
    )
    # The feed's schools first (closed), then all opened: the run below creates every person.
    services.import_files(paths=[tmp_path / "gen"], trigger=ImportRun.Trigger.COMMAND)
    School.objects.update(ent_open=True, ent_opened_on=date)
    run = services.import_run_create(
        paths=sorted((tmp_path / "gen").glob("*.xml")), trigger=ImportRun.Trigger.COMMAND
    )
    run = services.import_run_plan(run_id=run.pk)
    assert run.held_reasons == ["not-newer"]  # same date as the schools-only import above
    services.import_run_approve(run_id=run.pk)
    worker = start_worker(queue, sftp_server, tmp_path / "inbox")
    try:
        import_run_execute_task.apply_async([run.pk], queue=queue)
        # Wait until the apply transaction is under way in the worker, then kill it.
        assert wait_for(applying, 60)
        worker.kill()
        worker.wait()
    finally:
        stop(worker)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PLANNED
    assert Pupil.objects.count() == 0  # the apply transaction died with the worker
    assert GuardianLink.objects.count() == 0

    worker = start_worker(queue, sftp_server, tmp_path / "inbox")
    try:
        import_run_execute_task.apply_async(
            [run.pk], queue=queue
        )  # what the next fetch or the redelivery does
        assert wait_for(lambda: ImportRun.objects.get(pk=run.pk).status == "applied", 120)
    finally:
        stop(worker)
    assert Pupil.objects.filter(left_at__isnull=True).count() == feed.counts["pupils"]
    assert GuardianLink.objects.count() == feed.counts["links"]
