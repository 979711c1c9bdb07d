"""Person search: the start of any word of a first or last name, whatever the accents and case.

Both databases compare a *search key* built from the names: folded (case, accents and ligatures,
`entaix.common.text.fold`), every run of other characters made one space, with a leading space:
" jeanne d arc", " jean baptiste saint martin". A typed word, folded the same way, matches where
the key holds " " + the word: "lea mar" finds Léa Martin, "baptiste" Jean-Baptiste, "d'arc" and
"arc" Jeanne D'Arc. A word with a dot is a login ("lea.martin2"): logins are matched by prefix.

The key is a stored generated column, ``search_key``, of each person table. PostgreSQL computes
it with ``entaix_search_key()``, an IMMUTABLE SQL function over the ``unaccent`` extension, and a
trigram GIN index on it serves the LIKE (migration 0005). SQLite (the demo) gets the same
function name, registered in Python on each connection from the fold below, and no index: the
demo's directory is small.
"""

import re

from django.db.models import CharField, Func, Q, QuerySet

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


def persons_matching(queryset: QuerySet, *, names: list[str], logins: list[str]) -> QuerySet:
    """The persons of ``queryset`` (pupils, guardians or staff) every word of the query finds."""
    condition = Q()
    for word in names:
        condition &= Q(search_key__contains=f" {word}")
    for login in logins:
        condition &= Q(account__login__startswith=login)  # through the login's own index
    return queryset.filter(condition)
