"""ENT logins: `prenom.nom`, folded to `[a-z.-]`, numbered for homonyms (`prenom.nom2`, …).

Pure functions: the caller answers which candidate logins are already taken (one query per batch
of candidates). A login, once given, is never recomputed: a later change of name keeps the old
login.
"""

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence

# Letters a plain NFKD decomposition does not fold.
_SPECIAL = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ß": "ss",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",  # dotless i
    }
)
# ' and its typographic look-alikes (right and left quotes, grave, acute, modifier apostrophe).
_APOSTROPHES = re.compile("['`\u2019\u2018\u00b4\u02bc]")
# Spaces, underscores, dots and every dash (hyphen, non-breaking hyphen, en and em dashes).
_SEPARATORS = re.compile("[\\s_.\\-\u2010\u2011\u2013\u2014]+")
_NOT_ALLOWED = re.compile(r"[^a-z-]")

FIRST_MAX = 15  # the first-name part
BASE_MAX = 30  # `prenom.nom` before any homonym number
FALLBACK = "compte"


@functools.lru_cache(maxsize=20000)  # first and last names repeat: an import folds each once
def fold(name: str) -> str:
    """One part of a login: lower case, accents folded, apostrophes dropped, words joined by '-'.

    Digits are dropped too (names carry none), so `lea.martin2` can only be a homonym number.
    """
    text = unicodedata.normalize("NFKD", (name or "").strip().lower()).translate(_SPECIAL)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text)
    text = _SEPARATORS.sub("-", text)
    text = _NOT_ALLOWED.sub("", text)
    return re.sub(r"-{2,}", "-", text).strip("-")


def _cut(part: str, length: int) -> str:
    return part[:length].strip("-")


def login_base(first_name: str, last_name: str) -> str:
    """`prenom.nom` before homonym numbering, at most BASE_MAX characters."""
    first = _cut(fold(first_name), FIRST_MAX)
    last = fold(last_name)
    if first and last:
        return f"{first}.{_cut(last, BASE_MAX - len(first) - 1)}".strip(".-")
    return _cut(first or last, BASE_MAX) or FALLBACK


class LoginAllocator:
    """Hands out free logins, a batch of persons at a time. `taken(candidates)` says which of a
    set of candidate logins are already used: the caller asks the database, so the allocator
    holds nothing but the batch (a first import creates hundreds of thousands of accounts, and
    the logins of a batch are in the database before the next batch is allocated)."""

    SPARE = 3  # numbers asked about beyond those needed, so most bases need one round

    def __init__(self, taken: Callable[[set[str]], set[str]]) -> None:
        self._taken = taken

    def allocate_batch(self, names: Sequence[tuple[str, str]]) -> list[str]:
        """A login per (first name, last name), in order: `prenom.nom` when free, else the
        smallest free number from 2 up, given in the order of the persons."""
        bases = [login_base(first, last) for first, last in names]
        used = {login.lower() for login in self._taken(set(bases))}
        logins: list[str] = []
        waiting: dict[str, list[int]] = {}  # base -> persons still without a login
        for index, base in enumerate(bases):
            if base in used:
                waiting.setdefault(base, []).append(index)
                logins.append("")
            else:
                used.add(base)
                logins.append(base)
        start = dict.fromkeys(waiting, 2)
        while waiting:
            ranges = {base: range(start[base], start[base] + len(people) + self.SPARE)
                      for base, people in waiting.items()}  # fmt: skip
            candidates = {f"{base}{n}" for base, numbers in ranges.items() for n in numbers}
            used = {login.lower() for login in self._taken(candidates)}
            for base, numbers in ranges.items():
                people = waiting[base]
                for number in numbers:
                    if not people:
                        break
                    if f"{base}{number}" not in used:
                        logins[people.pop(0)] = f"{base}{number}"
                start[base] = numbers.stop
                if not people:
                    del waiting[base]
        return logins
