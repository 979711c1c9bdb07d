"""``FeedReader``: stream one AAF file into records, collecting record-level problems."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter, methodcaller
from pathlib import Path
from typing import Any

from lxml import etree

from . import values as conv
from .mapping import ALIASES, CLASSES_2D, IGNORED, JOIN_ATTRIBUTE, MAPPING
from .records import (
    DATA_FIELDS,
    ERROR,
    RECORD_CLASS,
    WARNING,
    FeedFile,
    FeedFileError,
    Kind,
    Mode,
    Op,
    Problem,
    Record,
    build,
    feed_file_from_name,
)
from .stream import ROOT, FeedStream

_OPS = {"addRequest": Op.ADD, "modifyRequest": Op.MODIFY, "deleteRequest": Op.DELETE}
_COUNTED = {op: op.value for op in Op}
_CATEGORY_ATTRIBUTES = ("categoriePersonne", "categorieStructure")
_ENCODING_CODES = frozenset(
    {
        etree.ErrorTypes.ERR_INVALID_ENCODING,
        etree.ErrorTypes.ERR_UNKNOWN_ENCODING,
        etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING,
        etree.ErrorTypes.ERR_ENCODING_NAME,
    }
)
_POSITION_RE = re.compile(r",? line \d+, column \d+$")
_TAIL_RE = re.compile(rb"</" + ROOT + rb"\s*>(?:\s|<!--.*?-->|<\?.*?\?>)*\Z", re.DOTALL)
# The file ends with a whole closing tag (of another name than the root: a mistyped one).
_CLOSED_TAIL_RE = re.compile(rb"</[^\s<>/]+\s*>(?:\s|<!--.*?-->|<\?.*?\?>)*\Z", re.DOTALL)
_MAX_UNKNOWN_NAMES = 100
_KIND_ORDER = (Kind.SCHOOL, Kind.STAFF, Kind.GUARDIAN, Kind.PUPIL)
_MODE_ORDER = (Mode.COMPLET, Mode.DELTA)
# Names a person cannot do without; a guardian may be an organisation (a child-welfare
# service), whose record carries its name as ENTPersonNom and no first name.
_NAME_FIELDS = {
    Kind.PUPIL: ("last_name", "first_name"),
    Kind.STAFF: ("last_name", "first_name"),
    Kind.GUARDIAN: ("last_name",),
}
_KIND_NOUNS = {Kind.PUPIL: "pupils", Kind.STAFF: "staff members"}


@dataclass
class _FileState:
    seen: set[str] = field(default_factory=set)
    unknown: dict[str, list[int]] = field(default_factory=dict)  # name -> [count, first line]
    requests: int = 0
    wrong_category: int = 0
    dollar: dict[str, list[int]] = field(default_factory=dict)  # attribute -> [count, line]
    classes_2d: list[int] = field(default_factory=lambda: [0, 0])  # [records, first line]


class FeedReader:
    """Streams one file. Usage::

        reader = FeedReader(path)               # kind/mode from the file name when it matches
        reader = FeedReader(path, kind=Kind.PUPIL)   # forced kind (wins over the name)
        for record in reader: ...               # lazily; FeedFileError on a file-level fault
        reader.problems                         # record-level problems found while iterating
        reader.counts                           # {"add", "modify", "delete", "dropped"}

    Records are yielded while the file is read: a FeedFileError may come after some records
    (truncated, not well-formed, bad bytes further down), so read the whole file (all files of
    a run) before writing anything. Problems found at the end of the file (aggregated
    "unknown-attribute" warnings, the "modification-closed-by-attr" repair) are appended once
    iteration is complete. Iterating again re-reads the file and resets ``problems``/``counts``.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, kind: Kind | None = None, mode: Mode | None = None
    ) -> None:
        self.path = Path(path)
        self.file = self.path.name
        self.feed_file: FeedFile | None = feed_file_from_name(self.file)
        if kind is None:
            if self.feed_file is None:
                raise FeedFileError(
                    file=self.file,
                    code="bad-name",
                    message="file name is not ENT1D_<Mode>_<YYYYMMDD>_<Kind>_<NNNN>.xml; "
                    "pass kind= explicitly",
                )
            kind = self.feed_file.kind
        self.kind: Kind = kind
        self.mode: Mode | None = mode or (self.feed_file.mode if self.feed_file else None)
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = _zero_counts()
        # (code, attribute) -> [records, first line] of the warnings said once with a count.
        self.notices: dict[tuple[str, str], list[int]] = {}
        self._table = _TABLES[kind]
        self._category = kind.value
        self._name_fields = _NAME_FIELDS.get(kind, ())
        self._layouts: dict[tuple[str | None, ...], _Layout] = {}
        self._last: tuple[tuple[Any, ...], _Layout] = ((object(),), _Layout())
        # What a converter says, kept until the attribute and line are added to it.
        self._said: list[tuple[str, str]] = []
        self._say: conv.Warn = lambda code, message: self._said.append((code, message))
        self._record_class = RECORD_CLASS[kind]
        self._all_fields = frozenset(DATA_FIELDS[kind])

    def __repr__(self) -> str:
        return f"<FeedReader {self.file} kind={self.kind} mode={self.mode}>"

    def __iter__(self) -> Iterator[Record]:
        self.problems = []
        self.counts = _zero_counts()
        self.notices = {}
        return self._records()

    # -- file level ----------------------------------------------------------------------

    def _records(self) -> Iterator[Record]:
        try:
            state = _FileState()
            with self.path.open("rb") as raw:
                stream = FeedStream(raw, self.file)
                events = etree.iterparse(
                    stream,
                    events=("end",),
                    tag=tuple(_OPS),
                    resolve_entities=False,
                    no_network=True,
                    load_dtd=False,
                    huge_tree=False,
                    dtd_validation=False,
                    remove_comments=True,
                    remove_pis=True,
                    collect_ids=False,
                )
                try:
                    for _event, element in events:
                        try:
                            record = self._record(element, state, stream)
                        finally:
                            _release(element)
                        if record is None:
                            self.counts["dropped"] += 1
                        else:
                            self.counts[_COUNTED[record.op]] += 1
                            yield record
                except etree.XMLSyntaxError as error:
                    raise self._syntax_error(error) from None
            if state.requests and state.wrong_category == state.requests:
                raise FeedFileError(
                    file=self.file,
                    code="wrong-kind",
                    message=f"none of the {state.requests} records has category {self.kind.value}",
                )
            self._end_problems(stream, state)
        finally:
            _forget()

    def _syntax_error(self, error: etree.XMLSyntaxError) -> FeedFileError:
        message = _POSITION_RE.sub("", str(error.msg or "syntax error"))[:200]
        line = error.lineno or None
        lowered = message.lower()
        tail = _tail(self.path)
        mistyped = (
            error.code == etree.ErrorTypes.ERR_TAG_NAME_MISMATCH
            and _CLOSED_TAIL_RE.search(tail) is not None
        )
        if _TAIL_RE.search(tail) is None and not mistyped:
            code = "truncated"
            message = f"the file does not end with </ficAlimMENESR> ({message})"
        elif error.code in _ENCODING_CODES or "encoding" in lowered or "utf-8" in lowered:
            code = "encoding"
        else:
            code = "not-well-formed"
            message = f"not well-formed at line {line}: {message}"
        return FeedFileError(file=self.file, code=code, message=message, line=line)

    def _end_problems(self, stream: FeedStream, state: _FileState) -> None:
        if stream.repairs:
            self._problem(
                WARNING,
                "modification-closed-by-attr",
                stream.first_repair_line,
                None,
                f"{stream.repairs} <modification> element(s) closed by </attr> were repaired",
            )
        self.notices = {("dollar-separated-value", name): entry
                        for name, entry in state.dollar.items()}  # fmt: skip
        if state.classes_2d[0]:
            self.notices[("classes-2d", "")] = state.classes_2d
        self.problems.extend(notice_problems(self.file, self.kind, self.notices))
        for name, (count, line) in sorted(state.unknown.items(), key=lambda item: item[1][1]):
            shown = name or "(other names)"
            self._problem(
                WARNING,
                "unknown-attribute",
                line,
                None,
                f"unknown attribute {shown!r} ignored in {count} record(s)",
            )

    # -- record level --------------------------------------------------------------------

    def _problem(
        self, level: str, code: str, line: int | None, identifier: str | None, message: str
    ) -> None:
        self.problems.append(Problem(level, code, self.file, line, identifier, message))

    def _record(
        self, element: etree._Element, state: _FileState, stream: FeedStream
    ) -> Record | None:
        state.requests += 1
        op = _OPS[element.tag]
        # One pass over the request's children (no XPath): identifier, category, body.
        identifier: str | None = None
        category: str | None = None
        bodies = []
        body_tag = _BODY_TAG[op]
        for child in element:
            tag = child.tag
            if tag == body_tag:
                bodies.append(child)
            elif tag == "identifier":
                if identifier is None:
                    for sub in child.iterchildren("id"):
                        identifier = (sub.text or "").strip()
                        break
            elif tag == "operationalAttributes" and category is None:
                for attr in child.iterchildren("attr"):
                    if attr.get("name") in _CATEGORY_ATTRIBUTES:
                        category = conv.first(_values(attr))
                        break
        identifier = identifier or ""
        line = stream.record_line(element.sourceline)
        if category != self._category:
            state.wrong_category += 1
            shown = "none" if category is None else repr(category[:40])
            self._problem(
                ERROR,
                "wrong-category",
                line,
                identifier or None,
                f"record category {shown} does not match file kind {self.kind.value}",
            )
            return None

        collected = None
        if len(bodies) == 1 and op is not Op.DELETE:
            collected = self._collect_layout(bodies[0], op is Op.MODIFY)
        if collected is None:
            collected = self._collect(bodies, op, identifier)
        fields, rows, elements, join, unknown, has_2d = collected
        key = identifier or join
        if not key:
            self._problem(ERROR, "missing-key", line, None, "record has no identifier/id")
            return None
        if identifier and join and identifier != join:
            self._problem(
                ERROR,
                "key-mismatch",
                line,
                identifier,
                f"identifier/id differs from {JOIN_ATTRIBUTE[self.kind]} ({join!r})",
            )
            return None
        if key in state.seen:
            self._problem(
                ERROR, "duplicate-key", line, key, "join key already seen in this file; dropped"
            )
            return None
        state.seen.add(key)
        for name, child in unknown:
            _count_unknown(state, name, child.sourceline)

        values = self._convert(fields, rows, elements, key, state)
        present = self._all_fields if op is Op.ADD else frozenset(values)
        if self._name_fields and op is not Op.DELETE:
            missing = [
                name
                for name in self._name_fields
                if (op is Op.ADD or name in present) and not values.get(name)
            ]
            if missing:
                self._problem(
                    ERROR,
                    "missing-name",
                    line,
                    key,
                    f"record has no usable {' or '.join(missing)}; dropped",
                )
                return None
        if has_2d and not values.get("classes"):
            if not state.classes_2d[0]:
                state.classes_2d[1] = line
            state.classes_2d[0] += 1
        values["op"], values["key"], values["line"], values["present"] = op, key, line, present
        return build(self._record_class, values)

    def _collect_layout(self, body: etree._Element, modify: bool) -> _Collected | None:
        """The usual record: one body whose attribute names (in order) form a layout already
        compiled for this file (see ``_Layout``). None when the generic ``_collect`` must read
        it: an irregular body, a layout with aliases or repeated names, an operation."""
        regular = _regular(body, _CHILD_TAG[Op.MODIFY if modify else Op.ADD])
        if regular is None:
            return None
        elements, names, rows = regular
        # Records follow each other with one layout: comparing the names with the last ones
        # is cheaper than hashing them (new strings each time).
        layout: _Layout | None
        if names == self._last[0]:
            layout = self._last[1]
        else:
            layout = self._layouts.get(names)
            if layout is None:
                if len(self._layouts) >= _MAX_LAYOUTS:
                    return None
                layout = self._layouts[names] = _Layout.compile(names, self._table)
            self._last = (names, layout)
        if not layout.plain:
            return None
        if modify:
            for element in elements:
                if element.get("operation", "replace") != "replace":
                    return None
        join = conv.first(rows[layout.join]) if layout.join >= 0 else ""
        has_2d = layout.classes_2d >= 0 and any(rows[layout.classes_2d])
        unknown = [(name, elements[slot]) for slot, name in layout.unknown]
        return layout.fields, rows, elements, join, unknown, has_2d

    def _collect(self, bodies: list[etree._Element], op: Op, identifier: str) -> _Collected:
        """Any record: the fields to convert (``_Field``), the values and the
        element of each slot, the join attribute, the unknown names and whether the record
        carries 2D class values."""
        sources: dict[tuple[str, str], list] = {}
        unknown: list[tuple[str, Any]] = []
        join = ""
        has_2d = False
        if op is Op.DELETE:
            return [], [], [], join, unknown, has_2d
        table = self._table
        child_tag = _CHILD_TAG[op]
        modify = op is Op.MODIFY
        for body in bodies:
            for child in body.iterchildren(child_tag):
                name = child.get("name") or ""
                entry = table.get(name)
                if entry is None:
                    name = name.strip()
                    entry = table.get(name)
                if modify:
                    operation = child.get("operation", "replace")
                    if operation != "replace":
                        self._problem(
                            WARNING,
                            "bad-operation",
                            child.sourceline,
                            identifier or None,
                            f"{name[:64]}: modification operation {operation[:20]!r} is not "
                            "'replace'; skipped",
                        )
                        continue
                values = _values(child)
                if entry is None:
                    unknown.append((name, child))
                    continue
                target = entry[0]
                if target is None:  # not a field: the join attribute, 2D classes, ignored
                    if entry[2] == _JOIN:
                        join = join or conv.first(values)
                    elif entry[2] == _2D:
                        has_2d = has_2d or any(values)
                    continue
                known = sources.get(target)
                # First non-empty wins, except that an official attribute beats an LDAP alias.
                if (
                    known is None
                    or not any(known[1])
                    or (known[3][1] and not entry[1] and any(values))
                ):
                    sources[target] = [name, values, child, entry]
        fields = []
        rows = []
        elements = []
        for slot, (name, values, child, entry) in enumerate(sources.values()):
            fields.append((slot, name, entry[4], entry[2], entry[3], entry[0][1]))
            rows.append(values)
            elements.append(child)
        return fields, rows, elements, join, unknown, has_2d

    def _convert(
        self,
        fields: list[_Field],
        rows: list[list[str]],
        elements: list[etree._Element],
        key: str,
        state: _FileState,
    ) -> dict[str, Any]:
        """The field values; a field is present in the record when it is in the result (a
        value dropped with a warning leaves its field out). An attribute with one value (most
        of them) is converted inline; the converters' functions do the general case."""
        values: dict[str, Any] = {}
        links: dict[str, tuple[int, str]] = {}
        for slot, attribute, name, mode, function, converter in fields:
            raw = rows[slot]
            if len(raw) == 1:
                value = raw[0]
                if mode <= _LINES:  # text, lines
                    values[name] = value
                    continue
                if mode == _DISPLAY:
                    if "$" in value:
                        self._dollar(state, attribute, elements[slot])
                        value = conv.words(value)
                    values[name] = value
                    continue
                if mode == _LIST:
                    values[name] = (value,) if value else ()
                    continue
                if mode == _BOOL:
                    flag = _BOOLEANS.get(value.lower(), _BAD)
                    if flag is not _BAD:
                        values[name] = flag
                        continue
            if mode <= _LIST:
                values[name] = function(raw)
            elif mode == _DISPLAY:
                for value in raw:
                    if "$" in value:
                        self._dollar(state, attribute, elements[slot])
                        break
                values[name] = function(raw)
            elif mode in (_DATE, _BOOL):
                try:
                    values[name] = function(raw)
                except conv.BadValue as bad:
                    self._warner(attribute, elements[slot], key)(bad.code, bad.message)
            elif mode == _WARNS:
                said = self._said
                values[name] = function(raw, self._say)
                if said:
                    for code, message in said:
                        self._warner(attribute, elements[slot], key)(code, message)
                    said.clear()
            else:
                links[converter] = (slot, attribute)
        if links:
            authority = links.get("authority")
            relations = links.get("relations")
            slot, attribute = relations or authority  # type: ignore[misc]
            values["guardian_links"] = conv.guardian_links(
                rows[authority[0]] if authority else None,
                rows[relations[0]] if relations else None,
                self._warner(attribute, elements[slot], key),
            )
        return values

    @staticmethod
    def _dollar(state: _FileState, attribute: str, element: etree._Element) -> None:
        notice = state.dollar.setdefault(attribute, [0, element.sourceline or 0])
        notice[0] += 1

    def _warner(self, attribute: str, element: etree._Element, key: str) -> conv.Warn:
        def warn(code: str, message: str) -> None:
            line = element.sourceline
            self._problem(WARNING, code, line, key, f"{attribute}: {message}")

        return warn


