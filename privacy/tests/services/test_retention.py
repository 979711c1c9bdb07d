"""The retention engine across a year boundary: preview, dry run, purge, legal hold, receipts."""

import datetime
import io
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from axes.models import AccessLog
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from entaix.tests.factories import account
from imports.models import ImportFile, ImportPlanItem, ImportProblem, ImportRun
from privacy import services
from privacy.models import DataRequest, LegalHold, PurgeReceipt, PurgeRun
from privacy.services import anonymise, retention
from privacy.tasks import retention_purge_task
from privacy.tests.conftest import PDF, apply_import, file_request, where_found
from schools.models import Guardian, GuardianLink, Pupil, PupilClass, Staff

pytestmark = pytest.mark.django_db
D = datetime.date


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, 9, tzinfo=timezone.get_current_timezone()
    )


@pytest.fixture
def leavers(family, private_dirs):
    """Léa left the city's schools on 20 June 2025; her brother Tom stays; the CE1 teacher left
    on 2 November 2025. The feed's traces about Léa: plan items, a problem, a raw file."""
    Pupil.objects.filter(pk=family.lea.pk).update(left_at=at(D(2025, 6, 20)))
    Staff.objects.filter(pk=family.teacher.pk).update(left_at=at(D(2025, 11, 2)))
    run = ImportRun.objects.create(status="applied", trigger="command", feed_date=D(2025, 6, 19))
    lea_key, father_key = family.lea.join_key, family.father.join_key
    ImportPlanItem.objects.bulk_create(
        [
            ImportPlanItem(
                run=run,
                seq=0,
                kind="pupil",
                action="create",
                key=lea_key,
                data={"first_name": "Léa", "last_name": "N'Diaye", "ine": "070123456AB"},
            ),
            ImportPlanItem(
                run=run,
                seq=1,
                kind="link",
                action="create",
                key=f"{lea_key}|{father_key}",
                data={"relation": "father"},
            ),
            ImportPlanItem(
                run=run,
                seq=2,
                kind="guardian",
                action="create",
                key=father_key,
                data={"first_name": "Moussa", "mobile_phone": "0699887766"},
            ),
            ImportPlanItem(
                run=run,
                seq=3,
                kind="pupil",
                action="update",
                key=family.tom.join_key,
                data={"level": "CM2"},
            ),
        ]
    )
    ImportProblem.objects.create(
        run=run,
        level="warning",
        code="dangling-guardian",
        identifier=lea_key,
        message=f"Pupil {lea_key}: unknown key.",
    )
    inbox = private_dirs / "inbox"
    inbox.mkdir()
    old, recent = inbox / "ENT2D.20250619.ELEVES.xml", inbox / "ENT2D.20251201.ELEVES.xml"
    for path in (old, recent):
        path.write_text("<ficAlimMENESR>Léa N'Diaye</ficAlimMENESR>")
    for path, day in ((old, D(2025, 6, 19)), (recent, D(2025, 12, 1))):
        ImportFile.objects.create(
            run=run,
            name=path.name,
            kind="Eleve",
            mode="Complet",
            feed_date=day,
            size=1,
            sha256="0" * 64,
            path=str(path),
        )
    AccessLog.objects.create(
        username=account(family.lea).login,
        ip_address="10.0.0.1",
        user_agent="x",
        path_info="/comptes/login/",
    )
    return {"old": old, "recent": recent}


def plan_as_of(day):
    plan = retention.retention_plan(today=day)
    return {
        (e.kind, e.person_id): (e.rule, e.reference, e.purge_on, e.is_due(day))
        for e in plan.entries
    }


