"""The database connection lost in the middle of a run: a clear one-line error, the run marked
failed-retryable with the reason, resumed without a new approval, refused if stale; runs nobody
finishes are marked abandoned by a periodic check and the city is told."""

import datetime

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone, translation

from imports import locks, services
from imports.apply import Applier
from imports.models import ImportProblem, ImportRun
from imports.tasks import import_run_execute_task
from imports.tests.feeds import copy_set, snapshot
from schools.models import Pupil

pytestmark = pytest.mark.django_db
# The server really closes this process's session: no outer test transaction may wrap it.
session_killed = pytest.mark.django_db(transaction=True)
Status = ImportRun.Status
COMMAND = ImportRun.Trigger.COMMAND


def kill_own_session() -> None:
    """Ask the server, from a second session, to terminate this one (what a restart does)."""
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.fixture
def connection_lost_in_apply(monkeypatch):
    """Arm: the next apply loses its connection after writing its rows, before it commits."""
    original = Applier.refresh_statistics
    armed = [1]

    def refresh(self, *args, **kwargs):
        if armed[0]:
            armed[0] -= 1
            kill_own_session()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Applier, "refresh_statistics", refresh)
    return armed


@pytest.fixture
def imported(tmp_path, settings):
    """The Complet fixture applied two days ago, both schools open; then a held run of today
    (its header-only pupils file would make most pupils leave)."""
    settings.IMPORT_MAX_LEAVE_RATIO = 0.7
    run = services.import_files(
        paths=[copy_set("complet_20260901", tmp_path / "complet", days_ago=2)], trigger=COMMAND
    )
    assert run.status == Status.APPLIED
    services.school_open_reconcile(uais=["0131234A", "0135678B"], opened_on=timezone.localdate())
    held = services.import_files(
        paths=[copy_set("header_only_20260903", tmp_path / "h", days_ago=0)], trigger=COMMAND
    )
    assert held.status == Status.HELD
    return held


def lost_message(run_id: int) -> tuple[str, str]:
    return (
        f"Import n° {run_id} : la connexion à la base de données a été perdue pendant "
        "l'application (",
        f"). Rien n'a été appliqué ; reprenez-le avec : manage.py aaf_import --resume {run_id}",
    )


@session_killed
def test_connection_lost_during_approve_is_one_clear_line_and_resumable(
    imported, connection_lost_in_apply
):
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        call_command("aaf_import", "--approve", str(imported.pk))
    start, end = lost_message(imported.pk)
    message = str(exc.value)
    assert message.startswith(start) and message.endswith(end)
    assert "\n" not in message
    assert "terminating connection" in message or "server closed" in message
    assert snapshot() == before  # nothing half-applied
    run = ImportRun.objects.get(pk=imported.pk)
    assert (run.status, run.retryable, run.progress) == (Status.FAILED, True, 50)
    assert run.failure == message
    assert list(run.problems.filter(level="error").values_list("code", flat=True)) == [
        "database-lost"
    ]
    assert run.decided_at is not None


@session_killed
@pytest.mark.parametrize("option", ["--resume", "--approve"])
def test_interrupted_run_resumes_without_a_new_approval(
    imported, connection_lost_in_apply, option, capsys
):
    with pytest.raises(CommandError):
        call_command("aaf_import", "--approve", str(imported.pk))
    before = snapshot()
    call_command("aaf_import", option, str(imported.pk))
    run = ImportRun.objects.get(pk=imported.pk)
    assert (run.status, run.retryable, run.progress, run.failure) == (
        Status.APPLIED, False, 100, ""
    )  # fmt: skip
    assert run.counts["pupil"]["left"] == 5
    after = snapshot()
    assert after != before
    assert Pupil.objects.filter(left_at__isnull=True).count() == 0
    assert f"Import n° {run.pk} : appliqué" in capsys.readouterr().out
    # A second resume does nothing more.
    call_command("aaf_import", "--resume", str(run.pk))
    assert snapshot() == after


def test_approved_but_unapplied_run_is_accepted_by_approve(imported):
    """The connection dropped before the failure could even be recorded: the run stayed
    `planned` after its approval. `--approve` applies it instead of refusing it."""
    services.import_run_approve(run_id=imported.pk)
    assert ImportRun.objects.get(pk=imported.pk).status == Status.PLANNED
    call_command("aaf_import", "--approve", str(imported.pk))
    assert ImportRun.objects.get(pk=imported.pk).status == Status.APPLIED


