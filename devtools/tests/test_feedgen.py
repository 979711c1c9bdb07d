"""The synthetic AAF 1D feed generator: counts, determinism, references and realism."""

import dataclasses
import datetime
import hashlib
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from devtools.feedgen import (
    GeneratedFeed,
    GenOptions,
    generate_complet,
    generate_delta,
    generate_next_complet,
)

TINY = GenOptions(schools=3, pupils_per_school=20, seed=7)
HEADER = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
    b"<ficAlimMENESR>\n"
    b'<!-- versionAF="AAF-VE1301" -->\n'
)
LEVEL_AGE = {"TPS": 2, "PS": 3, "MS": 4, "GS": 5, "CP": 6, "CE1": 7, "CE2": 8, "CM1": 9, "CM2": 10}


@dataclass
class Record:
    operation: str
    category: str
    key: str
    attrs: dict[str, list[str]]

    def one(self, name: str) -> str:
        (value,) = self.attrs[name]
        return value


def parse(paths: tuple[Path, ...]) -> dict[str, list[Record]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    records: dict[str, list[Record]] = defaultdict(list)
    for path in paths:
        root = etree.parse(str(path), parser).getroot()
        assert root.tag == "ficAlimMENESR"
        for element in root:
            if not isinstance(element.tag, str):
                continue  # the versionAF comment
            (category,) = element.xpath("operationalAttributes/attr/value/text()")
            (key,) = element.xpath("identifier/id/text()")
            attrs = {
                attr.get("name"): [value.text or "" for value in attr.findall("value")]
                for attr in element.xpath("attributes/attr | modifications/modification")
            }
            records[category].append(Record(element.tag, category, key, attrs))
    return records


def values(record: Record, name: str) -> list[str]:
    return [value for value in record.attrs[name] if value]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedFeed, dict[str, list[Record]]]:
    feed = generate_complet(tmp_path_factory.mktemp("complet"), TINY)
    return feed, parse(feed.files)


def test_complet_counts_match_the_parsed_xml(tiny):
    feed, records = tiny
    pupils, staff = records["Eleve"], records["PersEducNat"]
    classes = {v for r in pupils + staff for v in values(r, "ENTPersonClasses")}
    assert feed.counts["schools"] == len(records["EtabEducNat"]) == 3
    assert feed.counts["pupils"] == len(pupils) == 60
    # 20 pupils a school make one (multi-level) class, taught by the director.
    assert feed.counts["classes"] == len(classes) == 3
    assert feed.counts["staff"] == len(staff) == 3
    assert feed.counts["guardians"] == len(records["PersRelEleve"])
    assert feed.counts["links"] == sum(len(r.attrs["ENTElevePersRelEleve"]) for r in pupils)
    assert feed.counts["authorities"] == sum(
        len(values(r, "ENTEleveAutoriteParentale")) for r in pupils
    )
    assert feed.counts["groups"] == len({v for r in pupils for v in values(r, "ENTPersonGroupes")})
    assert feed.counts["adds"] == sum(len(kind) for kind in records.values())
    assert (feed.counts["modifies"], feed.counts["deletes"], feed.counts["files"]) == (0, 0, 4)
    assert {r.operation for kind in records.values() for r in kind} == {"addRequest"}
    assert feed.school_uais == tuple(r.one("ENTStructureUAI") for r in records["EtabEducNat"])
    # Schools 0 and 1 hold the scripted cases and stay open; round(3 * 0.25) = 1 closed.
    assert feed.closed_school_uais == (feed.school_uais[2],)


def test_envelope_file_names_and_keys(tiny):
    feed, records = tiny
    assert [path.name for path in feed.files] == [
        "ENT1D_Complet_20260901_EtabEducNat_0000.xml",
        "ENT1D_Complet_20260901_PersEducNat_0000.xml",
        "ENT1D_Complet_20260901_PersRelEleve_0000.xml",
        "ENT1D_Complet_20260901_Eleve_0000.xml",
    ]
    for path in feed.files:
        data = path.read_bytes()
        assert data.startswith(HEADER)
        assert data.endswith(b"</ficAlimMENESR>\n")
    operational = {
        kind: {r.category for r in rows} for kind, rows in records.items()
    }  # the category names the kind of every record
    assert operational == {k: {k} for k in ("EtabEducNat", "PersEducNat", "PersRelEleve", "Eleve")}
    school = records["EtabEducNat"][0]
    assert school.key == school.one("ENTStructureJointure")
    keys = [school.key for school in records["EtabEducNat"]]
    for kind in ("PersEducNat", "PersRelEleve", "Eleve"):
        for record in records[kind]:
            assert record.key == record.one("ENTPersonJointure")
            keys.append(record.key)
    assert all(key.isdigit() for key in keys)
    assert len(keys) == len(set(keys))  # unique across all kinds
    first = feed.files[0].read_text(encoding="utf-8")
    assert '<attr name="categorieStructure"><value>EtabEducNat</value></attr>' in first