def test_preview_says_who_when_and_why(family, leavers):
    plan = plan_as_of(D(2025, 12, 30))
    assert plan == {
        ("staff", family.teacher.pk): ("staff-departure", D(2025, 11, 2), D(2025, 11, 2), True),
        ("pupil", family.lea.pk): ("pupil-left", D(2025, 6, 20), D(2025, 12, 31), False),
        ("guardian", family.father.pk): (
            "guardian-children-gone",
            D(2025, 6, 20),
            D(2025, 12, 31),
            False,
        ),
        ("guardian", family.grandmother.pk): (
            "guardian-children-gone",
            D(2025, 6, 20),
            D(2025, 12, 31),
            False,
        ),
    }
    # The mother keeps Tom, who is still at school: she is not scheduled at all.
    assert [k for k in plan if k == ("guardian", family.mother.pk)] == []


def test_moving_between_two_city_schools_is_not_leaving(family, leavers):
    run = apply_import(
        [("pupil", "update", family.tom.join_key, {"school": family.other.join_key})]
    )
    assert run.status == "applied"
    family.tom.refresh_from_db()
    assert family.tom.school == family.other and family.tom.left_at is None
    plan = plan_as_of(D(2026, 12, 31))
    assert ("pupil", family.tom.pk) not in plan
    assert ("guardian", family.mother.pk) not in plan


def test_dry_run_changes_nothing(family, leavers):
    out = io.StringIO()
    call_command("retention_purge", "--today", "2025-12-30", stdout=out)
    text = out.getvalue()
    assert "Conservation au 2025-12-30 (simulation, rien n'a changé)" in text
    assert "À purger : 1" in text
    assert f"staff #{family.teacher.pk}  règle staff-departure  depuis le 2025-11-02" in text
    assert (
        f"pupil #{family.lea.pk}  règle pupil-left  depuis le 2025-06-20  purge le 2025-12-31"
        in text
    )
    assert "Léa" not in text and "N'Diaye" not in text  # ids only
    assert PurgeRun.objects.count() == 0
    assert Staff.objects.filter(pk=family.teacher.pk).exists()
    assert leavers["old"].exists()


def test_purge_across_the_year_boundary(family, leavers):
    lea_login = account(family.lea).login
    lea_key = family.lea.join_key
    father_account = family.father.account_id
    teacher_account = family.teacher.account_id
    # 30 December: only the teacher, who left in November.
    result = retention.retention_purge(today=D(2025, 12, 30), apply=True)
    assert [(r.rule, r.persons) for r in result.run.receipts.all()] == [
        ("raw-feed", 0),
        ("staff-departure", 1),
    ]
    assert not Staff.objects.filter(pk=family.teacher.pk).exists()
    assert not User.objects.filter(pk=teacher_account).exists()
    assert Pupil.objects.filter(pk=family.lea.pk).exists()
    assert not leavers["old"].exists()  # fed before the teacher left

    # 31 December: Léa, who left in June, and the guardians she was the only child of.
    out = io.StringIO()
    call_command("retention_purge", "--apply", "--today", "2025-12-31", stdout=out)
    run = PurgeRun.objects.order_by("-pk").first()
    assert f"Purge #{run.pk} terminée." in out.getvalue()
    assert (run.kind, run.status, run.as_of) == ("retention", "done", D(2025, 12, 31))
    receipts = {r.rule: r for r in run.receipts.all()}
    assert sorted(receipts) == ["guardian-children-gone", "pupil-left"]
    assert receipts["pupil-left"].persons == 1
    assert receipts["guardian-children-gone"].persons == 2
    pupil_counts = receipts["pupil-left"].counts
    assert pupil_counts["schools.pupil"] == 1
    assert pupil_counts["schools.pupilclass"] == 1
    assert pupil_counts["schools.guardianlink"] == 3
    assert pupil_counts["accounts.user"] == 1
    assert pupil_counts["imports.importplanitem"] == 2  # her item and the link with her father
    assert pupil_counts["imports.importproblem"] == 1
    assert pupil_counts["axes:login-records"] == 1
    assert pupil_counts["auditlog.logentry:scrubbed"] > 0
    guardian_counts = receipts["guardian-children-gone"].counts
    assert guardian_counts["schools.guardian"] == 2
    assert guardian_counts["accounts.user"] == 1  # the father; the grandmother had none
    assert guardian_counts["imports.importplanitem"] == 1

    assert not Pupil.objects.filter(pk=family.lea.pk).exists()
    assert not Guardian.objects.filter(pk__in=[family.father.pk, family.grandmother.pk]).exists()
    assert not User.objects.filter(pk=father_account).exists()
    assert not User.objects.filter(login=lea_login).exists()
    assert not GuardianLink.objects.filter(pupil_id=family.lea.pk).exists()
    assert not PupilClass.objects.filter(pupil_id=family.lea.pk).exists()
    # Kept: Tom and his mother, their link, their plan item; the December raw file.
    assert Pupil.objects.filter(pk=family.tom.pk).exists()
    assert Guardian.objects.filter(pk=family.mother.pk).exists()
    assert GuardianLink.objects.filter(pupil=family.tom, guardian=family.mother).exists()
    assert ImportPlanItem.objects.filter(key=family.tom.join_key).count() == 1
    assert leavers["recent"].exists()
    assert ImportFile.objects.get(name=leavers["old"].name).purged_at is not None
    # Nothing about Léa, her father, her grandmother or the teacher is left in any column.
    assert (
        where_found(
            [
                "Léa",
                lea_key,
                lea_login,
                "070123456AB",
                "Moussa",
                "Diallo",
                "0699887766",
                "Fatou",
                "fatou.sow",
                "ens.ce1",
            ]
        )
        == []
    )
    # The trail keeps its shape, with ids only, and the purge itself is an event.
    assert LogEntry.objects.filter(object_repr=f"pupil {family.lea.pk}").exists()
    assert LogEntry.objects.filter(additional_data__event="gdpr-purge").count() == 2

    # The next day: nothing more to purge, an empty receipt proves the engine ran.
    again = retention_purge_task.delay("2026-01-01").get()
    assert PurgeRun.objects.get(pk=again).counts == {}


