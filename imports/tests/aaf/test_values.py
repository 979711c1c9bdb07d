"""imports.aaf.values: value converters (booleans, relation codes, guardian links)."""

from __future__ import annotations

import pytest

from imports.aaf import (
    ClassRef,
    GuardianLink,
)
from imports.aaf.values import parse_bool, relation
from imports.tests.aaf.support import COMPLET, read


def test_guardian_links_from_authority_only() -> None:
    records, _ = read(COMPLET / "ENT1D_Complet_20260901_Eleve_0000.xml")
    # 4002 has no ENTElevePersRelEleve: the authority list (first "$" part) makes the links.
    assert records[1].guardian_links == (
        GuardianLink("3001", "", financial=False, legal=1, contact=True),
        GuardianLink("3002", "", financial=False, legal=2, contact=True),
    )
    assert records[1].groups == ()


def test_guardian_links_codes_and_contacts() -> None:
    records, _ = read(COMPLET / "ENT1D_Complet_20260901_Eleve_0000.xml")
    assert records[2].guardian_links == (  # old code set: 2 = mother
        GuardianLink("3003", "mother", financial=True, legal=1, contact=True),
    )
    assert records[3].guardian_links == (  # 38 grandparent: a contact without authority
        GuardianLink("3004", "father", financial=True, legal=1, contact=True),
        GuardianLink("3006", "family", financial=False, legal=0, contact=True),
    )
    assert records[4].guardian_links == (
        GuardianLink("3005", "welfare", financial=True, legal=1, contact=True),
    )
    assert [
        (r.canteen, r.transport, r.morning_care, r.evening_care, r.supervised_study)
        for r in records
    ] == [
        (True, False, True, False, None),
        (True, False, False, True, False),
        (True, False, False, False, True),
        (True, False, True, True, False),
        (True, False, False, False, False),
    ]
    assert records[2].groups == (
        ClassRef("1301001", "ANG1", "Anglais groupe 1"),
        ClassRef("1301001", "CHORALE", "Chorale"),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("O", True),
        ("n", False),
        ("Oui", True),
        ("NON", False),
        ("true", True),
        ("False", False),
        ("1", True),
        ("0", False),
        ("", None),
    ],
)
def test_parse_bool(value: str, expected: bool | None) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1", "father"),
        ("2", "mother"),
        ("3", "tutor"),
        ("4", "family"),
        ("5", "welfare"),
        ("6", "other"),
        ("7", "pupil"),
        ("10", "mother"),
        ("20", "father"),
        ("30", "family"),
        ("37", "family"),
        ("38", "family"),
        ("39", "family"),
        ("41", "other"),
        ("42", "other"),
        ("50", "tutor"),
        ("51", "welfare"),
        ("70", "pupil"),
        ("80", "other"),
        ("90", "other"),
        ("020", "father"),
        ("", ""),
    ],
)
def test_relation_codes(code: str, expected: str) -> None:
    warnings: list[str] = []
    assert relation(code, lambda c, m: warnings.append(c)) == expected
    assert warnings == []


@pytest.mark.parametrize("code", ["99", "PERE", "1234"])
def test_unknown_relation_codes(code: str) -> None:
    warnings: list[str] = []
    assert relation(code, lambda c, m: warnings.append(c)) == "other"
    assert warnings == ["unknown-relation"]
