"""Migration 0007 (the person search's words index and name-order index) goes back and forth:
back to 0006, the trigram index of 0005 again; forward, the words' GIN index in its place."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = ("schools_pupil", "schools_guardian", "schools_staff")


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND (indexname LIKE '%%search%%' OR indexname LIKE '%%by_name')",
            [list(TABLES)],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def latest():
    nodes = MigrationExecutor(connection).loader.graph.leaf_nodes()
    yield nodes
    _migrate(nodes)  # whatever happened, today's schema for the next tests


def test_the_words_index_replaces_the_trigram_index_and_back(latest):
    today = {f"{table}_{suffix}" for table in TABLES for suffix in ("search_words", "by_name")}
    assert _indexes() == today

    _migrate([("schools", "0006_staff_city_sourced")])
    assert _indexes() == {f"{table}_search_key" for table in TABLES}

    _migrate(latest)
    assert _indexes() == today
