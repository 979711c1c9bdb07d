"""SCIM on the demo's SQLite (README, command 1): a client scoped to one school lists the
members of that school and no one else, with their groups, read from the directory columns that
the import's `directory_refresh` filled (they start empty there: no fill migration)."""

import pytest

from entaix.tests.sqlite import sqlite_manage, sqlite_shell_json

SCRIPT = """
import json
from django.db import connection
from django.test import Client
from accounts.directory import directory_refresh
from accounts.models import User
from schools.models import School
from scim import selectors, services

users = User.objects.filter(kind__in=["pupil", "guardian", "staff"])
filled = sum(1 for groups in users.values_list("directory_schools", flat=True) if groups)
# As after the migration that added the columns: empty; the next full refresh fills them
# (no digest changed, so no account is reported modified).
stored = dict(users.values_list("pk", "directory_schools"))
with connection.cursor() as cursor:
    cursor.execute("UPDATE accounts_user SET directory_schools = '[]', directory_classes = '[]'")
changed = directory_refresh()
refilled = dict(users.values_list("pk", "directory_schools")) == stored

first, second = School.objects.filter(ent_open=True).order_by("pk")[:2]
client, token = services.scim_client_create(name="demo", school_ids=[first.pk])
http = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
listed, index = [], 1
while True:
    page = http.get("/scim/v2/Users", {"startIndex": index, "count": 50})
    assert page.status_code == 200, page.status_code
    body = page.json()
    listed += body["Resources"]
    index += 50
    if index > body["totalResults"]:
        break
public = dict(User.objects.values_list("pk", "public_id"))
members = {a for a, s, c in selectors.memberships_by_school([first.pk])}
others = {a for a, s, c in selectors.memberships_by_school([second.pk])} - members
school_groups = {r.id for r in selectors.scim_groups_for_client(school_ids=[first.pk])}
print(json.dumps({
    "filled": filled, "feed": users.count(), "changed": changed, "refilled": refilled,
    "total": body["totalResults"],
    "listed": sorted(r["id"] for r in listed),
    "members": sorted(str(public[a]) for a in members),
    "others": len(others),
    "foreign_groups": sorted({g["value"] for r in listed for g in r.get("groups", [])}
                             - school_groups),
    "with_groups": sum(1 for r in listed if r.get("groups")),
}))
"""


@pytest.mark.slow
def test_a_scoped_client_lists_its_school_on_sqlite(sqlite_database):
    sqlite_manage(sqlite_database, "demo_seed")
    result = sqlite_shell_json(sqlite_database, SCRIPT)
    assert result["filled"] == result["feed"] > 0  # the import's refresh filled every account
    assert result["changed"] == []
    assert result["refilled"] is True
    assert len(result["members"]) > 0
    assert result["others"] > 0  # members of another open school, left out
    assert result["total"] == len(result["members"])
    assert result["listed"] == result["members"]
    assert result["foreign_groups"] == []
    assert result["with_groups"] == len(result["members"])
