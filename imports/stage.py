"""Temporary tables the planner stages a feed in, so the diff with the directory runs in the
database and the planner's memory does not grow with the feed or the directory.

`st_item`: what the feed wants, one row per kept record (canonical JSON and its digest).
`st_cur`: the directory's rows as keys, digests and schools (no field values).
`st_gone`: keys the feed removes explicitly (a delete, or a delta moving a person out).
`st_restated`: pupils whose delta record restated their guardian links.
`st_twin`: names and birth dates of persons who left or are leaving, to flag possible duplicates.
`st_plan`: the plan itself, copied into ImportPlanItem when the run is stored.

Temporary tables belong to the connection: planning and storing run on the same one. The SQL
is plain enough for PostgreSQL and SQLite (the demo's database); only bulk loading differs.
"""

# SQL is built here from constant table and column names and model metadata (quoted); values
# always go as parameters.
# ruff: noqa: S608

import contextlib
from collections.abc import Iterable

from django.db import DatabaseError, connection

from schools.models import (
    Guardian,
    GuardianLink,
    Pupil,
    School,
    SchoolClass,
    Staff,
    StaffAssignment,
)

_KEY = "kind varchar(10) NOT NULL, key varchar(200) NOT NULL"
TABLES = {
    "st_item": f"{_KEY}, school varchar(64) NOT NULL, digest bigint NOT NULL, data text NOT NULL,"
    " pupil varchar(64) NOT NULL, guardian varchar(64) NOT NULL, twin text NOT NULL",
    "st_cur": f"{_KEY}, is_left integer NOT NULL, school varchar(64) NOT NULL, digest bigint,"
    " pupil varchar(64) NOT NULL, guardian varchar(64) NOT NULL",
    "st_gone": _KEY,
    "st_restated": "key varchar(64) NOT NULL",
    "st_twin": "kind varchar(10) NOT NULL, twin text NOT NULL, key varchar(64) NOT NULL",
    "st_plan": "seq {serial} PRIMARY KEY, kind varchar(10) NOT NULL, action varchar(6) NOT NULL,"
    " key varchar(200) NOT NULL, school_key varchar(64) NOT NULL, digest bigint,"
    " data text NOT NULL",
}
# The two large tables are indexed once loaded (one sort, not a tree grown row by row); the
# unique indexes also prove that no key was staged twice. Joins on other columns are hashed.
LOADED_INDEXES = {
    "st_cur": ("CREATE UNIQUE INDEX st_cur_key ON st_cur (kind, key)",),
    "st_item": ("CREATE UNIQUE INDEX st_item_key ON st_item (kind, key)",),
}
INDEXES = (
    "CREATE INDEX st_gone_key ON st_gone (kind, key)",
    "CREATE INDEX st_restated_key ON st_restated (key)",
    "CREATE INDEX st_twin_twin ON st_twin (kind, twin)",
    "CREATE INDEX st_plan_key ON st_plan (kind, key, action)",
)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def execute(sql: str, params: Iterable = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def fetch(sql: str, params: Iterable = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


TEMP_BUFFERS = "256MB"


def create() -> None:
    """Fresh, empty tables (a previous plan on this connection may have left its own)."""
    drop()
    if _postgres() and not connection.in_atomic_block:
        # The default 8 MB of memory for temporary tables is a tenth of an académie's staging.
        # It can only be raised before the session's first temporary table; outside a
        # transaction a refusal costs nothing, and the plan runs with the default.
        with contextlib.suppress(DatabaseError):
            execute(f"SET temp_buffers = '{TEMP_BUFFERS}'")
    serial = "bigserial" if _postgres() else "integer"  # SQLite: an INTEGER PRIMARY KEY counts
    for name, columns in TABLES.items():
        execute(f"CREATE TEMPORARY TABLE {name} ({columns.format(serial=serial)})")
    for sql in INDEXES:
        execute(sql)


def drop() -> None:
    for name in TABLES:
        execute(f"DROP TABLE IF EXISTS {name}")


def index(table: str) -> None:
    for sql in LOADED_INDEXES[table]:
        execute(sql)


def analyze() -> None:
    """Autovacuum never sees temporary tables: without statistics PostgreSQL plans the joins of
    a few hundred thousand rows as if the tables were empty."""
    if _postgres():
        # The large ones, on a small sample: row counts matter here, not value histograms.
        execute("SET default_statistics_target = 10")
        execute("ANALYZE st_item, st_cur")
        execute("RESET default_statistics_target")


class Writer:
    """Buffers rows for one table and loads them in batches: COPY on PostgreSQL, executemany
    elsewhere. One COPY at a time per connection, so tables filled side by side batch."""

    def __init__(self, table: str, columns: tuple[str, ...], batch: int = 5000) -> None:
        self.table = table
        self.columns = columns
        self.batch = batch
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, *row) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        columns = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if _postgres():
                with cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({columns}) VALUES ({marks})", self.rows
                )
        self.count += len(self.rows)
        self.rows = []


