"""Fetching the daily delivery from the Académie's SFTP server, and what follows from it.

Services: `aaf_fetch` (download, verify, record, remove remote, start complete sets),
`aaf_delivery_check` (alert at the cut-off), `aaf_inbox_purge` (delete old raw files).
"""

import datetime
import logging
import shutil
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from entaix.common.exceptions import ApplicationError
from imports import locks, tasks
from imports.aaf import Kind, Mode, feed_file_from_name
from imports.hooks import import_blocked
from imports.models import DeliveryAlert, FetchAttempt, ImportFile, ImportRun
from imports.sftp import SftpClient, SftpConfig, SftpError

logger = logging.getLogger(__name__)
FETCH_LOCK_SECONDS = 15 * 60


def sftp_config() -> SftpConfig:
    missing = [
        name
        for name in ("SFTP_HOST", "SFTP_USER", "SFTP_KEY_PATH", "SFTP_KNOWN_HOSTS")
        if not getattr(settings, name)
    ]
    if missing:
        raise ApplicationError(
            _("SFTP is not configured: set %(names)s.") % {"names": ", ".join(missing)},
            code="sftp-not-configured",
        )
    return SftpConfig(
        host=settings.SFTP_HOST,
        port=settings.SFTP_PORT,
        user=settings.SFTP_USER,
        key_path=Path(settings.SFTP_KEY_PATH),
        key_passphrase=settings.SFTP_KEY_PASSPHRASE or None,
        known_hosts=Path(settings.SFTP_KNOWN_HOSTS),
        remote_dir=settings.SFTP_REMOTE_DIR,
        timeout=float(settings.SFTP_TIMEOUT),
    )


