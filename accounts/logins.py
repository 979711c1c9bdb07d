"""ENT logins: `prenom.nom`, folded to `[a-z.-]` (a legal person keeps its digits), numbered for
homonyms (`prenom.nom2`, …).

Pure functions: the caller loads the logins already taken (one query) and hands them in. A login,
once given, is never recomputed: a later change of name keeps the old login.
"""

import functools
import re
from collections.abc import Iterable

from entaix.common import text

# ' and its typographic look-alikes (right and left quotes, grave, acute, modifier apostrophe).
_APOSTROPHES = re.compile("['`\u2019\u2018\u00b4\u02bc]")
# Spaces, underscores, dots and every dash (hyphen, non-breaking hyphen, en and em dashes).
_SEPARATORS = re.compile("[\\s_.\\-\u2010\u2011\u2013\u2014]+")
_NOT_ALLOWED = re.compile(r"[^a-z-]")
_NOT_ALLOWED_KEEP_DIGITS = re.compile(r"[^a-z0-9-]")

FIRST_MAX = 15  # the first-name part
BASE_MAX = 30  # `prenom.nom` before any homonym number
FALLBACK = "compte"


@functools.lru_cache(maxsize=20000)  # first and last names repeat: an import folds each once
def login_part(name: str, *, keep_digits: bool = False) -> str:
    """One part of a login: lower case, accents folded, apostrophes dropped, words joined by '-'.

    Digits are dropped too (names carry none), so `lea.martin2` can only be a homonym number;
    `keep_digits` keeps them for a legal person, whose name may hold a département number.
    """
    folded = text.fold((name or "").strip())  # then the stricter charset of a login
    folded = _APOSTROPHES.sub("", folded)
    folded = _SEPARATORS.sub("-", folded)
    folded = (_NOT_ALLOWED_KEEP_DIGITS if keep_digits else _NOT_ALLOWED).sub("", folded)
    return re.sub(r"-{2,}", "-", folded).strip("-")


def _cut(part: str, length: int) -> str:
    return part[:length].strip("-")


def login_base(first_name: str, last_name: str) -> str:
    """`prenom.nom` before homonym numbering, at most BASE_MAX characters.

    Without a first name the holder is a legal person (the child-welfare body of a département,
    "Aide sociale à l'enfance 13"): its name keeps its digits.
    """
    first = _cut(login_part(first_name), FIRST_MAX)
    last = login_part(last_name, keep_digits=not first)
    if first and last:
        return f"{first}.{_cut(last, BASE_MAX - len(first) - 1)}".strip(".-")
    return _cut(first or last, BASE_MAX) or FALLBACK


class LoginAllocator:
    """Hands out free logins for many persons at once, given every login already taken."""

    def __init__(self, taken: Iterable[str]) -> None:
        self._taken = {login.lower() for login in taken}
        self._next: dict[str, int] = {}

    def allocate(self, first_name: str, last_name: str) -> str:
        base = login_base(first_name, last_name)
        if base not in self._taken:
            self._taken.add(base)
            return base
        # After a name's own number (`…-13`), the homonym number is set apart: `…-13-2`.
        sep = "-" if base[-1].isdigit() else ""
        number = self._next.get(base, 2)
        while f"{base}{sep}{number}" in self._taken:
            number += 1
        login = f"{base}{sep}{number}"
        self._taken.add(login)
        self._next[base] = number + 1
        return login
