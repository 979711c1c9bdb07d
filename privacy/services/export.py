"""The access export's delivery: the ZIP made, the signed link sent, downloads recorded."""

import datetime
import hashlib
import logging
import secrets
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import Event, audit_objects
from entaix.common.exceptions import ApplicationError
from privacy import selectors, tasks
from privacy.models import AccessExport, DataRequest, DataRequestSubject
from privacy.selectors.export import SALT, access_archive, access_document, export_token

logger = logging.getLogger(__name__)


def _check_subjects(request: DataRequest) -> None:
    if request.kind != DataRequest.Kind.ACCESS:
        raise ApplicationError(_("Only an access request gets a copy of the data."), code="kind")
    if not request.is_open:
        raise ApplicationError(_("This request is closed."), code="closed")
    # A flagged request (no authority over a child named) still gives the requester their own
    # data: the child was never attached, so nothing about them is in the document.
    subjects = list(request.subjects.all())
    requester = [s for s in subjects if s.role == DataRequestSubject.Role.REQUESTER and s.person_id]
    if len(requester) != 1:
        raise ApplicationError(
            _("No confirmed match: nothing is exported. Confirm who the request is about."),
            code="unmatched",
        )
    _check_identity(request, requester[0])
    for child in subjects:
        if child.role != DataRequestSubject.Role.CHILD:
            continue
        guardian_id = requester[0].guardian_id
        if (
            child.pupil_id is None
            or selectors.authority_link(guardian_id=guardian_id, pupil_id=child.pupil_id) is None
        ):
            raise ApplicationError(
                _(
                    "The requester no longer holds parental authority over a child of the "
                    "request: nothing is exported."
                ),
                code="not-guardian",
            )


def _check_identity(request: DataRequest, requester: DataRequestSubject) -> None:
    """Nothing is disclosed until a verification ties the requester to the directory record
    (`services.verification`): a name, or a status moved on, never does."""
    if requester.verified_at is None or not requester.verification_method:
        raise ApplicationError(
            _("The requester's identity is not verified: nothing is exported or sent."),
            code="unverified",
        )


@transaction.atomic
def access_export_create(*, request: DataRequest, actor) -> AccessExport:
    """Build the archive for the confirmed subjects; the previous link stops working."""
    request = DataRequest.objects.select_for_update().get(pk=request.pk)
    _check_subjects(request)
    with translation.override(settings.LANGUAGE_CODE):
        content = access_archive(access_document(request=request))
    now = timezone.now()
    export = AccessExport(
        request=request,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        token_nonce=secrets.token_hex(16),
        created_by=actor,
        expires_at=now + datetime.timedelta(days=settings.GDPR_EXPORT_LINK_DAYS),
    )
    _archive_write(export, content)
    # Only once the new archive is on disk: a full disk keeps the previous export working.
    for old in request.exports.filter(revoked_at__isnull=True):
        old.revoked_at = now
        if old.file and old.file_deleted_at is None:
            old.file.delete(save=False)
            old.file_deleted_at = now
        old.save(update_fields=["revoked_at", "file", "file_deleted_at", "updated_at"])
    try:
        export.save()
        audit_objects(
            event=Event.EXPORT_CREATED,
            model=AccessExport,
            ids=[export.pk],
            actor=actor,
            data={"request": request.pk},
        )
    except Exception:
        export.file.delete(save=False)
        raise
    logger.info("access export %s built for request %s", export.pk, request.pk)
    return export


def _archive_write(export: AccessExport, content: bytes) -> None:
    """Write the archive; on a write error (the disk full) remove what the storage left."""
    name = export.file.field.generate_filename(export, f"{secrets.token_hex(16)}.zip")
    storage = export.file.storage
    try:
        export.file.save(name.rsplit("/", 1)[-1], ContentFile(content), save=False)
    except OSError as exc:
        if storage.exists(name):
            storage.delete(name)
        logger.error("access export for request %s not written: %s", export.request_id,
                     exc.strerror)  # fmt: skip
        raise ApplicationError(
            _(
                "The export could not be written: the disk is full. Nothing changed; the "
                "previous export still works."
            ),
            code="disk-full",
        ) from exc


@transaction.atomic
def access_export_send(*, export: AccessExport, actor) -> AccessExport:
    """E-mail the expiring link to the requester's address."""
    if not export.is_live:
        raise ApplicationError(_("This export has expired or was replaced."), code="expired")
    _check_subjects(export.request)
    audit_objects(
        event=Event.EXPORT_SENT,
        model=AccessExport,
        ids=[export.pk],
        actor=actor,
        data={"request": export.request_id},
    )
    transaction.on_commit(partial(tasks.access_export_link_send_task.delay, export.pk))
    return export


def access_export_from_token(*, token: str) -> AccessExport:
    """The export a link points to, if the link is genuine and still alive."""
    max_age = datetime.timedelta(days=settings.GDPR_EXPORT_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ApplicationError(_("This link has expired."), code="expired") from exc
    except signing.BadSignature as exc:
        raise ApplicationError(_("This link is not valid."), code="invalid") from exc
    export = AccessExport.objects.select_related("request").filter(pk=payload.get("e")).first()
    if export is None or not secrets.compare_digest(export.token_nonce, str(payload.get("n"))):
        raise ApplicationError(_("This link is not valid."), code="invalid")
    if not export.is_live:
        raise ApplicationError(_("This link has expired."), code="expired")
    if export.download_count >= settings.GDPR_EXPORT_MAX_DOWNLOADS:
        raise ApplicationError(_("This link was already used."), code="expired")
    return export


@transaction.atomic
def access_export_download(*, token: str) -> AccessExport:
    """Record a delivery through the e-mailed link; the caller streams `export.file`."""
    export = access_export_from_token(token=token)
    export = AccessExport.objects.select_for_update().select_related("request").get(pk=export.pk)
    # Re-read under the lock: two clients racing for the last download get it once.
    if export.download_count >= settings.GDPR_EXPORT_MAX_DOWNLOADS:
        raise ApplicationError(_("This link was already used."), code="expired")
    now = timezone.now()
    export.download_count += 1
    export.first_downloaded_at = export.first_downloaded_at or now
    export.save(update_fields=["download_count", "first_downloaded_at", "updated_at"])
    audit_objects(
        event=Event.EXPORT_DOWNLOADED,
        model=AccessExport,
        ids=[export.pk],
        data={"request": export.request_id},
    )
    logger.info("access export %s downloaded (%s)", export.pk, export.download_count)
    return export


@transaction.atomic
def access_export_staff_open(*, export: AccessExport, actor) -> AccessExport:
    """The DPO opens the archive to check it before sending: recorded, not a delivery."""
    if export.file_deleted_at is not None or not export.file:
        raise ApplicationError(_("The file of this export was deleted."), code="deleted")
    audit_objects(
        event=Event.EXPORT_VIEWED,
        model=AccessExport,
        ids=[export.pk],
        actor=actor,
        data={"request": export.request_id},
    )
    return export


def export_download_path(export: AccessExport) -> str:
    return reverse("privacy:export-download", args=[export_token(export)])
