import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entaix.common.exceptions import ApplicationError
from imports import services
from imports.models import ImportPlanItem, ImportProblem, ImportRun
from imports.tests.feeds import FIXTURES, copy_set, snapshot
from schools.models import Guardian, GuardianLink, Pupil, School, SchoolClass, Staff

pytestmark = pytest.mark.django_db
Status = ImportRun.Status
COMMAND = ImportRun.Trigger.COMMAND
# The Complet fixture once both schools are open: every record kept.
EVERYONE_UNCHANGED = {
    "school": 2, "class": 7, "staff": 3, "guardian": 6, "pupil": 5, "link": 8
}  # fmt: skip


def run_import(path) -> ImportRun:
    return services.import_files(paths=[path], trigger=COMMAND)


@pytest.fixture
def imported(tmp_path):
    """The Complet fixture imported two days ago, both schools opened."""
    run = run_import(copy_set("complet_20260901", tmp_path / "complet", days_ago=2))
    assert run.status == Status.APPLIED
    services.school_open_reconcile(uais=["0131234A", "0135678B"], opened_on=timezone.localdate())
    return run


def counts(run, kind):
    return run.counts[kind]


def test_first_import_keeps_every_school_and_no_person_until_a_school_opens(tmp_path):
    run = run_import(copy_set("complet_20260901", tmp_path / "c", days_ago=2))
    assert run.status == Status.APPLIED
    assert run.held_reasons == []
    assert counts(run, "school") == {
        "created": 2,
        "updated": 0,
        "left": 0,
        "returned": 0,
        "unchanged": 0,
    }
    assert counts(run, "pupil")["created"] == 0
    assert sorted(School.objects.values_list("uai", "ent_open")) == [
        ("0131234A", False),
        ("0135678B", False),
    ]
    assert Pupil.objects.count() == Guardian.objects.count() == Staff.objects.count() == 0
    assert [(f.kind, f.size > 0, len(f.sha256)) for f in run.files.order_by("kind")] == [
        ("Eleve", True, 64),
        ("EtabEducNat", True, 64),
        ("PersEducNat", True, 64),
        ("PersRelEleve", True, 64),
    ]


def test_opening_schools_imports_their_people_from_the_latest_feed(imported):
    assert Pupil.objects.filter(left_at__isnull=True).count() == 5
    assert Guardian.objects.count() == 6
    assert Staff.objects.count() == 3
    assert GuardianLink.objects.count() == 8
    pupil = Pupil.objects.get(join_key="4001")
    assert (pupil.last_name, pupil.first_name, pupil.school.uai) == ("BENALI", "Inès", "0131234A")
    assert sorted((c.kind, c.code) for c in pupil.classes.all()) == [
        ("class", "CE1-CE2B"),
        ("group", "ANG1"),
    ]
    links = {
        (link.guardian.join_key, link.legal, link.relation)
        for link in pupil.guardian_links.select_related("guardian")
    }
    assert links == {("3001", 1, "father"), ("3002", 2, "mother")}
    director = Staff.objects.get(join_key="2001")
    assignment = director.assignments.get()
    assert (assignment.school.uai, assignment.is_director) == ("0131234A", True)
    assert sorted(c.code for c in director.classes.all()) == ["CM2-A"]
    contact = GuardianLink.objects.get(pupil__join_key="4004", guardian__join_key="3006")
    assert (contact.legal, contact.relation, contact.has_authority) == (0, "family", False)


def test_reimporting_the_same_files_writes_zero_domain_rows(imported, tmp_path):
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        run = run_import(copy_set("complet_20260901", tmp_path / "again", days_ago=2))
    writes = [
        q["sql"]
        for q in queries.captured_queries
        # A write whose target is a domain table (the planner reads them into its staging).
        if q["sql"].startswith(
            ('INSERT INTO "schools_', 'UPDATE "schools_', 'DELETE FROM "schools_')
        )
    ]
    assert writes == []
    assert snapshot() == before
    assert run.status == Status.APPLIED
    assert {kind: c["unchanged"] for kind, c in run.counts.items()} == EVERYONE_UNCHANGED
    assert ImportPlanItem.objects.filter(run=run).count() == 0


