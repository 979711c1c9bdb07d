"""Person search: the start of any word of a first or last name, whatever the accents and case.

Both databases compare a *search key* built from the names: folded (case, accents and ligatures,
`entaix.common.text.fold`), every run of other characters made one space, with a leading space:
" jeanne d arc", " jean baptiste saint martin". A typed word, folded the same way, matches where
the key holds " " + the word: "lea mar" finds Léa Martin, "baptiste" Jean-Baptiste, "d'arc" and
"arc" Jeanne D'Arc. A word with a dot is a login ("lea.martin2"): logins are matched by prefix.

The key is a stored generated column, ``search_key``, of each person table. PostgreSQL computes
it with ``entaix_search_key()``, an IMMUTABLE SQL function over the ``unaccent`` extension
(migration 0005). SQLite (the demo) gets the same function name, registered in Python on each
connection from the fold below.

Two ways to ask the same question (the tests check they find the same people):

- `KeyMatches`: ``search_key LIKE '% word%'`` for each word, on every row it is given. Cheap per
  row; what a scoped search uses (a director's or a teacher's few hundred persons, reached through
  their scope's indexes), what the demo's SQLite uses, and what filters the walk in name order.
- `KeyWords`, on PostgreSQL: the key's words as a text-search vector, ``to_tsvector('simple',
  search_key)`` (the key holds only [a-z0-9] runs between single spaces, which the parser takes
  whole and the ``simple`` configuration keeps as they are: no stop words, no stemming), asked for
  word prefixes, ``to_tsquery('simple', 'lea:* & mar:*')``, through a GIN index on that expression
  (migration 0007): GIN looks the prefix up among the distinct words of the index, however short.
  A typed word of several parts ("jean-baptiste", "d'arc": " jean baptiste" in the key) is a
  phrase of whole words ending with a prefix: ``jean <-> baptiste:*``. On SQLite it is `KeyMatches`.
"""

import re

from django.db import connections
from django.db.models import BooleanField, CharField, F, Func, Q, QuerySet, Value

from entaix.common.text import fold

FUNCTION = "entaix_search_key"
MAX_WORDS = 4
MIN_LENGTH = 2
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def search_key(first_name: str | None, last_name: str | None) -> str:
    """The key as PostgreSQL's entaix_search_key() computes it (the tests compare the two)."""
    folded = fold(f"{first_name or ''} {last_name or ''}")
    return " " + _NOT_ALNUM.sub(" ", folded).strip()


class SearchKey(Func):
    """entaix_search_key(first_name, last_name): how the person tables compute ``search_key``."""

    function = FUNCTION
    arity = 2
    output_field = CharField()


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """connection_created receiver: SQLite gets the key function PostgreSQL's migration makes."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 2, search_key, deterministic=True)


def query_words(query: str) -> tuple[list[str], list[str]]:
    """(name words, logins) of a typed query: folded, at most four, two characters or more."""
    names, logins = [], []
    for raw in query.split()[:MAX_WORDS]:
        folded = fold(raw)
        if "." in folded:
            if len(folded) >= MIN_LENGTH:
                logins.append(folded)
            continue
        word = _NOT_ALNUM.sub(" ", folded).strip()
        if len(word) >= MIN_LENGTH:
            names.append(word)
    return names, logins


def ts_query(names: list[str]) -> str:
    """The text-search query of name words (from `query_words`: [a-z0-9] runs between single
    spaces): each word a prefix, the parts of one typed word a phrase.
    ["lea", "saint mar"] → "lea:* & ( saint <-> mar:* )"."""
    terms = []
    for word in names:
        *whole, prefix = word.split(" ")
        terms.append(f"( {' <-> '.join(whole)} <-> {prefix}:* )" if whole else f"{prefix}:*")
    return " & ".join(terms)


class KeyMatches(Func):
    """True where the search key holds every name word at the start of one of its words: LIKE,
    row by row (no index serves it)."""

    output_field = BooleanField()

    def __init__(self, names: list[str]):
        super().__init__(F("search_key"), *(Value(f"% {word}%") for word in names))

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        key, *patterns = (compiler.compile(expression) for expression in self.source_expressions)
        # A word holds only [a-z0-9] and spaces: no LIKE wildcard to escape.
        sql = " AND ".join(f"{key[0]} LIKE {pattern[0]}" for pattern in patterns)
        params = tuple(param for pattern in patterns for param in (*key[1], *pattern[1]))
        return f"({sql})", params


class KeyWords(KeyMatches):
    """The same question through the words' GIN index on PostgreSQL (KeyMatches elsewhere)."""

    def __init__(self, names: list[str]):
        super().__init__(names)
        self.query = ts_query(names)

    def as_postgresql(self, compiler, connection, **extra):
        key_sql, key_params = compiler.compile(self.source_expressions[0])
        # Written as migration 0007's index expression is, so that the planner matches the two.
        sql = f"to_tsvector('simple'::regconfig, {key_sql}) @@ to_tsquery('simple'::regconfig, %s)"
        return sql, (*key_params, self.query)


def first_of_few(found: QuerySet, *, limit: int, at_most: int) -> list[int] | None:
    """The ids of the first ``limit`` persons of ``found`` in name order if they are at most
    ``at_most``, else None (too many to sort: walk the names in order instead).

    One query: the first at_most + 1 matches in no order (the index's answer, the table read
    once), sorted by name outside, their number alongside. Sorted outside, no index can serve
    the order: the planner, guessing a thousand matches spread along the names, would walk the
    name index instead (90 ms for a surname sorting late); fetching them again by id to sort
    them cost each an index probe or a table read."""
    inner, params = (
        found.order_by()
        .values("pk", "last_name", "first_name")[: at_most + 1]
        .query.sql_with_params()
    )
    sql = (
        f"SELECT pk, COUNT(*) OVER () FROM ({inner}) AS few"  # noqa: S608 - the ORM's own SQL
        " ORDER BY last_name, first_name, pk LIMIT %s"
    )
    with connections[found.db].cursor() as cursor:
        cursor.execute(sql, (*params, limit))
        rows = cursor.fetchall()
    if rows and rows[0][1] > at_most:
        return None
    return [pk for pk, _count in rows]


def persons_matching(
    queryset: QuerySet, *, names: list[str], logins: list[str], indexed: bool = False
) -> QuerySet:
    """The persons of ``queryset`` (pupils, guardians or staff) every word of the query finds;
    ``indexed``: through the words' index (a search of the whole directory), else row by row."""
    condition = Q()
    for login in logins:
        condition &= Q(account__login__startswith=login)  # through the login's own index
    if names:
        return queryset.filter((KeyWords if indexed else KeyMatches)(names), condition)
    return queryset.filter(condition)
