"""One calendar month to answer; two more only with a reason and a notice before the month ends."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.utils import timezone

from entaix.common.exceptions import ApplicationError
from entaix.tests import factories
from privacy import selectors, services
from privacy.models import DataRequest
from privacy.tasks import data_requests_remind_task
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db
D = datetime.date


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone()
    )


@pytest.mark.parametrize(
    ("received", "due", "extended"),
    [
        (D(2026, 1, 31), D(2026, 2, 28), D(2026, 4, 30)),
        (D(2028, 1, 31), D(2028, 2, 29), D(2028, 4, 30)),
        (D(2026, 3, 15), D(2026, 4, 15), D(2026, 6, 15)),
        (D(2026, 12, 20), D(2027, 1, 20), D(2027, 3, 20)),
    ],
)
def test_calendar_month_deadlines(received, due, extended):
    assert services.due_date(received) == due
    assert services.extended_due_date(received) == extended


def test_a_request_received_late_in_the_evening_counts_from_its_local_day(family):
    # 23:30 in Paris is still 31 January, although it is 22:30 UTC.
    request = file_request(family, received_at=at(D(2026, 1, 31), 23).replace(minute=30))
    assert request.due_on == D(2026, 2, 28)


def snapshot(request):
    request.refresh_from_db()
    return (request.status, request.due_on, request.extended_at, request.extension_reason)


def test_extension_within_the_first_month(family, city_user, django_capture_on_commit_callbacks):
    request = file_request(family, received_at=at(D(2026, 1, 31)))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.data_request_extend(
            data_request=request,
            reason="Plusieurs écoles à consulter",
            actor=city_user,
            today=D(2026, 2, 28),
        )
    request.refresh_from_db()
    assert request.status == "extended"
    assert request.due_on == D(2026, 4, 30)
    assert request.extension_reason == "Plusieurs écoles à consulter"
    assert request.extension_notified_at is not None
    assert [m.to for m in mail.outbox] == [["aissatou@example.fr"]]
    assert request.reference in mail.outbox[0].subject
    assert "Plusieurs écoles à consulter" in mail.outbox[0].body
    entry = LogEntry.objects.get(additional_data__event="gdpr-request-extended")
    assert entry.actor == city_user and entry.additional_data["due_on"] == "2026-04-30"


@pytest.mark.parametrize(
    ("reason", "today", "code"),
    [
        ("Plusieurs écoles", D(2026, 3, 1), "too-late"),
        ("", D(2026, 2, 10), "reason"),
    ],
)
def test_extension_refused_after_the_first_month_or_without_reason(
    family, city_user, django_capture_on_commit_callbacks, reason, today, code
):
    request = file_request(family, received_at=at(D(2026, 1, 31)))
    before = snapshot(request)
    entries = LogEntry.objects.count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError) as exc:
        services.data_request_extend(
            data_request=request, reason=reason, actor=city_user, today=today
        )
    assert exc.value.code == code
    assert snapshot(request) == before
    assert LogEntry.objects.count() == entries
    assert mail.outbox == []


def test_only_one_extension_and_never_on_a_closed_request(family, city_user):
    request = file_request(family, received_at=at(D(2026, 1, 31)))
    services.data_request_extend(
        data_request=request, reason="Complexe", actor=city_user, today=D(2026, 2, 1)
    )
    with pytest.raises(ApplicationError) as exc:
        services.data_request_extend(
            data_request=request, reason="Encore", actor=city_user, today=D(2026, 2, 2)
        )
    assert exc.value.code == "extended"
    other = file_request(family, received_at=at(D(2026, 1, 31)))
    services.data_request_close(
        data_request=other, actor=city_user, status="answered", answer="Fait"
    )
    with pytest.raises(ApplicationError) as exc:
        services.data_request_extend(
            data_request=other, reason="Complexe", actor=city_user, today=D(2026, 2, 1)
        )
    assert exc.value.code == "closed"


def test_identity_check_needs_a_reasonable_doubt(family, city_user):
    request = file_request(family)
    with pytest.raises(ApplicationError):
        services.data_request_status_set(
            data_request=request, status="identity-check", actor=city_user
        )
    assert DataRequest.objects.get().status == "received"
    services.data_request_status_set(
        data_request=request,
        status="identity-check",
        actor=city_user,
        reason="E-mail address unknown to the school",
    )
    assert DataRequest.objects.get().status == "identity-check"
    with pytest.raises(ApplicationError):
        services.data_request_status_set(data_request=request, status="answered", actor=city_user)


def test_urgency(family):
    request = file_request(family, received_at=at(D(2026, 1, 10)))  # due 2026-02-10
    assert selectors.data_request_urgency(request, today=D(2026, 2, 2)) == ""
    assert selectors.data_request_urgency(request, today=D(2026, 2, 3)) == "due-soon"
    assert selectors.data_request_urgency(request, today=D(2026, 2, 10)) == "due-soon"
    assert selectors.data_request_urgency(request, today=D(2026, 2, 11)) == "overdue"


def test_daily_reminder_goes_to_the_assignee_or_the_dpo_once_a_day(
    family, city_user, settings, django_capture_on_commit_callbacks
):
    agent = factories.UserFactory(login="agent.rgpd", kind="city", email="rgpd@mairie.fr")
    overdue = file_request(family, received_at=at(D(2026, 1, 5)))  # due 5 February
    services.data_request_assign(data_request=overdue, assignee=agent, actor=city_user)
    soon = file_request(family, received_at=at(D(2026, 1, 12)))  # due 12 February
    file_request(family, received_at=at(D(2026, 2, 1)))  # due 1 March: not yet
    closed = file_request(family, received_at=at(D(2026, 1, 5)))
    services.data_request_close(
        data_request=closed, actor=city_user, status="answered", answer="Fait"
    )
    mail.outbox.clear()

    assert data_requests_remind_task.delay("2026-02-07").get() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["dpo@mairie-aixenprovence.fr", "rgpd@mairie.fr"]
    by_address = {m.to[0]: m.body for m in mail.outbox}
    assert overdue.reference in by_address["rgpd@mairie.fr"]
    assert soon.reference not in by_address["rgpd@mairie.fr"]
    assert soon.reference in by_address["dpo@mairie-aixenprovence.fr"]
    assert closed.reference not in "".join(by_address.values())
    # Run twice the same day (Celery may deliver twice): no second reminder.
    mail.outbox.clear()
    assert data_requests_remind_task.delay("2026-02-07").get() == 0
    assert mail.outbox == []
