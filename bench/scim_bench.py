"""SCIM benchmark: a full listing of an académie-size directory, page by page, then an
incremental sync after a 1 % Delta.

    .venv/bin/python bench/scim_bench.py                   # académie scale (400 schools)
    .venv/bin/python bench/scim_bench.py --schools 40      # city scale
    .venv/bin/python bench/scim_bench.py --reuse           # keep the database of the last run
    .venv/bin/python bench/scim_bench.py --reuse --tracemalloc   # where the Python heap grows
    .venv/bin/python bench/scim_bench.py --reuse --server inprocess

A scratch PostgreSQL database (`SCIMBENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/entaix_scimbench) is recreated and filled with the real
importer, as `pages_bench.py` does (`aaf_generate`, `aaf_import`, `school_open` of every
school, activity), the generated Complet kept in `var/scimbench/` so that `--reuse` can write
the next Delta from it. One SCIM client serves every school. The full listing is walked
twice, by cursor (RFC 9865: no OFFSET, no COUNT) and by startIndex (from the end).

The server is the one deployed (`benchserver.py`): gunicorn as `scripts/entrypoint.sh` starts
it, with production settings and ONE sync worker, so that every page is served by the same
process; the pages are asked over loopback HTTP (requests) with the client's bearer token,
as the ENT would. Printed for each page (`--show n`: every n-th after the first ten): wall
time, the worker's CPU time (user + system, psutil), the queries the worker made for it and
their time (counted on the worker by the bench middleware: no query text kept), and the
worker's resident memory (RSS) after it; then the RSS at pages 1, 10, the middle one and the
last, and the max. The listing streams if the queries per page stay the same and the memory
flat. `--tracemalloc` makes the worker trace its Python allocations (slower): the traced heap
after each page, and the lines whose allocations grew between page 10 of the first walk and the
end of the last (tracemalloc snapshots; a worker tracing its allocations holds more RSS).
`--walks n` walks the listing n times on the same worker: memory kept grows with each walk.
Each walk is checked against what the client may read (the count, and a digest of the sequence
of ids in key order: the bench keeps no list of the directory).
`--server inprocess` calls the views in this process instead (django.test.Client, test
settings), the same figures read of this process.

Then 1 % of the persons change (default `--delta sql`: renamed, moved to another class,
leaving, written in SQL then `account_sync`, as an import ends; `--delta feed`: a generated
Delta, `aaf_generate --delta-from --change-rate 0.01`, imported — slow at académie scale) and
the client asks `meta.lastModified gt` the time before the change: the users returned are
compared with the accounts whose exported state changed, and their number with the whole
directory.
Figures are printed, never asserted.
"""

import argparse
import contextlib
import datetime
import hashlib
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from benchdb import recreate_database  # bench/ is the script's folder
from benchserver import PROXY, counting_queries, gunicorn

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


class HttpPages:
    """Pages asked over HTTP of the gunicorn worker (`benchserver`); figures read of the
    worker: its RSS and CPU (psutil), its queries (counted by the bench middleware)."""

    where = "gunicorn worker"

    def __init__(self, server, token: str):
        import requests

        self.server = server
        self.session = requests.Session()
        self.session.trust_env = False
        self.headers = {**PROXY, "Authorization": f"Bearer {token}"}

    def get(self, params: dict, snapshot: str | None = None) -> dict:
        headers = {**self.headers, "X-Bench-Snapshot": snapshot} if snapshot else self.headers
        cpu = self.server.cpu_seconds()
        t0 = time.perf_counter()
        response = self.session.get(f"{self.server.base}/scim/v2/Users", params=params,
                                    headers=headers, timeout=300)  # fmt: skip
        wall = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:500]}")
        queries, sql_ms = self.server.queries(response)
        traced = response.headers.get("X-Bench-Traced-Kb")
        return {
            "wall": wall, "cpu": self.server.cpu_seconds() - cpu, "queries": queries,
            "sql": sql_ms / 1000, "rss": self.server.rss_mb(), "size": len(response.content),
            "traced": int(traced) / 1024 if traced else None, "body": response.json(),
        }  # fmt: skip

    def snapshot(self, path: str) -> None:
        """A tracemalloc snapshot of the worker, taken after a small request."""
        self.session.get(f"{self.server.base}/scim/v2/ServiceProviderConfig",
                         headers={**PROXY, "X-Bench-Snapshot": path}, timeout=60)  # fmt: skip


