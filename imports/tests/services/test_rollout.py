"""Real feeds (issue 15): a school-by-school rollout, missing parts, the dry run's guards, exit
codes, approved reasons and feeds dated after today. Every file is written by the test."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from imports import services
from imports.aaf import Kind
from imports.models import ImportProblem, ImportRun
from imports.tests.aafxml import (
    add,
    city_complet,
    delete,
    guardian_pairs,
    modify,
    pupil,
    pupil_pairs,
    staff_pairs,
    write,
)
from imports.tests.feeds import snapshot
from schools.models import Guardian, Pupil, Staff

pytestmark = pytest.mark.django_db
Status = ImportRun.Status
COMMAND = ImportRun.Trigger.COMMAND


def day(offset: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=offset)


def run_import(folder) -> ImportRun:
    return services.import_files(paths=[folder], trigger=COMMAND)


@pytest.fixture
def s1_open(tmp_path):
    """The small city's Complet of two days ago, applied; only school S1 opened."""
    run = run_import(city_complet(tmp_path / "complet", day(-2)))
    assert run.status == Status.APPLIED
    services.school_open_reconcile(uais=["0130001A"], opened_on=day(0))
    assert sorted(Pupil.objects.values_list("join_key", flat=True)) == ["P1", "P2"]
    return run


# -- 2. deltas during a school-by-school rollout ---------------------------------------------


def test_delta_for_people_of_closed_schools_is_counted_not_reported(
    s1_open, tmp_path, client, city_user
):
    folder = tmp_path / "delta"
    folder.mkdir()
    date = day(-1)
    write(
        folder,
        Kind.PUPIL,
        modify(Kind.PUPIL, "P3", pupil_pairs("P3")),  # S2 is closed
        delete(Kind.PUPIL, "P4"),  # S2 is closed
        modify(Kind.PUPIL, "P1", pupil_pairs("P1", last="NOUVEAU")),  # S1 is open
        mode="Delta",
        date=date,
    )
    write(
        folder,
        Kind.GUARDIAN,
        modify(Kind.GUARDIAN, "G3", guardian_pairs("G3")),  # children all in S2
        mode="Delta",
        date=date,
    )
    write(folder, Kind.STAFF, modify(Kind.STAFF, "T2", staff_pairs("T2")), mode="Delta",
          date=date)  # fmt: skip
    run = run_import(folder)
    assert run.status == Status.APPLIED
    assert (run.error_count, run.warning_count) == (0, 0)
    assert run.problems.count() == 0
    assert run.skipped_counts == {"guardians": 1, "pupils": 2, "staff": 1}
    assert run.counts["pupils"]["updated"] == 1
    assert Pupil.objects.get(join_key="P1").last_name == "NOUVEAU"
    assert sorted(Pupil.objects.values_list("join_key", flat=True)) == ["P1", "P2"]
    assert sorted(Guardian.objects.values_list("join_key", flat=True)) == ["G1", "G2"]
    assert list(Staff.objects.values_list("join_key", flat=True)) == ["T1"]
    client.force_login(city_user)
    page = client.get(reverse("imports:run-detail", args=[run.pk])).content.decode()
    assert "fermé, ignorés : personnels 1, élèves 2, responsables 1" in page


def test_a_person_the_feed_should_have_given_us_is_a_warning(s1_open, tmp_path):
    folder = tmp_path / "delta"
    folder.mkdir()
    # P9 of open school S1 was never in a feed: a gap in the feed's own history.
    write(folder, Kind.PUPIL, modify(Kind.PUPIL, "P9", pupil_pairs("P9")), mode="Delta",
          date=day(-1))  # fmt: skip
    before = snapshot()
    run = run_import(folder)
    assert run.status == Status.APPLIED
    assert list(run.problems.values_list("level", "code", "identifier")) == [
        ("warning", "unknown-person", "P9")
    ]
    assert (run.error_count, run.warning_count) == (0, 1)
    assert run.skipped_counts == {}
    assert snapshot() == before


