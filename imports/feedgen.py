"""Synthetic AAF 1D feeds for Aix-en-Provence primary schools (pure Python, no Django).

Writes Complet and Delta file sets in the Ministry's ``ficAlimMENESR`` format (see
``docs/AAF1D.md``) for tests, demos and benchmarks. Output is deterministic: the same options give
byte-identical files. Records are streamed to disk as they are produced, so an académie-scale feed
(400 schools, 100k pupils) needs little memory beyond the in-memory model of the people.

A Delta does not parse the previous XML: the previous directory holds ``.feedgen-state.json``, the
recipe of that set (options plus the steps applied since), which is replayed to rebuild the same
world before the new changes are drawn. The sidecar stays a few hundred bytes at any size.

Command line (from the project root)::

    python -m imports.feedgen OUT --schools 400 --pupils-per-school 250 --seed 1
    python -m imports.feedgen OUT2 --delta-from OUT --change-rate 0.02 --date 2026-09-02
    python -m imports.feedgen OUT3 --delta-from OUT --complet --date 2026-09-02
"""

from __future__ import annotations

import datetime
import json
import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

GENERATOR_VERSION = 1
STATE_FILE = ".feedgen-state.json"
# Processing order of the kinds: schools -> staff -> guardians -> pupils.
KINDS = ("EtabEducNat", "PersEducNat", "PersRelEleve", "Eleve")

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
    "<ficAlimMENESR>\n"
    '<!-- versionAF="AAF-VE1301" -->\n'
)
_FOOTER = "</ficAlimMENESR>\n"


@dataclass(frozen=True)
class GenOptions:
    schools: int = 12
    pupils_per_school: int = 150
    seed: int = 1
    date: datetime.date = datetime.date(2026, 9, 1)
    # Informative only: every school is written; ``GeneratedFeed.closed_school_uais`` names the
    # ones a test may treat as "ENT not open" (the importer decides openness).
    closed_school_ratio: float = 0.25
    max_records_per_file: int = 100_000
    # The older shape: names, a school's and a guardian's contact under their LDAP names.
    ldap_aliases: bool = False


@dataclass(frozen=True)
class GeneratedFeed:
    files: tuple[
        Path, ...
    ]  # in processing order (schools, staff, guardians, pupils; parts in order)
    counts: dict[str, int]
    school_uais: tuple[str, ...]
    closed_school_uais: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Embedded reference data (no Faker: fixed lists keep the output stable across versions).


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


_BOYS = _names(
    "Lucas, Gabriel, Léo, Raphaël, Louis, Arthur, Jules, Adam, Maël, Noé, Hugo, Théo, Nathan, "
    "Mathéo, Timothée, Sacha, Éthan, Aaron, Côme, Noah, Mohamed, Ayoub, Jean-Baptiste, "
    "Pierre-Louis, Yanis, Ibrahim, Amadou, Mattéo, Évan, Loïc, Gaëtan, Benoît, Anatole, Joachim, "
    "Baptiste, Clément, Gaspard, Élie, Ilyès, Rayan, Marius, Paul, Victor, Tom, Axel, Valentin"
)
_GIRLS = _names(
    "Jade, Louise, Emma, Alice, Ambre, Lina, Rose, Chloé, Léa, Mila, Anna, Inès, Julia, Zoé, Léna, "
    "Élodie, Agathe, Célia, Maëlys, Héloïse, Anaïs, Noémie, Aïcha, Fatoumata, Marie-Lou, "
    "Anne-Sophie, Salomé, Clémence, Éléonore, Océane, Maïwenn, Yasmine, Margaux, Lou, Capucine, "
    "Romane, Nour, Manon, Camille, Juliette, Apolline, Sarah, Kenza, Thaïs, Bérénice, Joséphine"
)
_MEN = _names(
    "Jean, Pierre, Nicolas, Sébastien, Julien, Stéphane, Frédéric, Jérôme, Mickaël, Karim, Mehdi, "
    "Jean-François, Jean-Marc, François-Xavier, Grégory, Cédric, Hervé, Éric, Rémi, Thierry, "
    "Olivier, Mamadou, Kévin, Aurélien, Guillaume, Benoît, Arnaud, Yannick, Laurent, Christophe, "
    "Rachid, Loïc, José, Antoine, Mathieu, Jean-Luc, Raphaël, Ludovic, Joël, Régis"
)
_WOMEN = _names(
    "Marie, Nathalie, Isabelle, Sandrine, Céline, Aurélie, Émilie, Stéphanie, Hélène, Anne-Laure, "
    "Marie-Claire, Élise, Sophie, Nadia, Fatima, Laëtitia, Mélanie, Séverine, Valérie, Géraldine, "
    "Bérénice, Mégane, Karine, Virginie, Claire, Amélie, Delphine, Julie, Caroline, Samia, Leïla, "
    "Anne, Marie-Hélène, Gaëlle, Cécile, Agnès, Ophélie, Pauline, Noëlle, Aïssatou"
)
_SURNAMES = _names(
    "MARTIN, BERNARD, DUBOIS, THOMAS, ROBERT, RICHARD, PETIT, DURAND, LEROY, MOREAU, SIMON, "
    "LAURENT, LEFÈVRE, LEFEBVRE, MICHEL, GARCIA, DAVID, BERTRAND, ROUX, VINCENT, FOURNIER, MOREL, "
    "GIRARD, ANDRÉ, MERCIER, DUPONT, LAMBERT, BONNET, FRANÇOIS, MARTINEZ, LEGRAND, GARNIER, FAURE, "
    "ROUSSEAU, BLANC, GUÉRIN, MÜLLER, HENRY, ROUSSEL, PERRIN, MORIN, MATHIEU, CLÉMENT, GAUTHIER, "
    "DUMONT, LOPEZ, FONTAINE, CHEVALIER, ROBIN, N'DIAYE, D'ANGELO, DIALLO, BENALI, HADDAD, NGUYEN, "
    "DA SILVA, DOS SANTOS, PEREIRA, FERREIRA, MEUNIER, CHAUVIN, D'ALMEIDA, LE GALL, LE BRIS, "
    "GIMÉNEZ, SANCHEZ, ESPOSITO, ROSSI, AUBERT, BLANCHARD, PASCAL, OLLIVIER, AUDIBERT, BARTHÉLEMY, "
    "FABRE, ARNAUD, GIRAUD, MOURIER, SAINT-MARTIN, LEBRUN-DUVAL, NOËL, HÉBERT, BOYER, REYNAUD, "
    "ESCOFFIER, CHABERT, TRAORÉ, BEN SAÏD, O'NEILL, DE LA ROCHE, COLOMBANI, AMRANI, KOUASSI, TRAN"
)
_SCHOOL_NAMES = _names(
    "JULES FERRY, LES FLORALIES, PAUL ARÈNE, LA MOSAÏQUE, LES AMANDIERS, VAL SAINT-ANDRÉ, "
    "JOSEPH D'ARBAUD, MARIE CURIE, FRÉDÉRIC MISTRAL, LES ÉCUREUILS, PAUL CÉZANNE, VICTOR HUGO, "
    "LES CIGALES, LA CALADE, SAINTE-VICTOIRE, LES LAVANDES, JEAN MOULIN, LES OLIVIERS, "
    "PONT DE L'ARC, LA TORSE, CÉLONY, JAS DE BOUFFAN, ENCAGNANE, CORSY, BEAUVALLE, LES ROCHES, "
    "SAINT-JOHN PERSE, MARCEL PAGNOL, GEORGE SAND, LOUISE MICHEL, LES PINS, L'ARBOIS, MAZARIN"
)
# Postal codes of Aix-en-Provence with weights (share of the population) and plausible streets.
_AIX_STREETS: dict[str, tuple[int, tuple[str, ...]]] = {
    "13100": (
        40,
        _names(
            "COURS MIRABEAU, RUE D'ITALIE, BOULEVARD DU ROI RENÉ, AVENUE PASTEUR, RUE CARDINALE, "
            "BOULEVARD CARNOT, AVENUE DES BELGES, CHEMIN DES LAUVES, AVENUE PAUL CÉZANNE, "
            "RUE DU MARÉCHAL JOFFRE, AVENUE SAINTE-VICTOIRE, RUE DES CORDELIERS"
        ),
    ),
    "13090": (
        32,
        _names(
            "AVENUE DE L'EUROPE, RUE JEAN ANDRÉANI, AVENUE DE BRÉDASQUE, ROUTE DE GALICE, "
            "AVENUE JEAN DALMAS, CHEMIN DE LA BLAQUE, AVENUE DU MARÉCHAL DE LATTRE, "
            "AVENUE DE L'ARC DE MEYRAN, RUE DE LA MOLLE"
        ),
    ),
    "13080": (
        8,
        _names("ROUTE DE GARDANNE, CHEMIN DU PETIT ROUBAUD, PLACE DE L'ÉGLISE, AVENUE DES LAUSES"),
    ),
    "13290": (
        12,
        _names(
            "AVENUE DE LA GARE, RUE ALBERT EINSTEIN, CHEMIN DE LA VALLÉE, "
            "PLACE DE L'ANCIENNE MAIRIE"
        ),
    ),
    "13540": (
        8,
        _names("ROUTE DE ROGNES, CHEMIN DES PLANTADES, PLACE DU VILLAGE, CHEMIN DE LA GAUDE"),
    ),
}
_AIX_CODES = tuple(_AIX_STREETS)
_AIX_WEIGHTS = tuple(weight for weight, _ in _AIX_STREETS.values())
_OTHER_TOWNS = (
    ("13770", "VENELLES", "FRANCE"),
    ("13510", "ÉGUILLES", "FRANCE"),
    ("13100", "LE THOLONET", "FRANCE"),
    ("13320", "BOUC-BEL-AIR", "FRANCE"),
    ("13008", "MARSEILLE", "FRANCE"),
    ("13590", "MEYREUIL", "FRANCE"),
)
_ABROAD = (("1000", "BRUXELLES", "BELGIQUE"), ("1201", "GENÈVE", "SUISSE"))
_RESIDENCES = _names(
    "RÉSIDENCE LES FLORIDES, RÉSIDENCE LE CLOS DES OLIVIERS, LES JARDINS DE L'ARC, "
    "RÉSIDENCE SAINT-EUTROPE, LE PARC MIRABEAU, RÉSIDENCE LES HAUTS D'AIX"
)

