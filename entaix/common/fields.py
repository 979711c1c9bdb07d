"""Model fields that must work on the demo's SQLite as well as on PostgreSQL.

`PortableArrayField` is PostgreSQL's `ArrayField` (a native array column, its operators and
indexes) on PostgreSQL, unchanged there. Elsewhere (SQLite: README, command 1) the list is
stored as JSON text (compact, as `json_array()` writes it, so that `exact` compares the text),
and the `overlap`, `contains` and `contained_by` lookups are answered with `json_each` (a scan
of each row's list: slower, fine at the demo's size). Only elements that JSON keeps as they
are (integers, text) are supported; other array lookups and transforms (index, slice, `len`)
work on PostgreSQL only.
"""

import json

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.fields.array import (  # type: ignore[attr-defined]  # not in the stubs
    ArrayContainedBy,
    ArrayContains,
    ArrayExact,
    ArrayOverlap,
)
from django.db.models import Func


def _native(connection) -> bool:
    return connection.vendor == "postgresql"


class PortableArrayField(ArrayField):
    def db_type(self, connection):
        return super().db_type(connection) if _native(connection) else "text"

    def cast_db_type(self, connection):
        return super().cast_db_type(connection) if _native(connection) else "text"

    def get_placeholder_sql(self, value, compiler, connection):
        if _native(connection):
            return super().get_placeholder_sql(value, compiler, connection)
        if hasattr(value, "as_sql"):
            return compiler.compile(value)
        return "%s", (value,)

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        return value if _native(connection) else _dumps(value)

    def get_db_prep_save(self, value, connection):
        value = super().get_db_prep_save(value, connection)
        return value if _native(connection) else _dumps(value)

    def get_db_converters(self, connection):
        # PostgreSQL's driver already returns lists: no converter added there.
        converters = super().get_db_converters(connection)
        return converters if _native(connection) else [_loads, *converters]


def _dumps(value):
    # Compact, as SQLite's json_array() writes it.
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), separators=(",", ":"))
    return value


def _loads(value, expression, connection):
    return json.loads(value) if isinstance(value, str) else value


def _json_side(side, compiler, connection) -> tuple[str, list]:
    """SQL giving one side of the lookup as JSON text: a column (already JSON text), or the
    list the ORM turned into ARRAY[…] (made a json_array of the same elements)."""
    if isinstance(side, Func) and side.extra.get("function") == "ARRAY":
        parts = [compiler.compile(element) for element in side.get_source_expressions()]
        sql = ", ".join(part for part, _ in parts)
        return f"json_array({sql})", [p for _, params in parts for p in params]
    if isinstance(side, (list, tuple)):  # empty, or only None: left unwrapped by the ORM
        return "%s", [_dumps(side)]
    sql, params = compiler.compile(side)
    return sql, list(params)


@PortableArrayField.register_lookup
class PortableOverlap(ArrayOverlap):
    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = _json_side(self.lhs, compiler, connection)
        rhs, rhs_params = _json_side(self.rhs, compiler, connection)
        return (
            # Both sides are SQL the ORM compiled, their values parameters.
            f"EXISTS (SELECT 1 FROM json_each({lhs}) AS _a, json_each({rhs}) AS _b"  # noqa: S608
            " WHERE _a.value = _b.value)",
            (*lhs_params, *rhs_params),
        )


def _all_in(inner: tuple[str, list], outer: tuple[str, list]) -> tuple[str, tuple]:
    """Every element of `inner` is in `outer`."""
    (inner_sql, inner_params), (outer_sql, outer_params) = inner, outer
    return (
        # Both sides are SQL the ORM compiled, their values parameters.
        f"NOT EXISTS (SELECT 1 FROM json_each({inner_sql}) AS _b WHERE _b.value NOT IN"  # noqa: S608
        f" (SELECT _a.value FROM json_each({outer_sql}) AS _a))",
        (*inner_params, *outer_params),
    )


@PortableArrayField.register_lookup
class PortableContains(ArrayContains):
    def as_sqlite(self, compiler, connection):
        lhs = _json_side(self.lhs, compiler, connection)
        return _all_in(_json_side(self.rhs, compiler, connection), lhs)


@PortableArrayField.register_lookup
class PortableContainedBy(ArrayContainedBy):
    def as_sqlite(self, compiler, connection):
        rhs = _json_side(self.rhs, compiler, connection)
        return _all_in(_json_side(self.lhs, compiler, connection), rhs)


@PortableArrayField.register_lookup
class PortableExact(ArrayExact):
    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = _json_side(self.lhs, compiler, connection)
        rhs, rhs_params = _json_side(self.rhs, compiler, connection)
        return f"{lhs} = {rhs}", (*lhs_params, *rhs_params)