# -- 3. a Complet with a missing part ----------------------------------------------------------


def test_a_missing_part_fails_the_set(s1_open, tmp_path):
    folder = city_complet(tmp_path / "c", day(-1), kinds=frozenset(Kind) - {Kind.PUPIL})
    write(folder, Kind.PUPIL, pupil("P1"), pupil("P2"), date=day(-1), part=1)  # no _0000
    before = snapshot()
    runs = ImportRun.objects.count()
    run = run_import(folder)
    name = f"ENT1D_Complet_{day(-1):%Y%m%d}_Eleve_0000.xml"
    assert run.status == Status.FAILED
    assert list(run.problems.values_list("level", "code", "message")) == [
        ("error", "missing-part",
         f"Le lot est incomplet : il manque {name} (les parties de Eleve doivent aller de _0000 "
         "à _0001 sans trou).")
    ]  # fmt: skip
    assert run.plan_items.count() == 0
    assert ImportRun.objects.count() == runs + 1
    assert snapshot() == before


def test_parts_without_a_gap_are_one_file(s1_open, tmp_path):
    folder = city_complet(tmp_path / "c", day(-1), kinds=frozenset(Kind) - {Kind.PUPIL})
    write(folder, Kind.PUPIL, pupil("P1"), pupil("P3"), date=day(-1), part=0)
    write(folder, Kind.PUPIL, pupil("P2"), pupil("P4"), date=day(-1), part=1)
    run = run_import(folder)
    assert run.status == Status.APPLIED
    assert run.counts["pupils"]["unchanged"] == 2
    assert run.problems.count() == 0


# -- 8. the dry run evaluates every guard; exit codes ------------------------------------------


