"""Rectification: feed data become a task for the director until the feed shows the correction;
the e-mail the person owns is corrected at once. Oppositions and erasures: decision and ground."""

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.urls import reverse

from entaix.common.exceptions import ApplicationError
from entaix.tests.factories import account
from privacy import services
from privacy.models import RectificationTask
from privacy.tests.conftest import apply_import, file_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def rectification(family, city_user):
    request = file_request(family, kind="rectification", message="Son prénom est Léna.")
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    return request


def test_feed_data_become_a_task_for_the_school_director(
    client, family, rectification, city_user, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        task = services.rectification_create(
            data_request=rectification,
            actor=city_user,
            person_kind="pupil",
            person_id=family.lea.pk,
            field="first_name",
            value="Léna",
        )
    task.refresh_from_db()
    assert (task.status, task.direct, task.school) == ("open", False, family.school)
    assert (task.field, task.current_value, task.requested_value) == ("first_name", "Léa", "Léna")
    assert [m.to for m in mail.outbox] == [["dir.sextius@ac-aix-marseille.fr"]]
    assert "/rgpd/rectifications/" in mail.outbox[0].body
    assert "Léa" not in mail.outbox[0].body and "Léna" not in mail.outbox[0].body
    assert LogEntry.objects.filter(additional_data__event="gdpr-rectification-opened").count() == 1
    family.lea.refresh_from_db()
    assert family.lea.first_name == "Léa"  # entaix never overwrites the feed's data

    url = reverse("privacy:rectification-list")
    client.force_login(family.director.account)
    assert [t.pk for t in client.get(url).context["tasks"]] == [task.pk]
    client.force_login(family.other_director.account)
    assert list(client.get(url).context["tasks"]) == []
    client.force_login(family.teacher.account)
    assert client.get(url).status_code == 403
    client.force_login(account(family.mother))
    assert client.get(url).status_code == 403


def test_the_task_closes_when_an_import_shows_the_corrected_value(family, rectification, city_user):
    task = services.rectification_create(
        data_request=rectification,
        actor=city_user,
        person_kind="pupil",
        person_id=family.lea.pk,
        field="first_name",
        value="Léna",
    )
    # An import that changes something else leaves the task open.
    run = apply_import([("pupil", "update", family.lea.join_key, {"level": "CE2"})])
    services.rectification_tasks_check(run_id=run.pk)
    task.refresh_from_db()
    assert task.status == "open" and task.closed_by_run is None

    run = apply_import([("pupil", "update", family.lea.join_key, {"first_name": "Léna"})])
    services.rectification_tasks_check(run_id=run.pk)
    task.refresh_from_db()
    assert (task.status, task.closed_by_run) == ("done", run.pk)
    assert task.closed_at is not None
    assert (task.current_value, task.requested_value) == ("", "")  # values not kept once done
    entry = LogEntry.objects.get(additional_data__event="gdpr-rectification-closed")
    assert (entry.object_id, entry.additional_data["run"]) == (task.pk, run.pk)
    # Idempotent: a second check closes nothing more.
    assert services.rectification_tasks_check(run_id=run.pk) == 0


def test_the_email_the_person_owns_is_corrected_directly(
    family, city_user, django_capture_on_commit_callbacks
):
    mother = account(family.mother)
    request = file_request(family, kind="rectification", message="Nouvelle adresse e-mail")
    services.data_request_subjects_confirm(
        data_request=request, actor=city_user, guardian_id=family.mother.pk, pupil_ids=[]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        task = services.rectification_create(
            data_request=request,
            actor=city_user,
            person_kind="guardian",
            person_id=family.mother.pk,
            field="account.email",
            value="aissatou.new@example.fr",
        )
    mother.refresh_from_db()
    assert mother.email == "aissatou.new@example.fr" and mother.email_confirmed_at is None
    assert (task.status, task.direct) == ("done", True)
    assert [m.to for m in mail.outbox] == [["aissatou.new@example.fr"]]  # confirmation link


def test_no_rectification_on_unconfirmed_persons_or_unknown_fields(
    family, rectification, city_user
):
    with pytest.raises(ApplicationError):
        services.rectification_create(
            data_request=rectification,
            actor=city_user,
            person_kind="pupil",
            person_id=family.tom.pk,
            field="first_name",
            value="Thomas",
        )
    with pytest.raises(ApplicationError):
        services.rectification_create(
            data_request=rectification,
            actor=city_user,
            person_kind="pupil",
            person_id=family.lea.pk,
            field="join_key",
            value="1",
        )
    assert RectificationTask.objects.count() == 0


def test_opposition_is_closed_only_with_a_decision_and_its_legal_ground(family, city_user):
    request = file_request(family, kind="opposition", message="Je m'oppose à l'ENT.")
    with pytest.raises(ApplicationError) as exc:
        services.data_request_close(
            data_request=request, actor=city_user, status="answered", answer="Refusé"
        )
    assert exc.value.code == "decision"
    with pytest.raises(ApplicationError):
        services.data_request_decide(
            data_request=request, actor=city_user, decision="refused", legal_ground=""
        )
    services.data_request_decide(
        data_request=request, actor=city_user, decision="refused", legal_ground="art-21-1"
    )
    services.data_request_close(
        data_request=request, actor=city_user, status="answered", answer="Motifs impérieux: …"
    )
    request.refresh_from_db()
    assert (request.status, request.decision, request.legal_ground) == (
        "answered",
        "refused",
        "art-21-1",
    )
    assert request.decided_at is not None and request.closed_at is not None
    events = list(
        LogEntry.objects.filter(object_id=request.pk, additional_data__event__startswith="gdpr-")
        .order_by("id")
        .values_list("additional_data__event", flat=True)
    )
    assert events == ["gdpr-request-received", "gdpr-request-decision", "gdpr-request-handled"]


def test_the_parent_is_told_when_the_correction_arrives_and_the_request_waits_for_it(
    family, rectification, city_user, django_capture_on_commit_callbacks
):
    """Finding 10."""
    task = services.rectification_create(
        data_request=rectification,
        actor=city_user,
        person_kind="pupil",
        person_id=family.lea.pk,
        field="first_name",
        value="Léna",
    )
    with pytest.raises(ApplicationError) as exc:
        services.data_request_close(
            data_request=rectification, actor=city_user, status="answered", answer="Fait."
        )
    assert exc.value.code == "rectification-open"
    rectification.refresh_from_db()
    assert (rectification.status, rectification.closed_at) == ("in-progress", None)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        apply_import([("pupil", "update", family.lea.join_key, {"first_name": "Léna"})])
    task.refresh_from_db()
    assert task.status == "done" and task.requester_notified_at is not None
    assert [m.to for m in mail.outbox] == [["aissatou@example.fr"]]
    assert rectification.reference in mail.outbox[0].body
    assert "Léna" not in mail.outbox[0].body  # no value in the e-mail
    services.data_request_close(
        data_request=rectification, actor=city_user, status="answered", answer="Fait."
    )
    rectification.refresh_from_db()
    assert rectification.status == "answered"
