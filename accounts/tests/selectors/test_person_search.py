"""person_search: the start of any word of a name, accents and case aside, within scope; the
same on PostgreSQL (unaccent; the words' GIN index for city staff, row by row within a director's
scope; few matches sorted, many walked in name order) and on the demo's SQLite (a Python
function)."""

import pytest
from django.db import connection

from accounts import directory_selectors
from accounts.directory_selectors import person_search
from accounts.models import User
from entaix.tests import factories
from entaix.tests.sqlite import sqlite_shell_json
from schools import search

pytestmark = pytest.mark.django_db
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
    return {"director": director.account, "city": city, "other": other, "school_a": school_a}


# City staff search the whole directory through the words' index: the matches sorted while they
# are few (SEARCH_SORT_AT_MOST), walked in name order past that (1: any two matches are many).
WAYS = ["sorted", "walked"]


@pytest.fixture(params=WAYS)
def way(request, monkeypatch):
    if request.param == "walked":
        monkeypatch.setattr(directory_selectors, "SEARCH_SORT_AT_MOST", 1)
    return request.param


def names(people) -> list[str]:
    return [f"{p.first_name} {p.last_name}" for p in people]


@pytest.mark.parametrize(("query", "found"), EXPECTED)
def test_search_folds_accents_and_case_and_matches_word_starts(directory, query, found):
    assert names(person_search(user=directory["director"], query=query)["pupils"]) == found


@pytest.mark.parametrize(("query", "found"), EXPECTED)
def test_city_staff_find_the_same_through_the_index(directory, way, query, found):
    everyone = person_search(user=directory["city"], query=query)["pupils"]
    assert names(p for p in everyone if p.school_id == directory["school_a"].pk) == found


@pytest.mark.parametrize("viewer", ["city", "director"])
def test_the_first_of_many_in_name_order(directory, way, viewer):
    for first in ("Marc", "Maud", "Malo", "Mia"):
        factories.PupilFactory(school=directory["school_a"], first_name=first, last_name="Abadie")
    found = person_search(user=directory[viewer], query="ma", limit=4)["pupils"]
    assert names(found) == ["Malo Abadie", "Marc Abadie", "Maud Abadie", "Léa MARTIN"]


def test_the_few_are_sorted_up_to_the_threshold_and_no_further(directory):
    pupils = factories.models.Pupil.objects.all()
    found = search.persons_matching(pupils, names=["lea"], logins=[], indexed=True)  # 4 match
    ids = search.first_of_few(found, limit=2, at_most=4)
    assert [str(pupils.get(pk=pk)) for pk in ids] == ["Lea Dupont", "Léa MARTIN"]
    assert search.first_of_few(found, limit=2, at_most=3) is None  # too many: walk instead
    nobody = search.persons_matching(pupils, names=["zz"], logins=[], indexed=True)
    assert search.first_of_few(nobody, limit=2, at_most=3) == []


def test_city_staff_search_reads_only_what_the_page_shows(directory, django_assert_num_queries):
    factories.PupilFactory(
        school=directory["school_a"], first_name="Léo", last_name="Abadie",
        account=factories.UserFactory(login="leo.abadie", kind=User.Kind.PUPIL),
    )  # fmt: skip
    # Pupils: the matches' ids through the index, then the page (accounts joined); guardians and
    # staff: no match, no page. Nothing counted.
    with django_assert_num_queries(4):
        found = person_search(user=directory["city"], query="le")
    with django_assert_num_queries(0):
        shown = [(p.first_name, p.last_name, p.account and p.account.login, p.left_at)
                 for p in found["pupils"]]  # fmt: skip
    assert shown == [
        ("Léo", "Abadie", "leo.abadie", None),
        ("Lea", "Dupont", None, None),
        ("Zoé", "Lemaréchal", None, None),
        ("Léa", "MARTIN", None, None),
        ("Léa", "Martin", None, None),
        ("Léandre", "Roux", None, None),
    ]


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


