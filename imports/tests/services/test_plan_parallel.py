"""A large feed's guardian and staff files are read by a second process while this one reads the
pupils': the plan must be exactly the one a single process makes."""

import shutil
import threading

import pytest
from django.utils import timezone

from imports import plan as planning
from imports import services, stage
from imports.models import ImportProblem, ImportRun
from imports.tests.feeds import FIXTURES, copy_set, snapshot
from schools.models import School

pytestmark = pytest.mark.django_db
HELPER_START = planning.Planner._helper_start
STAFF_MODIFY = """<modifyRequest>
  <operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr>
  </operationalAttributes>
  <identifier><id>2001</id></identifier>
  <modifications>
    <modification name="ENTPersonMail" operation="replace"><value>h.new@ac-aix-marseille.fr</value>
    </modification>
  </modifications>
</modifyRequest>
</ficAlimMENESR>"""


def _plan(paths, settings, monkeypatch, *, minimum: int):
    """The plan and its staged items, with the helper process used or not."""
    settings.IMPORT_PARALLEL_MIN_BYTES = minimum
    helpers = []

    def spy(self):
        helper = HELPER_START(self)
        helpers.append(helper is not None)
        return helper

    monkeypatch.setattr(planning.Planner, "_helper_start", spy)
    try:
        plan = planning.plan_files(paths)
        rows = stage.fetch(
            "SELECT kind, action, key, school_key, digest, data FROM st_plan"
            " ORDER BY kind, key, action"
        )
    finally:
        stage.drop()
    return plan, rows, helpers


def _summary(plan):
    return (plan.counts, plan.school_counts, plan.record_counts, plan.problems, plan.dangling,
            plan.references, plan.active_by_school, plan.leaving_by_school)  # fmt: skip


def test_a_complet_planned_with_a_helper_process_is_the_same_plan(tmp_path, settings, monkeypatch):
    folder = copy_set("complet_20260901", tmp_path / "c", days_ago=2)
    services.import_files(paths=[folder], trigger=ImportRun.Trigger.COMMAND)
    School.objects.update(ent_open=True, ent_opened_on=timezone.localdate())
    paths = sorted(folder.iterdir())
    one, one_rows, one_helpers = _plan(paths, settings, monkeypatch, minimum=-1)
    two, two_rows, two_helpers = _plan(paths, settings, monkeypatch, minimum=0)
    assert (one_helpers, two_helpers) == ([False], [True])
    assert len(one_rows) == 29  # 7 classes, 3 staff, 6 guardians, 5 pupils, 8 links created
    assert two_rows == one_rows
    assert _summary(two) == _summary(one)


def test_a_delta_planned_with_a_helper_process_is_the_same_plan(tmp_path, settings, monkeypatch):
    run = services.import_files(
        paths=[copy_set("complet_20260901", tmp_path / "c", days_ago=2)],
        trigger=ImportRun.Trigger.COMMAND,
    )
    assert run.status == ImportRun.Status.APPLIED
    services.school_open_reconcile(uais=["0131234A", "0135678B"], opened_on=timezone.localdate())
    # The delta modifies a guardian and (added here) a staff member: the helper hands their
    # records back, to be merged with their rows in this process.
    folder = copy_set("delta_20260902", tmp_path / "d", days_ago=1)
    staff = next(folder.glob("*_PersEducNat_*"))
    staff.write_text(
        staff.read_text(encoding="utf-8").replace("</ficAlimMENESR>", STAFF_MODIFY), "utf-8"
    )
    paths = sorted(folder.iterdir())
    one, one_rows, _ = _plan(paths, settings, monkeypatch, minimum=-1)
    two, two_rows, helpers = _plan(paths, settings, monkeypatch, minimum=0)
    assert helpers == [True]
    assert {(kind, action) for kind, action, *_ in one_rows} >= {
        ("guardians", "update"),
        ("staff", "update"),
    }
    assert two_rows == one_rows
    assert _summary(two) == _summary(one)


def test_a_file_fault_found_by_the_helper_fails_the_run_and_changes_nothing(tmp_path, settings):
    settings.IMPORT_PARALLEL_MIN_BYTES = 0
    run = services.import_files(
        paths=[copy_set("complet_20260901", tmp_path / "c", days_ago=2)],
        trigger=ImportRun.Trigger.COMMAND,
    )
    services.school_open_reconcile(uais=["0131234A", "0135678B"], opened_on=timezone.localdate())
    folder = copy_set("complet_20260901", tmp_path / "bad", days_ago=1)
    target = next(folder.glob("*_PersRelEleve_*"))
    shutil.copy(FIXTURES / "bad" / "truncated.xml", target)
    before = snapshot()
    run = services.import_files(paths=[folder], trigger=ImportRun.Trigger.COMMAND)
    assert run.status == ImportRun.Status.FAILED
    problem = ImportProblem.objects.get(run=run)
    assert (problem.level, problem.code, problem.file) == ("error", "truncated", target.name)
    assert snapshot() == before


def _popen_spy(monkeypatch):
    started = []
    popen = planning.subprocess.Popen

    def spy(*args, **kwargs):
        started.append(args[0])
        return popen(*args, **kwargs)

    monkeypatch.setattr(planning.subprocess, "Popen", spy)
    return started


def test_the_helper_is_a_fork_of_this_process_when_it_runs_alone(tmp_path, settings, monkeypatch):
    """A forked helper inherits the set-up Django (a new interpreter spent about a CPU second
    importing it again); the plan is the same."""
    folder = copy_set("complet_20260901", tmp_path / "c", days_ago=2)
    services.import_files(paths=[folder], trigger=ImportRun.Trigger.COMMAND)
    School.objects.update(ent_open=True, ent_opened_on=timezone.localdate())
    paths = sorted(folder.iterdir())
    one, one_rows, _ = _plan(paths, settings, monkeypatch, minimum=-1)
    started = _popen_spy(monkeypatch)
    assert threading.active_count() == 1
    two, two_rows, helpers = _plan(paths, settings, monkeypatch, minimum=0)
    assert (helpers, started) == ([True], [])
    assert len(two_rows) == 29
    assert two_rows == one_rows
    assert _summary(two) == _summary(one)


def test_with_other_threads_the_helper_is_a_new_interpreter(tmp_path, settings, monkeypatch):
    """Forking a threaded process (a threaded worker) may copy a lock some thread holds."""
    folder = copy_set("complet_20260901", tmp_path / "c", days_ago=2)
    services.import_files(paths=[folder], trigger=ImportRun.Trigger.COMMAND)
    School.objects.update(ent_open=True, ent_opened_on=timezone.localdate())
    paths = sorted(folder.iterdir())
    one, one_rows, _ = _plan(paths, settings, monkeypatch, minimum=-1)
    started = _popen_spy(monkeypatch)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        two, two_rows, helpers = _plan(paths, settings, monkeypatch, minimum=0)
    finally:
        stop.set()
        thread.join()
    assert helpers == [True]
    assert [command[1:3] for command in started] == [["-m", "imports.plan_helper"]]
    assert two_rows == one_rows
    assert _summary(two) == _summary(one)
