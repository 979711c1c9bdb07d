"""Liveness, readiness and the Prometheus metrics an operator watches (real PostgreSQL, Redis)."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import LetterBatch
from entaix import health
from imports.models import FetchAttempt, ImportRun
from privacy.models import DataRequest
from schools.tests import factories

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def ready(settings, tmp_path):
    settings.AAF_INBOX_DIR = str(tmp_path / "inbox")
    settings.ALLOWED_HOSTS = ["ent.example.fr"]
    settings.SECURE_SSL_REDIRECT = True
    settings.METRICS_TOKEN = TOKEN
    cache.delete(health.HEARTBEAT_KEY)
    yield settings
    cache.delete(health.HEARTBEAT_KEY)


def applied_run(hours_ago: float, **fields) -> ImportRun:
    at = timezone.now() - datetime.timedelta(hours=hours_ago)
    run = ImportRun.objects.create(
        status=ImportRun.Status.APPLIED, trigger=ImportRun.Trigger.SCHEDULE, applied_at=at,
        feed_date=at.date(), **fields,
    )  # fmt: skip
    return run


def test_readyz_answers_ok_when_everything_is_up(client, ready):
    applied_run(2)
    health.worker_heartbeat_record()
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "broker": True,
        "inbox": True,
        "feed": True,
        "worker": True,
    }
    assert body["checks"]["feed"]["age_hours"] == 2.0
    assert body["checks"]["worker"]["age_seconds"] == 0


def test_readyz_fails_when_redis_is_unreachable(client, ready):
    ready.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == {"ok": True}


def test_readyz_fails_when_the_broker_is_unreachable(client, ready):
    ready.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["redis"] == {"ok": True}


def test_readyz_fails_when_the_inbox_is_not_writable(client, ready, tmp_path):
    (tmp_path / "a-file").write_text("")
    ready.AAF_INBOX_DIR = str(tmp_path / "a-file" / "inbox")
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    assert response.json()["checks"]["inbox"]["ok"] is False
    assert list(tmp_path.iterdir()) == [tmp_path / "a-file"]  # nothing left behind


def test_a_stale_feed_and_a_silent_worker_degrade_without_failing(client, ready):
    """Web pages still work: the load balancer keeps the replica; the operator is alerted."""
    applied_run(30)
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["feed"] == {"ok": False, "age_hours": 30.0, "max_hours": 26}
    assert body["checks"]["worker"] == {"ok": False, "age_seconds": None, "max_seconds": 300}


def test_a_fresh_installation_without_any_feed_is_ready(client, ready):
    health.worker_heartbeat_record()
    body = client.get("/readyz", HTTP_HOST="localhost").json()
    assert body["checks"]["feed"] == {"ok": True, "age_hours": None}
    assert body["status"] == "ok"


def test_metrics_need_the_token(client, ready):
    assert client.get("/metrics", HTTP_HOST="localhost").status_code == 404
    wrong = client.get("/metrics", HTTP_HOST="localhost", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 404
    ready.METRICS_TOKEN = ""
    unset = client.get("/metrics", HTTP_HOST="localhost", HTTP_AUTHORIZATION="Bearer ")
    assert unset.status_code == 404


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics", HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for line in response.content.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples, response.content.decode()


def test_metrics_count_what_an_operator_watches(client, ready, city_user):
    today = timezone.localdate()
    applied_run(3, timings={"parse_and_diff": 4.5, "apply": 10.5})
    ImportRun.objects.create(status=ImportRun.Status.HELD, trigger=ImportRun.Trigger.SCHEDULE)
    FetchAttempt.objects.create(status=FetchAttempt.Status.FETCHED, trigger="schedule")
    FetchAttempt.objects.create(status=FetchAttempt.Status.FAILED, trigger="schedule", code="auth")
    LetterBatch.objects.create(kind="class-guardians", status="done", count=25)
    LetterBatch.objects.create(kind="selection", status="done", count=3)
    LetterBatch.objects.create(kind="selection", status="failed", count=7)
    request = {"kind": "access", "relation": "parent", "requester_name": "Camille Dupont-Secret",
               "requester_email": "camille.secret@example.fr"}  # fmt: skip
    DataRequest.objects.create(reference="R1", due_on=today - datetime.timedelta(days=1), **request)
    DataRequest.objects.create(reference="R2", due_on=today + datetime.timedelta(days=2), **request)
    DataRequest.objects.create(
        reference="R3", due_on=today + datetime.timedelta(days=20), **request
    )
    DataRequest.objects.create(
        reference="R4", due_on=today - datetime.timedelta(days=9), status="answered", **request
    )
    factories.GuardianFactory(last_name="Dupont-Secret", first_name="Camille")
    client.force_login(city_user)
    client.get("/ecoles/", HTTP_HOST="ent.example.fr", secure=True)
    client.logout()
    health.worker_heartbeat_record()

    samples, text = scrape(client)
    assert samples['entaix_import_runs{status="applied"}'] == 1
    assert samples['entaix_import_runs{status="held"}'] == 1
    assert samples['entaix_import_runs{status="failed"}'] == 0
    assert samples['entaix_import_run_duration_seconds_sum{status="applied"}'] == 15.0
    assert samples['entaix_import_run_duration_seconds_count{status="applied"}'] == 1
    assert samples["entaix_feed_last_applied_timestamp_seconds"] > 0
    assert samples['entaix_fetch_attempts{status="fetched"}'] == 1
    assert samples['entaix_fetch_attempts{status="failed"}'] == 1
    assert samples["entaix_letters_printed_total"] == 28
    assert samples["entaix_data_requests_open"] == 3
    assert samples["entaix_data_requests_overdue"] == 1
    assert samples['entaix_data_requests_due_within_days{days="3"}'] == 1
    assert 'entaix_celery_queue_length{queue="entaix"}' in samples
    assert samples["entaix_worker_heartbeat_timestamp_seconds"] > 0
    view = 'entaix_http_requests_total{method="GET",status="200",view="schools:school-list"}'
    assert samples[view] >= 1
    # No personal data in any label or value name.
    for word in ("Dupont", "Camille", "secret@", "agent.ville", "R1"):
        assert word not in text


def test_alert_rules_watch_the_metrics_the_app_exports():
    import re
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    rules = yaml.safe_load((root / "deploy" / "prometheus" / "alerts.yml").read_text())
    alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    assert "entaix_feed_last_applied_timestamp_seconds" in alerts["EntaixNoFeedApplied"]
    assert "26 * 3600" in alerts["EntaixNoFeedApplied"]
    assert 'entaix_data_requests_due_within_days{days="3"}' in alerts["EntaixDataRequestDueSoon"]
    exported = set(re.findall(r'"(entaix_[a-z_]+)"', (root / "entaix" / "metrics.py").read_text()))
    used = {m for expr in alerts.values() for m in re.findall(r"entaix_[a-z_]+", expr)}
    assert used <= exported


def test_beat_runs_the_worker_heartbeat_every_minute(settings, ready):
    from entaix.tasks import worker_heartbeat_record_task

    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry == {"task": "entaix.tasks.worker_heartbeat_record_task", "schedule": 60.0}
    assert health.worker_heartbeat_at() is None
    worker_heartbeat_record_task.apply()
    assert health.worker_heartbeat_at() is not None