def test_a_pupil_leaving_after_new_year_is_kept_a_year_more(family, leavers):
    Pupil.objects.filter(pk=family.tom.pk).update(left_at=at(D(2026, 1, 2)))
    plan = plan_as_of(D(2026, 1, 5))
    assert plan[("pupil", family.tom.pk)] == ("pupil-left", D(2026, 1, 2), D(2026, 12, 31), False)
    # The mother is kept until her last child goes: Tom's year, not Léa's.
    assert plan[("guardian", family.mother.pk)][2] == D(2026, 12, 31)
    retention.retention_purge(today=D(2026, 1, 5), apply=True)
    assert Pupil.objects.filter(pk=family.tom.pk).exists()
    assert Guardian.objects.filter(pk=family.mother.pk).exists()


def test_legal_hold_keeps_the_person_and_her_guardians(family, leavers, city_user):
    hold = services.legal_hold_place(
        person_kind="pupil",
        person_id=family.lea.pk,
        reason="Réquisition judiciaire",
        actor=city_user,
    )
    with pytest.raises(Exception):  # noqa: B017 - one active hold per person
        services.legal_hold_place(
            person_kind="pupil", person_id=family.lea.pk, reason="Encore", actor=city_user
        )
    plan = retention.retention_plan(today=D(2026, 1, 1))
    entries = {(e.kind, e.person_id): e for e in plan.entries}
    assert entries[("pupil", family.lea.pk)].held
    assert entries[("guardian", family.father.pk)].blocked == "child-held"
    run = retention.retention_purge(today=D(2026, 1, 1), apply=True).run
    assert run.kept == {"legal_hold": 1, "child_held": 2}
    assert Pupil.objects.filter(pk=family.lea.pk).exists()
    assert Guardian.objects.filter(pk=family.father.pk).exists()
    assert not Staff.objects.filter(pk=family.teacher.pk).exists()  # not held: purged

    services.legal_hold_lift(hold=hold, actor=city_user)
    retention.retention_purge(today=D(2026, 1, 2), apply=True)
    assert not Pupil.objects.filter(pk=family.lea.pk).exists()
    assert not Guardian.objects.filter(pk=family.father.pk).exists()
    assert not LegalHold.objects.exists()  # the lifted hold went with her


