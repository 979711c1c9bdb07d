import datetime
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from devtools import feedgen


class Command(BaseCommand):
    help = (
        "Write realistic generated AAF 1D files (tests, demo data, benchmarks): a Complet, or "
        "with --delta-from the next Delta."
    )

    def add_arguments(self, parser):
        defaults = feedgen.GenOptions()
        parser.add_argument(
            "--out",
            type=Path,
            required=True,
            help="Folder to write the four files into (created if missing).",
        )
        parser.add_argument(
            "--schools",
            type=int,
            default=defaults.schools,
            help=f"Number of schools (default {defaults.schools}; 40 is city scale).",
        )
        parser.add_argument(
            "--pupils-per-school",
            type=int,
            default=defaults.pupils_per_school,
            help=f"Pupils in each school (default {defaults.pupils_per_school}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=defaults.seed,
            help="Random seed: the same seed writes the same feed (default %(default)s).",
        )
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=defaults.date,
            metavar="YYYY-MM-DD",
            help="The feed's date, written in the file names (default %(default)s).",
        )
        parser.add_argument(
            "--max-records-per-file",
            type=int,
            default=None,
            metavar="N",
            help=f"Split a kind into several files of at most N records "
            f"(default {defaults.max_records_per_file}).",
        )
        parser.add_argument(
            "--delta-from",
            type=Path,
            metavar="DIR",
            help="Write the next Delta after the set in DIR (written earlier by this command).",
        )
        parser.add_argument(
            "--change-rate",
            type=float,
            default=0.02,
            help="With --delta-from: share of records that change (default %(default)s).",
        )
        parser.add_argument(
            "--complet",
            action="store_true",
            help="With --delta-from: write the next full set (Complet) instead of a Delta.",
        )
        parser.add_argument(
            "--next-year",
            action="store_true",
            help="With --delta-from: write the next school year's Complet (the September "
            "changeover: promotions, CM2 leavers, new CP and PS, renamed and split classes, a "
            "teacher moving school).",
        )
        parser.add_argument(
            "--ldap-aliases",
            action="store_true",
            help="Write the older shape: sn, givenName, personalTitle, street, postalCode, l, …",
        )
        parser.add_argument(
            "--drop-part",
            metavar="KIND_NNNN",
            help="Delete one written part (e.g. Eleve_0000): a set with a missing part.",
        )

    def handle(self, *args, out, delta_from, change_rate, complet, next_year, drop_part, **options):
        started = time.perf_counter()
        if next_year and not delta_from:
            raise CommandError(_("--next-year needs --delta-from DIR (the year before)."))
        try:
            if next_year:
                feed = feedgen.generate_next_year(
                    delta_from, out, seed=options["seed"], date=options["date"],
                    max_records_per_file=options["max_records_per_file"],
                )  # fmt: skip
            elif delta_from:
                generate = feedgen.generate_next_complet if complet else feedgen.generate_delta
                feed = generate(
                    delta_from, out, change_rate=change_rate, seed=options["seed"],
                    date=options["date"], max_records_per_file=options["max_records_per_file"],
                )  # fmt: skip
            else:
                feed = feedgen.generate_complet(
                    out,
                    feedgen.GenOptions(
                        schools=options["schools"],
                        pupils_per_school=options["pupils_per_school"],
                        seed=options["seed"],
                        date=options["date"],
                        max_records_per_file=options["max_records_per_file"]
                        or feedgen.GenOptions.max_records_per_file,
                        ldap_aliases=options["ldap_aliases"],
                    ),
                )
            if drop_part:
                feed = feedgen.drop_part(feed, drop_part)
        except (ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(feed.counts, sort_keys=True))
        self.stdout.write(
            _(
                "%(files)s files in %(out)s (%(seconds).1f s); schools where the ENT could stay "
                "closed: %(uais)s"
            )
            % {
                "files": len(feed.files),
                "out": out,
                "seconds": time.perf_counter() - started,
                "uais": ", ".join(feed.closed_school_uais),
            }
        )