_BODY_TAG = {Op.ADD: "attributes", Op.MODIFY: "modifications", Op.DELETE: ""}
_CHILD_TAG = {Op.ADD: "attr", Op.MODIFY: "modification", Op.DELETE: ""}
_BAD = object()
# parse_bool's answers, for the values it accepts (lowercased).
_BOOLEANS: dict[str, bool | None] = {
    "": None,
    **dict.fromkeys(conv.TRUE, True),
    **dict.fromkeys(conv.FALSE, False),
}
# Birth dates repeat (a cohort is born in one year): each is parsed once.
_date = lru_cache(maxsize=4096)(conv.parse_date)
# How a converter is called: plain (text, lines, list), display text ("$" counted), may raise
# BadValue (date, bool), warns, or one of the two sources of a pupil's guardian links. Not a
# field: the join attribute, the 2D class attribute (counted), a known attribute not kept.
_TEXT, _LINES, _LIST, _DISPLAY, _DATE, _BOOL, _WARNS, _LINKS, _JOIN, _2D, _IGNORED = range(11)
_MODES: dict[str, tuple[int, Callable[..., Any] | None]] = {
    "text": (_TEXT, conv.first),
    "lines": (_LINES, conv.lines),
    "list": (_LIST, conv.distinct),
    "words": (_DISPLAY, conv.first_words),
    "address": (_DISPLAY, conv.address),
    "date": (_DATE, lambda values: _date(conv.first(values))),
    "bool": (_BOOL, lambda values: conv.parse_bool(conv.first(values))),
    "classes": (_WARNS, conv.class_refs),
    "functions": (_WARNS, conv.staff_functions),
    "authority": (_LINKS, None),
    "relations": (_LINKS, None),
}


