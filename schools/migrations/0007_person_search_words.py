"""Person search at académie scale (schools/search.py): a GIN index on the words of each person
table's search key, ``to_tsvector('simple', search_key)``, in place of 0005's trigram index; and a
btree in name order carrying the key, for the walk in name order when many persons match.
The GIN indexes are PostgreSQL's; SQLite (the demo) gets the name-order indexes only."""

from django.db import migrations, models

TABLES = ("schools_pupil", "schools_guardian", "schools_staff")
# The expression exactly as schools.search.KeyWords writes it: the planner matches the two.
WORDS = "to_tsvector('simple'::regconfig, search_key)"


def words_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE INDEX {table}_search_words ON {table} USING gin ({WORDS})"
            )
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_key")


def words_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE INDEX {table}_search_key ON {table} USING gin (search_key gin_trgm_ops)"
            )
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_words")


class Migration(migrations.Migration):
    dependencies = [
        ("schools", "0006_staff_city_sourced"),
    ]

    operations = [
        migrations.RunPython(words_indexes_create, words_indexes_drop),
        migrations.AddIndex(
            model_name="guardian",
            index=models.Index(
                fields=["last_name", "first_name", "id"],
                include=("search_key",),
                name="schools_guardian_by_name",
            ),
        ),
        migrations.AddIndex(
            model_name="pupil",
            index=models.Index(
                fields=["last_name", "first_name", "id"],
                include=("search_key",),
                name="schools_pupil_by_name",
            ),
        ),
        migrations.AddIndex(
            model_name="staff",
            index=models.Index(
                fields=["last_name", "first_name", "id"],
                include=("search_key",),
                name="schools_staff_by_name",
            ),
        ),
    ]
