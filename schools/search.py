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


class PkAmong(Func):
    """True where the primary key is one of ``ids``: one array parameter on PostgreSQL (``pk IN
    (%s, %s…)`` with 2,000 placeholders cost psycopg 30 ms of CPU to parse), IN elsewhere."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]):
        self.ids = list(ids)
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        return f"{pk_sql} IN ({', '.join(['%s'] * len(self.ids))})", (*pk_params, *self.ids)

    def as_postgresql(self, compiler, connection, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        return f"{pk_sql} = ANY(%s)", (*pk_params, self.ids)


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