def test_rows_of_unknown_digest_are_compared_field_by_field(imported, tmp_path):
    # Rows written before digests existed (or changed outside the importer) have none.
    for model in (School, SchoolClass, Pupil, Guardian, Staff, GuardianLink):
        model.objects.update(feed_digest=None)
    before = snapshot()
    run = run_import(copy_set("complet_20260901", tmp_path / "again", days_ago=1))
    assert run.status == Status.APPLIED
    assert {kind: c["unchanged"] for kind, c in run.counts.items()} == EVERYONE_UNCHANGED
    assert ImportPlanItem.objects.filter(run=run).count() == 0
    assert snapshot() == before


def test_delta_applies_adds_modifies_and_deletes(imported, tmp_path, settings):
    # Tiny fixture: one pupil and one staff leaving are two thirds of the second school.
    settings.IMPORT_MAX_LEAVE_RATIO = 0.7
    run = run_import(copy_set("delta_20260902", tmp_path / "d", days_ago=1))
    assert run.status == Status.APPLIED, run.held_reasons
    assert run.counts["pupil"] == {
        "created": 1,
        "updated": 2,
        "left": 1,
        "returned": 0,
        "unchanged": 0,
    }
    assert run.counts["link"] == {
        "created": 1,
        "updated": 1,
        "left": 2,
        "returned": 0,
        "unchanged": 0,
    }
    assert Pupil.objects.get(join_key="4001").last_name == "BENALI-MARTIN"
    assert Pupil.objects.get(join_key="4001").first_name == "Inès"  # not in the modify: kept
    assert Pupil.objects.get(join_key="4005").left_at is not None
    assert Pupil.objects.filter(join_key="4005").count() == 1  # left, never deleted
    assert Staff.objects.get(join_key="2003").left_at is not None
    # The welfare service's only pupil left: it leaves too.
    assert Guardian.objects.get(join_key="3005").left_at is not None
    assert Guardian.objects.get(join_key="3001").left_at is None  # still linked to 4001
    link = GuardianLink.objects.get(pupil__join_key="4002", guardian__join_key="3002")
    assert (link.legal, link.left_at) == (1, None)
    ended = GuardianLink.objects.get(pupil__join_key="4002", guardian__join_key="3001")
    assert ended.left_at is not None


def test_header_only_pupil_file_is_held_and_changes_nothing(imported, tmp_path):
    before = snapshot()
    run = run_import(copy_set("header_only_20260903", tmp_path / "h", days_ago=1))
    assert run.status == Status.HELD
    assert run.held_reasons == [
        "incomplete-set",
        "mass-leave-city",
        "mass-leave-school",
        "school-emptied",
        "count-drop",
    ]
    assert run.counts["pupil"]["left"] == 5
    assert snapshot() == before


def test_held_run_applies_only_when_approved_and_exactly_as_planned(imported, tmp_path):
    run = run_import(copy_set("header_only_20260903", tmp_path / "h", days_ago=1))
    assert run.status == Status.HELD
    services.import_run_approve(run_id=run.pk)
    run = services.import_run_apply(run_id=run.pk)
    assert run.status == Status.APPLIED
    assert Pupil.objects.filter(left_at__isnull=True).count() == 0
    assert Pupil.objects.count() == 5


def test_discarded_run_changes_nothing(imported, tmp_path):
    before = snapshot()
    run = run_import(copy_set("header_only_20260903", tmp_path / "h", days_ago=1))
    run = services.import_run_discard(run_id=run.pk)
    assert run.status == Status.DISCARDED
    with pytest.raises(ApplicationError):
        services.import_run_apply(run_id=run.pk)
    assert snapshot() == before


def test_replayed_older_file_is_held(imported, tmp_path):
    before = snapshot()
    run = run_import(copy_set("delta_20260902", tmp_path / "old", days_ago=5))
    assert run.status == Status.HELD
    assert "not-newer" in run.held_reasons
    assert snapshot() == before


def test_feed_older_than_seven_days_is_held(tmp_path, imported):
    run = run_import(copy_set("delta_20260902", tmp_path / "d", days_ago=9))
    assert "too-old" in run.held_reasons