def _compile(kind: Kind) -> dict[str, tuple]:
    """attribute -> (target (field, converter), is an alias, mode, function, field), once per
    kind; target None for the attributes that fill no field (a field's attribute wins)."""
    table: dict[str, tuple] = dict.fromkeys(IGNORED[kind], (None, False, _IGNORED, None, None))
    if kind in CLASSES_2D:
        table[CLASSES_2D[kind]] = (None, False, _2D, None, None)
    table[JOIN_ATTRIBUTE[kind]] = (None, False, _JOIN, None, None)
    for name, target in MAPPING[kind].items():
        table[name] = (target, name in ALIASES, *_MODES[target[1]], target[0])
    return table


_TABLES = {kind: _compile(kind) for kind in Kind}
_MAX_LAYOUTS = 64
# A field to convert: (slot, attribute, field, mode, function, converter name).
_Field = tuple[int, str, str, int, Any, str]
_Collected = tuple[list[_Field], list[list[str]], list[Any], str, list[tuple[str, Any]], bool]


class _Layout:
    """What a body's attribute names, in order, mean for a kind: compiled once per file and
    layout (a file writes every record of a kind with the same attributes), then applied to
    each record without looking a name up again. ``plain`` is False when the generic reading
    is needed: a name repeated, two attributes for one field (aliases: which one wins depends
    on the values), several join or 2D class attributes."""

    __slots__ = ("classes_2d", "fields", "join", "plain", "unknown")

    def __init__(self) -> None:
        self.fields: list[_Field] = []
        self.unknown: list[tuple[int, str]] = []  # (slot, name)
        self.join = -1
        self.classes_2d = -1
        self.plain = True

    @classmethod
    def compile(cls, names: tuple[str | None, ...], table: dict[str, tuple]) -> _Layout:
        layout = cls()
        targets: set[Any] = set()
        for slot, given in enumerate(names):
            name = given or ""
            entry = table.get(name)
            if entry is None:
                name = name.strip()
                entry = table.get(name)
            if entry is None:
                layout.unknown.append((slot, name))
                continue
            target, mode = entry[0], entry[2]
            if target is None:
                if mode == _JOIN:
                    target = "join"
                elif mode == _2D:
                    target = "2d"
                else:
                    continue
            if target in targets:
                layout.plain = False
            targets.add(target)
            if target == "join":
                layout.join = slot
            elif target == "2d":
                layout.classes_2d = slot
            else:
                layout.fields.append((slot, name, entry[4], entry[2], entry[3], entry[0][1]))
        return layout


