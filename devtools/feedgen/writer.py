"""XML output: the records of each kind streamed into numbered ``ficAlimMENESR`` parts."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .changes import Changes
from .world import CYCLE, SCHOOL_KINDS, Guardian, Pupil, School, Staff, World

KINDS = ("EtabEducNat", "PersEducNat", "PersRelEleve", "Eleve")

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
    "<ficAlimMENESR>\n"
    '<!-- versionAF="AAF-VE1301" -->\n'
)
_FOOTER = "</ficAlimMENESR>\n"


@dataclass(frozen=True)
class GeneratedFeed:
    files: tuple[
        Path, ...
    ]  # in processing order (schools, staff, guardians, pupils; parts in order)
    counts: dict[str, int]
    school_uais: tuple[str, ...]
    closed_school_uais: tuple[str, ...] = ()


Attrs = list[tuple[str, Sequence[str]]]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _values(values: Sequence[str]) -> str:
    return "".join(f"<value>{_escape(v)}</value>" if v else "<value/>" for v in values) or (
        "<value/>"
    )


def _school_attrs(school: School) -> Attrs:
    return [
        ("ENTStructureJointure", [school.key]),
        ("ENTStructureUAI", [school.uai]),
        ("ENTStructureSIREN", [school.siren]),
        ("ENTStructureNomCourant", [school.name]),
        ("ENTStructureTypeStruct", [SCHOOL_KINDS[school.kind][0]]),
        ("ENTEcoleMinistereTutelle", ["MINISTERE DE L'EDUCATION NATIONALE"]),
        ("ENTEcoleSecteur", ["PU"]),
        ("ENTEcoleCirconscription", [school.circonscription]),
        ("ENTEcoleCommune", ["AIX-EN-PROVENCE"]),
        ("ENTEcoleRPI", [""]),  # a town school belongs to no inter-commune grouping
        ("ENTSprAcademie", ["AIX-MARSEILLE"]),
        ("ENTPcAdresse", [school.address]),
        ("ENTStructureBoitePostale", [school.box]),
        ("ENTStructureCodePostal", [school.postal_code]),
        ("ENTStructureVille", ["AIX-EN-PROVENCE"]),
        ("ENTStructureTelephone", [school.phone]),
        ("ENTStructureFax", [school.fax]),
        ("ENTStructureEmail", [school.mail]),
    ]


def _staff_attrs(staff: Staff) -> Attrs:
    return [
        ("ENTPersonJointure", [staff.key]),
        ("ENTPersonDateNaissance", [staff.birth]),
        ("ENTPersonNomPatro", [staff.birth_name]),
        ("ENTPersonNom", [staff.last]),
        ("ENTPersonPrenom", [staff.first]),
        ("ENTPersonAutresPrenoms", staff.others),
        ("ENTPersonCivilite", [staff.civility]),
        ("ENTPersonMail", [staff.mail]),
        ("ENTPersonStructRattach", staff.schools),
        ("ENTPersonFonctions", staff.functions),
        ("ENTEnsFonctionDir", staff.directs),
        ("ENTEnsSpecialites", staff.specialities),
        ("ENTPersonClasses", [klass.value for klass in staff.classes]),
    ]


def _guardian_attrs(guardian: Guardian) -> Attrs:
    return [
        ("ENTPersonJointure", [guardian.key]),
        ("ENTPersonDateNaissance", [""]),  # ONDE does not send guardians' birth dates
        ("ENTPersonNomPatro", [guardian.birth_name]),
        ("ENTPersonNom", [guardian.last]),
        ("ENTPersonPrenom", [guardian.first]),
        ("ENTPersonAutresPrenoms", guardian.others),
        ("ENTPersonCivilite", [guardian.civility]),
        ("ENTPersonAdresse", [guardian.address]),
        ("ENTPersonCodePostal", [guardian.postal_code]),
        ("ENTPersonVille", [guardian.city]),
        ("ENTPersonPays", [guardian.country]),
        ("ENTPersonTelPerso", [guardian.phone]),
        ("ENTPersRelEleveTelMobile", [guardian.mobile]),
        ("ENTPersRelEleveTelPro", [guardian.work_phone]),
        ("ENTPersonMail", [guardian.mail]),
    ]


def _pupil_attrs(pupil: Pupil) -> Attrs:
    authority = sorted((link for link in pupil.links if link[3]), key=lambda link: link[3])
    canteen, transport, morning, evening, study = pupil.flags
    return [
        ("ENTPersonJointure", [pupil.key]),
        ("ENTPersonDateNaissance", [pupil.birth]),
        ("ENTPersonNomPatro", [pupil.birth_name]),
        ("ENTPersonNom", [pupil.last]),
        ("ENTPersonPrenom", [pupil.first]),
        ("ENTPersonAutresPrenoms", pupil.others),
        ("ENTPersonCivilite", [pupil.civility]),
        ("ENTPersonStructRattach", [pupil.school.key]),
        ("ENTEleveINE", [pupil.ine]),
        ("ENTEleveAutoriteParentale", [link[0] for link in authority]),
        ("ENTElevePersRelEleve", ["$".join(map(str, link)) for link in pupil.links]),
        ("ENTEleveRestaurantScolaire", [canteen]),
        ("ENTEleveTransport", [transport]),
        ("ENTEleveGarderieMatin", [morning]),
        ("ENTEleveGarderieSoir", [evening]),
        ("ENTEleveEtudesSurveillees", [study]),
        ("ENTEleveNiveau", [pupil.level]),
        ("ENTEleveCycle", [CYCLE.get(pupil.level, "3")]),
        ("ENTEleveTypeClasse", ["ORDINAIRE"]),
        ("ENTPersonClasses", [pupil.klass.value]),
        ("ENTPersonGroupes", [group.value for group in pupil.groups]),
    ]


# The older, LDAP-named shape of some attributes (``ldap_aliases``), per kind.
_PERSON_ALIASES = {"ENTPersonNom": "sn", "ENTPersonPrenom": "givenName",
                   "ENTPersonCivilite": "personalTitle"}  # fmt: skip
LDAP_ALIASES: dict[str, dict[str, str]] = {
    "EtabEducNat": {
        "ENTPcAdresse": "street",
        "ENTStructureBoitePostale": "postOfficeBox",
        "ENTStructureCodePostal": "postalCode",
        "ENTStructureVille": "l",
        "ENTStructureTelephone": "telephoneNumber",
        "ENTStructureFax": "facsimileTelephoneNumber",
        "ENTStructureEmail": "ENTStructureMailSI",
    },
    "PersEducNat": _PERSON_ALIASES,
    "PersRelEleve": {
        **_PERSON_ALIASES,
        "ENTPersonAdresse": "street",
        "ENTPersonCodePostal": "postalCode",
        "ENTPersonVille": "l",
        "ENTPersonTelPerso": "homePhone",
        "ENTPersRelEleveTelMobile": "mobile",
        "ENTPersRelEleveTelPro": "telephoneNumber",
        "ENTPersonMail": "mail",
    },
    "Eleve": _PERSON_ALIASES,
}


class _KindWriter:
    """Streams the records of one kind into numbered parts of at most ``max_records`` each."""

    def __init__(
        self, out_dir: Path, stem: str, kind: str, max_records: int, aliases: bool = False
    ) -> None:
        self.out_dir, self.stem, self.kind, self.max_records = out_dir, stem, kind, max_records
        self.aliases = LDAP_ALIASES[kind] if aliases else {}
        category = "categorieStructure" if kind == "EtabEducNat" else "categoriePersonne"
        self.operational = (
            f'<operationalAttributes><attr name="{category}"><value>{kind}</value></attr>'
            "</operationalAttributes>\n"
        )
        self.files: list[Path] = []
        self.handle: IO[str] | None = None
        self.in_part = 0
        self.records = 0
        self._open()

    def _open(self) -> None:
        if self.handle is not None:
            self.handle.write(_FOOTER)
            self.handle.close()
        path = self.out_dir / f"{self.stem}_{self.kind}_{len(self.files):04d}.xml"
        self.files.append(path)
        self.handle = path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)
        self.handle.write(_HEADER)
        self.in_part = 0

    def _write(self, text: str) -> None:
        if self.in_part >= self.max_records:
            self._open()
        assert self.handle is not None
        self.handle.write(text)
        self.in_part += 1
        self.records += 1

    def _head(self, request: str, key: str) -> str:
        return f"<{request}>\n{self.operational}<identifier><id>{key}</id></identifier>\n"

    def _named(self, attrs: Attrs) -> Attrs:
        if not self.aliases:
            return attrs
        return [(self.aliases.get(name, name), values) for name, values in attrs]

    def add(self, key: str, attrs: Attrs) -> None:
        body = "".join(
            f'<attr name="{name}">{_values(values)}</attr>\n' for name, values in self._named(attrs)
        )
        self._write(
            f"{self._head('addRequest', key)}<attributes>\n{body}</attributes>\n</addRequest>\n"
        )

    def modify(self, key: str, attrs: Attrs) -> None:
        body = "".join(
            f'<modification name="{name}" operation="replace">{_values(values)}</modification>\n'
            for name, values in self._named(attrs)
        )
        self._write(
            f"{self._head('modifyRequest', key)}<modifications>\n{body}</modifications>\n"
            "</modifyRequest>\n"
        )

    def delete(self, key: str) -> None:
        self._write(f"{self._head('deleteRequest', key)}</deleteRequest>\n")

    def close(self) -> list[Path]:
        assert self.handle is not None
        self.handle.write(_FOOTER)
        self.handle.close()
        self.handle = None
        return self.files


def write_set(
    world: World,
    out_dir: Path,
    *,
    date: datetime.date,
    max_records: int,
    changes: Changes | None,
    aliases: bool = False,
) -> GeneratedFeed:
    """Write a Complet (``changes`` is None) or a Delta set and return what was written."""
    if max_records < 1:
        raise ValueError("max_records_per_file must be at least 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"ENT1D_{'Complet' if changes is None else 'Delta'}_{date:%Y%m%d}"
    for stale in out_dir.glob(f"{stem}_*_[0-9][0-9][0-9][0-9].xml"):
        stale.unlink()  # parts left by an earlier, larger run of the same name
    counts = dict.fromkeys(
        ("schools", "staff", "guardians", "pupils", "classes", "groups", "links", "authorities"), 0
    )
    counts.update(adds=0, modifies=0, deletes=0)
    classes: set[str] = set()
    groups: set[str] = set()
    files: list[Path] = []
    kinds: tuple[tuple[str, str, Mapping[str, Any], Callable[[Any], Attrs]], ...] = (
        ("EtabEducNat", "schools", {school.key: school for school in world.schools}, _school_attrs),
        ("PersEducNat", "staff", world.staff, _staff_attrs),
        ("PersRelEleve", "guardians", world.guardians, _guardian_attrs),
        ("Eleve", "pupils", world.pupils, _pupil_attrs),
    )
    for kind, name, entities, attrs_of in kinds:
        writer = _KindWriter(out_dir, stem, kind, max_records, aliases)
        plan = [("adds", key) for key in entities]
        if changes is not None:
            plan = [("adds", key) for key in changes.added.get(name, {})]
            plan += [("modifies", key) for key in changes.modified.get(name, {})]
            plan += [("deletes", key) for key in changes.deleted.get(name, {})]
        for operation, key in plan:
            counts[operation] += 1
            if operation == "deletes":
                writer.delete(key)
                continue
            entity = entities[key]
            (writer.add if operation == "adds" else writer.modify)(key, attrs_of(entity))
            if isinstance(entity, Staff):
                classes.update(klass.value for klass in entity.classes)
            elif isinstance(entity, Pupil):
                classes.add(entity.klass.value)
                groups.update(group.value for group in entity.groups)
                counts["links"] += len(entity.links)
                counts["authorities"] += sum(1 for link in entity.links if link[3])
        counts[name] = writer.records
        files.extend(writer.close())
    counts["classes"], counts["groups"], counts["files"] = len(classes), len(groups), len(files)
    return GeneratedFeed(
        files=tuple(files),
        counts=counts,
        school_uais=tuple(school.uai for school in world.schools),
        closed_school_uais=world.closed,
    )