KEY_NAMES = [
    ("Léa", "MARTIN"), ("Jean-Baptiste", "SAINT-MARTIN"), ("Jeanne", "D'Arc"),
    ("Noé", "N\u2019DIAYE"), ("Œdipe", "Lætitia"), ("Jürgen", "Straße"), ("Søren", "Łukasz"),
    ("", "AIDE SOCIALE À L'ENFANCE 13"), ("  Anne ", "  DA  SILVA  "), (None, "Ñúñez"),
    ("Anne2", "1er 2e3 b4c 1.5 x-1"),
]  # fmt: skip


def test_postgresql_key_is_the_python_key():
    with connection.cursor() as cursor:
        for first, last in KEY_NAMES:
            cursor.execute("SELECT entaix_search_key(%s, %s)", [first, last])
            assert cursor.fetchone()[0] == search.search_key(first, last), (first, last)
    assert search.search_key("Jean-Baptiste", "SAINT-MARTIN") == " jean baptiste saint martin"


def test_the_indexed_words_are_the_words_of_the_key():
    # What the GIN index holds (to_tsvector 'simple' of the key) is the key's words, whole: the
    # index and the row-by-row LIKE answer alike.
    with connection.cursor() as cursor:
        for first, last in KEY_NAMES:
            cursor.execute(
                "SELECT tsvector_to_array(to_tsvector('simple'::regconfig,"
                " entaix_search_key(%s, %s)))",
                [first, last],
            )
            words = sorted(set(search.search_key(first, last).split()))
            assert sorted(cursor.fetchone()[0]) == words, (first, last)


def test_the_text_search_query():
    assert search.ts_query(["lea", "mar"]) == "lea:* & mar:*"
    assert search.ts_query(["jean baptiste", "saint mar"]) == (
        "( jean <-> baptiste:* ) & ( saint <-> mar:* )"
    )
    assert search.ts_query(["d arc"]) == "( d <-> arc:* )"


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: force the choice
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_whole_directory_search_uses_the_words_index(directory):
    pupils = factories.models.Pupil.objects.all()
    indexed = search.persons_matching(pupils, names=["lea", "mar"], logins=[], indexed=True)
    assert "schools_pupil_search_words" in _plan(indexed)
    assert [str(p) for p in indexed.order_by("pk")] == ["Léa MARTIN", "Léa Martin"]
    walked = search.persons_matching(pupils, names=["lea", "mar"], logins=[])
    walk = walked.order_by("last_name", "first_name", "pk").values("pk")
    assert "schools_pupil_by_name" in _plan(walk)


SQLITE_SCRIPT = """
import json
from django.utils import timezone
from accounts.models import User
from schools.models import Pupil, School
from accounts import directory_selectors
from accounts.directory_selectors import person_search

now = timezone.now()
school = School.objects.create(uai="0130001A", name="A", join_key="s1", first_seen_at=now,
                               last_seen_at=now)
for number, (first, last) in enumerate(PUPILS):
    Pupil.objects.create(school=school, first_name=first, last_name=last, join_key=f"p{number}",
                         first_seen_at=now, last_seen_at=now)
city = User.objects.create_user("agent.ville", kind=User.Kind.CITY)
found = []
for sort_at_most in (2000, 1):  # the matches sorted, then walked in name order
    directory_selectors.SEARCH_SORT_AT_MOST = sort_at_most
    found.append({query: [f"{p.first_name} {p.last_name}"
                          for p in person_search(user=city, query=query)["pupils"]]
                  for query in QUERIES})
print(json.dumps(found))
"""


@pytest.mark.slow
def test_sqlite_finds_exactly_what_postgresql_finds(sqlite_database):
    script = f"PUPILS = {PUPILS!r}\nQUERIES = {[q for q, _ in EXPECTED]!r}\n{SQLITE_SCRIPT}"
    sorted_, walked = sqlite_shell_json(sqlite_database, script)
    assert sorted_ == dict(EXPECTED)
    assert walked == dict(EXPECTED)
