from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import LetterBatch
from entaix.common.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Print the activation letters of a school (or one class, or every open school) as PDF: "
        "one pile per class with its cover sheet, sorted by name; recorded as printed by the "
        "system."
    )

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--school", metavar="UAI", help="The school's UAI.")
        where.add_argument(
            "--all-open-schools",
            action="store_true",
            help="Every open school, one PDF per school (UAI.pdf) in the folder --out.",
        )
        parser.add_argument("--class", dest="class_name", default="", metavar="NAME",
                            help="Only this class of the school (its name).")  # fmt: skip
        parser.add_argument(
            "--profile",
            required=True,
            choices=LetterBatch.Profile.values,
            help="guardian (one letter per guardian, listing their children), pupil or staff.",
        )
        parser.add_argument(
            "--filter",
            dest="batch_filter",
            default=LetterBatch.Filter.NOT_ACTIVATED,
            choices=LetterBatch.Filter.values,
            help="not-activated (default): accounts not activated yet; not-printed: codes never "
            "printed; all: activated accounts get an 'account active' sheet instead of a code.",
        )
        parser.add_argument(
            "--layout",
            default=LetterBatch.Layout.LETTER,
            choices=LetterBatch.Layout.values,
            help="letter (default): one A4 page each, with the school's contact; slips: 8 per A4.",
        )
        parser.add_argument(
            "--out", required=True, type=Path, help="FILE.pdf, or a folder with --all-open-schools."
        )

    def handle(self, *args, school, all_open_schools, class_name, profile, batch_filter,
               layout, out: Path, **options):  # fmt: skip
        try:
            if all_open_schools:
                if class_name:
                    raise CommandError(_("--class goes with --school, not --all-open-schools."))
                out.mkdir(parents=True, exist_ok=True)
                results = services.letter_batches_print_open_schools(
                    profile=profile, batch_filter=batch_filter, layout=layout, out_dir=out
                )
                for uai, batch in results:
                    self._report(uai, batch, out / f"{uai}.pdf")
                return
            if out.exists() and out.is_dir():
                raise CommandError(
                    _("--out %(path)s is a folder: give a FILE.pdf.") % {"path": out}
                )
            batch = services.letter_batch_print(
                uai=school, class_name=class_name, profile=profile, batch_filter=batch_filter,
                layout=layout, out=out,
            )  # fmt: skip
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        if batch.status != LetterBatch.Status.DONE:
            raise CommandError(
                _("Batch %(batch)s failed: %(error)s") % {"batch": batch.pk, "error": batch.error}
            )
        self._report(batch.school.uai, batch, out)

    def _report(self, uai: str, batch: LetterBatch | None, path: Path) -> None:
        if batch is None:
            self.stdout.write(_("%(uai)s: nobody needs a letter, no file") % {"uai": uai})
        elif batch.status != LetterBatch.Status.DONE:
            self.stderr.write(
                _("%(uai)s: batch %(batch)s failed: %(error)s")
                % {"uai": uai, "batch": batch.pk, "error": batch.error}
            )
        else:
            self.stdout.write(
                _("%(uai)s: %(count)s letters, %(pages)s pages -> %(path)s (batch %(batch)s)")
                % {
                    "uai": uai,
                    "count": batch.count,
                    "pages": batch.pages,
                    "path": path,
                    "batch": batch.pk,
                }
            )