def test_tampered_plan_is_refused_and_nothing_changes(imported, tmp_path):
    run = run_import(copy_set("header_only_20260903", tmp_path / "h", days_ago=1))
    item = run.plan_items.filter(kind="pupil").first()
    item.action = "update"
    item.save()
    services.import_run_approve(run_id=run.pk)
    before = snapshot()
    with pytest.raises(ApplicationError) as exc:
        services.import_run_apply(run_id=run.pk)
    assert exc.value.code == "plan-hash"
    assert snapshot() == before


def test_plan_made_before_another_run_applied_is_stale(imported, tmp_path, settings):
    settings.IMPORT_MAX_LEAVE_RATIO = 0.7
    held = run_import(copy_set("header_only_20260903", tmp_path / "h", days_ago=0))
    assert held.status == Status.HELD
    applied = run_import(copy_set("delta_20260902", tmp_path / "d", days_ago=1))
    assert applied.status == Status.APPLIED
    services.import_run_approve(run_id=held.pk)
    before = snapshot()
    with pytest.raises(ApplicationError) as exc:
        services.import_run_apply(run_id=held.pk)
    assert exc.value.code == "stale-plan"
    assert snapshot() == before


HOSTILE = ["xxe.xml", "entity_bomb.xml", "truncated.xml", "not_well_formed.xml",
           "wrong_encoding.xml", "wrong_root.xml", "unknown_entity.xml"]  # fmt: skip


@pytest.mark.parametrize("bad", HOSTILE)
def test_file_level_fault_fails_the_run_and_changes_nothing(imported, tmp_path, bad):
    folder = copy_set("complet_20260901", tmp_path / "set", days_ago=1)
    target = next(folder.glob("*_Eleve_*"))
    shutil.copy(FIXTURES / "bad" / bad, target)
    before = snapshot()
    run = run_import(folder)
    assert run.status == Status.FAILED
    problem = ImportProblem.objects.get(run=run)
    assert (problem.level, problem.file) == ("error", target.name)
    assert problem.code in {"dtd-entities", "truncated", "not-well-formed", "encoding",
                            "wrong-root"}  # fmt: skip
    assert run.plan_items.count() == 0
    assert snapshot() == before


def test_delta_for_an_unknown_person_changes_nothing(imported, tmp_path):
    folder = tmp_path / "unknown"
    folder.mkdir()
    date = timezone.localdate().strftime("%Y%m%d")
    (folder / f"ENT1D_Delta_{date}_PersRelEleve_0000.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ficAlimMENESR>\n<modifyRequest>'
        '<operationalAttributes><attr name="categoriePersonne"><value>PersRelEleve</value>'
        "</attr></operationalAttributes><identifier><id>9999</id></identifier><modifications>"
        '<modification name="ENTPersonNom" operation="replace"><value>X</value></modification>'
        "</modifications></modifyRequest>\n</ficAlimMENESR>\n",
        encoding="utf-8",
    )
    before = snapshot()
    run = run_import(folder)
    assert run.status == Status.APPLIED
    # No kept pupil links to them: a person of a closed school, counted and not reported.
    assert list(run.problems.values_list("code", "identifier", "school_key")) == []
    assert run.skipped_counts == {"guardian": 1}
    assert snapshot() == before


def test_closing_a_school_makes_its_people_leave_and_reopening_brings_them_back(imported):
    run = services.school_close_reconcile(uais=["0135678B"])
    assert {k: c["left"] for k, c in run.counts.items()} == {
        "pupil": 2,
        "link": 3,
        "guardian": 3,
        "staff": 1,
        "class": 2,
    }
    assert set(Pupil.objects.filter(left_at__isnull=True).values_list("join_key", flat=True)) == {
        "4001",
        "4002",
        "4003",
    }
    assert Pupil.objects.count() == 5
    reopened = services.school_open_reconcile(uais=["0135678B"], opened_on=timezone.localdate())
    assert reopened.status == Status.APPLIED
    assert reopened.counts["pupil"]["returned"] == 2
    assert Pupil.objects.filter(left_at__isnull=True).count() == 5
    assert Guardian.objects.filter(left_at__isnull=True).count() == 6


