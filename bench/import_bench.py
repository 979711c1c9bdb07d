"""Import benchmark on a generated feed: prints time, rows/s, peak RSS, queries, rows written.

    .venv/bin/python bench/import_bench.py                      # académie scale (400 schools)
    .venv/bin/python bench/import_bench.py --schools 40         # city scale

Each step runs in its own process (peak RSS is per step) against a scratch PostgreSQL database
(`BENCH_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/entaix_bench, recreated).
Steps: a raw lxml scan (the floor of any parser: tag-filtered iterparse, every value's text
touched, elements cleared), parse only (our FeedReader), COPY of the same rows (floor 2), the
first import into an empty database (no school open yet: the schools only), the full first
import (all schools opened: the stored Complet read again, everyone and their accounts created),
unchanged re-import, 1 % delta. Every ratio is printed against our parse and against the raw scan.
`--reuse` keeps the feed of the previous run in bench/out; `--only schools,first,reimport` runs
some steps (no ratios then). Each import step also prints its CPU seconds per phase (client,
planner's helper and PostgreSQL backend together, and the backend's share; bench/phases.py).
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "out"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/entaix_bench"


def _django(db_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "entaix.settings.test"
    os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()


def _rows_written() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
            " WHERE relname LIKE 'schools_%%'"
        )
        return int(cursor.fetchone()[0])


def step(name: str, args) -> dict:
    """Runs inside the child process."""
    _django(args.db)
    from django.db import connection

    from imports.aaf import FeedReader

    out = Path(args.out)
    feed_c, feed_d = out / "complet", out / "delta"
    result: dict = {}
    clock = None
    if name not in ("raw", "raw-again", "parse", "parse-again", "copy"):
        # Imported before the clock starts: loading the modules is not the import's work.
        from imports import services
        from imports.models import ImportRun
        from schools.models import School

        sys.path.insert(0, str(ROOT / "bench"))
        import phases

        clock = phases.install(connection)
        connection.ensure_connection()
    cpu_before = _cpu_seconds(connection)
    if name in ("raw", "raw-again"):
        started = time.perf_counter()
        result = {"records": _raw_scan(sorted(feed_c.glob("*.xml")))}
        result["seconds"] = time.perf_counter() - started
    elif name in ("parse", "parse-again"):
        started = time.perf_counter()
        records = 0
        for path in sorted(feed_c.glob("*.xml")):
            for _ in FeedReader(path):
                records += 1
        result = {"seconds": time.perf_counter() - started, "records": records}
    elif name == "copy":
        result = _copy_floor(feed_c)
    else:
        before = _rows_written()
        started = time.perf_counter()
        clock.start()
        queries = [0]

        def count(execute, sql, params, many, context):
            # Counted, not captured: CaptureQueriesContext keeps every statement's text with its
            # parameters (arrays of up to 20,000 ids), memory that counted as the import's.
            queries[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            if name == "schools":
                run = services.import_files(paths=[feed_c], trigger=ImportRun.Trigger.COMMAND)
            elif name == "first":
                run = services.school_open_reconcile(
                    uais=list(School.objects.values_list("uai", flat=True)),
                    opened_on=datetime.date.today(),
                )
            elif name == "reimport":
                run = services.import_files(paths=[feed_c], trigger=ImportRun.Trigger.COMMAND)
            else:
                run = services.import_files(paths=[feed_d], trigger=ImportRun.Trigger.COMMAND)
        result = {
            "phases": clock.stop(),
            "seconds": time.perf_counter() - started,
            "queries": queries[0],
            "status": run.status,
            "held": run.held_reasons,
            "counts": run.counts,
            "rows_written": _rows_written() - before,
            "records": sum(run.record_counts.values()),
        }
    result["peak_rss_mb"] = _peak_rss_mb()
    result.setdefault("cpu", _cpu_seconds(connection) - cpu_before)
    return result


def _raw_scan(paths: list[Path]) -> int:
    """What libxml costs alone: the same files, the same safety options, no Python per value
    beyond touching its text."""
    from lxml import etree

    records = 0
    for path in paths:
        for _event, element in etree.iterparse(
            str(path), events=("end",), tag=("addRequest", "modifyRequest", "deleteRequest"),
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        ):  # fmt: skip
            for value in element.iter("value"):
                _ = value.text
            records += 1
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    return records


def _peak_rss_mb() -> float:
    """This process's own peak: getrusage's ru_maxrss survives exec, so a child started by a
    parent that had generated the feed reported the parent's peak. VmHWM starts afresh."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds(connection) -> float:
    """CPU time of this process, its finished children and its PostgreSQL backend (on this
    machine): less sensitive than wall time to what else the host runs, which moved the parse
    floor by a third."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the planner's helper process
    total = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass  # the database runs elsewhere: the client's time only
    return total


def _copy_floor(feed: Path) -> dict:
    """COPY the parsed person rows into plain tables: the database's own floor for the writes."""
    from django.db import connection

    from imports import state
    from imports.aaf import FeedReader, GuardianRecord, PupilRecord, StaffRecord

    tables = {
        PupilRecord: ("bench_pupils", state.PUPIL_FIELDS),
        GuardianRecord: ("bench_guardians", state.GUARDIAN_FIELDS),
        StaffRecord: ("bench_staff", state.STAFF_FIELDS),
    }
    rows: dict = {cls: [] for cls in tables}
    for path in sorted(feed.glob("*.xml")):
        for record in FeedReader(path):
            if type(record) in rows:
                fields = tables[type(record)][1]
                rows[type(record)].append(
                    [record.key, *(str(getattr(record, f) or "") for f in fields)]
                )
    started, cpu_before = time.perf_counter(), _cpu_seconds(connection)
    total = 0
    with connection.cursor() as cursor:
        for cls, (table, fields) in tables.items():
            columns = ", ".join(["join_key", *fields])
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} (id bigserial primary key, "
                + ", ".join(f"{c} text" for c in ["join_key", *fields])
                + ")"
            )
            with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows[cls]:
                    copy.write_row(row)
            total += len(rows[cls])
    connection.commit() if not connection.get_autocommit() else None
    return {"seconds": time.perf_counter() - started, "records": total,
            "cpu": _cpu_seconds(connection) - cpu_before}  # fmt: skip