def test_same_options_give_byte_identical_files(tmp_path):
    def digests(feed: GeneratedFeed) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in feed.files}

    first = generate_complet(tmp_path / "a", TINY)
    second = generate_complet(tmp_path / "b", TINY)
    other = generate_complet(tmp_path / "c", GenOptions(schools=3, pupils_per_school=20, seed=8))
    assert digests(first) == digests(second)
    assert first.counts == second.counts
    assert (
        digests(first)["ENT1D_Complet_20260901_Eleve_0000.xml"]
        != (digests(other)["ENT1D_Complet_20260901_Eleve_0000.xml"])
    )
    # The closed-school ratio is informative only: it does not change the files.
    ratio = generate_complet(tmp_path / "d", dataclasses.replace(TINY, closed_school_ratio=0))
    assert digests(ratio) == digests(first)
    assert ratio.closed_school_uais == ()


def test_references_resolve(tiny):
    _feed, records = tiny
    schools = {r.key for r in records["EtabEducNat"]}
    related = {r.key for r in records["PersRelEleve"]}
    for pupil in records["Eleve"]:
        links = [value.split("$") for value in pupil.attrs["ENTElevePersRelEleve"]]
        authority = values(pupil, "ENTEleveAutoriteParentale")
        assert authority and set(authority) <= related
        assert all(len(link) == 6 and link[0] in related for link in links)
        assert authority == [
            k for k, _r, _f, legal, _c, _p in sorted(links, key=lambda x: x[3]) if legal != "0"
        ]
        assert values(pupil, "ENTPersonStructRattach")[0] in schools
        for value in values(pupil, "ENTPersonClasses") + values(pupil, "ENTPersonGroupes"):
            parts = value.split("$")
            assert len(parts) == 5 and parts[0] in schools and parts[3] and parts[4]
            assert parts[0] == pupil.one("ENTPersonStructRattach")
    used = {
        link.split("$")[0] for p in records["Eleve"] for link in p.attrs["ENTElevePersRelEleve"]
    }
    assert used == related  # nobody in PersRelEleve is unrelated to a pupil
    directors = Counter()
    for person in records["PersEducNat"]:
        for value in values(person, "ENTPersonFonctions") + values(person, "ENTPersonClasses"):
            parts = value.split("$")
            assert len(parts) == 5 and parts[0] in schools
        if values(person, "ENTEnsFonctionDir"):
            school = person.one("ENTEnsFonctionDir")
            assert f"{school}$DIR$DIRECTION$-$-" in person.attrs["ENTPersonFonctions"]
            directors[school] += 1
    assert directors == dict.fromkeys(schools, 1)


