"""Scale-out: two Celery workers on one queue, one PostgreSQL and one Redis (README, Scale-out).

The same import is delivered twice at once (a redelivery, or the fetch and the imports page both
asking): each worker takes one message; the import is applied exactly once.
"""

import datetime
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from accounts.models import User
from devtools import feedgen
from entaix.celery import app as celery_app
from imports import services
from imports.models import ImportRun
from imports.tasks import import_run_execute_task
from schools.models import GuardianLink, Pupil, School

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


def start_worker(name: str, queue: str, log: Path) -> subprocess.Popen:
    s = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "entaix.settings.test",
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/"
        f"{s['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_QUEUE": queue,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "entaix", "worker", "--pool=solo", "-n",
         f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue,
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip


def wait_for(predicate, timeout=90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_two_workers_on_one_queue_apply_an_import_once(tmp_path):
    date = timezone.localdate() - datetime.timedelta(days=1)
    feed = feedgen.generate_complet(
        tmp_path / "gen", feedgen.GenOptions(schools=2, pupils_per_school=60, seed=5, date=date)
    )
    services.import_files(paths=[tmp_path / "gen"], trigger=ImportRun.Trigger.COMMAND)
    School.objects.update(ent_open=True, ent_opened_on=date)
    run = services.import_run_create(
        paths=sorted((tmp_path / "gen").glob("*.xml")), trigger=ImportRun.Trigger.COMMAND
    )
    run = services.import_run_plan(run_id=run.pk)
    services.import_run_approve(run_id=run.pk)  # held as "not newer" than the schools-only run

    queue = f"entaix-test-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = [start_worker(f"w{i}", queue, log) for i, log in enumerate(logs, 1)]
    try:
        assert wait_for(lambda: all(" ready." in log.read_text() for log in logs))
        for _ in range(2):
            import_run_execute_task.apply_async([run.pk], queue=queue)
        assert wait_for(lambda: ImportRun.objects.get(pk=run.pk).status == "applied", 180)
        received = re.compile(r"Task imports\.tasks\.import_run_execute_task\[[^\]]+\] received")
        # Each worker took one of the two messages (prefetch 1, acks late).
        assert wait_for(lambda: all(received.search(log.read_text()) for log in logs), 60)
    finally:
        for worker in workers:
            stop(worker)
        celery_app.conf.task_always_eager = previous
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        client.delete(queue, *[f"{queue}\x06\x16{step}" for step in (3, 6, 9)])

    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED
    assert Pupil.objects.filter(left_at__isnull=True).count() == feed.counts["pupils"]
    assert GuardianLink.objects.count() == feed.counts["links"]
    # Applied once: one creation event per account, never two.
    accounts = User.objects.count()
    assert accounts > feed.counts["pupils"]
    user_type = ContentType.objects.get_for_model(User)
    assert LogEntry.objects.filter(content_type=user_type).count() == accounts
    outcomes = "\n".join(log.read_text() for log in logs)
    assert len(re.findall(r"import_run_execute_task\[[^\]]+\] succeeded", outcomes)) >= 1