_LEVELS = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
_LEVEL_RANK = {level: rank for rank, level in enumerate(_LEVELS)}
_LEVEL_AGE = {level: rank + 2 for rank, level in enumerate(_LEVELS)}  # age reached in the year
_CYCLE = {"TPS": "1", "PS": "1", "MS": "1", "GS": "1", "CP": "2", "CE1": "2", "CE2": "2"}
_ELEMENTARY = frozenset(("CP", "CE1", "CE2", "CM1", "CM2"))
# kind -> (ENTStructureTypeStruct, prefix of the usual name, level weights)
_SCHOOL_KINDS: dict[str, tuple[str, str, dict[str, int]]] = {
    "E": (
        "ECOLE ELEMENTAIRE PUBLIQUE",
        "ECOLE ELEMENTAIRE",
        {"CP": 20, "CE1": 20, "CE2": 20, "CM1": 20, "CM2": 20},
    ),
    "M": (
        "ECOLE MATERNELLE PUBLIQUE",
        "ECOLE MATERNELLE",
        {"TPS": 3, "PS": 32, "MS": 32, "GS": 33},
    ),
    "P": (
        "ECOLE PRIMAIRE PUBLIQUE",
        "ECOLE PRIMAIRE",
        {"PS": 12, "MS": 12, "GS": 12, "CP": 13, "CE1": 13, "CE2": 13, "CM1": 12, "CM2": 13},
    ),
}
_UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # check letter of a UAI: number mod 23
_CLASS_SIZE = 25
_MAIL_DOMAINS = ("example.fr", "example.com")
# Relation codes (old national set): 1 father, 2 mother, 3 tutor, 4 other family, 5 child-welfare
# service, 6 other.
_FATHER, _MOTHER, _TUTOR, _FAMILY, _ASE, _OTHER = 1, 2, 3, 4, 5, 6

# --------------------------------------------------------------------------------------------
# The in-memory world.

Attrs = list[tuple[str, Sequence[str]]]
Flags = tuple[int, int, int, int, int]  # relation, financial, legal, contact, payment
Link = tuple[str, int, int, int, int, int]  # guardian key + Flags


@dataclass(slots=True)
class _Class:
    school_key: str
    code: str
    name: str
    levels: tuple[str, ...]
    value: str  # the five-part AAF value


@dataclass(slots=True)
class _School:
    index: int
    key: str
    uai: str
    kind: str
    name: str
    siren: str
    circonscription: str
    address: str
    box: str
    postal_code: str
    phone: str
    fax: str
    mail: str
    classes: list[_Class] = field(default_factory=list)
    groups: list[tuple[_Class, float]] = field(default_factory=list)