def inbox_dir() -> Path:
    path = Path(settings.AAF_INBOX_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def aaf_fetch(
    *,
    trigger: str,
    requested_by_id: int | None = None,
    dry_run: bool = False,
    config: SftpConfig | None = None,
) -> FetchAttempt:
    """Download every AAF file on the server, then start the import of each complete set."""
    if import_blocked():
        # The convention ended: the city may no longer receive the Académie's data.
        raise ApplicationError(
            _("The convention with the Académie has ended: nothing is fetched."),
            code="convention-terminated",
        )
    with locks.exclusive(locks.FETCH, timeout=FETCH_LOCK_SECONDS) as acquired:
        if not acquired:
            raise ApplicationError(_("A fetch is already running."), code="fetch-running")
        attempt = FetchAttempt.objects.create(
            status=FetchAttempt.Status.RUNNING, trigger=trigger, requested_by_id=requested_by_id
        )
        try:
            fetched = _download_all(attempt, config or sftp_config(), dry_run=dry_run)
        except (SftpError, ApplicationError) as exc:
            attempt.status = FetchAttempt.Status.FAILED
            attempt.code = exc.code
            attempt.message = exc.message
            attempt.finished_at = timezone.now()
            attempt.save()
            logger.warning("fetch %s failed: %s", attempt.pk, exc.code)
            return attempt
        if dry_run:
            attempt.status = FetchAttempt.Status.DRY_RUN
        else:
            attempt.run_ids = import_runs_start(trigger=trigger, requested_by_id=requested_by_id)
            attempt.status = FetchAttempt.Status.FETCHED if fetched else FetchAttempt.Status.NOTHING
        attempt.finished_at = timezone.now()
        attempt.save()
        logger.info("fetch %s: %s new files, runs %s", attempt.pk, fetched, attempt.run_ids)
        return attempt


def _download_all(attempt: FetchAttempt, config: SftpConfig, *, dry_run: bool) -> int:
    fetched = 0
    with SftpClient(config) as client:
        remote = client.list_aaf_files()
        attempt.listing = [{"name": f.name, "size": f.size} for f in remote]
        if dry_run:
            return 0
        # One private folder per attempt: a re-delivered name never overwrites a kept file.
        folder = inbox_dir() / f"fetch-{attempt.pk}"
        for remote_file in remote:
            # A file the server is still writing (changed since the listing or while read) is
            # refused: never kept as complete, never removed; the next fetch takes it whole.
            local = client.download(remote_file.name, folder, expected=remote_file)
            if ImportFile.objects.filter(name=local.name, sha256=local.sha256).exists():
                local.path.unlink()  # already fetched once: never imported twice
                logger.info("fetch %s: %s already fetched", attempt.pk, local.name)
            else:
                feed = feed_file_from_name(local.name)
                ImportFile.objects.create(
                    fetch=attempt, name=local.name, kind=feed.kind, mode=feed.mode,
                    feed_date=feed.date, part=feed.part, size=local.size, sha256=local.sha256,
                    path=str(local.path), fetched_at=timezone.now(),
                )  # fmt: skip
                fetched += 1
            if settings.AAF_REMOVE_REMOTE:
                # Only now: the local copy is complete and its size and hash are recorded.
                client.remove(remote_file.name)
    return fetched


def import_runs_start(*, trigger: str, requested_by_id: int | None = None) -> list[int]:
    """Turn each complete set of waiting files into an import run, queued after commit."""
    waiting = ImportFile.objects.filter(run__isnull=True, purged_at__isnull=True)
    sets: dict[tuple, list[ImportFile]] = defaultdict(list)
    for file in waiting:
        sets[(file.feed_date, file.mode)].append(file)
    run_ids = []
    order = {str(Mode.COMPLET): 0, str(Mode.DELTA): 1}
    for (feed_date, mode), files in sorted(sets.items(), key=lambda s: (s[0][0], order[s[0][1]])):
        if {f.kind for f in files} != {str(k) for k in Kind}:
            continue  # incomplete: wait for the missing kinds
        with transaction.atomic():
            run = ImportRun.objects.create(
                status=ImportRun.Status.PLANNING, trigger=trigger, requested_by_id=requested_by_id,
                feed_date=feed_date, mode=mode,
            )  # fmt: skip
            ImportFile.objects.filter(pk__in=[f.pk for f in files]).update(run=run)
            transaction.on_commit(lambda run_id=run.pk: tasks.import_run_execute_task.delay(run_id))
        run_ids.append(run.pk)
    # A run whose worker died (planned, never applied) is queued again: tasks are idempotent.
    # So is one interrupted for a passing reason (the database lost): it resumes by itself.
    unfinished = (
        ImportRun.objects.filter(
            Q(status__in=[ImportRun.Status.PLANNING, ImportRun.Status.PLANNED])
            | Q(status=ImportRun.Status.FAILED, retryable=True)
        )
        .exclude(pk__in=run_ids)
        .exclude(trigger=ImportRun.Trigger.RECONCILE)
    )
    for run_id in unfinished.values_list("pk", flat=True):
        transaction.on_commit(lambda run_id=run_id: tasks.import_run_execute_task.delay(run_id))
    return run_ids


def aaf_fetch_queue(*, requested_by_id: int) -> None:
    """The city-staff button: the same fetch and import as the morning one, in the worker."""
    transaction.on_commit(
        lambda: tasks.aaf_fetch_task.delay(ImportRun.Trigger.MANUAL, requested_by_id)
    )


def aaf_delivery_check(*, today: datetime.date | None = None) -> DeliveryAlert | None:
    """At the cut-off: was a complete set fetched today? If not, alert once."""
    today = today or timezone.localdate()
    fetched_today = ImportFile.objects.filter(fetched_at__date=today)
    if fetched_today.filter(run__isnull=False).exists():
        return None
    last = FetchAttempt.objects.filter(created_at__date=today).order_by("-pk").first()
    if fetched_today.exists():
        code, message = (
            DeliveryAlert.Code.INCOMPLETE,
            _("Files arrived today but the set of four is incomplete: nothing was imported."),
        )
    elif last is not None and last.status == FetchAttempt.Status.FAILED:
        code, message = (
            DeliveryAlert.Code.FETCH_FAILED,
            _("The Académie's SFTP server could not be used (%(code)s).") % {"code": last.code},
        )
    else:
        code, message = DeliveryAlert.Code.MISSING, _("No AAF file arrived today.")
    alert, created = DeliveryAlert.objects.get_or_create(
        date=today, defaults={"code": code, "message": message}
    )
    if created and settings.CITY_ALERT_EMAIL:
        send_mail(
            subject=_("ENT: the AAF feed of %(date)s did not arrive") % {"date": today},
            message=f"{message}\n\n{settings.ENT_SITE_URL}/imports/",
            from_email=None,
            recipient_list=[settings.CITY_ALERT_EMAIL],
        )
        alert.emailed_at = timezone.now()
        alert.save(update_fields=["emailed_at", "updated_at"])
    return alert


def aaf_inbox_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete raw files read more than AAF_INBOX_RETENTION_DAYS ago: fetched ones in the inbox,
    and those of hand-run imports (`aaf_import PATH`) where they lie. A file that cannot be
    deleted stays recorded as not purged (and is logged by id)."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.AAF_INBOX_RETENTION_DAYS)
    inbox = Path(settings.AAF_INBOX_DIR).resolve()
    purged = 0
    files = ImportFile.objects.filter(purged_at__isnull=True).filter(
        Q(fetched_at__lt=limit) | Q(fetched_at__isnull=True, created_at__lt=limit)
    )
    for file in files:
        path = Path(file.path)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            logger.warning("raw file %s could not be deleted", file.pk)
            continue
        if (
            inbox in path.resolve().parents
            and path.parent != inbox
            and not any(path.parent.iterdir())
        ):
            shutil.rmtree(path.parent, ignore_errors=True)
        file.purged_at = now
        file.save(update_fields=["purged_at", "updated_at"])
        purged += 1
    return purged


__all__ = ["aaf_delivery_check", "aaf_fetch", "aaf_inbox_purge", "import_runs_start"]
