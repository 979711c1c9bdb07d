"""Person search: unaccent and pg_trgm, entaix_search_key(first, last), a stored generated
column search_key per person table and a trigram GIN index on it (the function and the indexes on
PostgreSQL; SQLite registers the function in Python, see schools/search.py, whose search_key()
must give the same text)."""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

import schools.search

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


def function_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def function_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS entaix_search_key(text, text)")


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE INDEX {table}_search_key ON {table} USING gin (search_key gin_trgm_ops)"
            )


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_key")


def search_key() -> models.GeneratedField:
    return models.GeneratedField(
        db_persist=True,
        expression=schools.search.SearchKey("first_name", "last_name"),
        output_field=models.TextField(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("schools", "0004_minimisation_fields_dropped"),
    ]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(function_create, function_drop),
        migrations.AddField(model_name="guardian", name="search_key", field=search_key()),
        migrations.AddField(model_name="pupil", name="search_key", field=search_key()),
        migrations.AddField(model_name="staff", name="search_key", field=search_key()),
        migrations.RunPython(indexes_create, indexes_drop),
    ]