def test_request_files_and_old_requests(family, city_user, private_dirs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = file_request(
        family,
        received_at=at(D(2019, 1, 10)),
        attachment=SimpleUploadedFile("id.pdf", PDF),
        attachment_type="application/pdf",
    )
    services.data_request_close(
        data_request=request, actor=city_user, status="answered", answer="Copie envoyée"
    )
    DataRequest.objects.filter(pk=request.pk).update(closed_at=at(D(2019, 2, 1)))
    path = Path(request.attachment.path)
    assert path.exists()
    assert retention.retention_purge(today=D(2019, 2, 20), apply=True).run.counts == {}
    run = retention.retention_purge(today=D(2019, 3, 5), apply=True).run
    assert run.counts == {"files:attachments": 1}
    assert not path.exists()
    request.refresh_from_db()
    assert request.requester_name == "Aïssatou N'Diaye"  # kept five years
    retention.retention_purge(today=D(2024, 2, 2), apply=True)
    request.refresh_from_db()
    assert request.anonymised_at is not None
    assert (request.requester_name, request.requester_email, request.child_first_name) == (
        "",
        "",
        "",
    )
    assert (request.reference, request.kind, request.status) == (
        request.reference,
        "access",
        "answered",
    )
    assert where_found(["Copie envoyée"]) == []
    trail = repr(list(LogEntry.objects.filter(content_type__model="datarequest").values()))
    assert "Aïssatou" not in trail and "aissatou@example.fr" not in trail and "Lea" not in trail


def test_preview_page_is_for_the_dpo(client, family, leavers, city_user):
    url = reverse("privacy:retention")
    client.force_login(family.director.account)
    assert client.get(url).status_code == 403
    client.force_login(city_user)
    response = client.get(url, {"today": "2025-12-31"})
    assert response.status_code == 200
    rows = [(e.kind, e.person_id, name, due) for e, name, due in response.context["rows"]]
    assert rows == [
        ("staff", family.teacher.pk, str(family.teacher), True),
        ("guardian", family.father.pk, "Moussa Diallo", True),
        ("guardian", family.grandmother.pk, "Fatou Sow", True),
        ("pupil", family.lea.pk, "Léa N'Diaye", True),
    ]
    assert response.context["due"] == 4
    assert PurgeRun.objects.count() == 0


def test_erase_helper_keeps_audit_shape(family):
    counts = anonymise.persons_erase(pupil_ids=[family.tom.pk])
    assert counts["schools.pupil"] == 1
    assert LogEntry.objects.filter(object_repr=f"pupil {family.tom.pk}").exists()
    assert PurgeReceipt.objects.count() == 0


def test_a_departure_is_dated_by_the_feed_not_by_the_approval(family):
    """Finding 6: a December feed applied in January dates the departure in December."""
    run = apply_import(
        [
            ("pupil", "leave", family.tom.join_key, {}),
            ("link", "leave", f"{family.tom.join_key}|{family.mother.join_key}", {}),
        ],
        feed_date=D(2026, 11, 20),
    )
    assert run.status == "applied"
    assert run.applied_at.date() != D(2026, 11, 20)
    family.tom.refresh_from_db()
    assert timezone.localdate(family.tom.left_at) == D(2026, 11, 20)
    link = GuardianLink.objects.get(pupil=family.tom, guardian=family.mother)
    assert timezone.localdate(link.left_at) == D(2026, 11, 20)
    _rule, reference, purge_on, _due = plan_as_of(D(2026, 12, 31))[("pupil", family.tom.pk)]
    assert (reference, purge_on) == (D(2026, 11, 20), D(2026, 12, 31))
