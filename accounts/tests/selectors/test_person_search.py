"""person_search: the start of any word of a name, accents and case aside, within scope; the
same on PostgreSQL (unaccent, trigram index) and on the demo's SQLite (a Python function)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from accounts.directory_selectors import person_search
from accounts.models import User
from entaix.tests import factories
from schools import search

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
# (first name, last name) of the pupils of school A; school B has another Léa Martin.
PUPILS = [
    ("Léa", "MARTIN"),
    ("Lea", "Dupont"),
    ("Léandre", "Roux"),
    ("Martine", "Roux"),
    ("Jean-Baptiste", "SAINT-MARTIN"),
    ("Jeanne", "D'Arc"),
    ("Noé", "N\u2019DIAYE"),
    ("Zoé", "Lemaréchal"),
]
# The query, then the pupils it finds (first and last name), in the page's order.
EXPECTED = [
    ("lea mar", ["Léa MARTIN"]),
    ("LÉA", ["Lea Dupont", "Léa MARTIN", "Léandre Roux"]),
    ("martin", ["Léa MARTIN", "Martine Roux", "Jean-Baptiste SAINT-MARTIN"]),
    ("d'Arc", ["Jeanne D'Arc"]),
    ("d\u2019arc", ["Jeanne D'Arc"]),
    ("arc", ["Jeanne D'Arc"]),
    ("Jean-Baptiste", ["Jean-Baptiste SAINT-MARTIN"]),
    ("jean baptiste", ["Jean-Baptiste SAINT-MARTIN"]),
    ("baptiste", ["Jean-Baptiste SAINT-MARTIN"]),
    ("jean", ["Jeanne D'Arc", "Jean-Baptiste SAINT-MARTIN"]),
    ("saint-mar", ["Jean-Baptiste SAINT-MARTIN"]),
    ("n'diaye", ["Noé N\u2019DIAYE"]),
    ("NOE", ["Noé N\u2019DIAYE"]),
    ("lemarechal", ["Zoé Lemaréchal"]),
    ("marechal", []),  # inside a word, not at its start
    ("artin", []),
    ("darc", []),
    ("lea dupont martin", []),  # every word must match
    ("l' é", []),  # nothing of two characters or more once folded
]


@pytest.fixture
def directory():
    school_a, school_b = factories.SchoolFactory(), factories.SchoolFactory()
    for first, last in PUPILS:
        factories.PupilFactory(school=school_a, first_name=first, last_name=last)
    other = factories.PupilFactory(school=school_b, first_name="Léa", last_name="Martin")
    director = factories.make_director(school_a, account__login="dir.a")
    city = factories.UserFactory(login="agent.ville", kind=User.Kind.CITY)
    return {"director": director.account, "city": city, "other": other}


def names(people) -> list[str]:
    return [f"{p.first_name} {p.last_name}" for p in people]


@pytest.mark.parametrize(("query", "found"), EXPECTED)
def test_search_folds_accents_and_case_and_matches_word_starts(directory, query, found):
    assert names(person_search(user=directory["director"], query=query)["pupils"]) == found


def test_a_director_finds_only_their_school(directory):
    assert names(person_search(user=directory["director"], query="lea martin")["pupils"]) == [
        "Léa MARTIN"
    ]
    city = person_search(user=directory["city"], query="lea martin")["pupils"]
    assert sorted(p.school_id for p in city) == sorted(
        [directory["other"].school_id, directory["director"].staff.schools.get().pk]
    )


def test_guardians_and_staff_and_logins(directory):
    guardian = factories.GuardianFactory(first_name="Hélène", last_name="Lefèvre")
    factories.link(directory["other"], guardian)
    city = directory["city"]
    assert person_search(user=city, query="helene LEFEVRE")["guardians"] == [guardian]
    assert person_search(user=directory["director"], query="helene")["guardians"] == []
    assert person_search(user=city, query="DIR.A")["staff"] == [directory["director"].staff]
    assert person_search(user=city, query="dir.b")["staff"] == []


def test_postgresql_key_is_the_python_key():
    names_ = [
        ("Léa", "MARTIN"), ("Jean-Baptiste", "SAINT-MARTIN"), ("Jeanne", "D'Arc"),
        ("Noé", "N\u2019DIAYE"), ("Œdipe", "Lætitia"), ("Jürgen", "Straße"), ("Søren", "Łukasz"),
        ("", "AIDE SOCIALE À L'ENFANCE 13"), ("  Anne ", "  DA  SILVA  "), (None, "Ñúñez"),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for first, last in names_:
            cursor.execute("SELECT entaix_search_key(%s, %s)", [first, last])
            assert cursor.fetchone()[0] == search.search_key(first, last), (first, last)
    assert search.search_key("Jean-Baptiste", "SAINT-MARTIN") == " jean baptiste saint martin"


def test_the_query_uses_the_trigram_index(directory):
    queryset = search.persons_matching(
        factories.models.Pupil.objects.all(), names=["lea", "mar"], logins=[]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: force the choice
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "schools_pupil_search_key" in plan


SQLITE_SCRIPT = """
import json
from django.utils import timezone
from accounts.models import User
from schools.models import Pupil, School
from accounts.directory_selectors import person_search

now = timezone.now()
school = School.objects.create(uai="0130001A", name="A", join_key="s1", first_seen_at=now,
                               last_seen_at=now)
for number, (first, last) in enumerate(PUPILS):
    Pupil.objects.create(school=school, first_name=first, last_name=last, join_key=f"p{number}",
                         first_seen_at=now, last_seen_at=now)
city = User.objects.create_user("agent.ville", kind=User.Kind.CITY)
print(json.dumps({query: [f"{p.first_name} {p.last_name}"
                          for p in person_search(user=city, query=query)["pupils"]]
                  for query in QUERIES}))
"""


@pytest.mark.slow
def test_sqlite_finds_exactly_what_postgresql_finds(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "entaix.settings.dev",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}  # fmt: skip
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 300}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], check=True, **run)
    script = f"PUPILS = {PUPILS!r}\nQUERIES = {[q for q, _ in EXPECTED]!r}\n{SQLITE_SCRIPT}"
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], **run)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == dict(EXPECTED)
