import datetime
import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from entaix.common.exceptions import ApplicationError
from privacy.services.termination import certificate_text, convention_terminate, termination_preview

WORD = "DETRUIRE"


class Command(BaseCommand):
    help = (
        "The convention with the Académie has ended: destroy every personal datum that came "
        "from the AAF feed, the raw files and the personal data in the logs, and write the "
        f"destruction certificate. Dry run by default; --confirm asks you to type {WORD}; "
        "--confirm --no-input for scripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--confirm", action="store_true", help="Destroy (asks to confirm).")
        parser.add_argument(
            "--no-input", action="store_true", dest="no_input", help="Do not ask (with --confirm)."
        )
        parser.add_argument(
            "--with-open-requests",
            action="store_true",
            dest="with_open_requests",
            help="Terminate although data requests are still open (they are listed).",
        )
        parser.add_argument(
            "--terminated-on",
            type=datetime.date.fromisoformat,
            dest="terminated_on",
            default=None,
            help="The convention's end date, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--by", default="", help="Who runs it, for the certificate (default: your OS user)."
        )

    def handle(
        self,
        *args,
        confirm: bool,
        no_input: bool,
        by: str,
        with_open_requests: bool,
        terminated_on,
        **options,
    ):
        preview = termination_preview()
        self.stdout.write(_("Would destroy:") if not confirm else _("Will destroy:"))
        for name, count in sorted(preview.counts.items()):
            self.stdout.write(f"  {name}: {count}")
        for kind, count in preview.kept["legal_holds"].items():
            if count:
                self.stdout.write(
                    _("  kept under a legal hold: %(kind)s %(count)s")
                    % {"kind": kind, "count": count}
                )
        if preview.open_requests:
            self.stdout.write(
                self.style.WARNING(
                    _("Data requests still open (%(count)s): %(references)s")
                    % {
                        "count": preview.open_requests,
                        "references": ", ".join(preview.open_references),
                    }
                )
            )
        if not confirm:
            self.stdout.write(_("Dry run: nothing destroyed. Add --confirm to destroy."))
            return
        if not no_input:
            typed = input(_("Type %(word)s to destroy these data for good: ") % {"word": WORD})
            if typed.strip() != WORD:
                raise CommandError(_("Not confirmed: nothing destroyed."))
        try:
            result = convention_terminate(
                actor_label=by or _("%(user)s (command line)") % {"user": getpass.getuser()},
                with_open_requests=with_open_requests,
                terminated_on=terminated_on,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(certificate_text(result.run))
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(warning))
        self.stdout.write(
            self.style.SUCCESS(
                _("Destruction certificate #%(id)s written.") % {"id": result.run.pk}
            )
        )
