"""Person search: unaccent and pg_trgm, entaix_search_key(first, last), and a trigram GIN index
on it per person table (PostgreSQL only; SQLite registers the function in Python, see
schools/search.py, whose search_key() must give the same text)."""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

# IMMUTABLE (an index expression must be): unaccent() alone is only STABLE because its dictionary
# is looked up by name; naming it and its schema here pins it. The SQL-standard body (RETURN) is
# parsed now, so a restore (pg_restore, with an empty search_path) rebuilds the indexes.
FUNCTION = """
CREATE OR REPLACE FUNCTION entaix_search_key(first_name text, last_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ' ' || btrim(regexp_replace(
    lower(public.unaccent('public.unaccent'::regdictionary,
                          coalesce(first_name, '') || ' ' || coalesce(last_name, ''))),
    '[^a-z0-9]+', ' ', 'g'))
"""
TABLES = ("schools_pupil", "schools_guardian", "schools_staff")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX {table}_search_key ON {table}"
            " USING gin (entaix_search_key(first_name, last_name) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_key")
    schema_editor.execute("DROP FUNCTION IF EXISTS entaix_search_key(text, text)")


class Migration(migrations.Migration):
    dependencies = [
        ("schools", "0004_minimisation_fields_dropped"),
    ]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(create, drop),
    ]
