"""The directory refresh (accounts.directory) on an imported database, as after a first import:
every digest and group cleared, then `directory_refresh()` of every account, then again with
nothing changed. Prints CPU seconds (this process and its PostgreSQL backend), queries, rows of
accounts_user updated (pg_stat_xact_user_tables), and the Python memory peak (tracemalloc) of
the refresh and of the callbacks run after it (scim's groups). All in one transaction, rolled
back: the database is left as it was.

    BENCH_DATABASE_URL=postgres://…/entaix_bench .venv/bin/python bench/directory_refresh_bench.py

Run it after `bench/import_bench.py --only schools,first` (which leaves that database filled).
"""

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entaix.settings.test")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/entaix_bench"
)

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts import directory  # noqa: E402
from accounts.models import User  # noqa: E402


def backend_cpu() -> float:
    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def updated() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'accounts_user'"
        )
        return cursor.fetchone()[0]


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + backend_cpu()


def main() -> None:
    print(f"machine load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    callbacks = list(directory._after_refresh)
    peaks: dict[str, float] = {}

    def traced(name, callback):
        def run(**kwargs):
            peaks["before callbacks"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.reset_peak()
            started = cpu()
            result = callback(**kwargs)
            peaks[name] = (tracemalloc.get_traced_memory()[1] / 2**20, cpu() - started)
            tracemalloc.reset_peak()
            return result

        return run

    directory._after_refresh[:] = [traced("callbacks", c) for c in callbacks]
    with transaction.atomic():
        feed = User.objects.filter(kind__in=directory.FEED_KINDS)
        accounts = feed.count()
        feed.update(directory_digest=None, directory_schools=[], directory_classes=[])
        connection.ensure_connection()
        for label in ("all digests stale (a first import)", "nothing changed"):
            peaks.clear()
            rows = updated()
            tracemalloc.start()
            started, wall = cpu(), time.perf_counter()
            queries = []  # counted only: keeping each query's text would weigh in the peak
            with connection.execute_wrapper(
                lambda execute, *args, q=queries: (q.append(1), execute(*args))[1]
            ):
                changed = directory.directory_refresh()
            total = cpu() - started
            peak = max(tracemalloc.get_traced_memory()[1] / 2**20, peaks.get("before callbacks", 0))
            tracemalloc.stop()
            callback_peak, callback_cpu = peaks.get("callbacks", (0.0, 0.0))
            print(f"{label}: {accounts} accounts, {len(changed)} changed,"
                  f" {updated() - rows} rows updated, {len(queries)} queries,"
                  f" {time.perf_counter() - wall:.2f} s, CPU {total:.2f} s"
                  f" (callbacks {callback_cpu:.2f} s); Python memory peak: refresh"
                  f" {peak:.1f} MB, callbacks {callback_peak:.1f} MB")  # fmt: skip
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
