"""Small AAF 1D files written by tests: requests, files and whole sets of a few persons."""

from __future__ import annotations

import datetime
from pathlib import Path

from imports.aaf import Kind

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
    "<ficAlimMENESR>\n"
)
FOOTER = "</ficAlimMENESR>\n"
_CATEGORY = {Kind.SCHOOL: "categorieStructure"}
_JOIN = {Kind.SCHOOL: "ENTStructureJointure"}


def attrs(pairs: list[tuple[str, str | list[str]]], tag: str = "attr") -> str:
    """``<attr name=…><value>…</value></attr>`` lines; a list gives several values."""
    out = []
    for name, values in pairs:
        values = [values] if isinstance(values, str) else values
        inner = "".join(f"<value>{v}</value>" if v else "<value/>" for v in values)
        extra = ' operation="replace"' if tag == "modification" else ""
        out.append(f'<{tag} name="{name}"{extra}>{inner}</{tag}>\n')
    return "".join(out)


def add(kind: Kind, key: str, pairs: list[tuple[str, str | list[str]]]) -> str:
    category = _CATEGORY.get(kind, "categoriePersonne")
    join = _JOIN.get(kind, "ENTPersonJointure")
    return (
        "<addRequest>\n"
        f'<operationalAttributes><attr name="{category}"><value>{kind.value}</value></attr>'
        "</operationalAttributes>\n"
        f"<identifier><id>{key}</id></identifier>\n"
        f"<attributes>\n{attrs([(join, key), *pairs])}</attributes>\n"
        "</addRequest>\n"
    )


def modify(kind: Kind, key: str, pairs: list[tuple[str, str | list[str]]]) -> str:
    category = _CATEGORY.get(kind, "categoriePersonne")
    return (
        "<modifyRequest>\n"
        f'<operationalAttributes><attr name="{category}"><value>{kind.value}</value></attr>'
        "</operationalAttributes>\n"
        f"<identifier><id>{key}</id></identifier>\n"
        f"<modifications>\n{attrs(pairs, 'modification')}</modifications>\n"
        "</modifyRequest>\n"
    )


def delete(kind: Kind, key: str) -> str:
    category = _CATEGORY.get(kind, "categoriePersonne")
    return (
        "<deleteRequest>\n"
        f'<operationalAttributes><attr name="{category}"><value>{kind.value}</value></attr>'
        "</operationalAttributes>\n"
        f"<identifier><id>{key}</id></identifier>\n"
        "</deleteRequest>\n"
    )


def write(
    tmp_path: Path,
    kind: Kind,
    *requests: str,
    mode: str = "Complet",
    date: datetime.date = datetime.date(2026, 9, 1),
    part: int = 0,
) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"ENT1D_{mode}_{date:%Y%m%d}_{kind.value}_{part:04d}.xml"
    path.write_text(HEADER + "".join(requests) + FOOTER, encoding="utf-8")
    return path


# -- a small city: two schools, four pupils, three guardians, two teachers --------------------

SCHOOLS = {"S1": "0130001A", "S2": "0130002B"}
PUPILS = {"P1": ("S1", "G1"), "P2": ("S1", "G2"), "P3": ("S2", "G3"), "P4": ("S2", "G3")}
GUARDIANS = ("G1", "G2", "G3")
STAFF = {"T1": "S1", "T2": "S2"}


def school(key: str) -> str:
    return add(
        Kind.SCHOOL,
        key,
        [
            ("ENTStructureUAI", SCHOOLS[key]),
            ("ENTStructureNomCourant", f"ECOLE {key}"),
            ("ENTStructureTypeStruct", "ECOLE ELEMENTAIRE PUBLIQUE"),
        ],
    )


def pupil(key: str, *, last: str | None = None) -> str:
    return add(Kind.PUPIL, key, pupil_pairs(key, last=last))


def pupil_pairs(key: str, *, last: str | None = None) -> list[tuple[str, str | list[str]]]:
    school_key, guardian = PUPILS.get(key, ("S1", "G1"))
    return [
        ("ENTPersonNom", last or f"NOM{key}"),
        ("ENTPersonPrenom", f"Prenom{key}"),
        ("ENTPersonDateNaissance", "01/02/2018"),
        ("ENTPersonStructRattach", school_key),
        ("ENTEleveAutoriteParentale", guardian),
        ("ENTPersonClasses", f"{school_key}$x$y$CPA$CP A"),
    ]


def guardian(key: str) -> str:
    return add(Kind.GUARDIAN, key, guardian_pairs(key))


def guardian_pairs(key: str) -> list[tuple[str, str | list[str]]]:
    return [("ENTPersonNom", f"NOM{key}"), ("ENTPersonPrenom", f"Prenom{key}")]


def staff(key: str) -> str:
    return add(Kind.STAFF, key, staff_pairs(key))


def staff_pairs(key: str) -> list[tuple[str, str | list[str]]]:
    school_key = STAFF[key]
    return [
        ("ENTPersonNom", f"NOM{key}"),
        ("ENTPersonPrenom", f"Prenom{key}"),
        ("ENTPersonStructRattach", school_key),
        ("ENTPersonFonctions", f"{school_key}$ENS$ENSEIGNEMENT$-$-"),
    ]


def city_complet(
    folder: Path, date: datetime.date, *, kinds: frozenset[Kind] = frozenset(Kind), pupils=None
) -> Path:
    """The small city's Complet of ``date`` (only ``kinds``; ``pupils`` keys, default all)."""
    folder.mkdir(parents=True, exist_ok=True)
    requests = {
        Kind.SCHOOL: [school(key) for key in SCHOOLS],
        Kind.PUPIL: [pupil(key) for key in (PUPILS if pupils is None else pupils)],
        Kind.GUARDIAN: [guardian(key) for key in GUARDIANS],
        Kind.STAFF: [staff(key) for key in STAFF],
    }
    for kind in kinds:
        write(folder, kind, *requests[kind], date=date)
    return folder