@dataclass(slots=True)
class _Staff:
    key: str
    civility: str
    first: str
    others: list[str]
    last: str
    birth_name: str
    birth: str
    mail: str
    schools: list[str]
    functions: list[str]
    directs: list[str]
    specialities: list[str]
    classes: list[_Class]


@dataclass(slots=True)
class _Guardian:
    key: str
    civility: str
    first: str
    others: list[str]
    last: str
    birth_name: str
    address: str
    postal_code: str
    city: str
    country: str
    phone: str
    mobile: str
    work_phone: str
    mail: str


@dataclass(slots=True)
class _Pupil:
    key: str
    civility: str
    first: str
    others: list[str]
    last: str
    birth_name: str
    birth: str
    school: _School
    level: str
    klass: _Class
    groups: list[_Class]
    ine: str
    flags: tuple[str, str, str, str, str]  # canteen, transport, morning, evening, study
    links: list[Link]


@dataclass(slots=True)
class _Home:
    address: str
    postal_code: str
    city: str
    country: str
    phone: str


@dataclass
class _World:
    options: GenOptions
    year: int  # calendar year the school year starts in
    next_key: int
    schools: list[_School] = field(default_factory=list)
    partner: list[int] = field(default_factory=list)  # a nearby school for siblings
    staff: dict[str, _Staff] = field(default_factory=dict)
    guardians: dict[str, _Guardian] = field(default_factory=dict)
    pupils: dict[str, _Pupil] = field(default_factory=dict)
    mails: dict[str, int] = field(default_factory=dict)
    ines: set[str] = field(default_factory=set)
    closed: tuple[str, ...] = ()

    def new_key(self, rng: random.Random) -> str:
        self.next_key += rng.randint(1, 3)
        return str(self.next_key)


Place = Callable[[int | None, set[str]], tuple[_School, str, _Class]]


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", ascii_text.lower().replace(" ", "-"))


def _mail(world: _World, rng: random.Random, first: str, last: str, domain: str = "") -> str:
    local = f"{_fold(first)}.{_fold(last)}"
    seen = world.mails.get(local, 0) + 1
    world.mails[local] = seen
    suffix = "" if seen == 1 else str(seen)
    return f"{local}{suffix}@{domain or rng.choice(_MAIL_DOMAINS)}"


def _digits(rng: random.Random, prefix: str, total: int = 10) -> str:
    width = total - len(prefix)
    return f"{prefix}{rng.randrange(10**width):0{width}d}"


def _home_phone(rng: random.Random) -> str:
    return _digits(rng, rng.choice(("0442", "0442", "0413", "09")))


def _birth(rng: random.Random, year: int, level: str) -> str:
    born = year - _LEVEL_AGE[level]
    if level in _ELEMENTARY and rng.random() < 0.02:
        born -= 1  # kept back a year
    # A TPS pupil must be two at the start of the school year: born January to August.
    last_day = 242 if level == "TPS" else 365
    day = datetime.date(born, 1, 1) + datetime.timedelta(days=rng.randrange(last_day))
    return day.strftime("%d/%m/%Y")


def _aix_home(rng: random.Random) -> _Home:
    postal_code = rng.choices(_AIX_CODES, _AIX_WEIGHTS)[0]
    street = f"{rng.randint(1, 140)} {rng.choice(_AIX_STREETS[postal_code][1])}"
    if rng.random() < 0.2:
        street = f"{rng.choice(_RESIDENCES)} BÂT. {rng.choice('ABCDE')}\n{street}"
    return _Home(street, postal_code, "AIX-EN-PROVENCE", "FRANCE", _home_phone(rng))


def _home(rng: random.Random, *, away: bool = False) -> _Home:
    """A household address; ``away`` is a parent who does not live with the child."""
    draw = rng.random()
    if draw < (0.55 if away else 0.88):
        return _aix_home(rng)
    towns = _ABROAD if away and draw > 0.93 else _OTHER_TOWNS
    postal_code, city, country = rng.choice(towns)
    street = f"{rng.randint(1, 90)} {rng.choice(('RUE', 'AVENUE', 'CHEMIN'))} "
    street += rng.choice(_SCHOOL_NAMES)
    phone = _home_phone(rng) if country == "FRANCE" else ""
    return _Home(street, postal_code, city, country, phone)


