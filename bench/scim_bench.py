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

Then a 1 % Delta (`aaf_generate --delta-from --change-rate 0.01`) is imported and the client
asks `meta.lastModified gt` the time before the import: the users returned are compared with
the accounts whose exported state changed, and their number with the whole directory.
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


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def list_all(client, token: str, *, filter_: str | None, count: int, cursor: bool) -> dict:
    """Every page of /Users: by `cursor` (RFC 9865) or by `startIndex`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start, ids, pages, total, next_cursor = 1, [], [], None, ""
    started = time.perf_counter()
    while (next_cursor is not None) if cursor else (total is None or start <= total):
        data = {"cursor": next_cursor} if cursor else {"startIndex": start}
        data["count"] = count
        if filter_:
            data["filter"] = filter_
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/scim/v2/Users", data, HTTP_AUTHORIZATION=f"Bearer {token}")
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:500]}")
        body = response.json()
        total = body.get("totalResults")
        next_cursor = body.get("nextCursor")
        ids += [r["id"] for r in body.get("Resources", [])]
        pages.append((time.perf_counter() - t0, len(queries), rss_mb(), len(response.content)))
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
    _client, token = services.scim_client_create(
        name="bench", school_ids=list(School.objects.values_list("pk", flat=True))
    )
    client = Client()

    started = time.perf_counter()
    changed = directory_refresh()
    print(f"directory_refresh of every account with nothing changed: "
          f"{time.perf_counter() - started:.1f} s, {len(changed)} changed")  # fmt: skip

    full = list_all(client, token, filter_=None, count=args.count, cursor=True)
    report("full listing by cursor (RFC 9865)", full, args.count)
    by_index = list_all(client, token, filter_=None, count=args.count, cursor=False)
    report("full listing by startIndex", by_index, args.count)
    print(f"  same users both ways: {set(by_index['ids']) == set(full['ids'])}")

    # The 1 % Delta, imported as the morning's feed would be.
    complet = FEEDS / "complet"
    delta = FEEDS / f"delta-{int(time.time())}"
    delta_date = datetime.date.today() - datetime.timedelta(days=1)
    if not args.reuse or not (FEEDS / "delta-done").exists():
        before = timezone.now()
        _manage(args.db, "aaf_generate", "--out", str(delta), "--delta-from", str(complet),
                "--change-rate", "0.01", "--date", delta_date.isoformat())  # fmt: skip
        t0 = time.perf_counter()
        _manage(args.db, "aaf_import", str(delta))
        print(f"  Delta imported in {time.perf_counter() - t0:.1f} s")
        (FEEDS / "delta-done").write_text(before.isoformat())
    else:
        before = datetime.datetime.fromisoformat((FEEDS / "delta-done").read_text())
    changed_ids = (
        User.objects.filter(directory_modified_at__gt=before)
        .exclude(kind=User.Kind.CITY)
        .values_list("public_id", flat=True)
    )
    expected = {str(u) for u in changed_ids}
    incremental = list_all(
        client, token, filter_=f'meta.lastModified gt "{before.isoformat()}"', count=args.count,
        cursor=False,
    )  # fmt: skip
    report("incremental sync after the 1 % Delta", incremental, args.count)
    returned = set(incremental["ids"])
    share = 100 * len(returned) / max(len(full["ids"]), 1)
    print(f"  returned {len(returned)} users = {share:.2f} % of the directory; exactly the "
          f"accounts whose exported state changed: {returned == expected} "
          f"({len(expected)})")  # fmt: skip


if __name__ == "__main__":
    main()
