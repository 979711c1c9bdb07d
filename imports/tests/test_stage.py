"""The staging tables' loaders: what goes in comes back exactly, whatever the characters."""

import pytest
from django.db import IntegrityError, transaction

from imports import stage

pytestmark = pytest.mark.django_db
COLUMNS = ("kind", "key", "school", "digest", "data", "pupil", "guardian", "twin")
# Tabs, newlines, carriage returns and backslashes are COPY's own syntax: they must be escaped.
ROWS = [
    ("pupils", "k\t1", "s\\1", -(2**63), '{"name": "O\'Neil \\"Jr\\"\\n"}', "p\nq", "g\rh", ""),
    ("pupils", "k2", "", 2**63 - 1, "{}", "", "", "lefèvre\x1fzoé\x1f2018-03-04"),
    ("links", "k3|g", "0131234A", 0, '{"a": [1, true, null]}', "k3", "g", "\\N"),
]


@pytest.fixture
def staging():
    stage.create()
    yield
    stage.drop()


def _read() -> list[tuple]:
    columns = ", ".join(COLUMNS)
    return stage.fetch(f'SELECT {columns} FROM st_item ORDER BY kind, key COLLATE "C"')  # noqa: S608


def test_a_file_written_in_copy_format_loads_back_exactly(staging, tmp_path):
    writer = stage.FileWriter(tmp_path / "items", COLUMNS)
    for row in ROWS:
        writer.add(*row)
    writer.close()
    stage.load_file("st_item", COLUMNS, tmp_path / "items")
    assert _read() == sorted(ROWS)


def test_rows_loaded_in_batches_come_back_exactly(staging):
    writer = stage.Writer("st_item", COLUMNS, batch=2)
    for row in ROWS:
        writer.add(*row)
    assert len(_read()) == 2  # the first batch went in as it filled
    writer.flush()
    assert (_read(), writer.count) == (sorted(ROWS), 3)


def test_a_key_staged_twice_is_refused_when_indexed(staging):
    writer = stage.Writer("st_item", COLUMNS)
    writer.add(*ROWS[1])
    writer.add(*ROWS[1])
    writer.flush()
    with pytest.raises(IntegrityError, match="st_item_key"), transaction.atomic():
        stage.index("st_item")
