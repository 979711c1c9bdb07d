"""imports.aaf.stream: the byte stream lxml reads: prolog checks, entities, repairs,
encodings, hostile files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from imports.aaf import (
    ClassRef,
    GuardianRecord,
    Kind,
    Op,
    Problem,
)
from imports.aaf.stream import FeedStream
from imports.tests.aaf.support import BAD, HEADER, QUIRKS, file_error, pupil_xml, read


def test_iso_8859_15_file() -> None:
    path = QUIRKS / "ENT1D_Complet_20260904_PersRelEleve_0000.xml"
    assert "CŒUR".encode("iso-8859-15") in path.read_bytes()
    records, reader = read(path)
    assert reader.problems == []
    assert [
        (r.key, r.last_name, r.first_name, r.other_first_names, r.address) for r in records
    ] == [("3101", "CŒUR", "Gaëlle", ("Gaëlle", "Bérénice"), "2 rue de l'Évêché")]


def test_html_entities_are_translated() -> None:
    records, reader = read(QUIRKS / "ENT1D_Complet_20260905_Eleve_0000.xml")
    assert reader.problems == []
    (pupil,) = records
    assert (pupil.birth_name, pupil.last_name, pupil.first_name) == (
        "N'GUESSAN",
        "N'GUESSAN",
        "Anaïs",
    )
    assert pupil.other_first_names == ("Anaïs", "Zélie", "Éloïse")
    assert pupil.classes == (ClassRef("1301001", "CE1-CE2B", "CE1\u00a0\u2013\u00a0CE2 B"),)
    assert pupil.groups == (ClassRef("1301001", "THEATRE", "Théâtre & chant"),)


def test_modification_closed_by_attr_is_repaired_with_one_warning() -> None:
    records, reader = read(QUIRKS / "ENT1D_Delta_20260906_PersRelEleve_0000.xml")
    assert reader.counts == {"add": 0, "modify": 2, "delete": 0, "dropped": 0}
    assert records == [
        GuardianRecord(
            op=Op.MODIFY,
            key="3001",
            line=5,
            present=frozenset({"last_name", "city", "postal_code"}),
            last_name="BENALI",
            city="VENELLES",
            postal_code="13770",
        ),
        GuardianRecord(
            op=Op.MODIFY,
            key="3002",
            line=14,
            present=frozenset({"email"}),
            email="elodie.martin@example.org",
        ),
    ]
    assert reader.problems == [
        Problem(
            level="warning",
            code="modification-closed-by-attr",
            file="ENT1D_Delta_20260906_PersRelEleve_0000.xml",
            line=10,
            identifier=None,
            message="3 <modification> element(s) closed by </attr> were repaired",
        )
    ]


def _stream_bytes(data: bytes, chunk_size: int) -> tuple[bytes, FeedStream]:
    stream = FeedStream(io.BytesIO(data), "x.xml", chunk_size=chunk_size)
    out = bytearray()
    while block := stream.read(7):
        out += block
    return bytes(out), stream


def test_stream_repairs_do_not_depend_on_chunk_boundaries() -> None:
    data = (
        HEADER + '<modifyRequest><operationalAttributes><attr name="c"><value>Eleve</value></attr>'
        "</operationalAttributes>\n<modifications>\n"
        '<modification name="a" operation="replace"><value>Z&eacute;lie &amp; L&eacute;a'
        "</value></attr>\n"
        '<modification name="b" operation="replace"><value>&apos;&nbsp;é&lt;</value>'
        "</modification>\n"
        '<modification name="c" operation="replace"><value/></attr>\n'
        "</modifications></modifyRequest>\n</ficAlimMENESR>\n"
    ).encode()
    expected = (
        data.replace(b"&eacute;", b"&#233;")
        .replace(b"&nbsp;", b"&#160;")
        .replace(b"</attr>\n", b"</modification>\n")
    )
    for chunk_size in [*range(1, 40), 65536]:
        out, stream = _stream_bytes(data, chunk_size)
        assert out == expected, chunk_size
        assert (stream.repairs, stream.first_repair_line) == (2, 6)


def test_stream_keeps_multibyte_characters_whole() -> None:
    data = (HEADER + "<v>ÉÀÇ€Œ—日本&eacute;</v>\n</ficAlimMENESR>\n").encode()
    for chunk_size in range(1, 20):
        out, _ = _stream_bytes(data, chunk_size)
        assert out.decode() == data.decode().replace("&eacute;", "&#233;")


def test_xxe_is_refused_before_any_record() -> None:
    error = file_error(BAD / "xxe.xml", kind=Kind.GUARDIAN)
    assert (error.code, error.file, error.line) == ("dtd-entities", "xxe.xml", 2)
    assert "root:" not in str(error)


def test_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE ficAlimMENESR SYSTEM "file:///etc/passwd">\n'
        "<ficAlimMENESR>\n" + pupil_xml("1") + "</ficAlimMENESR>\n",
        encoding="utf-8",
    )
    records, reader = read(path)
    assert [(r.key, r.last_name) for r in records] == [("1", "NOM1")]
    assert reader.problems == []


def test_parameter_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE ficAlimMENESR [<!ENTITY % p SYSTEM '
        '"http://127.0.0.1:9/x.dtd"> %p;]>\n<ficAlimMENESR>\n</ficAlimMENESR>\n'
    )
    assert file_error(path).code == "dtd-entities"


def test_entity_bomb_fails_fast() -> None:
    error = file_error(BAD / "entity_bomb.xml", kind=Kind.PUPIL)
    assert (error.code, error.line) == ("dtd-entities", 2)


def test_unknown_named_entity_fails_the_file() -> None:
    error = file_error(BAD / "unknown_entity.xml", kind=Kind.PUPIL)
    assert (error.code, error.line, error.message) == (
        "not-well-formed",
        9,
        "undefined entity &foo;",
    )


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (
            '<?xml version="1.0" encoding="UTF-16"?>\n<ficAlimMENESR/>\n'.encode("utf-16"),
            "encoding",
        ),
        (b'<?xml version="1.0" encoding="UTF-16"?>\n<ficAlimMENESR/>\n', "encoding"),
        (b'<?xml version="1.0" encoding="FOO-1"?>\n<ficAlimMENESR/>\n', "encoding"),
        (b"\xef\xbb\xbf" + HEADER.encode() + b"</ficAlimMENESR>\n", None),
        (b'<?xml version="1.0"?>\n<ficAlimMENESR>\n</ficAlimMENESR>', None),
        (b"<ficAlimMENESR/>", None),
        (b'<?xml version="1.0" encoding="windows-1252"?><ficAlimMENESR/>', None),
        (b'<?xml version="1.0"?>\ntext<ficAlimMENESR/>', "not-well-formed"),
        (b'<?xml version="1.0"?>\n<!ENTITY a "b"><ficAlimMENESR/>', "dtd-entities"),
        (b'<?xml version="1.0"?>\n<!-- x -->\n<ns:ficAlimMENESR/>', "wrong-root"),
    ],
)
def test_prolog_checks(tmp_path: Path, content: bytes, code: str | None) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    path.write_bytes(content)
    if code is None:
        assert read(path)[0] == []
    else:
        assert file_error(path).code == code


def test_wrong_root() -> None:
    error = file_error(BAD / "wrong_root.xml", kind=Kind.PUPIL)
    assert (error.code, error.line, error.message) == (
        "wrong-root",
        3,
        "root element is <annuaire>",
    )


def test_request_lines_past_line_65535_in_a_delta_mixing_requests(tmp_path: Path) -> None:
    """libxml2 keeps 16-bit element lines: the stream notes each request start tag, whatever
    its kind, the chunk it falls in, and the blank lines or comments before its body."""
    path = tmp_path / "ENT1D_Delta_20260902_PersRelEleve_0000.xml"
    category = (
        '<operationalAttributes><attr name="categoriePersonne"><value>PersRelEleve</value>'
        "</attr></operationalAttributes>"
    )
    parts = [HEADER]
    expected = []
    line = HEADER.count("\n") + 1
    for number in range(12_000):
        request = ("addRequest", "modifyRequest", "deleteRequest")[number % 3]
        gap = "\n" * (number % 4) + ("<!-- x -->\n" if number % 5 == 0 else "")
        body = {
            "addRequest": '<attributes><attr name="ENTPersonNom"><value>N</value></attr>'
            "</attributes>",
            "modifyRequest": '<modifications><modification name="ENTPersonNom" '
            'operation="replace"><value>N</value></modification></modifications>',
            "deleteRequest": "",
        }[request]
        text = (
            f"<{request}{' ' if number % 2 else ''}>\n{gap}{category}\n"
            f"<identifier><id>{number}</id></identifier>\n{body}\n</{request}>\n"
        )
        expected.append((str(number), line))
        parts.append(text)
        line += text.count("\n")
    parts.append("</ficAlimMENESR>\n")
    path.write_text("".join(parts), encoding="utf-8")
    assert line > 80_000
    records, reader = read(path)
    assert reader.problems == []
    assert [(record.key, record.line) for record in records] == expected
    assert reader.counts == {"add": 4000, "modify": 4000, "delete": 4000, "dropped": 0}
