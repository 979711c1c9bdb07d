from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from entaix.common.exceptions import ApplicationError
from imports.fetch import aaf_fetch
from imports.models import FetchAttempt, ImportRun


class Command(BaseCommand):
    help = "Fetch the AAF files from the Académie's SFTP server now and import complete sets."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be fetched.")

    def handle(self, *args, dry_run: bool, **options):
        try:
            attempt = aaf_fetch(trigger=ImportRun.Trigger.COMMAND, dry_run=dry_run)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if attempt.status == FetchAttempt.Status.FAILED:
            raise CommandError(
                _("Fetch failed (%(code)s): %(message)s")
                % {"code": attempt.code, "message": attempt.message}
            )
        for remote in attempt.listing:
            self.stdout.write(
                _("%(name)s  %(size)s bytes") % {"name": remote["name"], "size": remote["size"]}
            )
        if dry_run:
            self.stdout.write(
                _("Files that would be fetched: %(count)s.") % {"count": len(attempt.listing)}
            )
            return
        self.stdout.write(
            _("Fetch %(id)s: %(status)s; import runs queued: %(runs)s")
            % {
                "id": attempt.pk,
                "status": attempt.get_status_display(),
                "runs": attempt.run_ids or _("none"),
            }
        )
