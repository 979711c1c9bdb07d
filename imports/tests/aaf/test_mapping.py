"""imports.aaf.mapping: which attribute fills which field, kind by kind, Complet and Delta."""

from __future__ import annotations

import datetime

from imports.aaf import (
    ClassRef,
    GuardianLink,
    GuardianRecord,
    Kind,
    Mode,
    Op,
    PupilRecord,
    SchoolRecord,
    StaffFunction,
    StaffRecord,
)
from imports.tests.aaf.support import COMPLET, DELTA, FIXTURES, GUARDIAN_FIELDS, PUPIL_FIELDS, read


def test_complet_schools() -> None:
    records, reader = read(COMPLET / "ENT1D_Complet_20260901_EtabEducNat_0000.xml")
    assert reader.counts == {"add": 2, "modify": 0, "delete": 0, "dropped": 0}
    assert reader.problems == []
    fields = frozenset(
        {
            "uai",
            "siren",
            "name",
            "structure_type",
            "ministry",
            "sector",
            "circonscription",
            "commune",
            "rpi",
            "academie",
            "address",
            "po_box",
            "postal_code",
            "city",
            "phone",
            "fax",
            "email",
        }
    )
    assert records == [
        SchoolRecord(
            op=Op.ADD,
            key="1301001",
            line=5,
            present=fields,
            uai="0131234A",
            siren="21130001800015",
            name="ÉCOLE ÉLÉMENTAIRE LES PLATANES",
            structure_type="ECOLE ELEMENTAIRE PUBLIQUE",
            ministry="MINISTERE DE L'EDUCATION NATIONALE",
            sector="PU",
            circonscription="0133456K",
            commune="13001",
            rpi="",
            academie="AIX-MARSEILLE",
            address="12 rue de l'Église\nQuartier du Jas-de-Bouffan",
            po_box="",
            postal_code="13090",
            city="AIX-EN-PROVENCE",
            phone="04 42 00 00 01",
            fax="04 42 00 00 02",
            email="ce.0131234A@ac-aix-marseille.fr",
        ),
        SchoolRecord(  # written with the aliases ENTServAcAcademie and ENTStructureAdresse
            op=Op.ADD,
            key="1301002",
            line=29,
            present=fields,
            uai="0135678B",
            siren="21130001800015",
            name="ÉCOLE MATERNELLE SAINTE-VICTOIRE",
            structure_type="ECOLE MATERNELLE PUBLIQUE",
            ministry="MINISTERE DE L'EDUCATION NATIONALE",
            sector="PU",
            circonscription="0133456K",
            commune="13001",
            rpi="",
            academie="AIX-MARSEILLE",
            address="3 avenue des Écoles",
            po_box="BP 41",
            postal_code="13100",
            city="AIX-EN-PROVENCE",
            phone="04 42 00 00 03",
            fax="",
            email="ce.0135678B@ac-aix-marseille.fr",
        ),
    ]


def test_complet_staff() -> None:
    records, reader = read(COMPLET / "ENT1D_Complet_20260901_PersEducNat_0000.xml")
    assert reader.counts == {"add": 3, "modify": 0, "delete": 0, "dropped": 0}
    assert reader.problems == []
    director, teacher, assistant = records
    assert director == StaffRecord(
        op=Op.ADD,
        key="2001",
        line=5,
        present=director.present,
        birth_date=datetime.date(1975, 3, 14),
        birth_name="LEFÈVRE",
        last_name="GARÇON-LEFÈVRE",
        first_name="Hélène",
        other_first_names=("Hélène", "Marie-Thérèse"),
        civility="Mme",
        email="helene.garcon-lefevre@ac-aix-marseille.fr",
        school_keys=("1301001",),
        functions=(
            StaffFunction("1301001", "DIR", "DIRECTION", "", ""),
            StaffFunction("1301001", "ENS", "ENSEIGNEMENT", "E0001", "ENSEIGNANT DU PREMIER DEGRE"),
        ),
        directed_school_keys=("1301001",),
        specialities=(),
        is_teacher=True,
        classes=(ClassRef("1301001", "CM2-A", "CM2 A"),),
    )
    assert len(director.present) == 13
    assert (teacher.key, teacher.line, teacher.last_name, teacher.first_name) == (
        "2002",
        25,
        "N'DIAYE",
        "Jean-Baptiste",
    )
    assert teacher.specialities == ("LANGUE VIVANTE ANGLAIS", "FORMATEUR NUMERIQUE")
    assert teacher.directed_school_keys == ()
    assert teacher.classes == (
        ClassRef("1301001", "CE1-CE2B", "CE1-CE2 B"),
        ClassRef("1301001", "CP-A", "CP A"),
    )
    assert (assistant.key, assistant.is_teacher, assistant.school_keys) == (
        "2003",
        False,
        ("1301002",),
    )
    assert assistant.functions == (StaffFunction("1301002", "AED", "ASSISTANCE EDUCATIVE", "", ""),)
    assert assistant.classes == ()


