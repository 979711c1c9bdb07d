import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from entaix.common.exceptions import ApplicationError
from imports.services import school_open_reconcile


class Command(BaseCommand):
    help = "Open the ENT in schools (by UAI); their people come from the latest applied feed."

    def add_arguments(self, parser):
        parser.add_argument(
            "uais", nargs="+", metavar="UAI", help="The schools' UAI numbers, e.g. 0131234A."
        )
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="The day the ENT opened there (default: today).",
        )

    def handle(self, *args, uais, date, **options):
        try:
            run = school_open_reconcile(uais=uais, opened_on=date or timezone.localdate())
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(_("Opened: %(uais)s") % {"uais": ", ".join(uais)})
        if run is None:
            self.stdout.write(_("No applied feed on disk yet: people arrive with the next import."))
        else:
            created = {kind: c.get("created", 0) for kind, c in run.counts.items()}
            self.stdout.write(
                _("Import run %(run)s: %(status)s %(created)s")
                % {"run": run.pk, "status": run.get_status_display(), "created": created}
            )
