"""Building the Complet world from options: schools with their classes and groups, their staff,
then families drawn into the pupils' places."""

from __future__ import annotations

import random

from .names import AIX_CODES, AIX_STREETS, AIX_WEIGHTS, SCHOOL_NAMES
from .people import STRUCTURE_WEIGHTS, STRUCTURES, family, new_staff
from .world import (
    CLASS_SIZE,
    LEVEL_RANK,
    SCHOOL_KINDS,
    Class,
    GenOptions,
    School,
    World,
    digits,
    draw_uai,
)


def _build_schools(world: World, rng: random.Random) -> list[list[tuple[str, Class]]]:
    """Create schools, classes and groups; return, per school, its pupil slots (level, class)."""
    options = world.options
    taken: set[str] = set()
    circonscriptions = [draw_uai(rng, taken) for _ in range(max(1, options.schools // 15))]
    year_label = f"{world.year}-{world.year + 1}"
    slots: list[list[tuple[str, Class]]] = []
    for index in range(options.schools):
        kind = "EMP"[index % 3]
        _type, prefix, weights = SCHOOL_KINDS[kind]
        if kind == "E":  # the schools of one name (E, M, P) share a neighbourhood and street
            postal_code = rng.choices(AIX_CODES, AIX_WEIGHTS)[0]
            street = rng.choice(AIX_STREETS[postal_code][1])
        uai = draw_uai(rng, taken)
        base_name = SCHOOL_NAMES[(index // 3) % len(SCHOOL_NAMES)]
        generation = index // (3 * len(SCHOOL_NAMES))
        name = f"{prefix} {base_name}" + (f" {generation + 1}" if generation else "")
        school = School(
            index=index,
            key=world.new_key(rng),
            uai=uai,
            kind=kind,
            name=name,
            siren=digits(rng, "2", 9),
            circonscription=circonscriptions[index % len(circonscriptions)],
            address=f"{rng.randint(1, 60)} {street}",
            box=f"BP {rng.randint(10, 990)}" if rng.random() < 0.15 else "",
            postal_code=postal_code,
            phone=digits(rng, "0442"),
            fax=digits(rng, "0442"),
            mail=f"ce.{uai.lower()}@example.fr",
        )
        world.schools.append(school)
        levels = sorted(
            rng.choices(tuple(weights), tuple(weights.values()), k=options.pupils_per_school),
            key=LEVEL_RANK.__getitem__,
        )
        slots.append(_make_classes(school, levels, year_label))
        _make_groups(school, {level for level, _ in slots[-1]}, year_label)
    for school in world.schools:
        wanted = {"M": "E", "E": "M"}.get(school.kind, "P")
        near = [s.index for s in world.schools if s.kind == wanted and s.index != school.index]
        near.sort(key=lambda other, me=school.index: abs(other - me))
        world.partner.append(near[0] if near else school.index)
    return slots


def _make_classes(school: School, levels: list[str], year_label: str) -> list[tuple[str, Class]]:
    """Cut the level-sorted pupils into classes of ~25; a cut across levels: a multi-level class."""
    count = max(1, round(len(levels) / CLASS_SIZE)) if levels else 0
    slots: list[tuple[str, Class]] = []
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
        klass = Class(school.key, code, name, class_levels, value)
        school.classes.append(klass)
        slots.extend((level, klass) for level in chunk)
    return slots


def _make_groups(school: School, present: set[str], year_label: str) -> None:
    candidates = (
        ("GR01", "CHORALE CYCLE 3", {"CM1", "CM2"}, 0.3),
        ("GR02", "APC CP", {"CP"}, 0.25),
        ("GR03", "ATELIER LANGAGE GS", {"GS"}, 0.25),
        ("GR04", "ANGLAIS RENFORCÉ", {"CE2", "CM1", "CM2"}, 0.15),
    )
    for code, name, levels, share in candidates:
        if levels & present:
            value = f"{school.key}${school.uai}${year_label}${code}${name}"
            group = Class(school.key, code, name, tuple(sorted(levels, key=LEVEL_RANK.get)), value)
            school.groups.append((group, share))


def _teaching(school: School) -> str:
    return f"{school.key}$ENS$ENSEIGNEMENT$-$-"


def _build_staff(world: World, rng: random.Random) -> None:
    """One director per school (teaching below 8 classes), one teacher per other class, and a
    part-time teacher with two classes (shared with the next school every fifth school)."""
    schools = world.schools
    for school in schools:
        classes = school.classes
        functions = [f"{school.key}$DIR$DIRECTION$-$-"]
        director_class = classes[-1:] if len(classes) < 8 else []
        if director_class:
            functions.append(_teaching(school))
        new_staff(world, rng, [school], functions, director_class, directs=True)
        for klass in classes[: len(classes) - len(director_class)]:
            new_staff(world, rng, [school], [_teaching(school)], [klass])
        if len(classes) >= 4:
            attached, taught = [school], [classes[-1], classes[0]]
            other = schools[(school.index + 1) % len(schools)]
            if school.index % 5 == 0 and other is not school and other.classes:
                attached.append(other)
                taught.append(other.classes[0])
            new_staff(world, rng, attached, [_teaching(s) for s in attached], taught)


class _Slots:
    """Pupil places of the initial world: (school, level, class), drawn without replacement."""

    def __init__(self, world: World, rng: random.Random, slots: list[list[tuple[str, Class]]]):
        self.world = world
        self.pools = slots
        for pool in self.pools:
            rng.shuffle(pool)
        self.order = [index for index, pool in enumerate(slots) for _ in pool]
        rng.shuffle(self.order)
        self.position = 0
        self.left = len(self.order)

    def take(self, hint: int | None, avoid: set[str]) -> tuple[School, str, Class]:
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


_CHILDREN_WEIGHTS = (55, 33, 10, 2)  # families with 1, 2, 3, 4 children at primary school


def build_world(options: GenOptions) -> World:
    if options.schools < 1 or options.pupils_per_school < 0:
        raise ValueError("need at least one school and a non-negative number of pupils")
    rng = random.Random(options.seed)  # noqa: S311 - test data, not secrets
    year = options.date.year if options.date.month >= 8 else options.date.year - 1
    world = World(options=options, year=year, next_key=1_900_000 + rng.randrange(50_000))
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


def _build_families(world: World, rng: random.Random, slots: _Slots) -> None:
    # Scripted families first, so that even a tiny feed holds every case importers must handle.
    other = 1 if len(world.schools) > 1 else 0
    if slots.left >= 2:  # separated parents, two addresses, children in two schools
        surname = rng.choice(("N'DIAYE", "D'ANGELO", "D'ALMEIDA", "O'NEILL"))
        family(
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
        _, (first_child,) = family(
            world, rng, slots.take, 1, "no_authority", surname=surname, contact=True, schools=(0,)
        )
        if slots.left >= 1:  # homonyms: same-named father and child in another family
            father = world.guardians[first_child.links[1][0]]
            family(
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
        family(world, rng, slots.take, 4, "single_mother", schools=(other, 0, other, 0))
    while slots.left:
        n_children = min(slots.left, rng.choices((1, 2, 3, 4), _CHILDREN_WEIGHTS)[0])
        structure = rng.choices(STRUCTURES, STRUCTURE_WEIGHTS)[0]
        family(world, rng, slots.take, n_children, structure, contact=rng.random() < 0.25)