def test_complet_guardians() -> None:
    records, reader = read(COMPLET / "ENT1D_Complet_20260901_PersRelEleve_0000.xml")
    assert reader.counts == {"add": 6, "modify": 0, "delete": 0, "dropped": 0}
    assert reader.problems == []  # ENTPersonDateNaissance is known and ignored for guardians
    assert [(r.key, r.line) for r in records] == [
        ("3001", 5),
        ("3002", 26),
        ("3003", 47),
        ("3004", 67),
        ("3005", 87),
        ("3006", 107),
    ]
    assert records[1] == GuardianRecord(
        op=Op.ADD,
        key="3002",
        line=26,
        present=GUARDIAN_FIELDS,
        birth_name="MARTIN",
        last_name="BENALI",
        first_name="Élodie",
        other_first_names=("Élodie", "Anaïs"),
        civility="Mme",
        address="5 place des Prêcheurs",
        postal_code="13100",
        city="AIX-EN-PROVENCE",
        country="FRANCE",
        home_phone="04 42 11 22 33",
        mobile_phone="07 55 66 77 88",
        work_phone="04 91 00 00 00",
        email="elodie.benali@example.org",
    )
    assert records[2].address == "Résidence Les Lauriers, bât. C\n18 avenue Jean-Jaurès"
    assert records[4].last_name == "AIDE SOCIALE À L'ENFANCE DES BOUCHES-DU-RHÔNE"
    assert (records[4].first_name, records[4].civility) == ("", "")
    # 3006 is written with the LDAP names sn, givenName, personalTitle, homePhone, ...
    assert records[5] == GuardianRecord(
        op=Op.ADD,
        key="3006",
        line=107,
        present=GUARDIAN_FIELDS,
        birth_name="LEROY",
        last_name="LEROY",
        first_name="Zoé",
        other_first_names=("Zoé",),
        civility="Mme",
        address="22 cours Mirabeau",
        postal_code="13100",
        city="AIX-EN-PROVENCE",
        country="FRANCE",
        home_phone="04 42 27 00 00",
        mobile_phone="",
        work_phone="04 42 27 11 11",
        email="zoe.leroy@example.org",
    )


def test_complet_pupils() -> None:
    records, reader = read(COMPLET / "ENT1D_Complet_20260901_Eleve_0000.xml")
    assert reader.counts == {"add": 5, "modify": 0, "delete": 0, "dropped": 0}
    assert reader.problems == []  # ENTEleveDateEntreeClasses, ...QualitePersRelEleve1: ignored
    assert [(r.key, r.line) for r in records] == [
        ("4001", 5),
        ("4002", 34),
        ("4003", 60),
        ("4004", 87),
        ("4005", 114),
    ]
    assert records[0] == PupilRecord(
        op=Op.ADD,
        key="4001",
        line=5,
        present=PUPIL_FIELDS,
        birth_date=datetime.date(2017, 11, 5),
        birth_name="BENALI",
        last_name="BENALI",
        first_name="Inès",
        other_first_names=("Inès", "Léa", "Marie"),
        civility="Mlle",
        school_keys=("1301001",),
        guardian_links=(
            GuardianLink("3001", "father", financial=True, legal=1, contact=True),
            GuardianLink("3002", "mother", financial=True, legal=2, contact=True),
        ),
        canteen=True,
        transport=False,
        morning_care=True,
        evening_care=False,
        supervised_study=None,
        level="CE2",
        cycle="2",
        class_type="MULTINIVEAU",
        classes=(ClassRef("1301001", "CE1-CE2B", "CE1-CE2 B"),),
        groups=(ClassRef("1301001", "ANG1", "Anglais groupe 1"),),
        ine="123456789AB",
    )


def test_header_only_file_is_valid_and_empty() -> None:
    records, reader = read(
        FIXTURES / "header_only_20260903" / "ENT1D_Complet_20260903_Eleve_0000.xml"
    )
    assert records == []
    assert reader.counts == {"add": 0, "modify": 0, "delete": 0, "dropped": 0}
    assert reader.problems == []
    assert (reader.kind, reader.mode) == (Kind.PUPIL, Mode.COMPLET)


def test_delta_pupils_add_modify_delete() -> None:
    records, reader = read(DELTA / "ENT1D_Delta_20260902_Eleve_0000.xml")
    assert reader.counts == {"add": 1, "modify": 2, "delete": 1, "dropped": 0}
    assert reader.problems == []
    added, renamed, moved, deleted = records
    assert (added.op, added.key, added.present, added.first_name) == (
        Op.ADD,
        "4006",
        PUPIL_FIELDS,
        "Noé",
    )
    assert added.guardian_links == (GuardianLink("3007", "tutor", True, 1, True),)
    # a modify that only replaces the name says so: the rest must not be blanked
    assert renamed == PupilRecord(
        op=Op.MODIFY,
        key="4001",
        line=32,
        present=frozenset({"last_name"}),
        last_name="BENALI-MARTIN",
    )
    assert moved == PupilRecord(
        op=Op.MODIFY,
        key="4002",
        line=39,
        present=frozenset({"canteen", "guardian_links", "classes", "groups"}),
        canteen=False,
        guardian_links=(GuardianLink("3002", "", False, 1, True),),
        classes=(ClassRef("1301001", "CE1-CE2B", "CE1-CE2 B"),),
        groups=(),
    )
    assert deleted == PupilRecord(op=Op.DELETE, key="4005", line=50, present=frozenset())


def test_delta_other_kinds() -> None:
    schools, _ = read(DELTA / "ENT1D_Delta_20260902_EtabEducNat_0000.xml")
    assert schools == [
        SchoolRecord(
            op=Op.MODIFY,
            key="1301002",
            line=5,
            present=frozenset({"phone"}),
            phone="04 42 00 00 09",
        )
    ]
    staff, _ = read(DELTA / "ENT1D_Delta_20260902_PersEducNat_0000.xml")
    assert staff == [StaffRecord(op=Op.DELETE, key="2003", line=5)]
    guardians, reader = read(DELTA / "ENT1D_Delta_20260902_PersRelEleve_0000.xml")
    assert reader.counts == {"add": 1, "modify": 1, "delete": 0, "dropped": 0}
    assert guardians[1] == GuardianRecord(
        op=Op.MODIFY,
        key="3002",
        line=25,
        present=frozenset({"address", "mobile_phone"}),
        address="Le Clos des Oliviers\n140 route de Galice",
        mobile_phone="07 12 34 56 78",
    )