def test_every_realism_case_is_present(tiny):
    _feed, records = tiny
    guardians = {r.key: r for r in records["PersRelEleve"]}
    pupils = records["Eleve"]
    schools_of: dict[str, set[str]] = defaultdict(set)
    children_of: Counter[str] = Counter()
    legal_of: dict[str, list[str]] = {}
    no_authority, contacts = set(), set()
    for pupil in pupils:
        links = [value.split("$") for value in pupil.attrs["ENTElevePersRelEleve"]]
        legal_of[pupil.key] = [key for key, _r, _f, legal, _c, _p in links if legal != "0"]
        for key, relation, _f, legal, contact, _p in links:
            schools_of[key].add(pupil.one("ENTPersonStructRattach"))
            children_of[key] += 1
            if legal == "0" and contact == "0" and relation in {"1", "2"}:
                no_authority.add(key)
                assert key not in pupil.attrs["ENTEleveAutoriteParentale"]
            if legal == "0" and contact == "1" and relation in {"4", "6"}:
                contacts.add(key)
    assert any(len(schools) >= 2 for schools in schools_of.values())  # siblings in two schools
    assert no_authority and contacts
    assert min(children_of.values()) == 1 and max(children_of.values()) == 4
    names = Counter((p.one("ENTPersonPrenom"), p.one("ENTPersonNom")) for p in pupils)
    assert max(names.values()) >= 2  # homonym pupils
    adults = Counter((g.one("ENTPersonPrenom"), g.one("ENTPersonNom")) for g in guardians.values())
    assert max(adults.values()) >= 2  # homonym guardians
    # Separated parents: two legal guardians of one child at two addresses.
    assert any(
        len(keys) == 2
        and guardians[keys[0]].one("ENTPersonAdresse") != guardians[keys[1]].one("ENTPersonAdresse")
        for keys in legal_of.values()
    )
    without_mail = [g for g in guardians.values() if not values(g, "ENTPersonMail")]
    assert 0.1 < len(without_mail) / len(guardians) < 0.5
    text = "".join(
        p.one("ENTPersonPrenom") + p.one("ENTPersonNom")
        for p in [*pupils, *guardians.values(), *records["PersEducNat"]]
    )
    assert re.search(r"[éèëêïîôüçÉ]", text) and "'" in text and "-" in text
    class_names = {v.split("$")[4] for p in pupils for v in values(p, "ENTPersonClasses")}
    assert any("-" in name for name in class_names)  # multi-level classes


def test_field_formats(tiny):
    _feed, records = tiny
    types = {r.one("ENTStructureTypeStruct") for r in records["EtabEducNat"]}
    assert types == {
        "ECOLE ELEMENTAIRE PUBLIQUE",
        "ECOLE MATERNELLE PUBLIQUE",
        "ECOLE PRIMAIRE PUBLIQUE",
    }
    for school in records["EtabEducNat"]:
        assert re.fullmatch(r"0\d{6}[A-Z]", school.one("ENTStructureUAI"))
        assert school.one("ENTStructureCodePostal") in {"13080", "13090", "13100", "13290", "13540"}
        assert school.one("ENTEcoleCommune") == school.one("ENTStructureVille") == "AIX-EN-PROVENCE"
        assert school.one("ENTSprAcademie") == "AIX-MARSEILLE"
    for guardian in records["PersRelEleve"]:
        assert guardian.one("ENTPersonCivilite") in {"M.", "Mme", ""}
        for name in ("ENTPersonTelPerso", "ENTPersRelEleveTelMobile", "ENTPersRelEleveTelPro"):
            assert re.fullmatch(r"(0[1-9]\d{8})?", guardian.one(name))
        assert re.fullmatch(r"([a-z0-9.-]+@example\.(fr|com))?", guardian.one("ENTPersonMail"))
        assert guardian.one("ENTPersonAdresse") and guardian.one("ENTPersonVille")
    year = TINY.date.year
    for pupil in records["Eleve"]:
        level = pupil.one("ENTEleveNiveau")
        born = datetime.datetime.strptime(pupil.one("ENTPersonDateNaissance"), "%d/%m/%Y")
        assert year - born.year - LEVEL_AGE[level] in {0, 1}
        cycle = {"TPS": "1", "PS": "1", "MS": "1", "GS": "1", "CM1": "3", "CM2": "3"}
        assert pupil.one("ENTEleveCycle") == cycle.get(level, "2")
        assert level in values(pupil, "ENTPersonClasses")[0].split("$")[4].split(" ")[0].split("-")
        assert re.fullmatch(r"\d{10}[A-Z]", pupil.one("ENTEleveINE"))
        assert pupil.one("ENTPersonCivilite") in {"M.", "Mme"}
        for name in (
            "ENTEleveRestaurantScolaire",
            "ENTEleveTransport",
            "ENTEleveGarderieMatin",
            "ENTEleveGarderieSoir",
            "ENTEleveEtudesSurveillees",
        ):
            assert pupil.one(name) in {"O", "N"}
        assert pupil.one("ENTEleveTypeClasse")