NOTICE_CODES = frozenset({"dollar-separated-value", "classes-2d"})


def notice_problems(
    file: str, kind: Kind, notices: dict[tuple[str, str], list[int]]
) -> list[Problem]:
    """The warnings said once with a count (per file here; the planner merges the parts of a
    kind and says them once per run): "$" display values per attribute, the 2D class layout."""
    problems = []
    for (code, subject), (count, line) in sorted(notices.items(), key=lambda item: item[1][1]):
        if code == "dollar-separated-value":
            message = f"{subject}: '$'-separated display value read as words in {count} record(s)"
        else:
            message = (
                f"{count} {_KIND_NOUNS[kind]} have no class: the feed uses 2D class attributes "
                f"({CLASSES_2D[kind]}), which a 1D import does not read"
            )
        problems.append(Problem(WARNING, code, file, line or None, None, message))
    return problems


def _forget() -> None:
    """Empty the converters' caches once a file is read: values of the feed (birth dates, guardian
    keys) stay in the process no longer than the reading."""
    _date.cache_clear()
    conv.forget()


def _zero_counts() -> dict[str, int]:
    return {"add": 0, "modify": 0, "delete": 0, "dropped": 0}


def _values(attr: etree._Element) -> list[str]:
    return [(child.text or "").strip() for child in attr.iterchildren("value")]


