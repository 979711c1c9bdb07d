"""The in-memory world the feeds describe: options, school levels, the records of schools and
persons, and the small seeded draws (addresses, phone numbers, birth dates, UAIs) they share."""

from __future__ import annotations

import datetime
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from .names import (
    ABROAD,
    AIX_CODES,
    AIX_STREETS,
    AIX_WEIGHTS,
    MAIL_DOMAINS,
    OTHER_TOWNS,
    RESIDENCES,
    SCHOOL_NAMES,
)


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


LEVELS = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
LEVEL_AGE = {level: rank + 2 for rank, level in enumerate(LEVELS)}  # age reached in the year
CYCLE = {"TPS": "1", "PS": "1", "MS": "1", "GS": "1", "CP": "2", "CE1": "2", "CE2": "2"}
ELEMENTARY = frozenset(("CP", "CE1", "CE2", "CM1", "CM2"))
# kind -> (ENTStructureTypeStruct, prefix of the usual name, level weights)
SCHOOL_KINDS: dict[str, tuple[str, str, dict[str, int]]] = {
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
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # check letter of a UAI: number mod 23
CLASS_SIZE = 25
# Relation codes (old national set): 1 father, 2 mother, 3 tutor, 4 other family, 5 child-welfare
# service, 6 other.
FATHER, MOTHER, TUTOR, FAMILY, ASE, OTHER = 1, 2, 3, 4, 5, 6

Flags = tuple[int, int, int, int, int]  # relation, financial, legal, contact, payment
Link = tuple[str, int, int, int, int, int]  # guardian key + Flags


@dataclass(slots=True)
class Class:
    school_key: str
    code: str
    name: str
    levels: tuple[str, ...]
    value: str  # the five-part AAF value


@dataclass(slots=True)
class School:
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
    classes: list[Class] = field(default_factory=list)
    groups: list[tuple[Class, float]] = field(default_factory=list)


@dataclass(slots=True)
class Staff:
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
    classes: list[Class]


@dataclass(slots=True)
class Guardian:
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
class Pupil:
    key: str
    civility: str
    first: str
    others: list[str]
    last: str
    birth_name: str
    birth: str
    school: School
    level: str
    klass: Class
    groups: list[Class]
    ine: str
    flags: tuple[str, str, str, str, str]  # canteen, transport, morning, evening, study
    links: list[Link]


@dataclass(slots=True)
class Home:
    address: str
    postal_code: str
    city: str
    country: str
    phone: str


@dataclass
class World:
    options: GenOptions
    year: int  # calendar year the school year starts in
    next_key: int
    schools: list[School] = field(default_factory=list)
    partner: list[int] = field(default_factory=list)  # a nearby school for siblings
    staff: dict[str, Staff] = field(default_factory=dict)
    guardians: dict[str, Guardian] = field(default_factory=dict)
    pupils: dict[str, Pupil] = field(default_factory=dict)
    mails: dict[str, int] = field(default_factory=dict)
    ines: set[str] = field(default_factory=set)
    closed: tuple[str, ...] = ()

    def new_key(self, rng: random.Random) -> str:
        self.next_key += rng.randint(1, 3)
        return str(self.next_key)


Place = Callable[[int | None, set[str]], tuple[School, str, Class]]


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", ascii_text.lower().replace(" ", "-"))


def mail_address(world: World, rng: random.Random, first: str, last: str, domain: str = "") -> str:
    local = f"{_fold(first)}.{_fold(last)}"
    seen = world.mails.get(local, 0) + 1
    world.mails[local] = seen
    suffix = "" if seen == 1 else str(seen)
    return f"{local}{suffix}@{domain or rng.choice(MAIL_DOMAINS)}"


def digits(rng: random.Random, prefix: str, total: int = 10) -> str:
    width = total - len(prefix)
    return f"{prefix}{rng.randrange(10**width):0{width}d}"


def home_phone(rng: random.Random) -> str:
    return digits(rng, rng.choice(("0442", "0442", "0413", "09")))


def birth_date(rng: random.Random, year: int, level: str) -> str:
    born = year - LEVEL_AGE[level]
    if level in ELEMENTARY and rng.random() < 0.02:
        born -= 1  # kept back a year
    # A TPS pupil must be two at the start of the school year: born January to August.
    last_day = 242 if level == "TPS" else 365
    day = datetime.date(born, 1, 1) + datetime.timedelta(days=rng.randrange(last_day))
    return day.strftime("%d/%m/%Y")


def aix_home(rng: random.Random) -> Home:
    postal_code = rng.choices(AIX_CODES, AIX_WEIGHTS)[0]
    street = f"{rng.randint(1, 140)} {rng.choice(AIX_STREETS[postal_code][1])}"
    if rng.random() < 0.2:
        street = f"{rng.choice(RESIDENCES)} BÂT. {rng.choice('ABCDE')}\n{street}"
    return Home(street, postal_code, "AIX-EN-PROVENCE", "FRANCE", home_phone(rng))


def draw_home(rng: random.Random, *, away: bool = False) -> Home:
    """A household address; ``away`` is a parent who does not live with the child."""
    draw = rng.random()
    if draw < (0.55 if away else 0.88):
        return aix_home(rng)
    towns = ABROAD if away and draw > 0.93 else OTHER_TOWNS
    postal_code, city, country = rng.choice(towns)
    street = f"{rng.randint(1, 90)} {rng.choice(('RUE', 'AVENUE', 'CHEMIN'))} "
    street += rng.choice(SCHOOL_NAMES)
    phone = home_phone(rng) if country == "FRANCE" else ""
    return Home(street, postal_code, city, country, phone)


def draw_uai(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = 130000 + rng.randrange(4000)
        if str(number) not in taken:
            taken.add(str(number))
            return f"0{number}{UAI_LETTERS[number % 23]}"