def test_aaf_import_json_output(tmp_path, capsys):
    folder = copy_set("complet_20260901", tmp_path / "c", days_ago=1)
    call_command("aaf_import", str(folder), "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload == {
        "run": ImportRun.objects.get().pk,
        "status": "applied",
        "held_reasons": [],
        "errors": 0,
        "warnings": 0,
        "counts": {
            "school": {"created": 2, "updated": 0, "left": 0, "returned": 0, "unchanged": 0},
            **{
                kind: {"created": 0, "updated": 0, "left": 0, "returned": 0, "unchanged": 0}
                for kind in ("class", "pupil", "guardian", "staff", "link")
            },
        },
        "skipped_closed_school": {},
    }


def test_aaf_import_dry_run_writes_nothing(imported, tmp_path, capsys):
    before = snapshot()
    runs = ImportRun.objects.count()
    # One pupil of five leaves: the real run would be held, and the dry run says so (exit 3).
    with pytest.raises(CommandError) as caught:
        call_command("aaf_import", str(copy_set("delta_20260902", tmp_path / "d")), "--dry-run",
                     "--json")  # fmt: skip
    assert caught.value.returncode == 3
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "dry-run"
    assert payload["held_reasons"] == ["mass-leave-city", "mass-leave-school"]
    assert payload["counts"]["pupil"] == {
        "created": 1,
        "updated": 2,
        "left": 1,
        "returned": 0,
        "unchanged": 0,
    }
    assert ImportRun.objects.count() == runs
    assert snapshot() == before


def test_aaf_import_exits_non_zero_on_failure(tmp_path):
    folder = copy_set("complet_20260901", tmp_path / "c")
    shutil.copy(FIXTURES / "bad" / "truncated.xml", next(folder.glob("*_Eleve_*")))
    with pytest.raises(CommandError):
        call_command("aaf_import", str(folder), "--json")
    assert School.objects.count() == 0
    assert SchoolClass.objects.count() == 0


def test_generated_feed_imports_exactly_what_the_generator_wrote(tmp_path):
    import datetime

    from devtools import feedgen

    date = timezone.localdate() - datetime.timedelta(days=1)
    feed = feedgen.generate_complet(
        tmp_path / "gen", feedgen.GenOptions(schools=3, pupils_per_school=40, seed=5, date=date)
    )
    run_import(tmp_path / "gen")
    services.school_open_reconcile(uais=feed.school_uais, opened_on=date)
    assert Pupil.objects.filter(left_at__isnull=True).count() == feed.counts["pupils"]
    assert Guardian.objects.filter(left_at__isnull=True).count() == feed.counts["guardians"]
    assert Staff.objects.filter(left_at__isnull=True).count() == feed.counts["staff"]
    assert GuardianLink.objects.filter(left_at__isnull=True).count() == feed.counts["links"]
    assert GuardianLink.objects.filter(legal__gt=0).count() == feed.counts["authorities"]
    # A second import of the same files finds nothing to do.
    again = run_import(tmp_path / "gen")
    assert all(c["unchanged"] == sum(c.values()) for c in again.counts.values())


def test_person_in_an_open_and_a_closed_school_keeps_only_the_open_link(imported, tmp_path):
    folder = _teach_in_both_schools(copy_set("complet_20260901", tmp_path / "c", days_ago=1))
    services.school_close_reconcile(uais=["0135678B"])
    run_import(folder)
    assert list(
        Staff.objects.get(join_key="2001").assignments.values_list("school__uai", flat=True)
    ) == ["0131234A"]


def _teach_in_both_schools(folder):
    staff_file = next(folder.glob("*_PersEducNat_*"))
    text = staff_file.read_text(encoding="utf-8")
    # Hélène (2001) also teaches in the second school.
    text = text.replace(
        "<value>1301001$ENS$", "<value>1301002$ENS$ENSEIGNEMENT$-$-</value><value>1301001$ENS$", 1
    )
    staff_file.write_text(text, encoding="utf-8")
    return folder