class InProcessPages:
    """Pages asked of the SCIM view in this process (django.test.Client, test settings);
    figures read of this process, queries counted by a connection wrapper (no text kept)."""

    where = "this process"

    def __init__(self, token: str, *, tracing: bool):
        from django.test import Client

        self.client = Client()
        self.token = token
        self.tracing = tracing
        if tracing:
            tracemalloc.start()

    def get(self, params: dict, snapshot: str | None = None) -> dict:
        import psutil

        t0, c0 = time.perf_counter(), time.process_time()
        with counting_queries() as counted:
            response = self.client.get("/scim/v2/Users", params,
                                       HTTP_AUTHORIZATION=f"Bearer {self.token}")  # fmt: skip
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:500]}")
        page = {
            "wall": wall, "cpu": cpu, "queries": counted[0], "sql": counted[1],
            "size": len(response.content), "body": response.json(),
            "traced": tracemalloc.get_traced_memory()[0] / 2**20 if self.tracing else None,
        }  # fmt: skip
        del response
        page["rss"] = psutil.Process().memory_info().rss / 1e6
        if snapshot:
            self.snapshot(snapshot)
        return page

    def snapshot(self, path: str) -> None:
        tracemalloc.take_snapshot().dump(path)


def list_all(
    pages_of, *, filter_: str | None, count: int, cursor: bool, max_pages: int = 0,
    start: int = 1, show: int = 0, snapshot_at: dict | None = None, keep_ids: bool = False,
) -> dict:  # fmt: skip
    """The pages of /Users: by `cursor` (RFC 9865) or by `startIndex` (from `start`); at most
    `max_pages` (0: all). `show`: print every show-th page (and the first ten, the last).
    `snapshot_at`: {page number: file} where the server dumps a tracemalloc snapshot."""
    # The ids received: a digest of their sequence (the bench keeps no list of a whole
    # directory: in-process its memory is the one measured), the ids themselves only if asked.
    ids, sequence = set(), hashlib.blake2b(digest_size=16)
    pages, total, next_cursor = [], None, ""
    started = time.perf_counter()
    while (next_cursor is not None) if cursor else (total is None or start <= total):
        if max_pages and len(pages) >= max_pages:
            break
        params = {"cursor": next_cursor} if cursor else {"startIndex": start}
        params["count"] = count
        if filter_:
            params["filter"] = filter_
        page = pages_of.get(params, snapshot=(snapshot_at or {}).get(len(pages) + 1))
        body = page.pop("body")
        total = body.get("totalResults")
        next_cursor = body.get("nextCursor")
        resources = body.get("Resources", [])
        for resource in resources:
            sequence.update(resource["id"].encode())
        if keep_ids:
            ids.update(r["id"] for r in resources)
        page["n"] = len(resources)
        pages.append(page)
        last = next_cursor is None if cursor else start + count > (total or 0)
        if show and (len(pages) <= 10 or len(pages) % show == 0 or last):
            print_page(len(pages), page)
        start += count
    return {"ids": ids, "sequence": sequence.hexdigest(), "pages": pages,
            "seconds": time.perf_counter() - started, "total": total}  # fmt: skip


def print_page(number: int, page: dict) -> None:
    traced = f"  traced {page['traced']:6.1f} MB" if page["traced"] is not None else ""
    print(f"    page {number:4d}: {page['n']:4d} users {page['wall'] * 1000:6.0f} ms  CPU "
          f"{page['cpu'] * 1000:5.0f} ms  SQL {page['sql'] * 1000:5.0f} ms  queries "
          f"{page['queries']:2d}  RSS {page['rss']:6.1f} MB{traced}")  # fmt: skip


