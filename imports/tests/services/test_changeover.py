"""The September changeover (issue 21, part 1): a generated city's next school year
(`aaf_generate --next-year`) is held for a changeover review whose figures match a count made
here from the generated files themselves; after approval, leavers' accounts are deactivated,
arrivals have accounts and letters to print, with codes running to the end of the school year."""

import datetime
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from accounts import services as account_services
from accounts.letter_selectors import letter_batch_selection
from accounts.models import LetterBatch, User
from accounts.selectors import class_letters_to_print
from devtools import feedgen
from entaix.common.exceptions import ApplicationError
from imports import changeover, selectors, services
from imports.models import ImportRun
from imports.tests.feeds import snapshot
from schools.models import Pupil, School, SchoolClass, Staff

pytestmark = pytest.mark.django_db
Status = ImportRun.Status
COMMAND = ImportRun.Trigger.COMMAND
TODAY = timezone.localdate()


# -- reading the generated files, independently of the importer ------------------------------


def _records(folder: Path, kind: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for path in sorted(folder.glob(f"*_{kind}_*.xml")):
        for request in etree.parse(str(path), parser).getroot().iter("addRequest"):
            attrs = {
                attr.get("name"): [value.text or "" for value in attr.iter("value")]
                for attr in request.iter("attr")
            }
            yield attrs


def _read(folder: Path, open_uais: set[str]) -> dict:
    """What the files say about the open schools: pupils (school, level, class), classes
    (school, code) by name, staff by their open schools."""
    schools = {
        a["ENTStructureJointure"][0]: a["ENTStructureUAI"][0]
        for a in _records(folder, "EtabEducNat")
    }
    open_keys = {key for key, uai in schools.items() if uai in open_uais}
    pupils, classes, authority = {}, {}, {}
    for a in _records(folder, "Eleve"):
        kept = [key for key in a["ENTPersonStructRattach"] if key in open_keys]
        if not kept:
            continue
        homes = sorted(
            (value.split("$")[0], value.split("$")[3], value.split("$")[4])
            for value in a.get("ENTPersonClasses", [])
            if value.split("$")[0] in open_keys
        )
        for school, code, name in homes:
            classes[(school, code)] = name
        home = (homes[0][0], homes[0][1]) if homes else None
        pupils[a["ENTPersonJointure"][0]] = (kept[0], a["ENTEleveNiveau"][0], home)
        authority[a["ENTPersonJointure"][0]] = {
            value.split("$")[0] for value in a.get("ENTEleveAutoriteParentale", []) if value
        }
    staff = {}
    for a in _records(folder, "PersEducNat"):
        keys = set(a["ENTPersonStructRattach"]) | {
            value.split("$")[0] for value in a.get("ENTPersonFonctions", [])
        }
        kept = keys & open_keys
        if kept:
            staff[a["ENTPersonJointure"][0]] = kept
            for value in a.get("ENTPersonClasses", []):
                parts = value.split("$")
                if parts[0] in open_keys:
                    classes.setdefault((parts[0], parts[3]), parts[4])
    return {"schools": schools, "pupils": pupils, "classes": classes, "staff": staff,
            "authority": authority}  # fmt: skip


def _expected(before: dict, after: dict, kinds: dict[str, str]) -> dict:
    """Per school UAI, the review's figures counted from the two years' files."""
    uai = {**before["schools"], **after["schools"]}
    figures: dict = defaultdict(lambda: defaultdict(Counter))
    old, new = before["pupils"], after["pupils"]
    moves: dict = defaultdict(Counter)
    for key, (school, level, home) in old.items():
        if key not in new:
            expected = level == "CM2" or (level == "GS" and "MATERNELLE" in kinds[uai[school]])
            figures[uai[school]]["leavers"][(level, expected)] += 1
        elif new[key][0] != school:
            figures[uai[school]]["moves"]["out"] += 1
            figures[uai[new[key][0]]]["moves"]["in"] += 1
        elif home and new[key][2]:
            moves[school][(home, new[key][2])] += 1
    for key, (school, level, _home) in new.items():
        if key not in old:
            figures[uai[school]]["arrivals"][level] += 1
    for school, counts in moves.items():
        sources = defaultdict(set)
        for old_class, new_class in counts:
            sources[new_class].add(old_class)
        for (old_class, new_class), n in counts.items():
            names = (before["classes"][old_class], after["classes"][new_class])
            figures[uai[school]]["class_moves"][names] += n
            if sources[new_class] == {old_class}:
                figures[uai[school]]["split_parts"][(names[0], names[1])] += 1
    for (school, code), name in after["classes"].items():
        if (school, code) not in before["classes"]:
            figures[uai[school]]["new_classes"][name] += 1
        elif before["classes"][(school, code)] != name:
            figures[uai[school]]["renamed"][(before["classes"][(school, code)], name)] += 1
    for (school, code), name in before["classes"].items():
        if (school, code) not in after["classes"]:
            figures[uai[school]]["closed_classes"][name] += 1
    for key, schools in after["staff"].items():
        if key not in before["staff"]:
            figures[uai[min(schools)]]["staff"]["arrived"] += 1
        else:
            gone, came = before["staff"][key] - schools, schools - before["staff"][key]
            for school in gone:
                figures[uai[school]]["staff"]["out"] += 1
            for school in came:
                figures[uai[school]]["staff"]["in"] += 1
    for key, schools in before["staff"].items():
        if key not in after["staff"]:
            figures[uai[min(schools)]]["staff"]["left"] += 1
    return figures


def _review_as_figures(review) -> dict:
    figures: dict = defaultdict(lambda: defaultdict(Counter))
    for school in review:
        entry = figures[school.uai]
        for level, n, expected in school.leavers:
            entry["leavers"][(level, expected)] += n
        for level, n in school.arrivals:
            entry["arrivals"][level] += n
        if school.moved_out:
            entry["moves"]["out"] += school.moved_out
        if school.moved_in:
            entry["moves"]["in"] += school.moved_in
        for old, new, n in school.class_moves:
            entry["class_moves"][(old, new)] += n
        for old, news in school.splits:
            for new in news:
                entry["split_parts"][(old, new)] += 1
        for old, new in school.renamed:
            entry["renamed"][(old, new)] += 1
        for name in school.new_classes:
            entry["new_classes"][name] += 1
        for name in school.closed_classes:
            entry["closed_classes"][name] += 1
        for name, value in (("arrived", school.staff_arrived), ("left", school.staff_left),
                            ("in", sum(n for _, n in school.staff_in)),
                            ("out", sum(n for _, n in school.staff_out))):  # fmt: skip
            if value:
                entry["staff"][name] += value
    return figures


def _plain(figures: dict, *, splits_only: bool) -> dict:
    """Comparable dicts; a split is an old class with at least two classes fed only by it."""
    result = {}
    for uai, entry in figures.items():
        entry = {name: dict(counter) for name, counter in entry.items() if counter}
        parts = entry.pop("split_parts", {})
        by_old = Counter(old for old, _new in parts)
        splits = {(old, new) for old, new in parts if by_old[old] >= 2}
        if splits or not splits_only:
            entry["splits"] = sorted(splits)
        if any(value for value in entry.values()):
            result[uai] = entry
    return result


# -- the scenario ------------------------------------------------------------------------------


@pytest.fixture
def city(tmp_path, settings):
    """A generated city applied three days ago, its open schools opened, every letter of
    their people printed; then its next school year generated, dated today. The changeover
    date is set to yesterday (the date rule; the class rule stays off)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCHOOL_YEAR_CHANGEOVER = f"{TODAY - datetime.timedelta(days=1):%m-%d}"
    settings.IMPORT_CHANGEOVER_CLASS_RATIO = 0
    options = feedgen.GenOptions(
        schools=4, pupils_per_school=60, seed=5, date=TODAY - datetime.timedelta(days=3)
    )
    feed = feedgen.generate_complet(tmp_path / "year1", options)
    assert services.import_files(paths=[tmp_path / "year1"], trigger=COMMAND).status == (
        Status.APPLIED
    )
    open_uais = set(feed.school_uais) - set(feed.closed_school_uais)
    assert len(open_uais) == 3
    services.school_open_reconcile(uais=sorted(open_uais), opened_on=TODAY)
    for uai in sorted(open_uais):
        for profile in ("guardian", "pupil", "staff"):
            account_services.letter_batch_print(
                uai=uai, profile=profile, out=tmp_path / f"{uai}-{profile}.pdf"
            )
    call_command(
        "aaf_generate", "--out", str(tmp_path / "year2"), "--delta-from",
        str(tmp_path / "year1"), "--next-year", "--seed", "7", "--date", TODAY.isoformat(),
    )  # fmt: skip
    kinds = dict(School.objects.values_list("uai", "structure_type"))
    before = _read(tmp_path / "year1", open_uais)
    after = _read(tmp_path / "year2", open_uais)
    return {"open": open_uais, "before": before, "after": after, "kinds": kinds,
            "folder": tmp_path / "year2"}  # fmt: skip


def _import(folder: Path) -> ImportRun:
    return services.import_files(paths=[folder], trigger=COMMAND)


def test_the_generated_changeover_is_held_for_review_with_figures_counted_from_the_files(city):
    run = _import(city["folder"])
    assert run.status == Status.HELD
    assert run.held_reasons == ["changeover"]  # one clear reason, not mass-leave
    review = selectors.changeover_review(run=run)
    expected = _plain(_expected(city["before"], city["after"], city["kinds"]), splits_only=False)
    assert _plain(_review_as_figures(review), splits_only=False) == expected
    # What the generator was asked for is there: CM2 leave, CP and PS arrive, classes are
    # renamed and one is split, a teacher moves school.
    leavers = Counter()
    arrivals = Counter()
    for entry in expected.values():
        for (level, _expected_level), n in entry.get("leavers", {}).items():
            leavers[level] += n
        arrivals.update(entry.get("arrivals", {}))
    assert leavers["CM2"] > 0 and set(arrivals) == {"CP", "PS"}
    assert sum(len(e.get("splits", [])) for e in expected.values()) == 2  # one class, two halves
    assert sum(len(e.get("renamed", {})) for e in expected.values()) >= 3
    assert sum(e.get("staff", {}).get("out", 0) for e in expected.values()) == 1
    assert sum(e.get("staff", {}).get("in", 0) for e in expected.values()) == 1


def test_after_approval_leavers_are_deactivated_and_arrivals_have_letters_to_print(city, tmp_path):
    before, after = city["before"]["pupils"], city["after"]["pupils"]
    leavers = sorted(set(before) - set(after))
    arrivals = sorted(set(after) - set(before))
    run = _import(city["folder"])
    run = services.import_run_approve(run_id=run.pk)
    run = services.import_run_apply(run_id=run.pk)
    assert run.status == Status.APPLIED
    # Leavers left, their accounts deactivated (their data then follows retention).
    assert sorted(Pupil.objects.filter(left_at__isnull=False).values_list("join_key", flat=True)
                  ) == leavers  # fmt: skip
    assert (
        sorted(
            User.objects.filter(pupil__join_key__in=leavers, is_active=False).values_list(
                "pupil__join_key", flat=True
            )
        )
        == leavers
    )
    # Arrivals have active accounts, never activated.
    assert sorted(
        User.objects.filter(
            pupil__join_key__in=arrivals, is_active=True,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
        ).values_list("pupil__join_key", flat=True)
    ) == arrivals  # fmt: skip
    # "Not yet printed": exactly the arrivals of each school (everyone else's letter was
    # printed before the changeover, pupils moving school included).
    city_user = User.objects.create(login="agent.rentree", kind=User.Kind.CITY,
                                    city_role=User.CityRole.SCHOOL_SERVICE)  # fmt: skip
    uai_of = city["after"]["schools"]
    for uai in sorted(city["open"]):
        school = School.objects.get(uai=uai)
        selection = letter_batch_selection(
            user=city_user, school=school, profile=LetterBatch.Profile.PUPIL,
            batch_filter=LetterBatch.Filter.NOT_PRINTED,
        )  # fmt: skip
        logins = sorted(entry.login for group in selection.groups for entry in group.entries)
        expected = sorted(
            User.objects.filter(
                pupil__join_key__in=[k for k in arrivals if uai_of[after[k][0]] == uai]
            ).values_list("login", flat=True)
        )
        assert logins == expected
    # Directors see their new classes with the letters still to print: the arrivals per class
    # (families: their new guardians with authority).
    director = Staff.objects.filter(assignments__is_director=True).order_by("join_key").first()
    director_school = director.assignments.get(is_director=True).school
    classes = list(SchoolClass.objects.filter(school=director_school, left_at__isnull=True,
                                              kind="class"))  # fmt: skip
    counts = class_letters_to_print(user=director.account, classes=classes)
    printed_before = set().union(*city["before"]["authority"].values())
    per_class, families = Counter(), defaultdict(set)
    for key in arrivals:
        school_key, _level, home = after[key]
        if school_key == director_school.join_key:
            per_class[home[1]] += 1
            families[home[1]] |= city["after"]["authority"][key] - printed_before
    assert {c.code: counts.get(c.pk, (0, 0)) for c in classes} == {
        c.code: (len(families[c.code]), per_class[c.code]) for c in classes
    }
    assert sum(per_class.values()) > 0 and sum(map(len, families.values())) > 0
    # Codes issued for the new year run to the end of that school year (31 August).
    uai = uai_of[after[arrivals[0]][0]]
    batch = account_services.letter_batch_print(
        uai=uai, profile=LetterBatch.Profile.PUPIL, batch_filter=LetterBatch.Filter.NOT_PRINTED,
        out=tmp_path / "new.pdf",
    )  # fmt: skip
    assert batch.status == LetterBatch.Status.DONE
    last_day = datetime.date(TODAY.year, 8, 31)
    if last_day < TODAY + datetime.timedelta(days=62):  # letters of the summer: next year's
        last_day = datetime.date(TODAY.year + 1, 8, 31)
    end = timezone.make_aware(datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time.min))  # fmt: skip
    issued = User.objects.filter(pupil__join_key__in=arrivals, pupil__school__uai=uai).values_list(
        "activation_code__expires_at", flat=True
    )
    assert set(issued) == {end}
    # The changeover is over: the next Complet of the year is an ordinary one.
    assert selectors.import_run_last_complet_date() == TODAY


def test_approving_some_schools_applies_theirs_and_keeps_the_others_held(city):
    run = _import(city["folder"])
    review = selectors.changeover_review(run=run)
    chosen = review[0]
    others = [entry.key for entry in review[1:]]
    other_rows = sorted(
        Pupil.objects.filter(school__join_key__in=others).values_list(
            "join_key", "level", "left_at"
        )
    )
    run = services.import_run_approve(run_id=run.pk, school_keys=[chosen.key])
    remainder = selectors.import_run_held_remainder(run=run)
    assert remainder.status == Status.HELD and remainder.held_reasons == ["changeover"]
    assert remainder.split_from == run and remainder.base_run == run
    run = services.import_run_apply(run_id=run.pk)
    assert run.status == Status.APPLIED
    before, after = city["before"]["pupils"], city["after"]["pupils"]
    # Pupils leaving the chosen school for a held one stay until the others are approved.
    going = {key for key, (school, *_r) in before.items()
             if school == chosen.key and key in after and after[key][0] != chosen.key}  # fmt: skip
    chosen_now = sorted(
        Pupil.objects.filter(school__join_key=chosen.key, left_at__isnull=True).values_list(
            "join_key", "level"
        )
    )
    assert chosen_now == sorted(
        [(key, level) for key, (school, level, _home) in after.items() if school == chosen.key]
        + [(key, before[key][1]) for key in going]
    )
    # The other schools' pupils are as they were (the pupils moving into the chosen school
    # excepted: they arrived with it).
    moved = {key for key, (school, *_rest) in after.items() if school == chosen.key}
    assert [row for row in other_rows if row[0] not in moved] == sorted(
        Pupil.objects.filter(school__join_key__in=others)
        .exclude(join_key__in=moved)
        .values_list("join_key", "level", "left_at")
    )
    # The changeover is not over for the others: their next Complet would be one too.
    assert selectors.import_run_last_complet_date() < TODAY
    remainder = services.import_run_approve(run_id=remainder.pk)
    assert services.import_run_apply(run_id=remainder.pk).status == Status.APPLIED
    assert sorted(
        Pupil.objects.filter(left_at__isnull=True).values_list("join_key", "level")
    ) == sorted((key, level) for key, (_school, level, _home) in after.items())
    assert selectors.import_run_last_complet_date() == TODAY


def test_approving_no_school_is_refused_and_changes_nothing(city):
    run = _import(city["folder"])
    before = snapshot()
    with pytest.raises(ApplicationError, match="au moins une école"):
        services.import_run_approve(run_id=run.pk, school_keys=[])
    run.refresh_from_db()
    assert run.status == Status.HELD and not run.remainders.exists()
    assert snapshot() == before


def test_without_the_changeover_rules_the_same_feed_trips_the_leave_guards(city, settings):
    settings.SCHOOL_YEAR_CHANGEOVER = ""
    before = snapshot()
    run = _import(city["folder"])
    assert run.status == Status.HELD
    assert "changeover" not in run.held_reasons
    assert "mass-leave-school" in run.held_reasons
    assert snapshot() == before


def test_the_class_rule_recognises_a_changeover_on_another_date(city, settings):
    settings.SCHOOL_YEAR_CHANGEOVER = ""
    settings.IMPORT_CHANGEOVER_CLASS_RATIO = 0.3
    run = _import(city["folder"])
    assert run.held_reasons == ["changeover"]
    # Created, closed and renamed classes against those present before (groups included).
    counts = run.counts["class"]
    ratio = (counts["created"] + counts["left"] + counts["updated"]) / SchoolClass.objects.filter(
        left_at__isnull=True
    ).count()
    settings.IMPORT_CHANGEOVER_CLASS_RATIO = ratio
    preview = services.import_preview(paths=services.expand_paths([city["folder"]]))
    assert "changeover" not in preview.held_reasons
    assert "mass-leave-school" in preview.held_reasons


# -- the date rule, alone -----------------------------------------------------------------------


def test_school_year_start_and_the_first_complet_after_it(settings):
    settings.SCHOOL_YEAR_CHANGEOVER = "08-20"
    d = datetime.date
    assert changeover.school_year_start(d(2026, 9, 2)) == d(2026, 8, 20)
    assert changeover.school_year_start(d(2026, 8, 20)) == d(2026, 8, 20)
    assert changeover.school_year_start(d(2027, 3, 1)) == d(2026, 8, 20)
    assert changeover.by_date(d(2026, 9, 2), d(2026, 7, 3)) is True
    assert changeover.by_date(d(2026, 9, 3), d(2026, 9, 2)) is False
    assert changeover.by_date(d(2026, 9, 2), None) is False  # the first import: nothing to move
    settings.SCHOOL_YEAR_CHANGEOVER = ""
    assert changeover.by_date(d(2026, 9, 2), d(2026, 7, 3)) is False
    settings.SCHOOL_YEAR_CHANGEOVER = "02-29"
    with pytest.raises(ImproperlyConfigured, match="SCHOOL_YEAR_CHANGEOVER"):
        changeover.school_year_start(d(2026, 9, 2))


def test_next_year_generation_is_deterministic(tmp_path):
    options = feedgen.GenOptions(schools=3, pupils_per_school=30, seed=2)
    feedgen.generate_complet(tmp_path / "a", options)
    for out in ("b", "c"):
        feedgen.generate_next_year(tmp_path / "a", tmp_path / out, seed=4,
                                   date=datetime.date(2027, 9, 1))  # fmt: skip
    names = sorted(path.name for path in (tmp_path / "b").glob("*.xml"))
    assert names == sorted(path.name for path in (tmp_path / "c").glob("*.xml"))
    for name in names:
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
    # A Delta after it replays it: the next year's people, not the year before's.
    feedgen.generate_delta(tmp_path / "b", tmp_path / "d", change_rate=0.02, seed=1,
                           date=datetime.date(2027, 9, 2))  # fmt: skip


def test_review_page_says_changeover_and_approves_the_ticked_schools(
    city, client, django_capture_on_commit_callbacks
):
    run = _import(city["folder"])
    user = User.objects.create(login="agent.ville2", kind=User.Kind.CITY,
                               city_role=User.CityRole.SCHOOL_SERVICE)  # fmt: skip
    client.force_login(user)
    page = client.get(reverse("imports:run-detail", args=[run.pk]))
    text = page.content.decode()
    assert "Rentrée scolaire : école par école" in text
    review = selectors.changeover_review(run=run)
    for entry in review:
        assert f'name="schools" value="{entry.uai}"' in text
    assert "Départs" in text and "Arrivées" in text and "Classes dédoublées" in text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:run-approve", args=[run.pk]),
            {"scope": "schools", "schools": [review[0].uai]},
        )
    run.refresh_from_db()
    remainder = selectors.import_run_held_remainder(run=run)
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:run-detail", args=[remainder.pk])
    assert run.status == Status.APPLIED  # eager tasks
    page = client.get(response["Location"])
    assert f"import n° {run.pk}" in page.content.decode()


def test_the_command_approves_chosen_schools_and_names_the_held_rest(city, capsys):
    import json

    from django.core.management.base import CommandError

    run = _import(city["folder"])
    review = selectors.changeover_review(run=run)
    before = snapshot()
    with pytest.raises(CommandError, match="ne change rien dans certaines de ces écoles"):
        call_command("aaf_import", "--approve", str(run.pk), "--school", "0000000X")
    assert snapshot() == before and ImportRun.objects.get(pk=run.pk).status == Status.HELD
    capsys.readouterr()
    call_command("aaf_import", "--approve", str(run.pk), "--school", review[0].uai, "--json")
    payload = json.loads(capsys.readouterr().out)
    remainder = selectors.import_run_held_remainder(run=ImportRun.objects.get(pk=run.pk))
    assert (payload["status"], payload["held_rest"]) == ("applied", remainder.pk)
    assert remainder.status == Status.HELD