def run_child(name: str, args) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--step", name, "--db", args.db, "--out", args.out],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"step {name} failed")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=400)
    parser.add_argument("--pupils-per-school", type=int, default=250)
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--step")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where the feed is generated")
    parser.add_argument("--reuse", action="store_true", help="keep the feed of the last run")
    parser.add_argument(
        "--only", help="comma-separated steps to run (ratios printed only with every step)"
    )
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args), default=str))
        return

    _django(args.db.rsplit("/", 1)[0] + "/postgres")
    from django.core.management import call_command
    from django.db import connection

    from devtools import feedgen

    name = args.db.rsplit("/", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    env = {**os.environ, "DATABASE_URL": args.db, "DJANGO_SETTINGS_MODULE": "entaix.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    _ = call_command
    today = datetime.date.today()
    feed_dir = Path(args.out)
    started = time.perf_counter()
    if not (args.reuse and any((feed_dir / "complet").glob("*.xml"))):
        for sub in ("complet", "delta"):
            for path in (feed_dir / sub).glob("*"):
                path.unlink()
        feed = feedgen.generate_complet(
            feed_dir / "complet",
            feedgen.GenOptions(
                schools=args.schools,
                pupils_per_school=args.pupils_per_school,
                seed=1,
                date=today - datetime.timedelta(days=1),
            ),
        )
        feedgen.generate_delta(
            feed_dir / "complet", feed_dir / "delta", change_rate=0.01, seed=2, date=today
        )
        print(f"feed: {json.dumps(feed.counts)}")
    size = sum(p.stat().st_size for p in (feed_dir / "complet").glob("*.xml")) / 2**20
    print(f"feed: {size:.0f} MB, ready in {time.perf_counter() - started:.1f} s")
    results = {}
    steps = ("raw", "parse", "copy", "schools", "first", "reimport", "delta", "parse-again",
             "raw-again")  # fmt: skip
    if args.only:
        steps = tuple(name for name in steps if name in args.only.split(","))
    for name in steps:
        results[name] = result = run_child(name, args)
        rate = result.get("records", 0) / result["seconds"] if result["seconds"] else 0
        extra = ""
        if "queries" in result:
            extra = (f" queries={result['queries']} rows_written={result['rows_written']}"
                     f" status={result['status']} held={result['held']}")  # fmt: skip
        print(f"{name:<11} {result['seconds']:8.2f} s (CPU {result['cpu']:7.2f} s) "
              f"{rate:9.0f} records/s  "
              f"peak RSS {result['peak_rss_mb']:6.0f} MB{extra}")  # fmt: skip
        for phase, (cpu, database, grew) in result.get("phases", {}).items():
            if cpu >= 0.01 or grew >= 1:
                print(f"    {phase:<38} CPU {cpu:6.2f} s (database {database:5.2f} s)"
                      + (f", peak RSS +{grew:.0f} MB" if grew >= 1 else ""))  # fmt: skip
    for measure in ("seconds", "cpu") if not args.only else ():
        # The floors are taken before and after the imports; the faster one is used.
        parse = min(results["parse"][measure], results["parse-again"][measure])
        raw = min(results["raw"][measure], results["raw-again"][measure])
        copy = results["copy"][measure]
        first, reimport = results["first"][measure], results["reimport"][measure]
        print(f"by {'wall time' if measure == 'seconds' else 'CPU time'}:"
              f" full first import / (parse + COPY) = {first / (parse + copy):.2f} (target ≤ 3);"
              f" re-import / parse = {reimport / parse:.2f} (≤ 1.2);"
              f" delta / first = {results['delta'][measure] / first:.3f} (≤ 0.10)")  # fmt: skip
        print(f"  against the raw lxml scan: parse / raw = {parse / raw:.2f} (≤ 2);"
              f" re-import / raw = {reimport / raw:.2f} (≤ 3);"
              f" full first import / (raw + COPY) = {first / (raw + copy):.2f} (≤ 6);"
              f" delta / raw = {results['delta'][measure] / raw:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