def test_closing_one_of_two_schools_then_reopening_it_restores_the_assignment(tmp_path):
    def schools():
        helene = Staff.objects.get(join_key="2001")
        return sorted(helene.assignments.values_list("school__uai", flat=True))

    run_import(_teach_in_both_schools(copy_set("complet_20260901", tmp_path / "a", days_ago=3)))
    services.school_open_reconcile(uais=["0131234A", "0135678B"], opened_on=timezone.localdate())
    assert schools() == ["0131234A", "0135678B"]
    services.school_close_reconcile(uais=["0135678B"])
    assert schools() == ["0131234A"]
    services.school_open_reconcile(uais=["0135678B"], opened_on=timezone.localdate())
    # Opening adds and brings back people; a present person's record waits for the next feed,
    # which sees that her row no longer matches what the feed says of her.
    run = run_import(
        _teach_in_both_schools(copy_set("complet_20260901", tmp_path / "b", days_ago=2))
    )
    assert run.status == Status.APPLIED, run.held_reasons
    assert run.counts["staff"] == {
        "created": 0,
        "updated": 1,
        "left": 0,
        "returned": 0,
        "unchanged": 2,
    }
    assert schools() == ["0131234A", "0135678B"]
    before = snapshot()
    again = run_import(
        _teach_in_both_schools(copy_set("complet_20260901", tmp_path / "c", days_ago=1))
    )
    assert again.counts["staff"]["unchanged"] == 3
    assert ImportPlanItem.objects.filter(run=again).count() == 0
    assert snapshot() == before


def test_new_key_with_the_name_and_birth_date_of_a_leaver_is_flagged_not_merged(
    imported, tmp_path, settings
):
    settings.IMPORT_MAX_LEAVE_RATIO = 0.7
    folder = copy_set("complet_20260901", tmp_path / "c", days_ago=1)
    pupils = next(folder.glob("*_Eleve_*"))
    pupils.write_text(pupils.read_text(encoding="utf-8").replace(">4003<", ">4999<"), "utf-8")
    run = run_import(folder)
    assert run.status == Status.APPLIED, run.held_reasons
    assert list(run.problems.values_list("code", "identifier", "school_key")) == [
        ("possible-duplicate", "4999", "1301001")  # shown in that school's import report
    ]
    assert Pupil.objects.get(join_key="4003").left_at is not None
    assert Pupil.objects.get(join_key="4999").left_at is None


def test_after_the_convention_ends_nothing_is_imported_or_fetched(tmp_path):
    from imports import fetch
    from privacy.models import PurgeRun

    PurgeRun.objects.create(
        kind=PurgeRun.Kind.TERMINATION, status=PurgeRun.Status.DONE,
        trigger=PurgeRun.Trigger.COMMAND, as_of=timezone.localdate(),
    )  # fmt: skip
    run = services.import_run_create(
        paths=sorted(copy_set("complet_20260901", tmp_path / "c", days_ago=1).glob("*.xml")),
        trigger=COMMAND,
    )
    run = services.import_run_plan(run_id=run.pk)
    with pytest.raises(ApplicationError) as exc:
        services.import_run_apply(run_id=run.pk)
    assert exc.value.code == "convention-terminated"
    with pytest.raises(ApplicationError) as fetched:
        fetch.aaf_fetch(trigger=COMMAND)
    assert fetched.value.code == "convention-terminated"
    assert School.objects.count() == 0


def test_the_first_import_skips_the_age_guard_as_the_readme_says(tmp_path):
    """Issue 20: the first import applied a 30-day-old feed and the README did not say so."""
    from pathlib import Path

    run = run_import(copy_set("complet_20260901", tmp_path / "c", days_ago=30))
    assert (run.status, run.held_reasons) == (Status.APPLIED, [])
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert "the\nage guard is skipped too, so a first feed older than `IMPORT_MAX_AGE_DAYS` is" in (
        readme
    )


