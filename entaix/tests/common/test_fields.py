"""PortableArrayField: PostgreSQL's array as it was there; JSON text and json_each on SQLite."""

import pytest
from django.db import connection

from accounts.models import User
from entaix.tests.sqlite import sqlite_shell_json

LISTS = [[], [1], [2], [1, 2], [2, 3, 7], [7]]
WANTED = [[], [1], [2, 7], [1, 2], [9]]


def _expected() -> dict:
    """What each lookup returns, computed in Python: the index of the matching lists."""
    tests = {
        "overlap": lambda have, want: bool(set(have) & set(want)),
        "contains": lambda have, want: set(want) <= set(have),
        "contained_by": lambda have, want: set(have) <= set(want),
        "exact": lambda have, want: have == want,
    }
    return {
        f"{name}{want}": [i for i, have in enumerate(LISTS) if test(have, want)]
        for name, test in tests.items()
        for want in WANTED
    }


SCRIPT = """
import json
from django.db import connection
from accounts.models import User

for i, groups in enumerate(LISTS):
    User.objects.create_user(f"u{i}", kind=User.Kind.PUPIL, directory_schools=groups)
found = {}
for name in ("overlap", "contains", "contained_by", "exact"):
    for want in WANTED:
        rows = User.objects.filter(**{f"directory_schools__{name}": want}).order_by("pk")
        found[f"{name}{want}"] = [int(login[1:]) for login in rows.values_list("login", flat=True)]
with connection.cursor() as cursor:
    cursor.execute("SELECT directory_schools FROM accounts_user WHERE login = 'u4'")
    stored = cursor.fetchone()[0]
print(json.dumps({"found": found, "stored": stored,
                  "loaded": [u.directory_schools for u in User.objects.order_by("pk")]}))
"""


@pytest.mark.django_db
def test_postgresql_keeps_the_native_array():
    field = User._meta.get_field("directory_schools")
    assert field.db_type(connection) == "bigint[]"
    assert field.get_db_converters(connection) == []  # the driver's lists, as they come
    query = str(User.objects.filter(directory_schools__overlap=[1, 2]).query)
    assert '"accounts_user"."directory_schools" && (ARRAY[1, 2])::bigint[]' in query
    for i, groups in enumerate(LISTS):
        User.objects.create_user(f"u{i}", kind=User.Kind.PUPIL, directory_schools=groups)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_typeof(directory_schools)::text FROM accounts_user LIMIT 1")
        assert cursor.fetchone()[0] == "bigint[]"
    for name in ("overlap", "contains", "contained_by", "exact"):
        for want in WANTED:
            rows = User.objects.filter(**{f"directory_schools__{name}": want}).order_by("pk")
            found = [int(login[1:]) for login in rows.values_list("login", flat=True)]
            assert found == _expected()[f"{name}{want}"], (name, want)


@pytest.mark.slow
def test_sqlite_stores_json_and_answers_the_lookups_as_postgresql(sqlite_database):
    script = f"LISTS = {LISTS!r}\nWANTED = {WANTED!r}\n{SCRIPT}"
    result = sqlite_shell_json(sqlite_database, script)
    assert result["stored"] == "[2,3,7]"
    assert result["loaded"] == LISTS
    assert result["found"] == _expected()