def report(title: str, result: dict, count: int, where: str) -> None:
    pages = result["pages"]
    if not pages:
        print(f"{title}: no page")
        return
    times = [p["wall"] for p in pages]
    queries = sorted({p["queries"] for p in pages})
    rss = [p["rss"] for p in pages]
    n = sum(p["n"] for p in pages)
    seconds = result["seconds"]
    print(f"{title}: {n} users in {len(pages)} pages of "
          f"{count} — {seconds:.1f} s, {len(pages) / seconds:.2f} pages/s, "
          f"{n / seconds:.0f} users/s")  # fmt: skip
    if len(times) > 1:
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        print(f"  page time: first {times[0] * 1000:.0f} ms, p50 "
              f"{statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, last "
              f"{times[-1] * 1000:.0f} ms")  # fmt: skip
    print(f"  per page: CPU ({where}) p50 {statistics.median(p['cpu'] for p in pages):.3f} s, "
          f"SQL p50 {statistics.median(p['sql'] for p in pages):.3f} s; page size p50 "
          f"{statistics.median(p['size'] for p in pages) / 1024:.0f} KB")  # fmt: skip
    print(f"  queries per page: {queries} (distinct counts over {len(pages)} pages)")
    named: dict[int, str] = {}  # page index: name (first, 10th, middle, last; each once)
    for i, name in ((0, "first"), (9, "10th"), (len(pages) // 2, "middle"),
                    (len(pages) - 1, "last")):  # fmt: skip
        if i < len(pages) and i not in named:
            named[i] = f"page {i + 1} ({name})"
    marks = {name: i for i, name in named.items()}
    print(f"  RSS ({where}): " + ", ".join(f"{k} {rss[i]:.1f} MB" for k, i in marks.items())
          + f"; max {max(rss):.1f} MB (page {rss.index(max(rss)) + 1})")  # fmt: skip
    traced = [p["traced"] for p in pages]
    if traced[0] is not None:
        print("  Python heap traced (tracemalloc): "
              + ", ".join(f"{k} {traced[i]:.1f} MB" for k, i in marks.items())
              + f"; max {max(traced):.1f} MB")  # fmt: skip


def snapshot_diff(before: str, after: str, top: int = 12) -> None:
    """What the Python heap gained between two snapshots, by line."""
    old = tracemalloc.Snapshot.load(before)
    new = tracemalloc.Snapshot.load(after)
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = new.filter_traces(ignore).compare_to(old.filter_traces(ignore), "lineno")
    grown = sum(s.size_diff for s in stats)
    print(f"  tracemalloc, {Path(after).stem} against {Path(before).stem}: "
          f"{grown / 1024:+.0f} KB in all; largest differences:")  # fmt: skip
    for stat in stats[:top]:
        frame = stat.traceback[0]
        where = frame.filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        print(f"    {stat.size_diff / 1024:+8.1f} KB {stat.count_diff:+7d} blocks  "
              f"{where}:{frame.lineno}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=400)
    parser.add_argument("--pupils-per-school", type=int, default=250)
    parser.add_argument("--count", type=int, default=1000, help="users per page (max 1000)")
    parser.add_argument("--db", default=os.environ.get("SCIMBENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--reuse", action="store_true", help="skip the fill: reuse the database")
    parser.add_argument("--pages", type=int, default=0, help="pages walked each way (0: all)")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "inprocess"),
        default="gunicorn",
        help="gunicorn with production settings, one sync worker (default), or the views "
        "called in this process (django.test.Client)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the Python allocations of the process serving the pages (slower): traced "
        "heap per page, and what grew between page 10 of the first walk and the end",
    )
    parser.add_argument("--show", type=int, default=1, help="print every n-th page (0: none)")
    parser.add_argument(
        "--walks", type=int, default=1,
        help="walk the listing by cursor this many times on the same worker (memory that "
        "stays grows with each walk; the allocator's high-water mark does not)",
    )  # fmt: skip
    parser.add_argument("--no-index", action="store_true", help="skip the startIndex walk")
    parser.add_argument(
        "--delta",
        choices=("sql", "feed", "none"),
        default="sql",
        help="the 1 %% change: written in SQL (fast), a generated Delta imported, or none",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.update(DATABASE_URL=args.db, DJANGO_SETTINGS_MODULE=SETTINGS)
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from accounts.directory import directory_refresh
    from accounts.models import User
    from schools.models import School
    from scim import services
    from scim.models import ScimClient
    from scim.selectors import (
        scim_removals_for_client,
        scim_users_for_client,
        served_school_ids,
    )

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
    print(f"machine load: {load()} on {os.cpu_count()} CPUs")
    started, cpu = time.perf_counter(), time.process_time()
    changed = directory_refresh()
    print(f"directory_refresh of every account with nothing changed: "
          f"{time.perf_counter() - started:.1f} s, CPU {time.process_time() - cpu:.1f} s, "
          f"{len(changed)} changed")  # fmt: skip
    # What the client may read, in key order (the cursor's): its count and the digest of the
    # sequence of its ids, to compare with the walk's.
    served = served_school_ids(scim_client)
    rows = sorted(
        [*scim_users_for_client(scim_client, school_ids=served).values_list("key", "public_id"),
         *scim_removals_for_client(scim_client).values_list("key", "public_id")]
    )  # fmt: skip
    expected = hashlib.blake2b(digest_size=16)
    for _key, public_id in rows:
        expected.update(str(public_id).encode())
    visible = (len(rows), expected.hexdigest())
    del rows
    connection.close()  # the server's connections are the ones measured from here

    with contextlib.ExitStack() as stack:
        if args.server == "gunicorn":
            extra = {"BENCH_TRACEMALLOC": "1"} if args.tracemalloc else {}
            server = stack.enter_context(gunicorn(args.db, workers=1, **extra))
            pages_of = HttpPages(server, token)
            print(f"server: gunicorn, one sync worker (pid {server.worker.pid}), production "
                  f"settings; worker RSS before the first page "
                  f"{server.rss_mb():.1f} MB")  # fmt: skip
        else:
            pages_of = InProcessPages(token, tracing=args.tracemalloc)
            print("server: the SCIM view in this process (django.test.Client, test settings)")
        walk(args, pages_of, visible, feed_users.count())
        incremental_sync(args, pages_of, scim_client, scim_users_for_client,
                         served_school_ids, timezone)  # fmt: skip
    print(f"machine load at the end: {load()}")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"


def walk(args, pages_of, visible: tuple[int, str], total: int) -> None:
    """The full listing by cursor, then by startIndex from the end."""
    snapshots = {}
    if args.tracemalloc:
        snapshots = {10: str(FEEDS / "page10.tracemalloc")}
        FEEDS.mkdir(parents=True, exist_ok=True)
    ends = []
    for number in range(1, args.walks + 1):
        print(f"listing by cursor, {args.count} a page (walk {number} of {args.walks}):")
        full = list_all(pages_of, filter_=None, count=args.count, cursor=True,
                        max_pages=args.pages, show=args.show if number == 1 else 0,
                        snapshot_at=snapshots if number == 1 else None)  # fmt: skip
        report(f"listing by cursor (RFC 9865), from the first page (walk {number})", full,
               args.count, pages_of.where)  # fmt: skip
        if not args.pages:
            n = sum(p["n"] for p in full["pages"])
            print(f"  every user the client may read, once, in id order: "
                  f"{(n, full['sequence']) == visible} ({visible[0]} of the {total} accounts "
                  f"of the feed)")  # fmt: skip
        ends.append(full["pages"][-1]["rss"])
    if args.walks > 1:
        print(f"RSS ({pages_of.where}) at the end of each walk: "
              + ", ".join(f"{rss:.1f}" for rss in ends) + " MB")  # fmt: skip
    if args.tracemalloc and len(full["pages"]) >= 10:
        end = str(FEEDS / "end.tracemalloc")
        pages_of.snapshot(end)
        snapshot_diff(snapshots[10], end)
    if args.no_index:
        return
    last = max(1, visible[0] - args.count * (args.pages or visible[0]) + 1)
    print(f"listing by startIndex from {last}:")
    by_index = list_all(pages_of, filter_=None, count=args.count, cursor=False,
                        max_pages=args.pages, start=last, show=args.show)  # fmt: skip
    title = "listing by startIndex" + (
        f", from {last} (the end: the largest OFFSETs)" if last > 1 else ", the whole listing"
    )
    report(title, by_index, args.count, pages_of.where)


def incremental_sync(args, pages_of, scim_client, scim_users_for_client, served_school_ids,
                     timezone) -> None:  # fmt: skip
    if args.delta == "none":
        return
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
    from accounts.models import User

    total = User.objects.exclude(kind=User.Kind.CITY).count()
    print("incremental sync:")
    incremental = list_all(
        pages_of, filter_=f'meta.lastModified gt "{before.isoformat()}"', count=args.count,
        cursor=True, show=args.show, keep_ids=True,
    )  # fmt: skip
    report("incremental sync after the 1 % Delta", incremental, args.count, pages_of.where)
    returned = incremental["ids"]
    share = 100 * len(returned) / max(total, 1)
    print(f"  returned {len(returned)} users = {share:.2f} % of the directory; exactly the "
          f"accounts whose exported state changed: {returned == expected} "
          f"({len(expected)})")  # fmt: skip


if __name__ == "__main__":
    main()