def _plan_hash_by_definition(run_id: int) -> str:
    """The stored hash's definition (as migration 0007 froze it): each item's kind, action,
    key, school, data as the database renders it and digest, str()-ed, joined by \\x1f, in
    order. Held runs planned before a change of implementation must still apply."""
    import hashlib

    from django.db.models import TextField
    from django.db.models.functions import Cast

    digest = hashlib.sha256()
    rows = (
        ImportPlanItem.objects.filter(run_id=run_id)
        .order_by("seq")
        .annotate(text=Cast("data", TextField()))
        .values_list("kind", "action", "key", "school_key", "text", "digest")
    )
    for row in rows:
        digest.update("\x1f".join(map(str, row)).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def test_plan_hash_is_unchanged_by_its_implementation(imported, tmp_path, monkeypatch):
    """Creates, updates, leaves (NULL digest), several pages, text with tabs and accents."""
    monkeypatch.setattr(
        services, "HASH_PAGE", 3
    )  # pages of 3 items: the keyset paging is exercised
    run = run_import(copy_set("header_only_20260903", tmp_path / "h", days_ago=1))
    ImportPlanItem.objects.create(
        run=run, seq=100, kind="pupil", action="update", key="k\t2", school_key="",
        data={"first_name": "Zoé\tÉ\n\\", "birth_date": None, "n": [1, 2.5]}, digest=-42,
    )  # fmt: skip
    items = ImportPlanItem.objects.filter(run=run)
    assert items.filter(digest__isnull=True).exists()
    assert items.count() > 3 * 2
    expected = _plan_hash_by_definition(run.pk)
    assert services.plan_hash(run_id=run.pk) == expected
    assert run.plan_hash != expected  # the item added above changed it


def test_apply_analyzes_a_table_again_only_if_written_since(tmp_path, monkeypatch):
    from imports import apply

    monkeypatch.setattr(apply, "ANALYZE_ABOVE", 1)  # the fixture is small
    run_import(copy_set("complet_20260901", tmp_path / "complet", days_ago=2))
    with CaptureQueriesContext(connection) as queries:
        services.school_open_reconcile(
            uais=["0131234A", "0135678B"], opened_on=timezone.localdate()
        )
    analyzed = [
        q["sql"].split('"')[1] for q in queries.captured_queries if q["sql"].startswith('ANALYZE "')
    ]
    # Before the links: the persons they look up and the links; after: every table but the
    # persons, not written since (the links are).
    assert analyzed == [
        "schools_pupil", "schools_guardian", "schools_guardianlink",
        "schools_school", "schools_schoolclass", "schools_pupilclass", "schools_guardianlink",
        "schools_staff", "schools_staffassignment", "schools_staffclass",
    ]  # fmt: skip


def test_plan_items_have_no_index_of_their_run_alone():
    """The unique (run, seq) index serves lookups by run: an index of run alone was one more
    write per item stored and per item whose values are dropped."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "imports_importplanitem")
    indexed = sorted(
        tuple(c["columns"])
        for c in constraints.values()
        if c["index"] or c["unique"] or c["primary_key"]
    )
    assert indexed == [("id",), ("run_id", "school_key"), ("run_id", "seq")]


def test_stored_items_of_a_kind_come_in_order_across_windows_and_gaps(monkeypatch):
    monkeypatch.setattr(services, "ITEM_PAGE", 2)  # windows of two seqs
    run = ImportRun.objects.create(status=Status.PLANNED, trigger=COMMAND)
    other = ImportRun.objects.create(status=Status.PLANNED, trigger=COMMAND)
    kinds = {1: "pupil", 2: "guardian", 3: "pupil", 4: "pupil", 8: "guardian", 9: "pupil",
             14: "pupil"}  # fmt: skip
    for seq, kind in kinds.items():
        ImportPlanItem.objects.create(
            run=run, seq=seq, kind=kind, action="create", key=f"k{seq}", data={"n": seq},
            digest=seq,
        )  # fmt: skip
    ImportPlanItem.objects.create(run=other, seq=5, kind="pupil", action="create", key="x")

    items = list(services._stored_items(run, kind="pupil"))

    assert [(i.key, i.data, i.digest) for i in items] == [
        (f"k{seq}", {"n": seq}, seq) for seq, kind in kinds.items() if kind == "pupil"
    ]
    assert list(services._stored_items(run, kind="link")) == []
