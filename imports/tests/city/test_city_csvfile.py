"""Reading a CSV of people outside the feed: encodings, delimiters, header (no database)."""

from imports.city import csvfile

HEADER = "nom;prénom;rôle;UAI;date_début;date_fin"
ROW = "Lefèvre;Anaïs;ATSEM;0130001A;01/09/2026;03/07/2027"
CELLS = {"nom": "Lefèvre", "prenom": "Anaïs", "role": "ATSEM", "uai": "0130001A",
         "date_debut": "01/09/2026", "date_fin": "03/07/2027"}  # fmt: skip


def codes(parsed):
    return [(f.code, f.params) for f in parsed.errors]


def test_utf8_with_and_without_bom_and_windows_1252_read_the_same():
    text = f"{HEADER}\r\n{ROW}\r\n"
    for data, encoding in (
        (text.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        (text.encode("cp1252"), "cp1252"),
    ):
        parsed = csvfile.parse(data)
        assert (parsed.encoding, parsed.delimiter, parsed.errors) == (encoding, ";", [])
        assert parsed.rows == [{"line": 2, "cells": CELLS}]


def test_comma_and_tab_delimiters_are_detected():
    for delimiter in (",", "\t"):
        text = f"{HEADER}\n{ROW}\n".replace(";", delimiter)
        parsed = csvfile.parse(text.encode())
        assert (parsed.delimiter, parsed.rows) == (delimiter, [{"line": 2, "cells": CELLS}])


def test_a_quoted_cell_may_hold_the_delimiter_and_a_line_break():
    quoted = '"Le Bihan; dit Loïc";"Anne\nMarie";ATSEM;X;1;2'
    parsed = csvfile.parse(f"{HEADER}\n{quoted}\n{ROW}\n".encode())
    assert [r["line"] for r in parsed.rows] == [2, 4]
    assert parsed.rows[0]["cells"]["nom"] == "Le Bihan; dit Loïc"


def test_unreadable_encodings_are_a_file_error():
    text = f"{HEADER}\n{ROW}\n"
    assert codes(csvfile.parse(text.encode("utf-16"))) == [("encoding", {})]
    # Mac Roman's "é" is cp1252's "Ž"... plausible; its "è" (0x8F) is undefined in cp1252.
    assert codes(csvfile.parse(text.encode("mac_roman"))) == [("encoding", {})]
    # cp1252 would read these bytes as a dagger and a per-mille sign inside a name.
    assert codes(csvfile.parse(HEADER.encode() + b"\nDupont\x86\x89;A;ATSEM;X;1;2\n")) == [
        ("encoding", {})
    ]


def test_header_problems():
    assert codes(csvfile.parse(b"")) == [("empty", {})]
    assert codes(csvfile.parse(b"nom prenom role\nA B C\n")) == [("delimiter", {})]
    assert codes(csvfile.parse("nom;prénom;rôle;date_début\nA;B;C;D\n".encode())) == [
        ("missing-column", {"column": "uai"}),
        ("missing-column", {"column": "date_fin"}),
    ]
    parsed = csvfile.parse(f"{HEADER};nom\n{ROW};X\n".encode())
    assert codes(parsed) == [("duplicate-column", {"column": "nom"})]
    assert codes(csvfile.parse(f"{HEADER}\n;;;;;\n\n".encode())) == [("no-rows", {})]
    parsed = csvfile.parse(f"{HEADER};Commentaire\n{ROW};rien\n".encode())
    assert parsed.errors == []
    assert [(w.code, w.params) for w in parsed.warnings] == [
        ("ignored-column", {"column": "commentaire"})
    ]
    assert parsed.rows[0]["cells"] == CELLS


def test_a_row_with_too_few_or_too_many_cells_says_so():
    parsed = csvfile.parse(f"{HEADER}\nA;B;C\n{ROW};extra\n".encode())
    assert [r.get("cell_count") for r in parsed.rows] == [[3, 6], [7, 6]]


def test_size_and_row_limits(monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_ROWS", 2)
    parsed = csvfile.parse(f"{HEADER}\n{ROW}\n{ROW}\n{ROW}\n".encode())
    assert codes(parsed) == [("too-many-rows", {"max": 2})]
    monkeypatch.setattr(csvfile, "MAX_BYTES", 10)
    assert codes(csvfile.parse(f"{HEADER}\n{ROW}\n".encode())) == [("too-large", {"max": 0})]