def _copy_text(value) -> str:
    """A value in COPY's text format. Four ``str.replace`` (C loops that find nothing in most
    values) rather than ``str.translate`` with a mapping, which ran per character in Python's
    slow path: a third of the helper process's CPU on a city feed."""
    text = str(value)
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class FileWriter:
    """Writes rows to a file in COPY's text format, for another process's staging to load
    (`load_file`): a helper process has no access to this connection's temporary tables."""

    def __init__(self, path, columns: tuple[str, ...]) -> None:
        self.path = str(path)
        self.columns = columns
        self.handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed by flush
        self.count = 0

    def add(self, *row) -> None:
        self.handle.write("\t".join(map(_copy_text, row)) + "\n")
        self.count += 1

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def load_file(table: str, columns: tuple[str, ...], path) -> None:
    """COPY a FileWriter's file into a staging table, a megabyte at a time (PostgreSQL)."""
    with (
        open(path, "rb") as handle,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        while chunk := handle.read(1 << 20):
            copy.write(chunk)


def _left(alias: str) -> str:
    return f"CASE WHEN {alias}.left_at IS NULL THEN 0 ELSE 1 END"


def load_directory() -> None:
    """The directory as keys, digests and schools, computed by the database (no row reaches
    Python). Keys are built as the feed side builds them: school|kind|code, pupil|guardian."""
    t = {model: connection.ops.quote_name(model._meta.db_table) for model in
         (School, SchoolClass, Pupil, Guardian, Staff, StaffAssignment, GuardianLink)}  # fmt: skip
    # Staff count in their first school in code-point order, as Python sorts their assignments.
    collate = ' COLLATE "C"' if _postgres() else ""
    columns = "kind, key, is_left, school, digest, pupil, guardian"
    selects = (
        f"SELECT 'school', s.join_key, {_left('s')}, s.join_key, s.feed_digest, '', ''"
        f" FROM {t[School]} s",
        f"SELECT 'class', s.join_key || '|' || c.kind || '|' || c.code, {_left('c')},"
        f" s.join_key, c.feed_digest, '', ''"
        f" FROM {t[SchoolClass]} c JOIN {t[School]} s ON s.id = c.school_id",
        f"SELECT 'pupil', p.join_key, {_left('p')}, s.join_key, p.feed_digest, '', ''"
        f" FROM {t[Pupil]} p JOIN {t[School]} s ON s.id = p.school_id",
        f"SELECT 'guardian', g.join_key, {_left('g')}, '', g.feed_digest, '', ''"
        f" FROM {t[Guardian]} g",
        f"SELECT 'staff', f.join_key, {_left('f')}, COALESCE((SELECT MIN(s.join_key{collate})"
        f" FROM {t[StaffAssignment]} a JOIN {t[School]} s ON s.id = a.school_id"
        f" WHERE a.staff_id = f.id), ''), f.feed_digest, '', '' FROM {t[Staff]} f"
        # People the city entered are not the feed's: never planned, matched, nor made to leave.
        f" WHERE f.source = '{Staff.Source.AAF}'",
        f"SELECT 'link', p.join_key || '|' || g.join_key, {_left('l')}, s.join_key,"
        f" l.feed_digest, p.join_key, g.join_key FROM {t[GuardianLink]} l"
        f" JOIN {t[Pupil]} p ON p.id = l.pupil_id JOIN {t[Guardian]} g ON g.id = l.guardian_id"
        f" JOIN {t[School]} s ON s.id = p.school_id",
    )
    for select in selects:
        execute(f"INSERT INTO st_cur ({columns}) {select}")
    index("st_cur")


def store(*, run_id: int, table: str) -> None:
    """Copy the staged plan into ImportPlanItem, in the database."""
    data = "data::jsonb" if _postgres() else "data"
    execute(
        f"INSERT INTO {table} (run_id, seq, kind, action, key, school_key, digest, data)"
        f" SELECT %s, seq, kind, action, key, school_key, digest, {data} FROM st_plan",
        [run_id],
    )