def _command(*args) -> tuple[dict, int]:
    """Run aaf_import with --json: (its JSON, its exit status)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("aaf_import", *map(str, args), "--json", stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return json.loads(out.getvalue()), code


def test_dry_run_prints_the_held_reasons_of_the_real_run_and_both_exit_3(s1_open, tmp_path):
    # Tomorrow's Complet without its PersRelEleve file and with no pupil: six guards trip.
    folder = city_complet(tmp_path / "c", day(1), kinds=frozenset(Kind) - {Kind.GUARDIAN},
                          pupils=[])  # fmt: skip
    before = snapshot()
    runs = ImportRun.objects.count()
    dry, dry_code = _command(folder, "--dry-run")
    assert ImportRun.objects.count() == runs
    assert snapshot() == before
    real, real_code = _command(folder)
    run = ImportRun.objects.get(pk=real["run"])
    assert run.status == Status.HELD
    expected = ["incomplete-set", "future-date", "mass-leave-city", "mass-leave-school",
                "school-emptied", "count-drop"]  # fmt: skip
    assert run.held_reasons == expected
    assert dry["held_reasons"] == real["held_reasons"] == expected
    assert (dry["status"], real["status"]) == ("dry-run", "held")
    assert (dry_code, real_code) == (3, 3)
    assert snapshot() == before


def test_exit_status_0_when_applied_and_1_when_failed(s1_open, tmp_path):
    good = city_complet(tmp_path / "good", day(-1))
    payload, code = _command(good, "--dry-run")
    assert (payload["held_reasons"], code) == ([], 0)
    payload, code = _command(good)
    assert (payload["status"], payload["held_reasons"], code) == ("applied", [], 0)
    bad = tmp_path / "bad"
    write(bad, Kind.PUPIL, pupil("P1"), date=day(0), part=1)
    with pytest.raises(CommandError) as caught:
        call_command("aaf_import", str(bad), "--json", stdout=None)
    assert caught.value.returncode == 1


def test_help_documents_the_exit_status():
    from imports.management.commands.aaf_import import Command

    assert "1 failed" in Command.help
    assert "3 held" in Command.help


# -- 9. an approved reason does not hold the runs derived from the approved run -----------------


def test_opening_a_school_after_an_approved_incomplete_complet_is_not_held_again(tmp_path):
    folder = city_complet(tmp_path / "c", day(-1), kinds=frozenset(Kind) - {Kind.STAFF})
    run = run_import(folder)
    assert (run.status, run.held_reasons) == (Status.HELD, ["incomplete-set"])
    services.import_run_approve(run_id=run.pk)
    assert services.import_run_apply(run_id=run.pk).status == Status.APPLIED
    opened = services.school_open_reconcile(uais=["0130001A"], opened_on=day(0))
    assert (opened.status, opened.held_reasons) == (Status.APPLIED, [])
    assert sorted(Pupil.objects.values_list("join_key", flat=True)) == ["P1", "P2"]


def test_an_unapproved_reason_still_holds_a_school_opening(tmp_path, settings):
    # The source run was never held: a derived run evaluates its guards as before.
    run = run_import(city_complet(tmp_path / "c", day(-1)))
    assert run.status == Status.APPLIED
    assert run.decided_at is None
    opened = services.school_open_reconcile(uais=["0130001A"], opened_on=day(0))
    assert (opened.status, opened.held_reasons) == (Status.APPLIED, [])


# -- 10. a feed dated after today is held ------------------------------------------------------


def test_a_feed_dated_after_today_is_held_and_changes_nothing(s1_open, tmp_path, client, city_user):
    folder = tmp_path / "future"
    folder.mkdir()
    write(folder, Kind.PUPIL, modify(Kind.PUPIL, "P1", pupil_pairs("P1", last="FUTUR")),
          mode="Delta", date=day(1))  # fmt: skip
    before = snapshot()
    run = run_import(folder)
    assert (run.status, run.held_reasons) == (Status.HELD, ["future-date"])
    assert snapshot() == before
    assert not ImportProblem.objects.filter(run=run).exists()
    client.force_login(city_user)
    response = client.get(reverse("imports:run-detail", args=[run.pk]))
    assert [str(label) for _code, label in response.context["reasons"]] == [
        "Le flux est daté d\u2019après aujourd\u2019hui."
    ]


def test_a_feed_dated_today_is_not_held(s1_open, tmp_path):
    folder = tmp_path / "today"
    folder.mkdir()
    write(folder, Kind.PUPIL, modify(Kind.PUPIL, "P1", pupil_pairs("P1", last="AUJOURDHUI")),
          mode="Delta", date=day(0))  # fmt: skip
    run = run_import(folder)
    assert (run.status, run.held_reasons) == (Status.APPLIED, [])
    assert Pupil.objects.get(join_key="P1").last_name == "AUJOURDHUI"


# -- 4 and 7: said once per run, whatever the number of parts ---------------------------------


def test_dollar_values_and_2d_classes_are_said_once_per_run_across_parts(tmp_path):
    folder = city_complet(tmp_path / "c", day(-1), kinds=frozenset(Kind) - {Kind.PUPIL})
    for part, keys in enumerate((["P1", "P2"], ["P3", "P4"])):
        requests = [
            add(Kind.PUPIL, key, [*pupil_pairs(key)[:2], ("ENTPersonNomPatro", "NOM$PATRO"),
                                  ("ENTPersonStructRattach", "S1"),
                                  ("ENTEleveClasses", "S1$CP A")])
            for key in keys
        ]  # fmt: skip
        write(folder, Kind.PUPIL, *requests, date=day(-1), part=part)
    run = run_import(folder)
    stamp = f"{day(-1):%Y%m%d}"
    rows = sorted(run.problems.values_list("code", "file", "message"))
    assert rows == [
        ("classes-2d", f"ENT1D_Complet_{stamp}_Eleve_0000.xml",
         "4 pupils have no class: the feed uses 2D class attributes (ENTEleveClasses), which a "
         "1D import does not read"),
        ("dollar-separated-value", f"ENT1D_Complet_{stamp}_Eleve_0000.xml",
         "ENTPersonNomPatro: '$'-separated display value read as words in 4 record(s)"),
    ]  # fmt: skip
