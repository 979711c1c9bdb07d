"""Tests of the pure AAF 1D parser (no database)."""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import imports.aaf.reader as reader_module
from imports.aaf import (
    ClassRef,
    FeedFile,
    FeedFileError,
    FeedReader,
    GuardianLink,
    GuardianRecord,
    Kind,
    Mode,
    Op,
    Problem,
    PupilRecord,
    SchoolRecord,
    StaffFunction,
    StaffRecord,
    feed_file_from_name,
    read_feed,
)
from imports.aaf.stream import FeedStream
from imports.aaf.values import parse_bool, relation

FIXTURES = Path(__file__).parent / "fixtures" / "aaf"
COMPLET = FIXTURES / "complet_20260901"
DELTA = FIXTURES / "delta_20260902"
QUIRKS = FIXTURES / "quirks"
BAD = FIXTURES / "bad"

PUPIL_FIELDS = frozenset(
    {
        "birth_date",
        "birth_name",
        "last_name",
        "first_name",
        "other_first_names",
        "civility",
        "school_keys",
        "guardian_links",
        "canteen",
        "transport",
        "morning_care",
        "evening_care",
        "supervised_study",
        "level",
        "cycle",
        "class_type",
        "classes",
        "groups",
        "ine",
    }
)
GUARDIAN_FIELDS = frozenset(
    {
        "birth_name",
        "last_name",
        "first_name",
        "other_first_names",
        "civility",
        "address",
        "postal_code",
        "city",
        "country",
        "home_phone",
        "mobile_phone",
        "work_phone",
        "email",
    }
)
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
    "<ficAlimMENESR>\n"
)


def read(path: Path, kind: Kind | None = None) -> tuple[list[Any], FeedReader]:
    reader = FeedReader(path, kind=kind)
    return list(reader), reader


def file_error(path: Path, kind: Kind | None = None, yields: int = 0) -> FeedFileError:
    """The FeedFileError of a file, checking how many records were yielded before it."""
    reader = FeedReader(path, kind=kind)
    yielded: list[Any] = []
    with pytest.raises(FeedFileError) as caught:
        yielded.extend(reader)
    assert len(yielded) == yields
    return caught.value


def pupil_xml(key: str, extra: str = "") -> str:
    return (
        "<addRequest>\n"
        '<operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr>'
        "</operationalAttributes>\n"
        f"<identifier><id>{key}</id></identifier>\n"
        "<attributes>\n"
        f'<attr name="ENTPersonJointure"><value>{key}</value></attr>\n'
        f'<attr name="ENTPersonNom"><value>NOM{key}</value></attr>\n'
        f"{extra}"
        f'<attr name="ENTPersonPrenom"><value>P{key}</value></attr></attributes>\n'
        "</addRequest>\n"
    )


# -- file names ----------------------------------------------------------------------------


def test_feed_file_from_name_complet_and_delta() -> None:
    assert feed_file_from_name("ENT1D_Complet_20170522_Eleve_0000.xml") == FeedFile(
        name="ENT1D_Complet_20170522_Eleve_0000.xml",
        kind=Kind.PUPIL,
        mode=Mode.COMPLET,
        date=datetime.date(2017, 5, 22),
        part=0,
    )
    assert feed_file_from_name("/sftp/in/ENT1D_Delta_20260902_PersRelEleve_0003.xml") == FeedFile(
        name="ENT1D_Delta_20260902_PersRelEleve_0003.xml",
        kind=Kind.GUARDIAN,
        mode=Mode.DELTA,
        date=datetime.date(2026, 9, 2),
        part=3,
    )


@pytest.mark.parametrize(
    "name",
    [
        "ENT1D_Complet_20171399_Eleve_0000.xml",  # no such date
        "ENT1D_Partiel_20170522_Eleve_0000.xml",
        "ENT1D_Complet_20170522_Eleves_0000.xml",
        "ENT2D_Complet_20170522_Eleve_0000.xml",
        "ENT1D_Complet_20170522_Eleve_0000.xml.gz",
        "ENT1D_Complet_20170522_Eleve_00.xml",
        "",
    ],
)
def test_feed_file_from_name_rejects(name: str) -> None:
    assert feed_file_from_name(name) is None


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


# -- the Complet set -------------------------------------------------------------------------


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


def test_header_only_file_is_valid_and_empty() -> None:
    records, reader = read(
        FIXTURES / "header_only_20260903" / "ENT1D_Complet_20260903_Eleve_0000.xml"
    )
    assert records == []
    assert reader.counts == {"add": 0, "modify": 0, "delete": 0, "dropped": 0}
    assert reader.problems == []
    assert (reader.kind, reader.mode) == (Kind.PUPIL, Mode.COMPLET)


# -- the Delta set ---------------------------------------------------------------------------


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


# -- quirks ----------------------------------------------------------------------------------


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


# -- hostile and broken files --------------------------------------------------------------


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


# -- record-level problems -----------------------------------------------------------------


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


# -- value converters ------------------------------------------------------------------------


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


# -- streaming -------------------------------------------------------------------------------


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
