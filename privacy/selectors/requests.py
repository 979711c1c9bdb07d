"""Reads of the request register (the DPO's: city staff, see `privacy.permissions`)."""

import datetime

from auditlog.models import LogEntry
from django.db.models import QuerySet

from accounts.models import User
from privacy.models import (
    AccessExport,
    DataRequest,
    DataRequestNote,
    DataRequestSubject,
    RectificationTask,
)
from privacy.permissions import is_dpo  # noqa: F401  (re-exported)
from privacy.selectors.audit import targets_q

DUE_SOON_DAYS = 7


def data_request_urgency(request: DataRequest, *, today: datetime.date) -> str:
    """ "overdue", "due-soon" or "" for an open request."""
    if not request.is_open:
        return ""
    if request.due_on < today:
        return "overdue"
    if request.due_on <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return "due-soon"
    return ""


def data_request_list(*, state: str = "open", kind: str = "") -> QuerySet[DataRequest]:
    """The register: open requests first by due date; `state` is open, closed or all."""
    requests = DataRequest.objects.select_related("assignee", "school")
    if state == "open":
        requests = requests.filter(status__in=DataRequest.OPEN)
    elif state == "closed":
        requests = requests.exclude(status__in=DataRequest.OPEN)
    if kind:
        requests = requests.filter(kind=kind)
    return requests.order_by("closed_at", "due_on", "id")


def data_requests_due(*, today: datetime.date) -> list[DataRequest]:
    """Open requests overdue or due within DUE_SOON_DAYS, for the daily reminder."""
    limit = today + datetime.timedelta(days=DUE_SOON_DAYS)
    return list(
        DataRequest.objects.filter(status__in=DataRequest.OPEN, due_on__lte=limit)
        .select_related("assignee")
        .order_by("due_on", "id")
    )


def data_request_detail(*, pk: int) -> DataRequest:
    return DataRequest.objects.select_related("assignee", "school", "submitted_by").get(pk=pk)


def data_request_subjects(*, request: DataRequest) -> list[DataRequestSubject]:
    return list(
        request.subjects.select_related("pupil__school", "guardian", "staff").order_by("role", "id")
    )


def data_request_history(*, request: DataRequest) -> list[LogEntry]:
    """Every audit entry about the request and its notes, subjects, exports, rectifications."""
    targets = [
        (DataRequest, [request.pk]),
        (DataRequestNote, list(request.notes.values_list("pk", flat=True))),
        (DataRequestSubject, list(request.subjects.values_list("pk", flat=True))),
        (AccessExport, list(request.exports.values_list("pk", flat=True))),
        (RectificationTask, list(request.rectifications.values_list("pk", flat=True))),
    ]
    return list(
        LogEntry.objects.filter(targets_q(targets))
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")[:200]
    )


def city_staff_accounts() -> QuerySet[User]:
    return User.objects.filter(kind=User.Kind.CITY, is_active=True).order_by("login")
