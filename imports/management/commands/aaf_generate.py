import datetime
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports import feedgen


class Command(BaseCommand):
    help = "Write realistic generated AAF 1D files (tests, demo data, benchmarks)."

    def add_arguments(self, parser):
        defaults = feedgen.GenOptions()
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--schools", type=int, default=defaults.schools)
        parser.add_argument("--pupils-per-school", type=int, default=defaults.pupils_per_school)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--date", type=datetime.date.fromisoformat, default=defaults.date)
        parser.add_argument("--max-records-per-file", type=int, default=None)
        parser.add_argument("--delta-from", type=Path, help="a set written earlier by this command")
        parser.add_argument("--change-rate", type=float, default=0.02)
        parser.add_argument("--complet", action="store_true", help="with --delta-from: full set")
        parser.add_argument(
            "--ldap-aliases",
            action="store_true",
            help="the older shape: sn, givenName, personalTitle, street, postalCode, l, …",
        )
        parser.add_argument(
            "--drop-part",
            metavar="KIND_NNNN",
            help="delete one written part (e.g. Eleve_0000): a set with a missing part",
        )

    def handle(self, *args, out, delta_from, change_rate, complet, drop_part, **options):
        started = time.perf_counter()
        try:
            if delta_from:
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
            f"{len(feed.files)} files in {out} ({time.perf_counter() - started:.1f} s); "
            f"schools where the ENT could stay closed: {', '.join(feed.closed_school_uais)}"
        )
