"""The bulk helpers that write a first import: COPY with reserved ids, and UPDATE from arrays."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from entaix.common.db import bulk_insert, bulk_set, keyset_rows, rows_in
from schools.models import StaffAssignment

pytestmark = pytest.mark.django_db


def test_bulk_insert_returns_the_ids_in_order_and_fills_defaults():
    ids = bulk_insert(
        User,
        ({"login": f"eleve.{n}", "kind": User.Kind.PUPIL, "first_name": f"Élève {n}",
          "last_name": "Lefèvre", "password": "!x"} for n in range(3)),
    )  # fmt: skip

    columns = ("pk", "login", "first_name", "email", "is_active", "is_staff", "date_joined")
    rows = list(User.objects.order_by("pk").values_list(*columns))
    assert [r[:5] for r in rows] == [
        (ids[0], "eleve.0", "Élève 0", "", True),
        (ids[1], "eleve.1", "Élève 1", "", True),
        (ids[2], "eleve.2", "Élève 2", "", True),
    ]
    assert {r[5] for r in rows} == {False}
    assert all(isinstance(r[6], datetime.datetime) for r in rows)
    # The sequence moved past the reserved ids: the ORM's next row does not collide.
    assert User.objects.create(login="suivant", kind=User.Kind.CITY).pk > ids[-1]


def test_bulk_insert_writes_json_values_and_sql_null():
    shared = {"event": "x", "run": 7}
    content_type = ContentType.objects.get_for_model(User)
    bulk_insert(
        LogEntry,
        ({"content_type_id": content_type.pk, "object_pk": str(n), "object_id": n,
          "object_repr": "", "action": 1, "changes": {}, "changes_text": "",
          "actor_id": None, "remote_addr": None, "additional_data": shared} for n in (1, 2)),
    )  # fmt: skip
    assert list(
        LogEntry.objects.order_by("object_id").values_list("additional_data", "actor_id")
    ) == [
        ({"event": "x", "run": 7}, None),
        ({"event": "x", "run": 7}, None),
    ]
    assert bulk_insert(StaffAssignment, iter(())) == []
    assert StaffAssignment.objects.count() == 0


def test_bulk_set_updates_only_the_pairs_given():
    a, _b, c = (User.objects.create(login=f"u{n}", kind=User.Kind.CITY) for n in range(3))
    bulk_set(User, "first_name", [(a.pk, "Zoé"), (c.pk, "Noé")])
    assert list(User.objects.order_by("pk").values_list("first_name", flat=True)) == [
        "Zoé",
        "",
        "Noé",
    ]


def test_keyset_rows_reads_every_row_once_across_pages():
    users = [User.objects.create(login=f"p{n}", kind=User.Kind.CITY) for n in range(5)]
    sql = "SELECT id, login FROM accounts_user WHERE kind = %s AND id > %s ORDER BY id LIMIT 2"

    rows = list(keyset_rows(sql, [User.Kind.CITY], after=0))

    assert rows == [(u.pk, u.login) for u in users]
    assert list(keyset_rows(sql, [User.Kind.PUPIL], after=0)) == []


def test_rows_in_splits_long_key_lists_and_keeps_the_other_parameters(monkeypatch):
    monkeypatch.setattr("entaix.common.db.IN_CHUNK", 2)
    users = [User.objects.create(login=f"q{n}", kind=User.Kind.CITY) for n in range(5)]
    User.objects.create(login="q9", kind=User.Kind.PUPIL)  # right key, wrong kind
    sql = "SELECT login FROM accounts_user WHERE kind = %s AND login IN ({keys})"
    keys = ["q0", "q1", "q2", "q3", "q4", "q9", "absent"]

    rows = sorted(rows_in(sql, keys, [User.Kind.CITY]))

    assert rows == [(u.login,) for u in users]
    assert list(rows_in(sql, [], [User.Kind.CITY])) == []
