from django.core.management.base import BaseCommand, CommandError

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
            raise CommandError(f"Fetch failed ({attempt.code}): {attempt.message}")
        for remote in attempt.listing:
            self.stdout.write(f"{remote['name']}  {remote['size']} bytes")
        if dry_run:
            self.stdout.write(f"{len(attempt.listing)} file(s) would be fetched.")
            return
        self.stdout.write(
            f"Fetch {attempt.pk}: {attempt.get_status_display()}; "
            f"import runs queued: {attempt.run_ids or 'none'}"
        )
