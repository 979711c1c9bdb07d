"""imports.aaf.reader: FeedReader and read_feed: delivery order, broken files, record-level
problems, streaming with elements cleared."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import imports.aaf.reader as reader_module
from imports.aaf import (
    ClassRef,
    FeedFileError,
    FeedReader,
    GuardianLink,
    GuardianRecord,
    Kind,
    Mode,
    Op,
    Problem,
    StaffFunction,
    StaffRecord,
    read_feed,
)
from imports.tests.aaf.support import (
    BAD,
    COMPLET,
    DELTA,
    HEADER,
    PUPIL_FIELDS,
    file_error,
    pupil_xml,
    read,
)


def test_reader_needs_a_kind() -> None:
    with pytest.raises(FeedFileError) as caught:
        FeedReader(BAD / "xxe.xml")
    assert (caught.value.code, caught.value.file) == ("bad-name", "xxe.xml")


def test_read_feed_orders_a_delivery() -> None:
    paths = sorted(COMPLET.glob("*.xml")) + sorted(DELTA.glob("*.xml"))
    random.Random(4).shuffle(paths)
    readers = read_feed(paths)
    assert [reader.file for reader in readers] == [
        "ENT1D_Complet_20260901_EtabEducNat_0000.xml",
        "ENT1D_Complet_20260901_PersEducNat_0000.xml",
        "ENT1D_Complet_20260901_PersRelEleve_0000.xml",
        "ENT1D_Complet_20260901_Eleve_0000.xml",
        "ENT1D_Delta_20260902_EtabEducNat_0000.xml",
        "ENT1D_Delta_20260902_PersEducNat_0000.xml",
        "ENT1D_Delta_20260902_PersRelEleve_0000.xml",
        "ENT1D_Delta_20260902_Eleve_0000.xml",
    ]
    assert [(reader.kind, reader.mode) for reader in readers[:2]] == [
        (Kind.SCHOOL, Mode.COMPLET),
        (Kind.STAFF, Mode.COMPLET),
    ]


def test_truncated_file() -> None:
    # records before the cut are yielded: callers read the whole file before writing anything
    error = file_error(BAD / "truncated.xml", kind=Kind.PUPIL, yields=1)
    assert (error.code, error.line) == ("truncated", 40)


def test_every_cut_of_a_good_file_is_truncated(tmp_path: Path) -> None:
    data = (COMPLET / "ENT1D_Complet_20260901_EtabEducNat_0000.xml").read_bytes()
    end = data.rindex(b"</ficAlimMENESR>") + len(b"</ficAlimMENESR>")
    path = tmp_path / "cut.xml"
    for cut in [*range(0, 200), *range(200, end, 37), end - 1]:
        path.write_bytes(data[:cut])
        reader = FeedReader(path, kind=Kind.SCHOOL)
        with pytest.raises(FeedFileError) as caught:
            list(reader)
        assert caught.value.code == "truncated", cut


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'<?xml version="1.0" encoding="UTF-8"?>\n',
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- versionAF="AAF-VE1301" -->\n',
        HEADER.encode(),
    ],
    ids=["empty", "declaration", "comment", "root-open"],
)
def test_no_root_close_is_truncated(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    path.write_bytes(content)
    assert file_error(path).code == "truncated"


def test_not_well_formed() -> None:
    error = file_error(BAD / "not_well_formed.xml", kind=Kind.PUPIL, yields=1)
    assert (error.code, error.line) == ("not-well-formed", 18)
    assert error.message == (
        "not well-formed at line 18: Opening and ending tag mismatch: value line 18 and valeur"
    )


def test_extra_content_after_the_root_is_not_well_formed(tmp_path: Path) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    path.write_text(HEADER + pupil_xml("1") + "</ficAlimMENESR>\n<x/>\n</ficAlimMENESR>\n")
    error = file_error(path, yields=1)
    assert (error.code, error.line, error.message) == (
        "not-well-formed",
        13,
        "not well-formed at line 13: Extra content at the end of the document",
    )


def test_wrong_encoding() -> None:
    error = file_error(BAD / "wrong_encoding.xml", kind=Kind.GUARDIAN)
    assert (error.code, error.line) == ("encoding", 10)
    assert "LEMA" not in error.message


def test_file_of_another_kind_fails_as_wrong_kind() -> None:
    reader = FeedReader(COMPLET / "ENT1D_Complet_20260901_PersRelEleve_0000.xml", kind=Kind.PUPIL)
    with pytest.raises(FeedFileError) as caught:
        list(reader)
    assert caught.value.code == "wrong-kind"
    assert reader.counts == {"add": 0, "modify": 0, "delete": 0, "dropped": 6}
    assert [(p.level, p.code, p.line, p.identifier) for p in reader.problems] == [
        ("error", "wrong-category", line, key)
        for key, line in [
            ("3001", 5),
            ("3002", 26),
            ("3003", 47),
            ("3004", 67),
            ("3005", 87),
            ("3006", 107),
        ]
    ]


def test_bad_keys_and_wrong_category() -> None:
    records, reader = read(BAD / "bad_keys.xml", kind=Kind.GUARDIAN)
    assert [(r.key, r.line, r.last_name) for r in records] == [
        ("3513", 27, "MOULIN"),  # no identifier element: key from ENTPersonJointure
        ("3514", 34, "FABRE"),  # no ENTPersonJointure: key from identifier/id, stripped
    ]
    assert reader.counts == {"add": 2, "modify": 0, "delete": 0, "dropped": 3}
    assert reader.problems == [
        Problem("error", "missing-key", "bad_keys.xml", 4, None, "record has no identifier/id"),
        Problem(
            "error",
            "key-mismatch",
            "bad_keys.xml",
            11,
            "3510",
            "identifier/id differs from ENTPersonJointure ('3511')",
        ),
        Problem(
            "error",
            "wrong-category",
            "bad_keys.xml",
            19,
            "3512",
            "record category 'Eleve' does not match file kind PersRelEleve",
        ),
    ]


def test_duplicate_key_keeps_the_first() -> None:
    records, reader = read(BAD / "duplicate_key.xml", kind=Kind.GUARDIAN)
    assert [(r.key, r.last_name) for r in records] == [("3301", "CHEVALIER"), ("3302", "GAUTIER")]
    assert reader.counts == {"add": 2, "modify": 0, "delete": 0, "dropped": 1}
    assert reader.problems == [
        Problem(
            "error",
            "duplicate-key",
            "duplicate_key.xml",
            20,
            "3301",
            "join key already seen in this file; dropped",
        )
    ]


def test_unknown_attributes_are_reported_once_per_name() -> None:
    records, reader = read(BAD / "unknown_attribute.xml", kind=Kind.PUPIL)
    assert [(r.key, r.last_name) for r in records] == [
        ("4601", "BLANC"),
        ("4602", "GIRAUD"),
        ("4603", "MERCIER"),
    ]
    assert reader.problems == [
        Problem(
            "warning",
            "unknown-attribute",
            "unknown_attribute.xml",
            11,
            None,
            "unknown attribute 'ENTEleveBoursier' ignored in 2 record(s)",
        ),
        Problem(
            "warning",
            "unknown-attribute",
            "unknown_attribute.xml",
            20,
            None,
            "unknown attribute 'ENTPersonLogin' ignored in 1 record(s)",
        ),
    ]


def test_bad_values_are_warnings() -> None:
    records, reader = read(BAD / "bad_values.xml", kind=Kind.PUPIL)
    assert reader.counts == {"add": 2, "modify": 0, "delete": 0, "dropped": 0}
    first, second = records
    assert (first.birth_date, first.last_name, first.canteen, first.transport) == (
        None,
        "ROUSSEL",
        None,
        True,
    )
    assert first.classes == (ClassRef("1301001", "CE2-A", "CE2 A"),)
    assert first.groups == ()
    assert first.present == PUPIL_FIELDS
    assert second.birth_date is None
    assert second.guardian_links == (
        GuardianLink("3401", "other", financial=True, legal=1, contact=True),
        GuardianLink("3403", "family", financial=False, legal=0, contact=True),
    )
    assert [(p.level, p.code, p.line, p.identifier) for p in reader.problems] == [
        ("warning", "bad-date", 9, "4701"),
        ("warning", "bad-boolean", 11, "4701"),
        ("warning", "bad-class-value", 13, "4701"),
        ("warning", "bad-class-value", 14, "4701"),
        ("warning", "bad-date", 22, "4702"),
        ("warning", "unknown-relation", 25, "4702"),
        ("warning", "bad-guardian-link", 25, "4702"),
    ]
    assert reader.problems[0].message == "ENTPersonDateNaissance: date is not a valid dd/mm/yyyy"
    assert reader.problems[3].message == (
        "ENTPersonGroupes: class/group value has 6 '$' parts, expected 5"
    )
    assert reader.problems[5].message == (
        "ENTElevePersRelEleve: relation code '99' unknown, read as 'other'"
    )


def test_problems_never_carry_personal_data() -> None:
    _, values = read(BAD / "bad_values.xml", kind=Kind.PUPIL)
    _, keys = read(BAD / "bad_keys.xml", kind=Kind.GUARDIAN)
    text = repr(values.problems + keys.problems)
    for personal in ["ROUSSEL", "VIDAL", "2017-11-05", "31/02/2017", "peut", "BRUN", "PERRIN"]:
        assert personal not in text


def test_bad_staff_values() -> None:
    records, reader = read(BAD / "bad_staff.xml", kind=Kind.STAFF)
    (staff,) = records
    assert staff.functions == (StaffFunction("1301002", "DOC", "DOCUMENTATION", "", ""),)
    assert (staff.is_teacher, staff.classes) == (None, ())
    assert [(p.code, p.line, p.message) for p in reader.problems] == [
        (
            "bad-function-value",
            10,
            "ENTPersonFonctions: function value has 3 '$' parts, expected 5",
        ),
        (
            "bad-boolean",
            11,
            "ENTPersonCategorieEnseignant: value is not one of O/N, oui/non, true/false, 1/0",
        ),
        ("bad-class-value", 12, "ENTPersonClasses: class/group value has 4 '$' parts, expected 5"),
    ]


def test_modification_operation_other_than_replace_is_skipped() -> None:
    records, reader = read(BAD / "bad_operation.xml", kind=Kind.GUARDIAN)
    assert records == [
        GuardianRecord(
            op=Op.MODIFY,
            key="3001",
            line=4,
            present=frozenset({"home_phone"}),
            home_phone="04 42 00 11 22",
        )
    ]
    assert [(p.level, p.code, p.line, p.identifier) for p in reader.problems] == [
        ("warning", "bad-operation", 8, "3001")
    ]


def test_modify_with_a_bad_date_leaves_the_date_out_of_present(tmp_path: Path) -> None:
    path = tmp_path / "ENT1D_Delta_20260902_PersEducNat_0000.xml"
    path.write_text(
        HEADER + "<modifyRequest>\n"
        '<operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr>'
        "</operationalAttributes>\n<identifier><id>7</id></identifier>\n<modifications>\n"
        '<modification name="ENTPersonDateNaissance" operation="replace"><value>1/1/80</value>'
        "</modification>\n"
        '<modification name="ENTPersonCategorieEnseignant" operation="replace"><value>oui</value>'
        "</modification>\n"
        "</modifications>\n</modifyRequest>\n</ficAlimMENESR>\n"
    )
    records, reader = read(path)
    assert records == [
        StaffRecord(
            op=Op.MODIFY, key="7", line=4, present=frozenset({"is_teacher"}), is_teacher=True
        )
    ]
    assert [(p.code, p.line, p.identifier) for p in reader.problems] == [("bad-date", 8, "7")]


def test_large_file_streams_with_elements_cleared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for number in range(20_000):
            out.write(
                pupil_xml(
                    str(number), '<attr name="ENTPersonPrenom"><value>Z&eacute;lie</value></attr>\n'
                )
            )
        out.write("</ficAlimMENESR>\n")

    siblings: list[int] = []
    real_iterparse = reader_module.etree.iterparse

    def spy(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for event, element in real_iterparse(*args, **kwargs):
            siblings.append(sum(1 for _ in element.itersiblings(preceding=True)))
            yield event, element

    monkeypatch.setattr(reader_module.etree, "iterparse", spy)
    reader = FeedReader(path)
    count = 0
    for record in reader:
        count += 1
        last = record
    assert count == 20_000
    assert reader.counts == {"add": 20_000, "modify": 0, "delete": 0, "dropped": 0}
    assert (last.key, last.first_name, last.line) == ("19999", "Zélie", 4 + 19_999 * 9)
    assert len(siblings) == 20_000
    assert max(siblings) == 1  # only the previous record, cleared, is still in the tree
