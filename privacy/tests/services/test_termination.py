"""The convention ends: every personal datum from the feed is destroyed, and a certificate kept."""

import io
import os

import pytest
from axes.models import AccessLog
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from entaix.tests.factories import account
from imports.models import ImportFile, ImportPlanItem, ImportRun
from privacy import services
from privacy.models import DataRequest, PurgeRun
from privacy.services import export
from privacy.tests.conftest import PDF, file_request, where_found
from schools.models import Guardian, Pupil, School, Staff

pytestmark = pytest.mark.django_db

NAMES = [
    "Léa",
    "Diaye",
    "ndiaye",
    "Aïssatou",
    "aissatou",
    "Moussa",
    "Diallo",
    "Fatou",
    "fatou.sow",
    "Durand",
    "0611223344",
    "0699887766",
    "0442000000",
    "0655443322",
    "Mirabeau",
    "rue Sextius",
    "070123456AB",
    "ELV-7301-LEA",
    "RESP-7302-MD",
    "dir.sextius",
    "dir.puyricard",
    "ens.ce1",
    "CE1 A",
    "CM2 B",
    "École Sextius",
    "Puyricard",
    "Son prénom est Léna",
]


@pytest.fixture
def everything(family, city_user, private_dirs):
    """The family, a request with a document, an export, the feed's traces, a login record."""
    request = file_request(
        family,
        message="Son prénom est Léna, merci.",
        attachment=SimpleUploadedFile("id.pdf", PDF),
        attachment_type="application/pdf",
    )
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    services.data_request_note_add(
        data_request=request, actor=city_user, text="Appel de Mme N'Diaye"
    )
    export.access_export_create(data_request=request, actor=city_user)
    run = ImportRun.objects.create(status="applied", trigger="command")
    ImportPlanItem.objects.create(
        run=run,
        seq=0,
        kind="pupil",
        action="create",
        key=family.lea.join_key,
        data={"first_name": "Léa"},
    )
    inbox = private_dirs / "inbox"
    inbox.mkdir()
    (inbox / "partial.tmp").write_text("Léa N'Diaye")
    raw = inbox / "ENT2D.ELEVES.xml"
    raw.write_text("<x>Léa N'Diaye</x>")
    ImportFile.objects.create(
        run=run,
        name=raw.name,
        kind="Eleve",
        mode="Complet",
        feed_date="2026-09-01",
        size=1,
        sha256="0" * 64,
        path=str(raw),
    )
    AccessLog.objects.create(
        username=account(family.mother).login,
        ip_address="10.0.0.2",
        user_agent="x",
        path_info="/comptes/login/",
    )
    return request


def files_under(path) -> list[str]:
    return [os.path.join(d, f) for d, _s, files in os.walk(path) for f in files]


def state():
    return (
        Pupil.objects.count(),
        Guardian.objects.count(),
        Staff.objects.count(),
        User.objects.count(),
        School.objects.count(),
        ImportPlanItem.objects.count(),
        PurgeRun.objects.count(),
        DataRequest.objects.filter(anonymised_at__isnull=True).count(),
    )


def test_dry_run_and_refused_confirmation_change_nothing(everything, monkeypatch, private_dirs):
    before, files = state(), files_under(private_dirs)
    out = io.StringIO()
    call_command("convention_terminate", stdout=out)
    assert "Simulation : rien n'a été détruit." in out.getvalue()
    assert "schools.pupil: 2" in out.getvalue()
    assert "données personnelles encore ouvertes (1) : RGPD-" in out.getvalue()
    monkeypatch.setattr("builtins.input", lambda prompt: "detruire ?")
    with pytest.raises(CommandError):
        call_command("convention_terminate", "--confirm", stdout=io.StringIO())
    assert state() == before
    assert files_under(private_dirs) == files


