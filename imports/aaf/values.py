"""Conversion of attribute values (already stripped strings) to record field values.

Each converter returns the value, or raises ``BadValue`` (code + safe message) when the value is
dropped. Multi-valued converters report bad items through ``warn`` and keep the good ones.
Messages never quote a value that may be personal (dates, names); codes and part counts only.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from .records import ClassRef, GuardianLink, StaffFunction, build

Warn = Callable[[str, str], None]  # warn(code, message)


class BadValue(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_DATE_RE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
TRUE = frozenset({"o", "oui", "true", "1"})
FALSE = frozenset({"n", "non", "false", "0"})

# Relation codes of ENTElevePersRelEleve (part 2). Old set 1..7; national (ONDE/SIECLE) set
# 10 mother, 20 father, 30-39 family, 41 educator, 42 foster carer, 50 tutor, 51 child-welfare
# service, 70 the pupil, 80 childminder, 90 other link.
RELATIONS: dict[int, str] = {
    1: "father",
    2: "mother",
    3: "tutor",
    4: "family",
    5: "welfare",
    6: "other",
    7: "pupil",
    10: "mother",
    20: "father",
    30: "family",
    35: "family",
    37: "family",
    38: "family",
    39: "family",
    41: "other",
    42: "other",
    50: "tutor",
    51: "welfare",
    70: "pupil",
    80: "other",
    90: "other",
}


def first(values: Sequence[str]) -> str:
    """Single-valued text: the first non-empty value, "" when none."""
    for value in values:
        if value:
            return value
    return ""


def lines(values: Sequence[str]) -> str:
    """Multi-line text (addresses): non-empty values joined with a newline."""
    return "\n".join(value for value in values if value)


def words(value: str) -> str:
    """A display value whose parts the format separates with "$" (``NOM$STRUCTURE$COURANT``,
    ``1 rue de Test$$$``): the non-empty parts joined with a space."""
    if "$" not in value:
        return value
    return " ".join(part for part in (part.strip() for part in value.split("$")) if part)


def first_words(values: Sequence[str]) -> str:
    """Single-valued display text: the first value that is not empty once its "$" are read."""
    for value in values:
        if value:
            value = words(value)
            if value:
                return value
    return ""


def address(values: Sequence[str]) -> str:
    """Postal address: each value's "$" parts joined with spaces, non-empty lines kept."""
    return "\n".join(line for line in (words(value) for value in values if value) if line)


def distinct(values: Sequence[str]) -> tuple[str, ...]:
    """Multi-valued text: non-empty values, first occurrence kept, order kept."""
    return tuple(dict.fromkeys(value for value in values if value))


def parse_date(value: str) -> datetime.date | None:
    if not value:
        return None
    match = _DATE_RE.fullmatch(value)
    try:
        if match is None:
            raise ValueError
        day, month, year = (int(part) for part in match.groups())
        return datetime.date(year, month, day)
    except ValueError:
        raise BadValue("bad-date", "date is not a valid dd/mm/yyyy") from None


def parse_bool(value: str) -> bool | None:
    lowered = value.lower()
    if not lowered:
        return None
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise BadValue("bad-boolean", "value is not one of O/N, oui/non, true/false, 1/0")


def relation(code: str, warn: Warn) -> str:
    """Normalise a relation code to father/mother/tutor/family/welfare/other/pupil or ""."""
    if not code:
        return ""
    known = RELATIONS.get(int(code)) if code.isdecimal() and len(code) <= 3 else None
    if known is None:
        shown = code[:10].encode("ascii", "backslashreplace").decode("ascii")
        warn("unknown-relation", f"relation code {shown!r} unknown, read as 'other'")
        return "other"
    return known


def class_refs(values: Sequence[str], warn: Warn) -> tuple[ClassRef, ...]:
    refs: dict[ClassRef, None] = {}
    for value in values:
        if not value:
            continue
        ref = _class_ref(value)
        if type(ref) is int:
            warn("bad-class-value", f"class/group value has {ref} '$' parts, expected 5")
            continue
        refs[ref] = None  # type: ignore[index]
    return tuple(refs)


