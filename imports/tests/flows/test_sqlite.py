"""The demo runs on SQLite (README, command 1): the planner's SQL must give the same plans there
as on PostgreSQL. The same generated feed goes through both, SQLite in its own process."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from entaix.tests.sqlite import last_json, sqlite_manage
from schools.models import Pupil, School

pytestmark = pytest.mark.django_db
DUMP = """
import json
from schools.models import GuardianLink, Pupil, Staff
print(json.dumps({
    "pupils": sorted([p.join_key, p.left_at is None, p.school.uai] for p in Pupil.objects.all()),
    "staff": sorted([s.join_key, s.left_at is None] for s in Staff.objects.all()),
    "links": sorted([l.pupil.join_key, l.guardian.join_key, l.left_at is None, l.legal]
                    for l in GuardianLink.objects.all()),
}))
"""


def _payload(text: str) -> dict:
    payload = last_json(text)
    payload.pop("run")  # ids differ between the two databases
    return payload


def test_sqlite_plans_what_postgresql_plans(tmp_path, sqlite_database, capsys):
    today = timezone.localdate()
    complet, delta = tmp_path / "complet", tmp_path / "delta"
    call_command("aaf_generate", "--out", str(complet), "--schools", "4", "--pupils-per-school",
                 "15", "--seed", "7", "--date", str(today - datetime.timedelta(days=2)),
                 "--max-records-per-file", "20", stdout=StringIO())  # fmt: skip
    call_command("aaf_generate", "--out", str(delta), "--delta-from", str(complet),
                 "--change-rate", "0.2", "--seed", "8",
                 "--date", str(today - datetime.timedelta(days=1)), stdout=StringIO())  # fmt: skip
    database = sqlite_database

    out = StringIO()
    call_command("aaf_import", str(complet), "--json", stdout=out)
    first = _payload(out.getvalue())
    assert first["counts"]["school"]["created"] == 4
    assert _payload(sqlite_manage(database, "aaf_import", str(complet), "--json")) == first

    uais = sorted(School.objects.values_list("uai", flat=True))[:3]
    call_command("school_open", *uais, stdout=StringIO())
    sqlite_manage(database, "school_open", *uais)
    assert Pupil.objects.count() > 0

    out = StringIO()
    call_command("aaf_import", str(delta), "--json", stdout=out)
    changes = _payload(out.getvalue())
    assert changes["status"] == "applied"
    assert sum(changes["counts"]["pupil"].values()) > 0
    assert _payload(sqlite_manage(database, "aaf_import", str(delta), "--json")) == changes
    capsys.readouterr()
    call_command("shell", "-c", DUMP)  # the same rows, read from PostgreSQL
    postgres = last_json(capsys.readouterr().out)
    assert last_json(sqlite_manage(database, "shell", "-c", DUMP)) == postgres
    assert len(postgres["pupils"]) > 0
