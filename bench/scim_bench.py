"""SCIM benchmark: a full listing of an académie-size directory, page by page, then an
incremental sync after a 1 % Delta.

    .venv/bin/python bench/scim_bench.py                   # académie scale (400 schools)
    .venv/bin/python bench/scim_bench.py --schools 40      # city scale
    .venv/bin/python bench/scim_bench.py --reuse           # keep the database of the last run

A scratch PostgreSQL database (`SCIMBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_scimbench) is recreated and filled with the real
importer, as `pages_bench.py` does (`aaf_generate`, `aaf_import`, `school_open` of every
school, activity), the generated Complet kept in `var/scimbench/` so that `--reuse` can write
the next Delta from it. One SCIM client serves every school. The full listing is walked
twice, by cursor (RFC 9865: no OFFSET, no COUNT) and by startIndex. The SCIM views are called
in-process (django.test.Client with the client's bearer token), so that the queries of each
page are counted (CaptureQueriesContext) and the process's resident memory read after each
page (psutil): the listing streams if the page's queries stay the same and the memory flat.

Then 1 % of the persons change (default `--delta sql`: renamed, moved to another class,
leaving, written in SQL then `account_sync`, as an import ends; `--delta feed`: a generated
Delta, `aaf_generate --delta-from --change-rate 0.01`, imported — slow at académie scale) and
the client asks `meta.lastModified gt` the time before the change: the users returned are
compared with the accounts whose exported state changed, and their number with the whole
directory.
Figures are printed, never asserted.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchdb import recreate_database  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/entaix_scimbench"
SETTINGS = "entaix.settings.test"
FEEDS = ROOT / "var" / "scimbench"


def _env(db_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": SETTINGS}


def _manage(db_url: str, *args: str) -> str:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_env(db_url), check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    last = (done.stdout.strip().splitlines() or [""])[-1]
    print(f"  manage.py {args[0]}: {time.perf_counter() - started:.1f} s  {last[:100]}")
    return done.stdout


def fill_database(db_url: str, *, schools: int, pupils_per_school: int) -> None:
    import shutil

    from schools.models import School

    complet = FEEDS / "complet"
    shutil.rmtree(FEEDS, ignore_errors=True)
    FEEDS.mkdir(parents=True)
    feed_date = datetime.date.today() - datetime.timedelta(days=3)
    _manage(db_url, "migrate", "-v", "0")
    _manage(
        db_url, "aaf_generate", "--out", str(complet), "--schools", str(schools),
        "--pupils-per-school", str(pupils_per_school), "--date", feed_date.isoformat(),
    )  # fmt: skip
    _manage(db_url, "aaf_import", str(complet))
    uais = list(School.objects.filter(left_at__isnull=True).values_list("uai", flat=True))
    _manage(db_url, "school_open", *uais)


def sql_delta() -> int:
    """1 % of the persons changed as an import would: pupils renamed, pupils moved to another
    class of their school, pupils and guardians leaving; then account_sync (it refreshes the
    exported state). Returns how many persons were touched."""
    from django.db import connection

    from accounts.services import account_sync

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.18)")
        cursor.execute(
            "UPDATE schools_pupil SET last_name = last_name || 'X' WHERE id IN (SELECT id FROM"
            " schools_pupil WHERE left_at IS NULL ORDER BY random() LIMIT"
            " (SELECT count(*) / 200 FROM schools_pupil))"
        )
        renamed = cursor.rowcount
        cursor.execute(
            "UPDATE schools_pupilclass pc SET school_class_id = other.id FROM schools_pupil p,"
            " schools_schoolclass c, LATERAL (SELECT id FROM schools_schoolclass o WHERE"
            " o.school_id = c.school_id AND o.id <> c.id AND o.kind = c.kind LIMIT 1) other"
            " WHERE pc.pupil_id = p.id AND pc.school_class_id = c.id AND NOT EXISTS (SELECT 1"
            " FROM schools_pupilclass x WHERE x.pupil_id = pc.pupil_id"
            " AND x.school_class_id = other.id) AND pc.id IN (SELECT id FROM"
            " schools_pupilclass ORDER BY random() LIMIT (SELECT count(*) / 400 FROM"
            " schools_pupilclass))"
        )
        moved = cursor.rowcount
        cursor.execute(
            "UPDATE schools_guardian SET left_at = now() WHERE id IN (SELECT id FROM"
            " schools_guardian WHERE left_at IS NULL ORDER BY random() LIMIT"
            " (SELECT count(*) / 400 FROM schools_guardian))"
        )
        left = cursor.rowcount
    account_sync()
    return renamed + moved + left


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def list_all(
    client, token: str, *, filter_: str | None, count: int, cursor: bool,
    max_pages: int = 0, start: int = 1,
) -> dict:  # fmt: skip
    """The pages of /Users: by `cursor` (RFC 9865) or by `startIndex` (from `start`); at most
    `max_pages` (0: all)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ids, pages, total, next_cursor = [], [], None, ""
    started = time.perf_counter()
    while (next_cursor is not None) if cursor else (total is None or start <= total):
        if max_pages and len(pages) >= max_pages:
            break
        data = {"cursor": next_cursor} if cursor else {"startIndex": start}
        data["count"] = count
        if filter_:
            data["filter"] = filter_
        t0, c0 = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/scim/v2/Users", data, HTTP_AUTHORIZATION=f"Bearer {token}")
        cpu = time.process_time() - c0
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:500]}")
        body = response.json()
        total = body.get("totalResults")
        next_cursor = body.get("nextCursor")
        ids += [r["id"] for r in body.get("Resources", [])]
        pages.append(
            (time.perf_counter() - t0, len(queries), rss_mb(), len(response.content), cpu, sql)
        )
        del response, body
        start += count
    return {"ids": ids, "pages": pages, "seconds": time.perf_counter() - started, "total": total}