@lru_cache(maxsize=4096)
def _class_ref(value: str) -> ClassRef | int:
    """The ClassRef of a value, or its number of parts when it is not one (a file names the
    same few hundred classes thousands of times: each is split once)."""
    parts = [part.strip() for part in value.split("$")]
    if len(parts) != 5 or not parts[0] or not parts[3]:
        return len(parts)
    return build(ClassRef, {"school_key": parts[0], "code": parts[3], "name": parts[4]})


def staff_functions(values: Sequence[str], warn: Warn) -> tuple[StaffFunction, ...]:
    result: dict[StaffFunction, None] = {}
    for value in values:
        if not value or value == "-":
            continue
        parts = ["" if part.strip() == "-" else part.strip() for part in value.split("$")]
        if len(parts) != 5:
            warn("bad-function-value", f"function value has {len(parts)} '$' parts, expected 5")
            continue
        if any(parts):
            result[StaffFunction(*parts)] = None
    return tuple(result)


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE or not lowered:
        return False
    raise BadValue("bad-boolean", "")


_LEGAL = {"0": 0, "1": 1, "2": 2}


@lru_cache(maxsize=4096)
def _link(value: str) -> tuple[GuardianLink | None, int, str]:
    """(the link, or None when the value is not one; its number of parts; the relation code
    to say unknown, or "") for one ``ENTElevePersRelEleve`` value: siblings share values."""
    parts = [part.strip() for part in value.split("$")]
    if len(parts) < 5 or not parts[0] or parts[3] not in _LEGAL:
        return None, len(parts), ""
    unknown: list[str] = []
    name = relation(parts[1], lambda _code, _message: unknown.append(parts[1]))
    try:
        financial, contact = _flag(parts[2]), _flag(parts[4])
    except BadValue:
        return None, len(parts), unknown[0] if unknown else ""
    link = build(
        GuardianLink,
        {"guardian_key": parts[0], "relation": name, "financial": financial,
         "legal": _LEGAL[parts[3]], "contact": contact},
    )  # fmt: skip
    return link, len(parts), unknown[0] if unknown else ""


def forget() -> None:
    """Empty the caches of class and guardian link values (see ``reader._forget``)."""
    _class_ref.cache_clear()
    _link.cache_clear()


def guardian_links(
    authority: Sequence[str] | None, relations: Sequence[str] | None, warn: Warn
) -> tuple[GuardianLink, ...]:
    """Links from ``ENTElevePersRelEleve`` (when carried) and ``ENTEleveAutoriteParentale``.

    - ``ENTElevePersRelEleve`` values ``key$relation$financial$legal$contact[$payment]`` give the
      relation and the flags as they are (contacts without authority have legal=0).
    - An authority holder without such a value gets relation "", financial=False, contact=True
      and legal=1 if no link has legal=1 yet, else legal=2. With authority values only, this
      means legal=1 for the first holder and 2 for every other one: test ``legal > 0``.
    """
    links: dict[str, GuardianLink] = {}
    for value in relations or ():
        if not value:
            continue
        link, count, unknown = _link(value)
        if unknown:
            relation(unknown, warn)  # says it is unknown
        if link is None:
            warn(
                "bad-guardian-link",
                f"value with {count} '$' parts is not key$relation$financial$legal(0/1/2)$contact",
            )
            continue
        links.setdefault(link.guardian_key, link)
    for value in authority or ():
        key = value.split("$", 1)[0].strip()
        if not key or key in links:
            continue
        legal = 2 if any(link.legal == 1 for link in links.values()) else 1
        links[key] = build(
            GuardianLink,
            {"guardian_key": key, "relation": "", "financial": False, "legal": legal,
             "contact": True},
        )  # fmt: skip
    return tuple(links.values())
