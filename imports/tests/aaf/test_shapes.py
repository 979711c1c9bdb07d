"""Shapes real AAF files take (issue 15), each on a small file written here (no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imports.aaf import (
    ERROR,
    WARNING,
    ClassRef,
    FeedFileError,
    FeedReader,
    Kind,
    Op,
    Problem,
)
from imports.tests.aafxml import HEADER, add, modify, write


def read(path: Path) -> tuple[list[Any], FeedReader]:
    reader = FeedReader(path)
    return list(reader), reader


# -- 1. LDAP aliases for every kind; a nameless person is a record error --------------------


@pytest.mark.parametrize("kind", [Kind.PUPIL, Kind.STAFF, Kind.GUARDIAN])
def test_ldap_name_aliases_are_read_for_every_person_kind(tmp_path: Path, kind: Kind) -> None:
    path = write(
        tmp_path,
        kind,
        add(kind, "1", [("sn", "MARTIN"), ("givenName", "Léa"), ("personalTitle", "Mme")]),
        # Both present, the alias first in the file: the ENTPerson* attribute wins.
        add(
            kind,
            "2",
            [
                ("sn", "ALIAS"),
                ("givenName", "Alias"),
                ("personalTitle", "M."),
                ("ENTPersonNom", "DURAND"),
                ("ENTPersonPrenom", "Paul"),
                ("ENTPersonCivilite", "Mme"),
            ],
        ),
        # An empty official attribute does not hide the alias.
        add(kind, "3", [("ENTPersonNom", ""), ("sn", "PETIT"), ("ENTPersonPrenom", "Zoé")]),
    )
    records, reader = read(path)
    assert [(r.key, r.last_name, r.first_name, r.civility) for r in records] == [
        ("1", "MARTIN", "Léa", "Mme"),
        ("2", "DURAND", "Paul", "Mme"),
        ("3", "PETIT", "Zoé", ""),
    ]
    assert reader.problems == []
    assert reader.counts == {"add": 3, "modify": 0, "delete": 0, "dropped": 0}


@pytest.mark.parametrize("kind", [Kind.PUPIL, Kind.STAFF])
def test_a_person_without_a_usable_name_is_a_record_error(tmp_path: Path, kind: Kind) -> None:
    path = write(
        tmp_path,
        kind,
        add(kind, "1", [("ENTPersonNom", "MARTIN"), ("ENTPersonPrenom", "Léa")]),
        add(kind, "2", [("unknownName", "X")]),  # no name attribute at all (was "compte")
        add(kind, "3", [("sn", "MARTIN"), ("givenName", "")]),
        add(kind, "4", [("ENTPersonNom", "$$"), ("ENTPersonPrenom", "Léo")]),
    )
    records, reader = read(path)
    assert [r.key for r in records] == ["1"]
    assert reader.counts == {"add": 1, "modify": 0, "delete": 0, "dropped": 3}
    errors = [(p.level, p.code, p.line, p.identifier, p.message) for p in reader.problems]
    assert errors[:3] == [
        (ERROR, "missing-name", 13, "2", "record has no usable last_name or first_name; dropped"),
        (ERROR, "missing-name", 21, "3", "record has no usable first_name; dropped"),
        (ERROR, "missing-name", 30, "4", "record has no usable last_name; dropped"),
    ]


def test_a_guardian_needs_a_last_name_and_may_be_an_organisation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        Kind.GUARDIAN,
        add(Kind.GUARDIAN, "1", [("ENTPersonNom", "AIDE SOCIALE A L'ENFANCE")]),
        add(Kind.GUARDIAN, "2", [("givenName", "Léa"), ("personalTitle", "Mme")]),
        add(Kind.GUARDIAN, "3", [("sn", "MARTIN"), ("givenName", "Léa")]),
    )
    records, reader = read(path)
    assert [(r.key, r.last_name, r.first_name) for r in records] == [
        ("1", "AIDE SOCIALE A L'ENFANCE", ""),
        ("3", "MARTIN", "Léa"),
    ]
    assert [(p.level, p.code, p.identifier, p.message) for p in reader.problems] == [
        (ERROR, "missing-name", "2", "record has no usable last_name; dropped")
    ]
    assert reader.counts == {"add": 2, "modify": 0, "delete": 0, "dropped": 1}


def test_a_modify_that_blanks_a_name_is_a_record_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        Kind.PUPIL,
        modify(Kind.PUPIL, "1", [("ENTPersonNom", "")]),
        modify(Kind.PUPIL, "2", [("ENTEleveNiveau", "CP")]),  # names not carried: kept
        modify(Kind.PUPIL, "3", [("sn", "NOUVEAU")]),
        mode="Delta",
    )
    records, reader = read(path)
    assert [(r.key, r.op, r.last_name, sorted(r.present)) for r in records] == [
        ("2", Op.MODIFY, "", ["level"]),
        ("3", Op.MODIFY, "NOUVEAU", ["last_name"]),
    ]
    assert [(p.code, p.identifier) for p in reader.problems] == [("missing-name", "1")]


# -- 4. "$"-separated display values ---------------------------------------------------------


def test_dollar_separated_display_values_are_read_as_words(tmp_path: Path) -> None:
    school = [("ENTStructureUAI", "0131234A")]
    path = write(
        tmp_path,
        Kind.SCHOOL,
        add(
            Kind.SCHOOL,
            "S1",
            [
                *school,
                ("ENTStructureNomCourant", "NOM$STRUCTURE$COURANT"),
                ("ENTStructureAdresse", ["1 rue de Test$$$", "$Bâtiment B$", "$$"]),
                ("ENTStructureVille", "MARSEILLE$"),
            ],
        ),
        add(Kind.SCHOOL, "S2", [("ENTStructureNomCourant", "ECOLE$$JULES FERRY")]),
        add(Kind.SCHOOL, "S3", [("ENTStructureNomCourant", "ECOLE SANS DOLLAR")]),
    )
    records, reader = read(path)
    assert [(r.name, r.address, r.city) for r in records] == [
        ("NOM STRUCTURE COURANT", "1 rue de Test\nBâtiment B", "MARSEILLE"),
        ("ECOLE JULES FERRY", "", ""),
        ("ECOLE SANS DOLLAR", "", ""),
    ]
    dollar = [p for p in reader.problems if p.code == "dollar-separated-value"]
    assert dollar == [
        Problem(WARNING, "dollar-separated-value", path.name, 10, None,
                "ENTStructureNomCourant: '$'-separated display value read as words in 2 "
                "record(s)"),
        Problem(WARNING, "dollar-separated-value", path.name, 11, None,
                "ENTStructureAdresse: '$'-separated display value read as words in 1 record(s)"),
        Problem(WARNING, "dollar-separated-value", path.name, 12, None,
                "ENTStructureVille: '$'-separated display value read as words in 1 record(s)"),
    ]  # fmt: skip


def test_guardian_address_parts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        Kind.GUARDIAN,
        add(
            Kind.GUARDIAN,
            "G1",
            [
                ("ENTPersonNom", "MARTIN"),
                ("ENTPersonPrenom", "Léa"),
                ("ENTPersonAdresse", "12 rue des Lilas$Résidence A$$"),
            ],
        ),
    )
    records, reader = read(path)
    assert records[0].address == "12 rue des Lilas Résidence A"
    assert [p.code for p in reader.problems] == ["dollar-separated-value"]


# -- 5. a school's contact details under their LDAP names -------------------------------------


def test_school_contact_details_from_ldap_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        Kind.SCHOOL,
        add(
            Kind.SCHOOL,
            "S1",
            [
                ("ENTStructureNomCourant", "ECOLE ELEMENTAIRE LES PINS"),
                ("street", "3 avenue des Pins$$"),
                ("postOfficeBox", "BP 12"),
                ("postalCode", "13001"),
                ("l", "MARSEILLE"),
                ("telephoneNumber", "0491000000"),
                ("facsimileTelephoneNumber", "0491000001"),
                ("ENTStructureMailSI", "ce.0131234a@ac-test.fr"),
            ],
        ),
        add(
            Kind.SCHOOL,
            "S2",
            [
                ("ENTStructureNomCourant", "ECOLE MATERNELLE"),
                ("telephoneNumber", "0491999999"),
                ("ENTStructureTelephone", "0491222222"),  # the official name wins
                ("ENTStructureEmail", "officiel@ac-test.fr"),
                ("ENTStructureMailSI", "si@ac-test.fr"),
            ],
        ),
    )
    records, reader = read(path)
    contact = [(r.address, r.po_box, r.postal_code, r.city, r.phone, r.fax, r.email)
               for r in records]  # fmt: skip
    assert contact == [
        ("3 avenue des Pins", "BP 12", "13001", "MARSEILLE", "0491000000", "0491000001",
         "ce.0131234a@ac-test.fr"),
        ("", "", "", "", "0491222222", "", "officiel@ac-test.fr"),
    ]  # fmt: skip
    assert [p.code for p in reader.problems] == ["dollar-separated-value"]


# -- 6. attributes of the official format are known, not "unknown" every morning --------------


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        (Kind.SCHOOL, ["ENTStructureCodeTypeStruct", "ENTServAcCodeAcademie",
                       "ENTEtablissementContrat"]),
        (Kind.STAFF, ["ENTPersonStructRattachDate", "ENTPersonFonctionsDate",
                      "ENTEnsFonctionDirDate", "ENTPersonAdresseDiffusion"]),
        (Kind.GUARDIAN, ["ENTPersRelEleveEleve", "ENTPersonAdresseDiffusion",
                         "ENTPersonStructRattachDate"]),
        (Kind.PUPIL, ["ENTPersonStructRattachDate", "ENTPersonAdresseDiffusion"]),
    ],
)  # fmt: skip
def test_known_attributes_are_ignored_silently(
    tmp_path: Path, kind: Kind, names: list[str]
) -> None:
    base = [] if kind is Kind.SCHOOL else [("ENTPersonNom", "A"), ("ENTPersonPrenom", "B")]
    pairs = [*base, *((name, "x") for name in names), ("ENTVraimentInconnu", "y")]
    records, reader = read(write(tmp_path, kind, add(kind, "1", pairs)))
    assert len(records) == 1
    assert [(p.code, p.message) for p in reader.problems] == [
        ("unknown-attribute", "unknown attribute 'ENTVraimentInconnu' ignored in 1 record(s)")
    ]


# -- 7. the 2D class layout -----------------------------------------------------------------


def test_2d_class_attributes_are_reported_once_per_file(tmp_path: Path) -> None:
    names = [("ENTPersonNom", "A"), ("ENTPersonPrenom", "B")]
    path = write(
        tmp_path,
        Kind.PUPIL,
        add(Kind.PUPIL, "1", [*names, ("ENTEleveClasses", "S1$CP A")]),
        add(Kind.PUPIL, "2", [*names, ("ENTEleveClasses", "S1$CP B")]),
        add(Kind.PUPIL, "3", [*names, ("ENTPersonClasses", "S1$x$y$CPA$CP A")]),
        add(Kind.PUPIL, "4", [*names, ("ENTEleveClasses", "")]),
    )
    records, reader = read(path)
    assert [r.classes for r in records] == [(), (), (ClassRef("S1", "CPA", "CP A"),), ()]
    assert [(p.level, p.code, p.line, p.message) for p in reader.problems] == [
        (WARNING, "classes-2d", 4, "2 pupils have no class: the feed uses 2D class attributes "
         "(ENTEleveClasses), which a 1D import does not read"),
    ]  # fmt: skip
    staff = write(
        tmp_path,
        Kind.STAFF,
        add(Kind.STAFF, "T1", [*names, ("ENTAuxEnsClasses", "S1$CP A")]),
    )
    _records, reader = read(staff)
    assert [p.message for p in reader.problems] == [
        "1 staff members have no class: the feed uses 2D class attributes (ENTAuxEnsClasses), "
        "which a 1D import does not read"
    ]


# -- 11. a mistyped closing tag is not a truncated file ----------------------------------------


def test_mistyped_root_close_is_not_well_formed(tmp_path: Path) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    body = add(Kind.PUPIL, "1", [("ENTPersonNom", "A"), ("ENTPersonPrenom", "B")])
    path.write_text(HEADER + body + "</ficAlimMENSR>\n")
    reader = FeedReader(path)
    with pytest.raises(FeedFileError) as caught:
        list(reader)
    error = caught.value
    assert (error.code, error.line) == ("not-well-formed", 13)
    assert error.message == (
        "not well-formed at line 13: Opening and ending tag mismatch: ficAlimMENESR line 3 "
        "and ficAlimMENSR"
    )


def test_a_file_that_ends_early_is_still_truncated(tmp_path: Path) -> None:
    path = tmp_path / "ENT1D_Complet_20260901_Eleve_0000.xml"
    body = add(Kind.PUPIL, "1", [("ENTPersonNom", "A"), ("ENTPersonPrenom", "B")])
    path.write_text(HEADER + body + "<addRequest>\n</addRequest>\n")
    with pytest.raises(FeedFileError) as caught:
        list(FeedReader(path))
    assert caught.value.code == "truncated"
