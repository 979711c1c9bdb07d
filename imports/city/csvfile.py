"""Reading a CSV of people outside the feed: bytes to a header and rows, with the stdlib `csv`.

Spreadsheets save CSV in UTF-8 (with or without a byte-order mark) or in Windows-1252 (Excel's
"CSV (séparateur : point-virgule)" on a French Windows), with `;` or `,` between cells. Both are
read; a file that is neither (UTF-16, Mac Roman, a binary) is refused as a whole rather than
read as mojibake. Nothing here touches the database.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
DELIMITERS = (";", ",", "\t")

# The columns, by their normalised header (lower case, no accents, `_` for spaces and hyphens).
REQUIRED = ("nom", "prenom", "role", "uai", "date_debut", "date_fin")
OPTIONAL = ("email", "civilite", "date_naissance")
ALIASES = {"courriel": "email", "mail": "email", "e_mail": "email", "prenoms": "prenom",
           "ecole": "uai", "ecoles": "uai"}  # fmt: skip
COLUMNS = REQUIRED + OPTIONAL

# Windows-1252 characters plausible in a French list of people (euro sign, curly quotes,
# dashes, oe ligatures, S/Z with caron, Y diaeresis); the rest of what cp1252 puts at 0x80-0x9F
# (daggers, per mille, single guillemets...) in a name means the file was in another encoding.
_CP1252_PLAUSIBLE = set(
    "\u20ac\u2018\u2019\u201c\u201d\u2013\u2014\u0152\u0153\u0160\u0161\u017d\u017e\u0178"
)


@dataclass
class FileFinding:
    code: str
    params: dict = field(default_factory=dict)


@dataclass
class ParsedFile:
    encoding: str = ""
    delimiter: str = ""
    header: list[str] = field(default_factory=list)  # normalised column names, in file order
    rows: list[dict] = field(default_factory=list)  # {"line": n, "cells": {column: value}}
    errors: list[FileFinding] = field(default_factory=list)
    warnings: list[FileFinding] = field(default_factory=list)


def normalise_header(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[\s\-']+", "_", text).strip("_")
    return ALIASES.get(text, text)


def _plausible(text: str) -> bool:
    """Read as cp1252, a French list holds Latin-1 letters and a few cp1252 additions (oe,
    curly quotes, euro); any other addition or a control character says the guess was wrong."""
    for char in text:
        if ord(char) > 0xFF and char not in _CP1252_PLAUSIBLE:
            return False
        if unicodedata.category(char) == "Cc" and char not in "\t\r\n":
            return False
    return True


def decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding name) or None when the bytes are neither UTF-8 nor plausible cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return None  # UTF-16 ("Unicode text") or a binary file
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None  # a byte cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    return (text, "cp1252") if _plausible(text) else None


def _header_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _delimiter(header_line: str) -> str | None:
    """The delimiter that splits the header into the most known columns (at least two)."""
    best, best_known = None, 1
    for delimiter in DELIMITERS:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        known = sum(1 for cell in cells if normalise_header(cell) in COLUMNS)
        if known > best_known:
            best, best_known = delimiter, known
    return best


def parse(data: bytes) -> ParsedFile:
    """The file's header and rows, or the file-level errors that stop it being read."""
    parsed = ParsedFile()
    if not data.strip():
        parsed.errors.append(FileFinding("empty"))
        return parsed
    if len(data) > MAX_BYTES:
        parsed.errors.append(FileFinding("too-large", {"max": MAX_BYTES // 1024}))
        return parsed
    decoded = decode(data)
    if decoded is None:
        parsed.errors.append(FileFinding("encoding"))
        return parsed
    text, parsed.encoding = decoded
    delimiter = _delimiter(_header_line(text))
    if delimiter is None:
        parsed.errors.append(FileFinding("delimiter"))
        return parsed
    parsed.delimiter = delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    for raw in reader:
        if any(cell.strip() for cell in raw):
            header = [normalise_header(cell) for cell in raw]
            break
    parsed.header = header
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            parsed.errors.append(FileFinding("duplicate-column", {"column": name}))
        seen.add(name)
    for name in REQUIRED:
        if name not in header:
            parsed.errors.append(FileFinding("missing-column", {"column": name}))
    for name in header:
        if name not in COLUMNS:
            parsed.warnings.append(FileFinding("ignored-column", {"column": name or "?"}))
    if parsed.errors:
        return parsed
    line = reader.line_num
    for raw in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in raw):
            continue  # blank lines (a spreadsheet's trailing ;;;;;) are not rows
        if len(parsed.rows) >= MAX_ROWS:
            parsed.errors.append(FileFinding("too-many-rows", {"max": MAX_ROWS}))
            break
        row: dict = {"line": start, "cells": {}}
        if len(raw) != len(header):
            row["cell_count"] = [len(raw), len(header)]
        for name, value in zip(header, raw, strict=False):
            if name in COLUMNS:
                row["cells"][name] = value.strip()
        parsed.rows.append(row)
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(FileFinding("no-rows"))
    return parsed