def test_termination_leaves_no_personal_data(client, everything, family, city_user, private_dirs):
    staff = [s.first_name for s in (family.director, family.other_director, family.teacher)]
    needles = [*NAMES, *staff]
    assert len(where_found(needles)) > 20  # the search finds them while they are there
    out = io.StringIO()
    call_command(
        "convention_terminate",
        "--confirm",
        "--no-input",
        "--with-open-requests",
        "--by",
        "Test operator",
        stdout=out,
    )
    run = PurgeRun.objects.get(kind="termination")
    assert (run.status, run.performed_by_label) == ("done", "Test operator")
    assert run.counts["schools.pupil"] == 2
    assert run.counts["schools.guardian"] == 3
    assert run.counts["schools.staff"] == 3
    assert run.counts["schools.school"] == 2
    assert run.counts["schools.schoolclass"] == 2
    assert run.counts["accounts.user"] == 7  # 2 pupils, 2 guardians with authority, 3 staff
    assert run.counts["files:raw-feed"] == 1
    assert run.counts["files:inbox-leftovers"] == 1
    assert run.counts["files:attachments"] == 1
    assert run.counts["files:exports"] == 1
    assert run.counts["privacy.datarequest:anonymised"] == 1
    assert run.kept["legal_holds"] == {"pupil": 0, "guardian": 0, "staff": 0}
    text = out.getvalue()
    assert f"#{run.pk}" in text and "schools.pupil: 2" in text and "Test operator" in text

    # No name, login, phone, e-mail or identifier of the fixtures, in any column of any table.
    found = where_found(needles)
    assert found == [], found
    assert files_under(private_dirs) == []
    assert (Pupil.objects.count(), Guardian.objects.count(), Staff.objects.count()) == (0, 0, 0)
    assert list(User.objects.values_list("login", flat=True)) == ["agent.ville"]
    request = DataRequest.objects.get()
    assert request.reference == everything.reference and request.kind == "access"

    client.force_login(city_user)
    page = client.get(reverse("privacy:purge-detail", args=[run.pk]))
    assert page.status_code == 200 and f"#{run.pk}" in page.context["certificate"]


def test_a_legal_hold_survives_the_termination(everything, family, city_user):
    services.legal_hold_place(
        person_kind="pupil", person_id=family.tom.pk, reason="Contentieux en cours", actor=city_user
    )
    call_command(
        "convention_terminate",
        "--confirm",
        "--no-input",
        "--with-open-requests",
        stdout=io.StringIO(),
    )
    run = PurgeRun.objects.get(kind="termination")
    assert run.kept["legal_holds"]["pupil"] == 1
    assert list(Pupil.objects.values_list("pk", flat=True)) == [family.tom.pk]
    assert run.counts["schools.pupil"] == 1
    assert where_found(["Léa", "Moussa", "Fatou", "ELV-7301-LEA"]) == []


def test_open_requests_are_listed_and_stop_the_termination(everything, private_dirs):
    """Finding 9: no termination over open requests without an explicit decision."""
    before, files = state(), files_under(private_dirs)
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("convention_terminate", "--confirm", "--no-input", stdout=out)
    assert everything.reference in str(exc.value)
    assert everything.reference in out.getvalue()
    assert state() == before
    assert files_under(private_dirs) == files
    assert PurgeRun.objects.filter(kind="termination").count() == 0


def test_the_certificate_states_dates_open_requests_and_backups(everything, settings):
    settings.BACKUP_RETENTION_DAYS = 35
    out = io.StringIO()
    call_command(
        "convention_terminate",
        "--confirm",
        "--no-input",
        "--with-open-requests",
        "--terminated-on",
        "2026-11-30",
        stdout=out,
    )
    run = PurgeRun.objects.get(kind="termination")
    assert run.kept["terminated_on"] == "2026-11-30"
    assert run.kept["deadline"] == "2026-12-15"
    assert run.kept["open_requests"] == [everything.reference]
    text = out.getvalue()
    assert "Fin de la convention : 2026-11-30" in text
    assert "Délai de destruction (15 jours) : 2026-12-15" in text
    assert f"Demandes encore ouvertes : {everything.reference}" in text
    assert "35 jours" in text
