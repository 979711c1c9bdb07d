"""Bulk writes for the hundreds of thousands of rows of a first import, where the ORM's
bulk_create and bulk_update spend their time building SQL in Python."""

import json
import operator
from collections.abc import Iterable, Sequence
from itertools import batched

from django.db import connection, models

BATCH = 5000


def bulk_set(model: type[models.Model], field: str, pairs: Iterable[tuple[int, object]]) -> None:
    """UPDATE model SET field = value WHERE pk = id, for every (id, value) pair."""
    pairs = list(pairs)
    column = model._meta.get_field(field).column
    if connection.vendor != "postgresql":
        model.objects.bulk_update(
            [model(pk=pk, **{model._meta.get_field(field).attname: v}) for pk, v in pairs],
            [field],
            batch_size=500,
        )
        return
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    column = connection.ops.quote_name(column)
    pk_type = model._meta.pk.rel_db_type(connection)
    value_type = model._meta.get_field(field).db_type(connection)
    with connection.cursor() as cursor:
        for chunk in batched(pairs, BATCH * 4):
            # Identifiers and types come from the model's metadata; the values are two array
            # parameters (one parameter per value made the driver's query parsing the cost).
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.value"  # noqa: S608
                f" FROM unnest(%s::{pk_type}[], %s::{value_type}[]) AS v(id, value)"
                f" WHERE t.{pk} = v.id",
                [[pk for pk, _ in chunk], [value for _, value in chunk]],
            )


def _filler(field: models.Field, now) -> tuple[bool, object]:
    """(constant, value or function): what bulk_create would give a column the caller left
    out; a callable default is called for every row, as bulk_create does."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return True, now
    if field.has_default() and callable(field.default):
        return False, field.get_default
    return True, field.get_default()  # "" for text columns without a default, as the ORM does


def bulk_insert(model: type[models.Model], rows: Iterable[dict]) -> list[int]:
    """Insert rows (dicts of attname → value, the same keys in each) and return their new ids.

    On PostgreSQL the ids are reserved from the table's sequence and the rows go in with COPY:
    `bulk_create` builds each row through the ORM, which cost most of a first import's time.
    Columns left out take their default, as with bulk_create. No signals are sent.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**first), *(model(**row) for row in rows)]
        model.objects.bulk_create(objs, batch_size=500)
        return [obj.pk for obj in objs]
    from django.utils import timezone

    given = list(first)
    # A generated column is the database's to fill.
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    now = timezone.now()
    missing = [(f.attname, *_filler(f, now)) for f in fields if f.attname not in first]
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk.column
    columns = ", ".join(
        connection.ops.quote_name(c) for c in [pk, *given, *(name for name, _, _ in missing)]
    )
    layout = _Layout(given, missing, json_fields)
    ids: list[int] = []
    with connection.cursor() as cursor:
        chunk = [first]
        for row in rows:
            chunk.append(row)
            if len(chunk) == BATCH:
                ids += _copy_chunk(cursor, table, pk, columns, layout, chunk)
                chunk = []
        ids += _copy_chunk(cursor, table, pk, columns, layout, chunk)
    return ids


class _Layout:
    """How a row dict becomes a COPY row, worked out once per call: the given values in order
    (one C-level itemgetter), JSON columns encoded, then the left-out columns' defaults (the
    constant ones computed once)."""

    def __init__(self, given: list[str], missing: list[tuple], json_fields: set[str]) -> None:
        self.get = operator.itemgetter(*given) if len(given) > 1 else None
        self.name = given[0]
        # Positions in the COPY row (the id comes first).
        self.json_given = [i + 1 for i, name in enumerate(given) if name in json_fields]
        self.calls = [
            (len(given) + 1 + i, value, name in json_fields)
            for i, (name, constant, value) in enumerate(missing)
            if not constant
        ]
        # The constant defaults, JSON-encoded once (None stays SQL NULL).
        self.tail = [
            (json.dumps(value) if name in json_fields and value is not None else value)
            if constant
            else None
            for name, constant, value in missing
        ]

    def values(self, new_id: int, row: dict, as_json) -> list:
        values = [new_id, *self.get(row)] if self.get else [new_id, row[self.name]]
        for position in self.json_given:
            values[position] = as_json(values[position])
        values += self.tail
        for position, fill, is_json in self.calls:
            values[position] = as_json(fill()) if is_json else fill()
        return values


def _copy_chunk(cursor, table, pk, columns, layout: _Layout, chunk) -> list[int]:
    if not chunk:
        return []
    # Identifiers come from the model's metadata, quoted; the values travel in COPY's stream.
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [table.strip('"'), pk, len(chunk)],
    )
    ids = [row[0] for row in cursor.fetchall()]
    texts: dict[int, tuple[object, str]] = {}

    def as_json(value):
        # Rows often share one dict (an audit event's data): dump it once. The cache holds the
        # value itself, so its id cannot be reused by another object meanwhile.
        if value is None:
            return None
        cached = texts.get(id(value))
        if cached is None:
            cached = texts[id(value)] = (value, json.dumps(value))
        return cached[1]

    values = layout.values
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        write = copy.write_row
        for new_id, row in zip(ids, chunk, strict=True):
            write(values(new_id, row, as_json))
    return ids


PAGE = 20000


def keyset_rows(sql: str, params: list, *, after) -> Iterable[tuple]:
    """Rows of `sql` as plain tuples, read PAGE at a time: `sql` selects its key first, ends with
    `key > %s ORDER BY key LIMIT n`, and `after` is below every key. Plain rows, not the ORM's
    per-row work, and no server-side cursor, so it also works outside a transaction."""
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [*params, after])
            page = cursor.fetchall()
            if not page:
                return
            yield from page
            after = page[-1][0]


IN_CHUNK = 1000  # keys per IN list (SQLite allows a few thousand parameters)


def rows_in(sql: str, keys: Sequence, params: Sequence = ()) -> Iterable[tuple]:
    """Rows of `sql` for many keys, IN_CHUNK keys a query: `sql` holds `{keys}` where the IN
    list goes (`… WHERE key IN ({keys})`), after `params`. Works on every backend."""
    with connection.cursor() as cursor:
        for chunk in batched(keys, IN_CHUNK):
            cursor.execute(sql.format(keys=", ".join(["%s"] * len(chunk))), [*params, *chunk])
            yield from cursor.fetchall()