def _uai(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = 130000 + rng.randrange(4000)
        if str(number) not in taken:
            taken.add(str(number))
            return f"0{number}{_UAI_LETTERS[number % 23]}"


# --------------------------------------------------------------------------------------------
# Building a world from options.


def _build_schools(world: _World, rng: random.Random) -> list[list[tuple[str, _Class]]]:
    """Create schools, classes and groups; return, per school, its pupil slots (level, class)."""
    options = world.options
    taken: set[str] = set()
    circonscriptions = [_uai(rng, taken) for _ in range(max(1, options.schools // 15))]
    year_label = f"{world.year}-{world.year + 1}"
    slots: list[list[tuple[str, _Class]]] = []
    for index in range(options.schools):
        kind = "EMP"[index % 3]
        _type, prefix, weights = _SCHOOL_KINDS[kind]
        if kind == "E":  # the schools of one name (E, M, P) share a neighbourhood and street
            postal_code = rng.choices(_AIX_CODES, _AIX_WEIGHTS)[0]
            street = rng.choice(_AIX_STREETS[postal_code][1])
        uai = _uai(rng, taken)
        base_name = _SCHOOL_NAMES[(index // 3) % len(_SCHOOL_NAMES)]
        generation = index // (3 * len(_SCHOOL_NAMES))
        name = f"{prefix} {base_name}" + (f" {generation + 1}" if generation else "")
        school = _School(
            index=index,
            key=world.new_key(rng),
            uai=uai,
            kind=kind,
            name=name,
            siren=_digits(rng, "2", 9),
            circonscription=circonscriptions[index % len(circonscriptions)],
            address=f"{rng.randint(1, 60)} {street}",
            box=f"BP {rng.randint(10, 990)}" if rng.random() < 0.15 else "",
            postal_code=postal_code,
            phone=_digits(rng, "0442"),
            fax=_digits(rng, "0442"),
            mail=f"ce.{uai.lower()}@example.fr",
        )
        world.schools.append(school)
        levels = sorted(
            rng.choices(tuple(weights), tuple(weights.values()), k=options.pupils_per_school),
            key=_LEVEL_RANK.__getitem__,
        )
        slots.append(_make_classes(school, levels, year_label))
        _make_groups(school, {level for level, _ in slots[-1]}, year_label)
    for school in world.schools:
        wanted = {"M": "E", "E": "M"}.get(school.kind, "P")
        near = [s.index for s in world.schools if s.kind == wanted and s.index != school.index]
        near.sort(key=lambda other, me=school.index: abs(other - me))
        world.partner.append(near[0] if near else school.index)
    return slots


def _make_classes(school: _School, levels: list[str], year_label: str) -> list[tuple[str, _Class]]:
    """Cut the level-sorted pupils into classes of ~25; a cut across levels: a multi-level class."""
    count = max(1, round(len(levels) / _CLASS_SIZE)) if levels else 0
    slots: list[tuple[str, _Class]] = []
    start = 0
    for number in range(count):
        size = len(levels) // count + (1 if number < len(levels) % count else 0)
        chunk = levels[start : start + size]
        start += size
        class_levels = tuple(dict.fromkeys(chunk))
        letter = chr(65 + number % 26) + (str(number // 26 + 1) if number >= 26 else "")
        code = f"CL{number + 1:02d}"  # same codes in every school, as in real deliveries
        name = f"{'-'.join(class_levels)} {letter}"
        value = f"{school.key}${school.uai}${year_label}${code}${name}"
        klass = _Class(school.key, code, name, class_levels, value)
        school.classes.append(klass)
        slots.extend((level, klass) for level in chunk)
    return slots


def _make_groups(school: _School, present: set[str], year_label: str) -> None:
    candidates = (
        ("GR01", "CHORALE CYCLE 3", {"CM1", "CM2"}, 0.3),
        ("GR02", "APC CP", {"CP"}, 0.25),
        ("GR03", "ATELIER LANGAGE GS", {"GS"}, 0.25),
        ("GR04", "ANGLAIS RENFORCÉ", {"CE2", "CM1", "CM2"}, 0.15),
    )
    for code, name, levels, share in candidates:
        if levels & present:
            value = f"{school.key}${school.uai}${year_label}${code}${name}"
            group = _Class(
                school.key, code, name, tuple(sorted(levels, key=_LEVEL_RANK.get)), value
            )
            school.groups.append((group, share))


def _person_names(rng: random.Random, civility: str) -> tuple[str, list[str]]:
    pool = _MEN if civility == "M." else _WOMEN
    first = rng.choice(pool)
    others = [rng.choice(pool) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
    return first, [name for name in others if name != first]


def _new_staff(
    world: _World,
    rng: random.Random,
    schools: list[_School],
    functions: list[str],
    classes: list[_Class],
    *,
    directs: bool = False,
) -> _Staff:
    civility = "Mme" if rng.random() < 0.82 else "M."
    first, others = _person_names(rng, civility)
    birth_name = rng.choice(_SURNAMES)
    last = rng.choice(_SURNAMES) if civility == "Mme" and rng.random() < 0.35 else birth_name
    born = datetime.date(rng.randint(1962, 1998), 1, 1) + datetime.timedelta(rng.randrange(365))
    specialities = []
    if rng.random() < 0.08:
        specialities.append("LANGUE VIVANTE ANGLAIS")
    if rng.random() < 0.04:
        specialities.append("RÉFÉRENT NUMÉRIQUE")
    staff = _Staff(
        key=world.new_key(rng),
        civility=civility,
        first=first,
        others=others,
        last=last,
        birth_name=birth_name,
        birth=born.strftime("%d/%m/%Y"),
        mail=_mail(world, rng, first, last, "example.fr"),
        schools=[school.key for school in schools],
        functions=functions,
        directs=[schools[0].key] if directs else [],
        specialities=specialities,
        classes=classes,
    )
    world.staff[staff.key] = staff
    return staff


def _teaching(school: _School) -> str:
    return f"{school.key}$ENS$ENSEIGNEMENT$-$-"


def _build_staff(world: _World, rng: random.Random) -> None:
    """One director per school (teaching below 8 classes), one teacher per other class, and a
    part-time teacher with two classes (shared with the next school every fifth school)."""
    schools = world.schools
    for school in schools:
        classes = school.classes
        functions = [f"{school.key}$DIR$DIRECTION$-$-"]
        director_class = classes[-1:] if len(classes) < 8 else []
        if director_class:
            functions.append(_teaching(school))
        _new_staff(world, rng, [school], functions, director_class, directs=True)
        for klass in classes[: len(classes) - len(director_class)]:
            _new_staff(world, rng, [school], [_teaching(school)], [klass])
        if len(classes) >= 4:
            attached, taught = [school], [classes[-1], classes[0]]
            other = schools[(school.index + 1) % len(schools)]
            if school.index % 5 == 0 and other is not school and other.classes:
                attached.append(other)
                taught.append(other.classes[0])
            _new_staff(world, rng, attached, [_teaching(s) for s in attached], taught)


def _new_guardian(
    world: _World,
    rng: random.Random,
    civility: str,
    last: str,
    home: _Home,
    *,
    first: str | None = None,
    birth_name: str | None = None,
    lives_with_child: bool = True,
    mail: bool | None = None,
) -> _Guardian:
    given, others = _person_names(rng, civility)
    first = first or given
    has_mail = rng.random() >= 0.3 if mail is None else mail
    guardian = _Guardian(
        key=world.new_key(rng),
        civility=civility,
        first=first,
        others=others,
        last=last,
        birth_name=birth_name or last,
        address=home.address,
        postal_code=home.postal_code,
        city=home.city,
        country=home.country,
        phone=home.phone,
        # The CNIL allows the mobile only for persons living with the pupil.
        mobile=_digits(rng, rng.choice(("06", "07"))) if lives_with_child else "",
        work_phone=_digits(rng, rng.choice(("04", "04", "01", "09"))) if rng.random() < 0.8 else "",
        mail=_mail(world, rng, first, last) if has_mail else "",
    )
    world.guardians[guardian.key] = guardian
    return guardian


def _adults(
    world: _World,
    rng: random.Random,
    structure: str,
    *,
    surname: str | None = None,
    father_first: str | None = None,
    father_mail: bool | None = None,
) -> tuple[list[tuple[_Guardian, Flags]], str]:
    """The adults of one family with their link flags; also the children's surname."""
    father_last = surname or rng.choice(_SURNAMES)
    mother_birth = rng.choice(_SURNAMES)
    home = _home(rng)
    payment = rng.randint(0, 1)

    def father(where: _Home, *, resident: bool = True) -> _Guardian:
        return _new_guardian(
            world,
            rng,
            "M.",
            father_last,
            where,
            first=father_first,
            lives_with_child=resident,
            mail=father_mail,
        )

    def mother(where: _Home, last: str, *, resident: bool = True) -> _Guardian:
        return _new_guardian(
            world, rng, "Mme", last, where, birth_name=mother_birth, lives_with_child=resident
        )

    if structure == "couple":
        married = mother_birth if rng.random() < 0.45 else father_last
        if father_first is None and rng.random() < 0.02:  # two mothers
            partner = (_new_guardian(world, rng, "Mme", father_last, home), _MOTHER)
        else:
            partner = (father(home), _FATHER)
        pair = [partner, (mother(home, married), _MOTHER)]
        rng.shuffle(pair)
        if pair[0][0].mail and pair[1][0].mail and rng.random() < 0.04:
            pair[1][0].mail = pair[0][0].mail  # one family address shared by both parents
        adults = [
            (pair[0][0], (pair[0][1], 1, 1, 0, payment)),
            (pair[1][0], (pair[1][1], 1, 2, 0, 0)),
        ]
        children = father_last if rng.random() < 0.9 else f"{father_last} {mother_birth}"
    elif structure == "separated":
        with_mother = rng.random() < 0.75
        dad = father(home if not with_mother else _home(rng, away=True), resident=not with_mother)
        mum = mother(
            home if with_mother else _home(rng, away=True),
            mother_birth,
            resident=with_mother,
        )
        first, second = (mum, dad) if with_mother else (dad, mum)
        adults = [
            (first, (_MOTHER if first is mum else _FATHER, 1, 1, 0, 1)),
            (second, (_FATHER if second is dad else _MOTHER, 1, 2, 0, 0)),
        ]
        children = father_last
    elif structure == "single_mother":
        adults = [(mother(home, mother_birth), (_MOTHER, 1, 1, 0, 1))]
        children = mother_birth
    elif structure == "single_father":
        adults = [(father(home), (_FATHER, 1, 1, 0, 1))]
        children = father_last
    elif structure == "no_authority":  # the father keeps no parental authority
        mum = mother(home, mother_birth)
        dad = father(_home(rng, away=True), resident=False)
        adults = [(mum, (_MOTHER, 1, 1, 0, 1)), (dad, (_FATHER, 0, 0, 0, 0))]
        children = father_last if rng.random() < 0.5 else mother_birth
    elif structure == "tutor":
        civility = rng.choice(("M.", "Mme"))
        tutor = _new_guardian(world, rng, civility, rng.choice(_SURNAMES), home)
        adults = [(tutor, (_TUTOR, 1, 1, 0, 1))]
        children = father_last
    else:  # "ase": placed child; the child-welfare service holds authority with the mother
        service = _Home("4 QUAI D'ARENC", "13002", "MARSEILLE", "FRANCE", _digits(rng, "0413"))
        ase = _new_guardian(
            world, rng, "", "AIDE SOCIALE À L'ENFANCE DES BOUCHES-DU-RHÔNE", service, mail=False
        )
        ase.first, ase.others, ase.mobile = "", [], ""
        adults = [
            (ase, (_ASE, 0, 1, 0, 0)),
            (
                mother(_home(rng, away=True), mother_birth, resident=False),
                (_MOTHER, 0, 2, 0, 0),
            ),
        ]
        children = mother_birth
    return adults, children


def _contact(world: _World, rng: random.Random, surname: str) -> tuple[_Guardian, Flags]:
    """A person to call who holds no authority: a grandparent, or a childminder."""
    civility = "Mme" if rng.random() < 0.7 else "M."
    if rng.random() < 0.7:
        person = _new_guardian(world, rng, civility, surname, _aix_home(rng))
        return person, (_FAMILY, 0, 0, 1, 0)
    person = _new_guardian(world, rng, civility, rng.choice(_SURNAMES), _aix_home(rng))
    return person, (_OTHER, 0, 0, 1, 0)


def _family(
    world: _World,
    rng: random.Random,
    place: Place,
    n_children: int,
    structure: str,
    *,
    contact: bool = False,
    surname: str | None = None,
    father_first: str | None = None,
    father_mail: bool | None = None,
    twin_of: _Pupil | None = None,
    schools: Sequence[int | None] = (),
) -> tuple[list[_Guardian], list[_Pupil]]:
    adults, children_surname = _adults(
        world, rng, structure, surname=surname, father_first=father_first, father_mail=father_mail
    )
    links: list[tuple[_Guardian, Flags]] = list(adults)
    if contact:
        links.append(_contact(world, rng, children_surname))
    pupils: list[_Pupil] = []
    for number in range(n_children):
        hint = schools[number] if number < len(schools) else None
        if hint is None and pupils:
            same = rng.random() < 0.7
            hint = pupils[-1].school.index if same else world.partner[pupils[-1].school.index]
        school, level, klass = place(hint, {pupil.level for pupil in pupils})
        pupil = _new_pupil(world, rng, school, level, klass, children_surname, links, pupils)
        if twin_of is not None and number == 0:  # a homonym of a pupil of another family
            pupil.first, pupil.civility = twin_of.first, twin_of.civility
            pupil.last = pupil.birth_name = twin_of.last
        pupils.append(pupil)
    return [guardian for guardian, _ in links], pupils


def _new_pupil(
    world: _World,
    rng: random.Random,
    school: _School,
    level: str,
    klass: _Class,
    surname: str,
    links: Sequence[tuple[_Guardian, Flags]],
    siblings: Sequence[_Pupil],
) -> _Pupil:
    civility = "M." if rng.random() < 0.51 else "Mme"
    pool = _BOYS if civility == "M." else _GIRLS
    taken = {sibling.first for sibling in siblings}
    first = rng.choice(pool)
    while first in taken:
        first = rng.choice(pool)
    others = [rng.choice(pool) for _ in range(rng.choice((0, 1, 1, 2)))]
    while True:
        ine = _digits(rng, "", 10) + rng.choice(_UAI_LETTERS)
        if ine not in world.ines:
            world.ines.add(ine)
            break
    elementary = level in _ELEMENTARY

    def yes(share: float) -> str:
        return "O" if rng.random() < share else "N"

    pupil = _Pupil(
        key=world.new_key(rng),
        civility=civility,
        first=first,
        others=[name for name in others if name != first],
        last=surname,
        birth_name=surname,
        birth=_birth(rng, world.year, level),
        school=school,
        level=level,
        klass=klass,
        groups=[
            group
            for group, share in school.groups
            if level in group.levels and rng.random() < share
        ],
        ine=ine,
        flags=(yes(0.75), yes(0.04), yes(0.25), yes(0.35), yes(0.2) if elementary else "N"),
        links=[(guardian.key, *flags) for guardian, flags in links],
    )
    world.pupils[pupil.key] = pupil
    return pupil


class _Slots:
    """Pupil places of the initial world: (school, level, class), drawn without replacement."""

    def __init__(self, world: _World, rng: random.Random, slots: list[list[tuple[str, _Class]]]):
        self.world = world
        self.pools = slots
        for pool in self.pools:
            rng.shuffle(pool)
        self.order = [index for index, pool in enumerate(slots) for _ in pool]
        rng.shuffle(self.order)
        self.position = 0
        self.left = len(self.order)

    def take(self, hint: int | None, avoid: set[str]) -> tuple[_School, str, _Class]:
        if hint is None or not self.pools[hint]:
            while not self.pools[self.order[self.position]]:
                self.position += 1
            hint = self.order[self.position]
            self.position += 1
        pool = self.pools[hint]
        chosen = len(pool) - 1
        for candidate in range(len(pool) - 1, max(-1, len(pool) - 6), -1):
            if pool[candidate][0] not in avoid:  # siblings rarely share a level (twins do)
                chosen = candidate
                break
        pool[chosen], pool[-1] = pool[-1], pool[chosen]
        level, klass = pool.pop()
        self.left -= 1
        return self.world.schools[hint], level, klass


_STRUCTURES = (
    "couple",
    "separated",
    "single_mother",
    "single_father",
    "no_authority",
    "tutor",
    "ase",
)
_STRUCTURE_WEIGHTS = (620, 170, 140, 35, 20, 10, 5)
_CHILDREN_WEIGHTS = (55, 33, 10, 2)  # families with 1, 2, 3, 4 children at primary school


def _build_world(options: GenOptions) -> _World:
    if options.schools < 1 or options.pupils_per_school < 0:
        raise ValueError("need at least one school and a non-negative number of pupils")
    rng = random.Random(options.seed)  # noqa: S311 - test data, not secrets
    year = options.date.year if options.date.month >= 8 else options.date.year - 1
    world = _World(options=options, year=year, next_key=1_900_000 + rng.randrange(50_000))
    slots = _Slots(world, rng, _build_schools(world, rng))
    _build_staff(world, rng)
    closed_rng = random.Random(f"closed:{options.seed}")  # noqa: S311 - independent of the ratio
    candidates = list(range(2, options.schools))
    closed_count = min(len(candidates), round(options.schools * options.closed_school_ratio))
    world.closed = tuple(
        world.schools[i].uai for i in sorted(closed_rng.sample(candidates, closed_count))
    )
    _build_families(world, rng, slots)
    return world


def _build_families(world: _World, rng: random.Random, slots: _Slots) -> None:
    # Scripted families first, so that even a tiny feed holds every case importers must handle.
    other = 1 if len(world.schools) > 1 else 0
    if slots.left >= 2:  # separated parents, two addresses, children in two schools
        surname = rng.choice(("N'DIAYE", "D'ANGELO", "D'ALMEIDA", "O'NEILL"))
        _family(
            world,
            rng,
            slots.take,
            2,
            "separated",
            surname=surname,
            schools=(0, other),
            father_mail=False,
        )
    if slots.left >= 1:  # a father without authority, and a grandparent to call
        surname = rng.choice(("LEFÈVRE", "MÜLLER", "SAINT-MARTIN", "LEBRUN-DUVAL", "GUÉRIN"))
        _, (first_child,) = _family(
            world, rng, slots.take, 1, "no_authority", surname=surname, contact=True, schools=(0,)
        )
        if slots.left >= 1:  # homonyms: same-named father and child in another family
            father = world.guardians[first_child.links[1][0]]
            _family(
                world,
                rng,
                slots.take,
                1,
                "couple",
                surname=father.last,
                father_first=father.first,
                twin_of=first_child,
                schools=(0,),
            )
    if slots.left >= 4:  # a mother of four, in two schools
        _family(world, rng, slots.take, 4, "single_mother", schools=(other, 0, other, 0))
    while slots.left:
        n_children = min(slots.left, rng.choices((1, 2, 3, 4), _CHILDREN_WEIGHTS)[0])
        structure = rng.choices(_STRUCTURES, _STRUCTURE_WEIGHTS)[0]
        _family(world, rng, slots.take, n_children, structure, contact=rng.random() < 0.25)


# --------------------------------------------------------------------------------------------
# Deltas: a seeded set of changes applied to the world.


@dataclass(frozen=True)
class _Step:
    seed: int
    change_rate: float
    date: str  # ISO date of the set the step produced
    complet: bool = False


@dataclass
class _Changes:
    added: dict[str, dict[str, None]] = field(default_factory=dict)
    modified: dict[str, dict[str, None]] = field(default_factory=dict)
    deleted: dict[str, dict[str, None]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)

    def record(self, bucket: dict[str, dict[str, None]], kind: str, key: str) -> None:
        bucket.setdefault(kind, {})[key] = None
        self.touched.add(key)


def _free_place(world: _World, rng: random.Random) -> Place:
    """Places for pupils arriving in a delta: any class of the school that takes the level."""

    def place(hint: int | None, avoid: set[str]) -> tuple[_School, str, _Class]:
        schools = [s for s in world.schools if s.classes]
        if not schools:
            raise ValueError("no class to place a new pupil in")
        school = world.schools[hint] if hint is not None else rng.choice(schools)
        if not school.classes:
            school = rng.choice(schools)
        levels = sorted({level for c in school.classes for level in c.levels}, key=_LEVEL_RANK.get)
        level = rng.choice([level for level in levels if level not in avoid] or levels)
        klass = rng.choice([c for c in school.classes if level in c.levels])
        return school, level, klass

    return place


def _children_index(world: _World) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for pupil in world.pupils.values():
        for link in pupil.links:
            children.setdefault(link[0], []).append(pupil.key)
    return children


def _apply_step(world: _World, step: _Step) -> _Changes:
    rng = random.Random(step.seed)  # noqa: S311 - test data, not secrets
    changes = _Changes()
    persons = len(world.pupils) + len(world.guardians) + len(world.staff)
    # An operation touches 1.5 records on average (families arrive together, households move
    # together): draw operations so that about ``change_rate`` of the persons get a record.
    total = max(3, round(persons * step.change_rate / 1.5)) if step.change_rate > 0 else 0
    if total == 0 or not world.pupils:
        return changes
    n_delete = max(1, round(total * 0.2))
    n_add = max(1, round(total * 0.3))
    n_modify = max(1, total - n_delete - n_add)
    children = _children_index(world)
    pupil_keys = list(world.pupils)
    for _ in range(n_delete):
        if rng.random() < 0.15 and _teacher_leaves(world, rng, changes):
            continue
        _pupil_leaves(world, rng, pupil_keys, children, changes)
    place = _free_place(world, rng)
    for _ in range(n_add):
        if rng.random() < 0.4 and _sibling_arrives(world, rng, place, children, changes):
            continue
        structure = rng.choices(_STRUCTURES, _STRUCTURE_WEIGHTS)[0]
        n_children = rng.choices((1, 2), (80, 20))[0]
        guardians, pupils = _family(
            world, rng, place, n_children, structure, contact=rng.random() < 0.25
        )
        for guardian in guardians:
            changes.record(changes.added, "guardians", guardian.key)
        for pupil in pupils:
            changes.record(changes.added, "pupils", pupil.key)
            for link in pupil.links:
                children.setdefault(link[0], []).append(pupil.key)
    guardian_keys = list(world.guardians)
    staff_keys = list(world.staff)
    pupil_keys = list(world.pupils)
    actions = (
        (_guardian_renamed, guardian_keys, 15),
        (_household_moves, guardian_keys, 25),
        (_guardian_new_mail, guardian_keys, 20),
        (_pupil_changes_class, pupil_keys, 25),
        (_pupil_renamed, pupil_keys, 5),
        (_staff_renamed, staff_keys, 10),
    )
    done = 0
    for _attempt in range(n_modify * 20):
        if done == n_modify:
            break
        action, keys, _weight = rng.choices(actions, [weight for *_, weight in actions])[0]
        key = rng.choice(keys)
        if key not in changes.touched and action(world, rng, key, children, changes):
            done += 1
    return changes


def _pupil_leaves(
    world: _World,
    rng: random.Random,
    keys: list[str],
    children: dict[str, list[str]],
    changes: _Changes,
) -> None:
    for _attempt in range(10):
        key = rng.choice(keys)
        if key in world.pupils and key not in changes.touched:
            break
    else:
        return
    pupil = world.pupils.pop(key)
    changes.record(changes.deleted, "pupils", key)
    for link in pupil.links:
        siblings = children[link[0]]
        siblings.remove(key)
        if not siblings and link[0] in world.guardians:  # nobody left to relate to: gone too
            del world.guardians[link[0]]
            changes.record(changes.deleted, "guardians", link[0])


def _teacher_leaves(world: _World, rng: random.Random, changes: _Changes) -> bool:
    """A teacher leaves and a newcomer takes over the same classes."""
    keys = list(world.staff)
    for _attempt in range(10):
        leaving = world.staff[rng.choice(keys)]
        if leaving.classes and not leaving.directs and leaving.key not in changes.touched:
            break
    else:
        return False
    del world.staff[leaving.key]
    changes.record(changes.deleted, "staff", leaving.key)
    schools = [s for s in world.schools if s.key in leaving.schools]
    newcomer = _new_staff(world, rng, schools, list(leaving.functions), list(leaving.classes))
    changes.record(changes.added, "staff", newcomer.key)
    return True


def _sibling_arrives(
    world: _World,
    rng: random.Random,
    place: Place,
    children: dict[str, list[str]],
    changes: _Changes,
) -> bool:
    """A younger sibling of a pupil arrives (same guardians), at most four children a family."""
    keys = list(world.pupils)
    for _attempt in range(10):
        elder = world.pupils[rng.choice(keys)]
        legal = [link[0] for link in elder.links if link[3]]
        if legal and all(len(children.get(key, ())) < 4 for key in legal):
            break
    else:
        return False
    hint = elder.school.index if rng.random() < 0.5 else world.partner[elder.school.index]
    school, level, klass = place(hint, {elder.level})
    guardians = [(world.guardians[link[0]], link[1:]) for link in elder.links]
    siblings = [world.pupils[key] for key in children.get(legal[0], ()) if key in world.pupils]
    pupil = _new_pupil(world, rng, school, level, klass, elder.last, guardians, siblings)
    changes.record(changes.added, "pupils", pupil.key)
    for link in pupil.links:
        children.setdefault(link[0], []).append(pupil.key)
    return True


def _guardian_renamed(
    world: _World, rng: random.Random, key: str, children: dict[str, list[str]], changes: _Changes
) -> bool:
    guardian = world.guardians[key]
    if guardian.last != guardian.birth_name and rng.random() < 0.5:
        guardian.last = guardian.birth_name  # divorce: back to the birth name
    else:
        guardian.last = rng.choice([name for name in _SURNAMES if name != guardian.last])
    changes.record(changes.modified, "guardians", key)
    return True


def _household_moves(
    world: _World, rng: random.Random, key: str, children: dict[str, list[str]], changes: _Changes
) -> bool:
    """A household moves: every guardian at the old address gets the new one."""
    guardian = world.guardians[key]
    related = {
        link[0]
        for pupil_key in children.get(key, ())
        for link in world.pupils[pupil_key].links
        if link[0] in world.guardians and link[0] not in changes.touched
    }
    home = _aix_home(rng)
    old = (guardian.address, guardian.postal_code)
    for other_key in sorted(related | {key}):
        other = world.guardians[other_key]
        if (other.address, other.postal_code) == old:
            other.address, other.postal_code, other.city = home.address, home.postal_code, home.city
            other.country, other.phone = home.country, home.phone
            changes.record(changes.modified, "guardians", other_key)
    return True


def _guardian_new_mail(
    world: _World, rng: random.Random, key: str, children: dict[str, list[str]], changes: _Changes
) -> bool:
    guardian = world.guardians[key]
    guardian.mail = _mail(world, rng, guardian.first or "contact", guardian.last)
    changes.record(changes.modified, "guardians", key)
    return True


def _pupil_changes_class(
    world: _World, rng: random.Random, key: str, children: dict[str, list[str]], changes: _Changes
) -> bool:
    """Another class of the same school; failing one, a class in another school (a transfer)."""
    pupil = world.pupils[key]
    options = [c for c in pupil.school.classes if pupil.level in c.levels and c is not pupil.klass]
    school = pupil.school
    if not options:
        for _attempt in range(10):
            school = rng.choice(world.schools)
            options = [c for c in school.classes if pupil.level in c.levels]
            if school is not pupil.school and options:
                break
        else:
            return False
    pupil.klass = rng.choice(options)
    if school is not pupil.school:
        pupil.school = school
        pupil.groups = [
            group
            for group, share in school.groups
            if pupil.level in group.levels and rng.random() < share
        ]
    changes.record(changes.modified, "pupils", key)
    return True


def _pupil_renamed(
    world: _World, rng: random.Random, key: str, children: dict[str, list[str]], changes: _Changes
) -> bool:
    pupil = world.pupils[key]
    pupil.last = rng.choice([name for name in _SURNAMES if name != pupil.last])  # usual name
    changes.record(changes.modified, "pupils", key)
    return True


def _staff_renamed(
    world: _World, rng: random.Random, key: str, children: dict[str, list[str]], changes: _Changes
) -> bool:
    staff = world.staff[key]
    staff.last = rng.choice([name for name in _SURNAMES if name != staff.last])
    changes.record(changes.modified, "staff", key)
    return True


# --------------------------------------------------------------------------------------------
# XML output.


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _values(values: Sequence[str]) -> str:
    return "".join(f"<value>{_escape(v)}</value>" if v else "<value/>" for v in values) or (
        "<value/>"
    )


def _school_attrs(school: _School) -> Attrs:
    return [
        ("ENTStructureJointure", [school.key]),
        ("ENTStructureUAI", [school.uai]),
        ("ENTStructureSIREN", [school.siren]),
        ("ENTStructureNomCourant", [school.name]),
        ("ENTStructureTypeStruct", [_SCHOOL_KINDS[school.kind][0]]),
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


def _staff_attrs(staff: _Staff) -> Attrs:
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


def _guardian_attrs(guardian: _Guardian) -> Attrs:
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


def _pupil_attrs(pupil: _Pupil) -> Attrs:
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
        ("ENTEleveCycle", [_CYCLE.get(pupil.level, "3")]),
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


def _write_set(
    world: _World,
    out_dir: Path,
    *,
    date: datetime.date,
    max_records: int,
    changes: _Changes | None,
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
            if isinstance(entity, _Staff):
                classes.update(klass.value for klass in entity.classes)
            elif isinstance(entity, _Pupil):
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


# --------------------------------------------------------------------------------------------
# Public API.


def _save_state(out_dir: Path, options: GenOptions, steps: Sequence[_Step], kind: str) -> None:
    state = {
        "generator": "entaix.imports.feedgen",
        "version": GENERATOR_VERSION,
        "kind": kind,
        "options": {**asdict(options), "date": options.date.isoformat()},
        "steps": [asdict(step) for step in steps],
    }
    (out_dir / STATE_FILE).write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def _load_state(previous_dir: Path) -> tuple[GenOptions, list[_Step]]:
    path = previous_dir / STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: was {previous_dir} written by feedgen?")
    state = json.loads(path.read_text())
    if state.get("version") != GENERATOR_VERSION:
        raise ValueError(f"{path} was written by feedgen version {state.get('version')}")
    raw = dict(state["options"])
    raw["date"] = datetime.date.fromisoformat(raw["date"])
    return GenOptions(**raw), [_Step(**step) for step in state["steps"]]


def generate_complet(out_dir: Path, options: GenOptions) -> GeneratedFeed:
    """Write a Complet set (four kinds, split into parts) for ``options`` into ``out_dir``."""
    world = _build_world(options)
    feed = _write_set(
        world, out_dir, date=options.date, max_records=options.max_records_per_file, changes=None,
        aliases=options.ldap_aliases,
    )  # fmt: skip
    _save_state(out_dir, options, [], "Complet")
    return feed


def drop_part(feed: GeneratedFeed, part: str) -> GeneratedFeed:
    """Delete one written part (``Eleve_0000``): a set with a missing part, as some deliveries
    arrive, for tests, demos and benchmarks of the importer's refusal."""
    chosen = [path for path in feed.files if path.stem.endswith(f"_{part}")]
    if not chosen:
        names = ", ".join(path.stem.split("_", 3)[3] for path in feed.files)
        raise ValueError(f"no part {part} in the set (parts: {names})")
    for path in chosen:
        path.unlink()
    return GeneratedFeed(
        files=tuple(path for path in feed.files if path not in chosen),
        counts=feed.counts,
        school_uais=feed.school_uais,
        closed_school_uais=feed.closed_school_uais,
    )


def _advance(
    previous_dir: Path, change_rate: float, seed: int, date: datetime.date, complet: bool
) -> tuple[GenOptions, _World, list[_Step], _Changes]:
    if not 0 <= change_rate <= 1:
        raise ValueError("change_rate must be between 0 and 1")
    options, steps = _load_state(previous_dir)
    world = _build_world(options)
    for step in steps:
        _apply_step(world, step)
    step = _Step(seed=seed, change_rate=change_rate, date=date.isoformat(), complet=complet)
    return options, world, [*steps, step], _apply_step(world, step)


def generate_delta(
    previous_dir: Path,
    out_dir: Path,
    *,
    change_rate: float,
    seed: int,
    date: datetime.date,
    max_records_per_file: int | None = None,
) -> GeneratedFeed:
    """Write the Delta set that follows the set in ``previous_dir`` (a Complet or a Delta written
    by this module): new pupils and families, modified persons, deleted persons."""
    options, world, steps, changes = _advance(previous_dir, change_rate, seed, date, False)
    max_records = max_records_per_file or options.max_records_per_file
    feed = _write_set(world, out_dir, date=date, max_records=max_records, changes=changes,
                      aliases=options.ldap_aliases)  # fmt: skip
    _save_state(out_dir, options, steps, "Delta")
    return feed


def generate_next_complet(
    previous_dir: Path,
    out_dir: Path,
    *,
    change_rate: float,
    seed: int,
    date: datetime.date,
    max_records_per_file: int | None = None,
) -> GeneratedFeed:
    """Write the Complet set of the world after the same changes ``generate_delta`` would draw
    with these arguments: people deleted there are absent here, people added are present."""
    options, world, steps, _changes = _advance(previous_dir, change_rate, seed, date, True)
    max_records = max_records_per_file or options.max_records_per_file
    feed = _write_set(world, out_dir, date=date, max_records=max_records, changes=None,
                      aliases=options.ldap_aliases)  # fmt: skip
    _save_state(out_dir, options, steps, "Complet")
    return feed
