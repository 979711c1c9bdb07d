"""Finding 3 (annex 1: "seules les dernières mises à jour sont conservées"): after a rename and a
phone change, no table holds the old value; applied plan items keep keys and field names, the
problems of an applied or discarded run keep level, code, file, line, key and school."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from entaix.tests.factories import account
from imports.models import ImportPlanItem, ImportProblem, ImportRun
from imports.services import import_run_discard
from privacy.tests.conftest import apply_import, where_found

pytestmark = pytest.mark.django_db


def test_after_a_rename_and_a_phone_change_no_table_holds_the_old_values(family):
    mother = account(family.mother)
    mother.email = "aissatou.perso@example.fr"
    mother.save()
    mother.email = "awa.perso@example.fr"
    mother.save()
    run = apply_import(
        [
            (
                "guardian",
                "update",
                family.mother.join_key,
                {"first_name": "Awa", "mobile_phone": "0700000001"},
            )
        ],
        # What the planner said of the record, with the old values in it.
        problems=[
            ImportProblem(
                level="warning",
                code="bad-name",
                identifier=family.mother.join_key,
                message="'Aïssatou' / 0611223344 / aissatou.perso@example.fr",
            )
        ],
    )
    assert run.status == "applied"
    family.mother.refresh_from_db()
    assert (family.mother.first_name, family.mother.mobile_phone) == ("Awa", "0700000001")
    # The applied plan keeps which fields changed, not their values.
    item = ImportPlanItem.objects.get(run=run)
    assert (item.key, item.data) == (
        family.mother.join_key,
        {"first_name": None, "mobile_phone": None},
    )
    # A second rename: the first new value is now an old one, and nowhere either.
    run = apply_import([("guardian", "update", family.mother.join_key, {"first_name": "Awou"})])
    assert run.status == "applied"
    assert where_found(["Aïssatou", "0611223344", "aissatou.perso@example.fr"]) == []
    assert ImportPlanItem.objects.filter(data__first_name="Awa").count() == 0
    # The account's audit entries say the e-mail changed, without its values.
    entries = LogEntry.objects.get_for_object(mother).filter(
        action=LogEntry.Action.UPDATE, additional_data__isnull=True
    )
    assert [e.changes for e in entries] == [
        {"email": ["[redacted]", "[redacted]"]},
        {"email": ["[redacted]", "[redacted]"]},
    ]


def _problems(family) -> list[ImportProblem]:
    """What a planner says of the mother's record: values of the feed in the messages."""
    key, school = family.mother.join_key, family.school.join_key
    return [
        ImportProblem(level="warning", code="possible-duplicate", file="", line=None,
                      identifier=key, school_key=school,
                      message="Same name and birth date as RESP-7302-MD, who left: review."),
        ImportProblem(level="warning", code="bad-name", file="ENT2D.RESP.xml", line=12,
                      identifier=key, school_key=school,
                      message="ENTPersonPrenom: 'Aïssatou 0611223344' is not a name"),
        ImportProblem(level="warning", code="some-future-code", file="ENT2D.RESP.xml", line=14,
                      identifier=key, school_key=school, message="valeur 3 rue Sextius"),
        # A file-level notice: counts and attribute names, no person.
        ImportProblem(level="warning", code="unknown-attribute", file="ENT2D.RESP.xml",
                      line=None, identifier="", school_key="",
                      message="unknown attribute 'ENTFoo' ignored in 3 record(s)"),
    ]  # fmt: skip


KEPT = [
    ("warning", "possible-duplicate", "", None, "school",
     "Same name and birth date as a person who left: review."),
    ("warning", "bad-name", "ENT2D.RESP.xml", 12, "school", "A name of this record is not valid."),
    ("warning", "some-future-code", "ENT2D.RESP.xml", 14, "school",
     "Details removed once the run was decided (only the latest values are kept)."),
    ("warning", "unknown-attribute", "ENT2D.RESP.xml", None, "",
     "unknown attribute 'ENTFoo' ignored in 3 record(s)"),
]  # fmt: skip


def _kept(run, family) -> list[tuple]:
    rows = ImportProblem.objects.filter(run=run).order_by("id")
    assert [p.identifier for p in rows] == [family.mother.join_key] * 3 + [""]
    return [
        (p.level, p.code, p.file, p.line, "school" if p.school_key else "", p.message) for p in rows
    ]


def test_an_applied_run_s_problems_keep_keys_and_codes_not_values(family):
    run = apply_import(
        [
            (
                "guardian",
                "update",
                family.mother.join_key,
                {"first_name": "Awa", "mobile_phone": "0700000001", "address": "5 rue Cardinale"},
            )
        ],
        problems=_problems(family),
    )
    assert run.status == "applied"
    assert _kept(run, family) == KEPT
    assert where_found(["Aïssatou", "0611223344", "3 rue Sextius", "RESP-7302-MD"]) == [
        # The father's own record: his key is his, in the directory.
        ("schools_guardian", "join_key", "RESP-7302-MD")
    ]


def test_a_discarded_run_s_problems_lose_their_values_and_the_reports_show_what_is_kept(
    client, family
):
    run = ImportRun.objects.create(
        status=ImportRun.Status.HELD, trigger=ImportRun.Trigger.COMMAND, mode="Delta"
    )
    for problem in _problems(family):
        problem.run = run
        problem.save()
    untouched = ImportRun.objects.create(
        status=ImportRun.Status.HELD, trigger=ImportRun.Trigger.COMMAND, mode="Delta"
    )
    ImportProblem.objects.create(run=untouched, level="warning", code="bad-name",
                                 identifier="X", message="'Aïssatou' is not a name")  # fmt: skip
    import_run_discard(run_id=run.pk)
    assert _kept(run, family) == KEPT
    # A run not yet decided keeps its message: the reviewer needs it.
    assert list(ImportProblem.objects.filter(run=untouched).values_list("message", flat=True)) == [
        "'Aïssatou' is not a name"
    ]
    client.force_login(account(family.director))
    page = client.get(reverse("imports:school-report", args=[run.pk, family.school.uai]))
    assert page.status_code == 200
    assert [p.display_message for p in page.context["problems"]] == [
        "Même nom et même date de naissance qu'une personne partie : à vérifier.",
        "Un nom de cet enregistrement n'est pas valide.",
        "Détails effacés une fois l'import décidé (seules les dernières valeurs sont gardées).",
    ]
    assert "Aïssatou" not in page.content.decode()
    csv = client.get(reverse("imports:school-problems-csv", args=[run.pk, family.school.uai]))
    assert csv.content.decode("utf-8-sig").splitlines() == [
        "level,code,file,line,identifier,school,message",
        f"warning,possible-duplicate,,,{family.mother.join_key},{family.school.join_key},"
        "Même nom et même date de naissance qu'une personne partie : à vérifier.",
        f"warning,bad-name,ENT2D.RESP.xml,12,{family.mother.join_key},{family.school.join_key},"
        "Un nom de cet enregistrement n'est pas valide.",
        f"warning,some-future-code,ENT2D.RESP.xml,14,{family.mother.join_key},"
        f"{family.school.join_key},"
        "Détails effacés une fois l'import décidé (seules les dernières valeurs sont gardées).",
    ]
