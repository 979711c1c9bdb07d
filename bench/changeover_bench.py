"""Changeover benchmark: the September Complet of a generated city, planned, reviewed, applied.

    .venv/bin/python bench/changeover_bench.py                 # city scale (40 schools)
    .venv/bin/python bench/changeover_bench.py --schools 10    # quicker

A scratch PostgreSQL database (`CHANGEOVERBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_changeoverbench) is recreated and filled with the real
importer: a generated city three days old, every school opened; then `aaf_generate --next-year`
dated today, imported with the changeover date set to yesterday (held for `changeover`). Printed:
the plan's time, the review's time (best of three) and query count, the time to approve every
school and apply, and the review's totals. Figures only, nothing asserted.
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

from benchdb import recreate_database  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/entaix_changeoverbench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--pupils-per-school", type=int, default=250)
    args = parser.parse_args()
    db_url = os.environ.get("CHANGEOVERBENCH_DATABASE_URL", DEFAULT_DB)
    recreate_database(db_url)
    os.environ.update(DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE="entaix.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from devtools import feedgen
    from imports import selectors, services
    from schools.models import School

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    settings.SCHOOL_YEAR_CHANGEOVER = f"{today - datetime.timedelta(days=1):%m-%d}"
    with tempfile.TemporaryDirectory(prefix="changeoverbench-") as folder:
        year1, year2 = Path(folder) / "year1", Path(folder) / "year2"
        options = feedgen.GenOptions(
            schools=args.schools, pupils_per_school=args.pupils_per_school, seed=1,
            date=today - datetime.timedelta(days=3), closed_school_ratio=0,
        )  # fmt: skip
        feedgen.generate_complet(year1, options)
        services.import_files(paths=[year1], trigger="command")
        services.school_open_reconcile(
            uais=list(School.objects.values_list("uai", flat=True)), opened_on=today
        )
        feedgen.generate_next_year(year1, year2, seed=2, date=today)
        started = time.perf_counter()
        run = services.import_files(paths=[year2], trigger="command")
        planned = time.perf_counter() - started
        print(f"schools {args.schools}, pupils per school {args.pupils_per_school}")
        print(f"plan: {planned:.2f} s, status {run.status}, reasons {run.held_reasons}")
        timings = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                review = selectors.changeover_review(run=run)
                timings.append(time.perf_counter() - started)
        print(f"review: best {min(timings) * 1000:.0f} ms of 3, {len(queries)} queries,"
              f" {len(review)} schools")  # fmt: skip
        print(
            "review totals: leavers", sum(s.leavers_total for s in review),
            "arrivals", sum(s.arrivals_total for s in review),
            "pupils moved between schools", sum(s.moved_in for s in review),
            "renamed classes", sum(len(s.renamed) for s in review),
            "splits", sum(len(s.splits) for s in review),
        )  # fmt: skip
        started = time.perf_counter()
        run = services.import_run_approve(run_id=run.pk)
        run = services.import_run_apply(run_id=run.pk)
        print(f"approve and apply: {time.perf_counter() - started:.2f} s, {run.status},"
              f" accounts {run.account_counts}")  # fmt: skip


if __name__ == "__main__":
    main()