def report(title: str, result: dict, count: int) -> None:
    pages = result["pages"]
    times = [p[0] for p in pages]
    queries = sorted({p[1] for p in pages})
    rss = [p[2] for p in pages]
    n = len(result["ids"])
    seconds = result["seconds"]
    print(f"{title}: {n} users in {len(pages)} pages of {count} — {seconds:.1f} s, "
          f"{len(pages) / seconds:.2f} pages/s, {n / seconds:.0f} users/s")  # fmt: skip
    if len(times) > 1:
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        print(f"  page time: first {times[0] * 1000:.0f} ms, p50 "
              f"{statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, last "
              f"{times[-1] * 1000:.0f} ms")  # fmt: skip
    print(f"  per page: CPU (this process) p50 {statistics.median(p[4] for p in pages):.3f} s, "
          f"SQL p50 {statistics.median(p[5] for p in pages):.3f} s")  # fmt: skip
    print(f"  queries per page: {queries} (distinct counts over {len(pages)} pages)")
    print(f"  RSS: after page 1 {rss[0]:.0f} MB, peak {max(rss):.0f} MB, last {rss[-1]:.0f} MB; "
          f"page size {statistics.median(p[3] for p in pages) / 1024:.0f} KB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=400)
    parser.add_argument("--pupils-per-school", type=int, default=250)
    parser.add_argument("--count", type=int, default=1000, help="users per page (max 1000)")
    parser.add_argument("--db", default=os.environ.get("SCIMBENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--reuse", action="store_true", help="skip the fill: reuse the database")
    parser.add_argument("--pages", type=int, default=0, help="pages walked each way (0: all)")
    parser.add_argument(
        "--delta",
        choices=("sql", "feed"),
        default="sql",
        help="the 1 %% change: written in SQL (fast) or a generated Delta imported",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.update(DATABASE_URL=args.db, DJANGO_SETTINGS_MODULE=SETTINGS)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.directory import directory_refresh
    from accounts.models import User
    from schools.models import School
    from scim import services
    from scim.models import ScimClient
    from scim.selectors import scim_users_for_client, served_school_ids

    if not args.reuse:
        started = time.perf_counter()
        print(f"filling {args.db} ({args.schools} schools, {args.pupils_per_school} pupils each)")
        recreate_database(args.db)
        fill_database(args.db, schools=args.schools, pupils_per_school=args.pupils_per_school)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"  filled in {time.perf_counter() - started:.0f} s")
    feed_users = User.objects.exclude(kind=User.Kind.CITY)
    print(f"database: {School.objects.filter(ent_open=True).count()} open schools, "
          f"{feed_users.count()} accounts of the feed "
          f"({feed_users.filter(is_active=True).count()} active)")  # fmt: skip

    ScimClient.objects.filter(name="bench").delete()
    scim_client, token = services.scim_client_create(
        name="bench", school_ids=list(School.objects.values_list("pk", flat=True))
    )
    client = Client()

    print(f"machine load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs")  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    changed = directory_refresh()
    print(f"directory_refresh of every account with nothing changed: "
          f"{time.perf_counter() - started:.1f} s, CPU {time.process_time() - cpu:.1f} s, "
          f"{len(changed)} changed")  # fmt: skip

    full = list_all(client, token, filter_=None, count=args.count, cursor=True,
                    max_pages=args.pages)  # fmt: skip
    report("listing by cursor (RFC 9865), from the first page", full, args.count)
    total = feed_users.count()
    last = max(1, total - args.count * (args.pages or total) + 1)
    by_index = list_all(client, token, filter_=None, count=args.count, cursor=False,
                        max_pages=args.pages, start=last)  # fmt: skip
    report(f"listing by startIndex, from {last} (the end: the largest OFFSETs)", by_index,
           args.count)  # fmt: skip

    before = timezone.now()
    if args.delta == "feed":
        # The 1 % Delta, imported as the morning's feed would be.
        delta = FEEDS / f"delta-{int(time.time())}"
        delta_date = datetime.date.today() - datetime.timedelta(days=1)
        complet = str(FEEDS / "complet")
        _manage(args.db, "aaf_generate", "--out", str(delta), "--delta-from", complet,
                "--change-rate", "0.01", "--date", delta_date.isoformat())  # fmt: skip
        t0 = time.perf_counter()
        _manage(args.db, "aaf_import", str(delta))
        print(f"  Delta imported in {time.perf_counter() - t0:.1f} s")
    else:
        t0 = time.perf_counter()
        print(f"1 % delta written in SQL then account_sync: {sql_delta()} persons changed, "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    # Changed and visible to the client: people who left and whom it never received stay unseen.
    changed_ids = (
        scim_users_for_client(scim_client, school_ids=served_school_ids(scim_client))
        .filter(directory_modified_at__gt=before)
        .values_list("public_id", flat=True)
    )
    expected = {str(u) for u in changed_ids}
    incremental = list_all(
        client, token, filter_=f'meta.lastModified gt "{before.isoformat()}"', count=args.count,
        cursor=True,
    )  # fmt: skip
    report("incremental sync after the 1 % Delta", incremental, args.count)
    returned = set(incremental["ids"])
    share = 100 * len(returned) / max(total, 1)
    print(f"  returned {len(returned)} users = {share:.2f} % of the directory; exactly the "
          f"accounts whose exported state changed: {returned == expected} "
          f"({len(expected)})")  # fmt: skip


if __name__ == "__main__":
    main()
