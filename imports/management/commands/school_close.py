from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from entaix.common.exceptions import ApplicationError
from imports.services import school_close_reconcile


class Command(BaseCommand):
    help = "Close the ENT in schools (by UAI): their people leave (never deleted)."

    def add_arguments(self, parser):
        parser.add_argument(
            "uais", nargs="+", metavar="UAI", help="The schools' UAI numbers, e.g. 0131234A."
        )

    def handle(self, *args, uais, **options):
        try:
            run = school_close_reconcile(uais=uais)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        left = {kind: c["left"] for kind, c in run.counts.items()}
        self.stdout.write(
            _("Closed: %(uais)s. Import run %(run)s: %(left)s")
            % {"uais": ", ".join(uais), "run": run.pk, "left": left}
        )