def test_delta_adds_modifies_and_deletes_known_people(tmp_path, tiny):
    previous_feed, previous = tiny
    previous_dir = previous_feed.files[0].parent
    feed = generate_delta(
        previous_dir, tmp_path, change_rate=0.1, seed=3, date=datetime.date(2026, 9, 2)
    )
    assert [path.name for path in feed.files] == [
        f"ENT1D_Delta_20260902_{kind}_0000.xml"
        for kind in ("EtabEducNat", "PersEducNat", "PersRelEleve", "Eleve")
    ]
    records = parse(feed.files)
    operations = Counter(r.operation for kind in records.values() for r in kind)
    assert operations["addRequest"] == feed.counts["adds"] > 0
    assert operations["modifyRequest"] == feed.counts["modifies"] > 0
    assert operations["deleteRequest"] == feed.counts["deletes"] > 0
    for kind, name in (
        ("Eleve", "pupils"),
        ("PersRelEleve", "guardians"),
        ("PersEducNat", "staff"),
    ):
        assert feed.counts[name] == len(records[kind])
    known = {r.key for kind in previous.values() for r in kind}
    added_guardians = set()
    for kind in records.values():
        for record in kind:
            if record.operation == "addRequest":
                assert record.key not in known
                added_guardians.add(record.key)
            else:
                assert record.key in known
            if record.operation == "deleteRequest":
                assert record.attrs == {}
            if record.operation == "modifyRequest":
                assert record.one("ENTPersonJointure") == record.key
                # The whole attribute list is repeated, in the order of an addRequest.
                assert list(record.attrs) == list(previous[record.category][0].attrs)
    text = feed.files[3].read_text(encoding="utf-8") + feed.files[2].read_text(encoding="utf-8")
    assert text.count("<modification ") == text.count('operation="replace"')
    deleted = {r.key for kind in records.values() for r in kind if r.operation == "deleteRequest"}
    for pupil in records["Eleve"]:
        if pupil.operation != "deleteRequest":
            for key in values(pupil, "ENTEleveAutoriteParentale"):
                assert key in (known | added_guardians) - deleted
    assert sum(feed.counts[k] for k in ("pupils", "guardians", "staff")) == sum(operations.values())


def test_next_complet_applies_the_same_changes_and_deltas_chain(tmp_path, tiny):
    previous_feed, previous = tiny
    previous_dir = previous_feed.files[0].parent
    args = {"change_rate": 0.1, "seed": 3, "date": datetime.date(2026, 9, 2)}
    delta = parse(generate_delta(previous_dir, tmp_path / "delta", **args).files)
    complet = parse(generate_next_complet(previous_dir, tmp_path / "complet", **args).files)
    for kind in ("Eleve", "PersRelEleve", "PersEducNat"):
        before = {r.key for r in previous[kind]}
        added = {r.key for r in delta[kind] if r.operation == "addRequest"}
        gone = {r.key for r in delta[kind] if r.operation == "deleteRequest"}
        assert {r.key for r in complet[kind]} == (before - gone) | added
    renamed = {r.key: r.one("ENTPersonNom") for r in delta["PersRelEleve"] if r.attrs}
    after = {r.key: r.one("ENTPersonNom") for r in complet["PersRelEleve"]}
    assert all(after[key] == name for key, name in renamed.items())
    # A delta of a delta replays both steps: deleting only people that still exist.
    second = generate_delta(
        tmp_path / "delta",
        tmp_path / "delta2",
        change_rate=0.1,
        seed=4,
        date=datetime.date(2026, 9, 3),
    )
    alive = {r.key for kind in complet.values() for r in kind}
    for kind in parse(second.files).values():
        for record in kind:
            assert (record.key in alive) == (record.operation != "addRequest")


def test_large_kinds_are_split_into_parts(tmp_path):
    options = GenOptions(schools=3, pupils_per_school=20, seed=7, max_records_per_file=7)
    feed = generate_complet(tmp_path, options)
    parts = [p.name for p in feed.files if "_Eleve_" in p.name]
    assert parts == [f"ENT1D_Complet_20260901_Eleve_{n:04d}.xml" for n in range(math.ceil(60 / 7))]
    for path in feed.files:
        assert path.read_bytes().startswith(HEADER)
        assert len(parse((path,))) <= 1
        assert sum(len(rows) for rows in parse((path,)).values()) <= 7
    records = parse(feed.files)
    assert len(records["Eleve"]) == feed.counts["pupils"] == 60
    assert len(records["PersRelEleve"]) == feed.counts["guardians"]
    assert (
        feed.counts["files"]
        == len(feed.files)
        == sum(math.ceil(n / 7) for n in (3, 3, feed.counts["guardians"], 60))
    )