@session_killed
def test_resume_refuses_a_stale_plan_and_applies_nothing(
    imported, connection_lost_in_apply, tmp_path
):
    with pytest.raises(CommandError):
        call_command("aaf_import", "--approve", str(imported.pk))
    other = services.import_files(
        paths=[copy_set("delta_20260902", tmp_path / "d", days_ago=1)], trigger=COMMAND
    )
    assert other.status == Status.APPLIED
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        call_command("aaf_import", "--resume", str(imported.pk))
    assert str(exc.value) == (
        f"L'import n° {imported.pk} a été planifié avant l'application de l'import "
        f"n° {other.pk} : importez à nouveau."
    )
    assert snapshot() == before
    run = ImportRun.objects.get(pk=imported.pk)
    assert (run.status, run.retryable) == (Status.FAILED, False)
    assert run.failure == str(exc.value)
    assert ImportProblem.objects.filter(run=run, code="stale-plan").count() == 1


def test_resume_refuses_a_held_or_discarded_run(imported):
    with pytest.raises(CommandError) as exc:
        call_command("aaf_import", "--resume", str(imported.pk))
    assert str(exc.value) == (
        f"L'import n° {imported.pk} est en attente de validation : il ne peut pas être repris."
    )
    assert ImportRun.objects.get(pk=imported.pk).status == Status.HELD
    # The same refusal for a reader of English (the messages are translated, French first).
    with translation.override("en"), pytest.raises(CommandError) as exc:
        call_command("aaf_import", "--resume", str(imported.pk))
    assert str(exc.value) == f"Run {imported.pk} is held for review: it cannot be resumed."


@session_killed
def test_task_retries_with_back_off_and_applies(imported, connection_lost_in_apply, caplog):
    services.import_run_approve(run_id=imported.pk)
    before = snapshot()
    # Eager mode runs the retry at once (in a worker it waits for the back-off).
    result = import_run_execute_task.apply(args=[imported.pk], throw=False)
    assert result.get() == Status.APPLIED
    assert connection_lost_in_apply == [0]
    run = ImportRun.objects.get(pk=imported.pk)
    assert (run.status, run.retryable) == (Status.APPLIED, False)
    assert snapshot() != before
    retries = [r.getMessage() for r in caplog.records if "retry in" in r.getMessage()]
    assert retries == [f"import run {run.pk}: database-lost, retry in 30 s"]


def test_back_off_doubles_up_to_half_an_hour():
    from imports.tasks import database_back_off

    assert [database_back_off(n) for n in range(8)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


def test_abandoned_runs_are_marked_and_the_city_is_told(
    imported, settings, django_capture_on_commit_callbacks
):
    settings.CITY_ALERT_EMAIL = "ecoles@mairie.example"
    services.import_run_approve(run_id=imported.pk)  # approved, then its worker vanished
    old = timezone.now() - datetime.timedelta(hours=2)
    ImportRun.objects.filter(pk=imported.pk).update(updated_at=old)
    recent = ImportRun.objects.create(status=Status.PLANNING, trigger=COMMAND)
    held = ImportRun.objects.create(status=Status.HELD, trigger=COMMAND)
    ImportRun.objects.filter(pk=held.pk).update(updated_at=old)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_runs_abandoned_check() == [imported.pk]

    run = ImportRun.objects.get(pk=imported.pk)
    assert (run.status, run.retryable) == (Status.FAILED, True)
    assert run.failure == (
        f"L'import n° {run.pk} n'a pas avancé depuis plus de 60 minutes (planifié) : abandonné. "
        f"Reprenez-le avec : manage.py aaf_import --resume {run.pk}"
    )
    assert ImportRun.objects.get(pk=recent.pk).status == Status.PLANNING
    assert ImportRun.objects.get(pk=held.pk).status == Status.HELD
    assert snapshot() == before
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ecoles@mairie.example"]
    assert f"#{run.pk}" in mail.outbox[0].body
    # Told once: the next check finds nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_runs_abandoned_check() == []
    assert len(mail.outbox) == 1
    # And it resumes.
    call_command("aaf_import", "--resume", str(run.pk))
    assert ImportRun.objects.get(pk=run.pk).status == Status.APPLIED


@pytest.mark.django_db(transaction=True)  # committed: the import's lock is freed at its commit
def test_abandoned_check_waits_while_a_plan_or_apply_holds_the_write_lock(imported):
    """A command planning or applying holds locks.WRITE until its transaction ends (another
    database session here): its run is not abandoned, and nothing is marked."""
    services.import_run_approve(run_id=imported.pk)
    ImportRun.objects.filter(pk=imported.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=2)
    )
    params = connection.get_connection_params()
    other = psycopg.connect(
        **{k: params[k] for k in ("dbname", "user", "host", "port") if params.get(k)},
        autocommit=True,
    )
    other.execute("SELECT pg_advisory_lock(%s)", [locks.lock_id(locks.WRITE)])
    try:
        assert services.import_runs_abandoned_check() == []
        assert ImportRun.objects.get(pk=imported.pk).status == Status.PLANNED
    finally:
        other.close()
    assert services.import_runs_abandoned_check() == [imported.pk]


def test_abandoned_check_is_in_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["import-runs-abandoned-check"]
    assert entry["task"] == "imports.tasks.import_runs_abandoned_check_task"
    assert entry["schedule"].minute == {0, 15, 30, 45}