def _count_unknown(state: _FileState, name: str, line: int | None) -> None:
    name = name[:64]
    if name not in state.unknown and len(state.unknown) >= _MAX_UNKNOWN_NAMES:
        name = ""
    entry = state.unknown.setdefault(name, [0, line or 0])
    entry[0] += 1


_GETPARENT = etree._Element.getparent
_TEXT_OF = attrgetter("text")
_NAME_OF = methodcaller("get", "name")


def _regular(
    body: etree._Element, child_tag: str
) -> tuple[list[etree._Element], tuple[str | None, ...], list[list[str]]] | None:
    """The ``child_tag`` children of ``body``, their names and their stripped ``value`` texts,
    read by one C-level walk over the values (as the raw scan does) with each value's parent,
    text and each child's name taken by ``map`` (no Python frame per value). None unless the
    values' parents are exactly the body's ``child_tag`` children (every child has values of
    its own, no stray or nested value, no other element): ``_collect`` reads such a body child
    by child. Values of one child are contiguous in document order, so comparing the distinct
    parents, in order, with the children is enough."""
    values = list(body.iter("value"))
    parents = list(map(_GETPARENT, values))
    elements = list(dict.fromkeys(parents))
    if elements != list(body.iterchildren(child_tag)):
        return None
    if len(parents) == len(elements):  # one value each
        return (
            elements,
            tuple(map(_NAME_OF, elements)),
            [[text.strip()] if text else [""] for text in map(_TEXT_OF, values)],
        )
    texts = [text.strip() if text else "" for text in map(_TEXT_OF, values)]
    rows: list[list[str]] = []
    last = None
    for parent, text in zip(parents, texts, strict=True):
        if parent is last:
            rows[-1].append(text)
        else:
            rows.append([text])
            last = parent
    return elements, tuple(map(_NAME_OF, elements)), rows


def _release(element: etree._Element) -> None:
    """Free what lxml has built so far: memory stays flat on a 200k-record file."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _tail(path: Path) -> bytes:
    with path.open("rb") as raw:
        size = raw.seek(0, os.SEEK_END)
        raw.seek(max(0, size - 4096))
        return raw.read()


def read_feed(paths: Iterable[str | os.PathLike[str]]) -> list[FeedReader]:
    """Readers for a delivery, in the order to apply them.

    Order: date, Complet before Delta, schools → staff → guardians → pupils, part number.
    A name that is not ``ENT1D_<Mode>_<YYYYMMDD>_<Kind>_<NNNN>.xml`` → FeedFileError("bad-name").
    """
    readers = [FeedReader(path) for path in paths]

    def order(reader: FeedReader) -> tuple[Any, ...]:
        feed = reader.feed_file
        assert feed is not None
        return (feed.date, _MODE_ORDER.index(feed.mode), _KIND_ORDER.index(feed.kind), feed.part)

    return sorted(readers, key=order)
