"""Set one column on many rows at once: `bulk_update` writes a CASE per row, far too slow for
the tens of thousands of rows of a first import."""

from collections.abc import Iterable

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
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), BATCH):
            chunk = pairs[start : start + BATCH]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            # Identifiers come from the model's metadata, quoted; every value is a parameter.
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.value"  # noqa: S608
                f" FROM (VALUES {values}) AS v(id, value) WHERE t.{pk} = v.id",
                [item for pair in chunk for item in pair],
            )
