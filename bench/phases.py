"""CPU seconds per phase of an import, for bench/import_bench.py: named functions are wrapped,
and the CPU spent between two boundaries (this process, its finished children such as the
planner's helper, and its PostgreSQL backend on this machine) is charged to the innermost phase
running (exclusive time: a phase's figure leaves out the phases it calls). Generators are
charged for the time spent inside them (GENERATOR_PAGE items at a time). A few hundred
boundaries per import, a few tens of microseconds each."""

import functools
import importlib
import inspect
import itertools
import os
import resource
from pathlib import Path

GENERATOR_PAGE = 5000
# (label, "module:attribute" or "module:Class.method")
PHASES = (
    ("plan: parse + stage (all)", "imports.plan:Planner.run"),
    ("plan: parse + stage: helper join", "imports.plan:Planner._helper_join"),
    ("plan: load directory", "imports.stage:load_directory"),
    ("plan: index + analyze", "imports.stage:index"),
    ("plan: index + analyze", "imports.stage:analyze"),
    ("plan: diff", "imports.diff:Diff.run"),
    ("plan: restrict to schools", "imports.diff:restrict_to_schools"),
    ("plan: guards", "imports.services:_held_reasons"),
    ("store: plan items", "imports.stage:store"),
    ("store: problem schools", "imports.services:_problem_schools"),
    ("store+apply: plan_hash", "imports.services:plan_hash"),
    ("apply: read items (_stored_items)", "imports.services:_stored_items"),
    ("apply: write (Applier.apply_kinds)", "imports.apply:Applier.apply_kinds"),
    ("apply: bulk_insert", "imports.apply:bulk_insert"),
    ("apply: ANALYZE", "imports.apply:Applier.refresh_statistics"),
    ("accounts: account_sync (rest)", "imports.services:account_sync"),
    ("accounts: bulk_insert users", "accounts.services:bulk_insert"),
    ("accounts: bulk_set person.account", "accounts.services:bulk_set"),
    ("accounts: audit log", "accounts.services:audit_accounts"),
    ("accounts: directory_refresh", "accounts.services:directory_refresh"),
    ("accounts: directory_refresh: UPDATE (_write)", "accounts.directory:_write"),
    ("after apply hooks", "imports.services:after_apply_run"),
    ("payload drop", "imports.services:plan_payload_drop"),
    ("payload drop", "imports.services:problem_payload_drop"),
    ("school_open", "imports.services:schools_services.school_open"),
    ("run create (files' SHA-256)", "imports.services:import_run_create"),
    (
        "commit (deferred foreign-key checks)",
        "django.db.backends.postgresql.base:DatabaseWrapper.commit",
    ),
)


class Clock:
    def __init__(self, connection) -> None:
        self.connection = connection
        self.backend = None
        self.totals: dict[str, float] = {}
        self.database: dict[str, float] = {}  # of which the PostgreSQL backend
        self.peak_growth: dict[str, float] = {}  # MB the peak RSS grew by while it ran
        self.peak = 0.0
        self.last_database = 0.0
        self.calls: dict[str, int] = {}
        self.stack = ["other"]
        self.last = 0.0

    def now(self) -> float:
        return self._client() + self._database()

    def _client(self) -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime

    def _database(self) -> float:
        total = 0.0
        if self.backend is None and self.connection.connection is not None:
            self.backend = self.connection.connection.info.backend_pid
        if self.backend:
            try:
                fields = Path(f"/proc/{self.backend}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def _charge(self) -> None:
        database = self._database()
        now = self._client() + database
        top = self.stack[-1]
        self.totals[top] = self.totals.get(top, 0.0) + now - self.last
        self.database[top] = self.database.get(top, 0.0) + database - self.last_database
        self.last, self.last_database = now, database
        peak = _peak_mb()
        if peak > self.peak:
            self.peak_growth[top] = self.peak_growth.get(top, 0.0) + peak - self.peak
            self.peak = peak

    def enter(self, label: str) -> None:
        self._charge()
        self.stack.append(label)
        self.calls[label] = self.calls.get(label, 0) + 1

    def leave(self) -> None:
        self._charge()
        self.stack.pop()

    def start(self) -> None:
        self.peak = _peak_mb()
        self.last_database = self._database()
        self.last = self._client() + self.last_database

    def stop(self) -> dict[str, list[float]]:
        """{phase: [CPU s, of which the database's, MB the peak RSS grew by]}, the largest
        first."""
        self._charge()
        return {
            k: [
                round(v, 3),
                round(self.database.get(k, 0.0), 3),
                round(self.peak_growth.get(k, 0.0), 1),
            ]
            for k, v in sorted(self.totals.items(), key=lambda kv: -kv[1])
        }


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _wrap(clock: Clock, label: str, func):
    if inspect.isgeneratorfunction(func):
        # Drawn a page at a time: a boundary per item would cost more than the items.
        @functools.wraps(func)
        def gen(*args, **kwargs):
            it = func(*args, **kwargs)
            while True:
                clock.enter(label)
                try:
                    page = list(itertools.islice(it, GENERATOR_PAGE))
                finally:
                    clock.leave()
                if not page:
                    return
                yield from page

        return gen

    @functools.wraps(func)
    def call(*args, **kwargs):
        clock.enter(label)
        try:
            return func(*args, **kwargs)
        finally:
            clock.leave()

    return call


def install(connection) -> Clock:
    clock = Clock(connection)
    for label, target in PHASES:
        module_name, path = target.split(":")
        owner = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        setattr(owner, name, _wrap(clock, label, getattr(owner, name)))
    from accounts import directory

    # Callbacks registered at start-up (scim's groups): wrapped where they are kept.
    directory._after_refresh[:] = [
        _wrap(clock, "accounts: directory_refresh: after-refresh callbacks", callback)
        for callback in directory._after_refresh
    ]
    return clock
