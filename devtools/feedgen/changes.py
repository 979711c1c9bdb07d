"""Deltas: a seeded step of changes (arrivals, departures, renames, moves) applied to the world."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .names import SURNAMES
from .nextyear import next_year
from .people import STRUCTURE_WEIGHTS, STRUCTURES, family, new_pupil, new_staff
from .world import LEVEL_RANK, Class, Place, School, World, aix_home, mail_address


@dataclass(frozen=True)
class Step:
    seed: int
    change_rate: float
    date: str  # ISO date of the set the step produced
    complet: bool = False
    # The September changeover (nextyear.py) instead of a day's changes.
    next_year: bool = False


@dataclass
class Changes:
    added: dict[str, dict[str, None]] = field(default_factory=dict)
    modified: dict[str, dict[str, None]] = field(default_factory=dict)
    deleted: dict[str, dict[str, None]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)

    def record(self, bucket: dict[str, dict[str, None]], kind: str, key: str) -> None:
        bucket.setdefault(kind, {})[key] = None
        self.touched.add(key)


def _free_place(world: World, rng: random.Random) -> Place:
    """Places for pupils arriving in a delta: any class of the school that takes the level."""

    def place(hint: int | None, avoid: set[str]) -> tuple[School, str, Class]:
        schools = [s for s in world.schools if s.classes]
        if not schools:
            raise ValueError("no class to place a new pupil in")
        school = world.schools[hint] if hint is not None else rng.choice(schools)
        if not school.classes:
            school = rng.choice(schools)
        levels = sorted({level for c in school.classes for level in c.levels}, key=LEVEL_RANK.get)
        level = rng.choice([level for level in levels if level not in avoid] or levels)
        klass = rng.choice([c for c in school.classes if level in c.levels])
        return school, level, klass

    return place


def _children_index(world: World) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for pupil in world.pupils.values():
        for link in pupil.links:
            children.setdefault(link[0], []).append(pupil.key)
    return children


def apply_step(world: World, step: Step) -> Changes:
    changes = Changes()
    if step.next_year:
        next_year(world, step.seed)  # written as a Complet only: no Delta's changes to list
        return changes
    rng = random.Random(step.seed)  # noqa: S311 - test data, not secrets
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
        structure = rng.choices(STRUCTURES, STRUCTURE_WEIGHTS)[0]
        n_children = rng.choices((1, 2), (80, 20))[0]
        guardians, pupils = family(
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
    world: World,
    rng: random.Random,
    keys: list[str],
    children: dict[str, list[str]],
    changes: Changes,
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


def _teacher_leaves(world: World, rng: random.Random, changes: Changes) -> bool:
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
    newcomer = new_staff(world, rng, schools, list(leaving.functions), list(leaving.classes))
    changes.record(changes.added, "staff", newcomer.key)
    return True


def _sibling_arrives(
    world: World,
    rng: random.Random,
    place: Place,
    children: dict[str, list[str]],
    changes: Changes,
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
    pupil = new_pupil(world, rng, school, level, klass, elder.last, guardians, siblings)
    changes.record(changes.added, "pupils", pupil.key)
    for link in pupil.links:
        children.setdefault(link[0], []).append(pupil.key)
    return True


def _guardian_renamed(
    world: World, rng: random.Random, key: str, children: dict[str, list[str]], changes: Changes
) -> bool:
    guardian = world.guardians[key]
    if guardian.last != guardian.birth_name and rng.random() < 0.5:
        guardian.last = guardian.birth_name  # divorce: back to the birth name
    else:
        guardian.last = rng.choice([name for name in SURNAMES if name != guardian.last])
    changes.record(changes.modified, "guardians", key)
    return True


def _household_moves(
    world: World, rng: random.Random, key: str, children: dict[str, list[str]], changes: Changes
) -> bool:
    """A household moves: every guardian at the old address gets the new one."""
    guardian = world.guardians[key]
    related = {
        link[0]
        for pupil_key in children.get(key, ())
        for link in world.pupils[pupil_key].links
        if link[0] in world.guardians and link[0] not in changes.touched
    }
    home = aix_home(rng)
    old = (guardian.address, guardian.postal_code)
    for other_key in sorted(related | {key}):
        other = world.guardians[other_key]
        if (other.address, other.postal_code) == old:
            other.address, other.postal_code, other.city = home.address, home.postal_code, home.city
            other.country, other.phone = home.country, home.phone
            changes.record(changes.modified, "guardians", other_key)
    return True


def _guardian_new_mail(
    world: World, rng: random.Random, key: str, children: dict[str, list[str]], changes: Changes
) -> bool:
    guardian = world.guardians[key]
    guardian.mail = mail_address(world, rng, guardian.first or "contact", guardian.last)
    changes.record(changes.modified, "guardians", key)
    return True


def _pupil_changes_class(
    world: World, rng: random.Random, key: str, children: dict[str, list[str]], changes: Changes
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
    world: World, rng: random.Random, key: str, children: dict[str, list[str]], changes: Changes
) -> bool:
    pupil = world.pupils[key]
    pupil.last = rng.choice([name for name in SURNAMES if name != pupil.last])  # usual name
    changes.record(changes.modified, "pupils", key)
    return True


def _staff_renamed(
    world: World, rng: random.Random, key: str, children: dict[str, list[str]], changes: Changes
) -> bool:
    staff = world.staff[key]
    staff.last = rng.choice([name for name in SURNAMES if name != staff.last])
    changes.record(changes.modified, "staff", key)
    return True
