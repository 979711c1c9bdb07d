"""`manage.py letters_print`: a school, a class or every open school from the command line."""

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from accounts.models import ActivationCode, LetterBatch
from accounts.tests.support import audit_events, pdf_pages
from entaix.tests import factories

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("letters_print", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        LetterBatch.objects.count(),
        ActivationCode.objects.count(),
        LogEntry.objects.count(),
    )


def test_school_and_class_from_the_command_line(family, tmp_path):
    a = family["a"]
    out = tmp_path / "ecole-a.pdf"
    printed = run("--school", a["school"].uai.lower(), "--profile", "guardian", "--out", str(out))
    batch = LetterBatch.objects.get()
    assert printed == f"{a['school'].uai} : 5 lettres, 7 pages -> {out} (lot {batch.pk})\n"
    assert (batch.origin, batch.requested_by_id, batch.status, batch.file.name) == (
        "command", None, "done", "",
    )  # fmt: skip
    pages = pdf_pages(out.read_bytes())
    assert len(pages) == 7 and "par system" in pages[0]
    # Recorded as printed by the system: no person is the actor.
    entries = LogEntry.objects.filter(additional_data__event="letter-printed")
    assert entries.count() == 5 and set(entries.values_list("actor_id", flat=True)) == {None}
    assert ActivationCode.objects.filter(printed_at=batch.printed_at, printed_by=None).count() == 5

    one = tmp_path / "classe.pdf"
    run("--school", a["school"].uai, "--class", a["classes"][0].name, "--profile", "pupil",
        "--layout", "slips", "--out", str(one))  # fmt: skip
    assert len(pdf_pages(one.read_bytes())) == 2


def test_every_open_school_one_pdf_each_a_guardian_once(family, tmp_path):
    a, b = family["a"], family["b"]
    closed = factories.SchoolFactory(ent_open=False, ent_opened_on=None)
    empty = factories.SchoolFactory()
    folder = tmp_path / "septembre"
    printed = run("--all-open-schools", "--profile", "guardian", "--out", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{a['school'].uai}.pdf", f"{b['school'].uai}.pdf"]
    )
    assert f"{empty.uai} : personne n'a besoin d'une lettre, aucun fichier" in printed
    assert closed.uai not in printed
    texts = ["\n".join(pdf_pages((folder / f"{s['school'].uai}.pdf").read_bytes())) for s in (a, b)]
    assert texts[0].count("Aïcha Zidane") == 1 and "Aïcha Zidane" not in texts[1]
    assert len(audit_events("letter-printed")) == 9  # 5 + 4 guardians, each once


def test_bad_input_is_a_clear_error_and_writes_nothing(family, tmp_path):
    a = family["a"]
    closed = factories.SchoolFactory(ent_open=False, ent_opened_on=None)
    out = tmp_path / "x.pdf"
    before = snapshot()
    cases = [
        (["--school", "0000000Z", "--profile", "pupil"], "Aucune école n'a l'UAI 0000000Z."),
        (["--school", a["school"].uai, "--class", "CM9", "--profile", "pupil"],
         f"L'école {a['school'].uai} n'a pas de classe nommée CM9."),
        (["--school", closed.uai, "--profile", "pupil"],
         f"L'ENT de l'école {closed.uai} n'est pas ouvert : aucune lettre ne peut être imprimée."),
        (["--school", a["school"].uai, "--profile", "staff"],
         "Personne dans ce lot n'a besoin d'une lettre."),
    ]  # fmt: skip
    for args, message in cases:
        with pytest.raises(CommandError) as error:
            call_command("letters_print", *args, "--out", str(out), stdout=io.StringIO())
        assert str(error.value) == message
    assert snapshot() == before
    assert not out.exists()
