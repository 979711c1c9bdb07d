"""E-mails of the data-protection module, sent from tasks after the transaction committed.

A message to a requester never names the child: the address was typed on a public form and may
be wrong. It gives the reference, dates and links only.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from privacy.selectors.export import export_token

from .models import AccessExport, DataRequest, RectificationTask

logger = logging.getLogger(__name__)


def _site(path: str) -> str:
    return settings.ENT_SITE_URL.rstrip("/") + path


def _send(template: str, context: dict, to: list[str]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"privacy/email/{template}_subject.txt", context)
        body = render_to_string(f"privacy/email/{template}_body.txt", context)
    EmailMessage(subject=" ".join(subject.split()), body=body, to=to).send()


def dpo_address() -> str:
    return settings.GDPR_DPO_EMAIL or settings.CITY_ALERT_EMAIL


def data_request_acknowledge(*, request_id: int) -> bool:
    """The acknowledgement with the reference number (once), and a notice to the DPO."""
    request = DataRequest.objects.filter(pk=request_id, acknowledged_at__isnull=True).first()
    if request is None:
        return False
    context = {
        "reference": request.reference,
        "kind": request.get_kind_display(),
        "received_on": request.received_on,
        "due_on": request.due_on,
        "notice": _site(reverse("privacy:notice")),
    }
    _send("request_received", context, [request.requester_email])
    DataRequest.objects.filter(pk=request.pk).update(acknowledged_at=timezone.now())
    if dpo_address():
        link = _site(reverse("privacy:request-detail", args=[request.pk]))
        _send("request_new", {**context, "link": link}, [dpo_address()])
    logger.info("data request %s acknowledged", request.pk)
    return True


def data_request_extension_notify(*, request_id: int) -> bool:
    request = DataRequest.objects.filter(
        pk=request_id, extended_at__isnull=False, extension_notified_at__isnull=True
    ).first()
    if request is None:
        return False
    context = {
        "reference": request.reference,
        "reason": request.extension_reason,
        "due_on": request.due_on,
    }
    _send("request_extended", context, [request.requester_email])
    DataRequest.objects.filter(pk=request.pk).update(extension_notified_at=timezone.now())
    logger.info("data request %s: extension notified", request.pk)
    return True


def access_export_link_send(*, export_id: int) -> bool:
    export = AccessExport.objects.select_related("request").filter(pk=export_id).first()
    if export is None or not export.is_live:
        return False
    link = _site(reverse("privacy:export-download", args=[export_token(export)]))
    context = {
        "reference": export.request.reference,
        "link": link,
        "expires_at": timezone.localtime(export.expires_at),
    }
    _send("export_ready", context, [export.request.requester_email])
    AccessExport.objects.filter(pk=export.pk).update(sent_at=timezone.now())
    logger.info("access export %s: link sent for request %s", export.pk, export.request_id)
    return True


def rectification_notify(*, task_id: int) -> int:
    """E-mail the directors of the school concerned: a correction awaits them in ONDE."""
    from .selectors import school_director_recipients

    task = RectificationTask.objects.filter(
        pk=task_id, status=RectificationTask.Status.OPEN
    ).first()
    if task is None or task.school_id is None:
        return 0
    link = _site(reverse("privacy:rectification-list"))
    sent = 0
    for account_id, address in school_director_recipients(school_id=task.school_id):
        if address:
            _send("rectification_task", {"link": link}, [address])
            logger.info("rectification %s notified to account %s", task.pk, account_id)
            sent += 1
    return sent


def rectification_done_notify(*, task_id: int) -> bool:
    """Tell the requester the correction they asked arrived (once; no value in the e-mail)."""
    task = (
        RectificationTask.objects.select_related("request")
        .filter(pk=task_id, status=RectificationTask.Status.DONE, requester_notified_at=None)
        .first()
    )
    if task is None or not task.request.requester_email:
        return False
    _send(
        "rectification_done",
        {"reference": task.request.reference},
        [task.request.requester_email],
    )
    RectificationTask.objects.filter(pk=task.pk).update(requester_notified_at=timezone.now())
    logger.info("rectification %s: requester told for request %s", task.pk, task.request_id)
    return True


def data_requests_reminder(
    *, address: str, requests: list[DataRequest], today: datetime.date
) -> None:
    rows = [
        {
            "reference": r.reference,
            "due_on": r.due_on,
            "overdue": r.due_on < today,
            "link": _site(reverse("privacy:request-detail", args=[r.pk])),
        }
        for r in requests
    ]
    _send("requests_due", {"rows": rows, "count": len(rows)}, [address])
