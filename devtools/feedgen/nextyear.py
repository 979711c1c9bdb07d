"""The next school year (`aaf_generate --next-year`): the September changeover as a step.

From a generated city, the world of the following school year, written as a Complet:
- every pupil moves up a level; CM2 pupils leave (collège), a few others move away;
- a nursery school's GS pupils go to CP in its partner elementary school;
- each class keeps its code and is renamed after its new levels (``CP A`` → ``CE1 A``); a class
  emptied by the departures takes the school's new entry level (CP, or PS where there is a
  nursery section), and new pupils arrive at that level, as many as the school lost (so an
  elementary school gets new CP besides its partner's GS);
- one class of the second school is split in two (half its pupils go to a new class), and a
  teacher of the first school moves to the second to take the new class (a newcomer takes over
  theirs).

Deterministic: the same world and seed give the same changes. A step like a Delta's
(``changes.Step`` with ``next_year``), so a later Delta replays it.
"""

from __future__ import annotations

import random

from .people import STRUCTURE_WEIGHTS, STRUCTURES, family, new_staff
from .world import LEVEL_RANK, Class, Pupil, School, World

NEXT_LEVEL = {"TPS": "PS", "PS": "MS", "MS": "GS", "GS": "CP", "CP": "CE1", "CE1": "CE2",
              "CE2": "CM1", "CM1": "CM2"}  # fmt: skip
# The level new pupils arrive at, by school kind (elementary, nursery, primary).
ENTRY_LEVEL = {"E": "CP", "M": "PS", "P": "PS"}
MOVE_AWAY_SHARE = 0.02  # pupils other than CM2 who leave the city's schools


def _teaching(school: School) -> str:
    return f"{school.key}$ENS$ENSEIGNEMENT$-$-"


def _children_index(world: World) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for pupil in world.pupils.values():
        for link in pupil.links:
            children.setdefault(link[0], []).append(pupil.key)
    return children


def _value(school: School, klass: Class, year: int) -> str:
    return f"{school.key}${school.uai}${year}-{year + 1}${klass.code}${klass.name}"


def _letter(klass: Class) -> str:
    return klass.name.rsplit(" ", 1)[-1]


def _leave(world: World, key: str, children: dict[str, list[str]]) -> None:
    pupil = world.pupils.pop(key)
    for link in pupil.links:
        siblings = children[link[0]]
        siblings.remove(key)
        if not siblings and link[0] in world.guardians:  # nobody left to relate to: gone too
            del world.guardians[link[0]]


def _new_class(school: School, levels: tuple[str, ...], year: int) -> Class:
    number = len(school.classes)
    letters = {_letter(klass) for klass in school.classes}
    letter = next(chr(65 + i) for i in range(26) if chr(65 + i) not in letters)
    klass = Class(school.key, f"CL{number + 1:02d}", f"{'-'.join(levels)} {letter}", levels, "")
    klass.value = _value(school, klass, year)
    school.classes.append(klass)
    return klass


def next_year(world: World, seed: int) -> None:
    """Turn ``world`` into the next school year's (see the module's docstring)."""
    rng = random.Random(f"next-year:{seed}")  # noqa: S311 - test data, not secrets
    world.year += 1
    year = world.year
    children = _children_index(world)
    schools = {school.key: school for school in world.schools}
    lost = dict.fromkeys(schools, 0)  # pupils each school loses, replaced by arrivals
    transfers: list[Pupil] = []
    for key in list(world.pupils):
        pupil = world.pupils[key]
        school = pupil.school
        partner = world.schools[world.partner[school.index]]
        if pupil.level == "GS" and school.kind == "M" and partner.kind != "M":
            transfers.append(pupil)
            lost[school.key] += 1
        elif pupil.level == "CM2" or rng.random() < MOVE_AWAY_SHARE:
            _leave(world, key, children)
            lost[school.key] += 1
    for pupil in world.pupils.values():
        pupil.level = NEXT_LEVEL.get(pupil.level, pupil.level)
    # Classes keep their codes and take the names of their new levels.
    staying: dict[int, list[str]] = {}
    for pupil in world.pupils.values():
        staying.setdefault(id(pupil.klass), []).append(pupil.level)
    entry_classes: dict[str, Class] = {}
    for school in world.schools:
        entry = ENTRY_LEVEL[school.kind]
        for klass in school.classes:
            levels = tuple(
                sorted(set(staying.get(id(klass), ())) - ({"CP"} if school.kind == "M" else set()),
                       key=LEVEL_RANK.get)
            )  # fmt: skip
            if not levels:
                levels = (entry,)
            klass.levels = levels
            klass.name = f"{'-'.join(levels)} {_letter(klass)}"
            if entry in levels and school.key not in entry_classes:
                entry_classes[school.key] = klass
        for group, _share in school.groups:
            group.value = _value(school, group, year)
    for pupil in world.pupils.values():
        pupil.groups = [group for group in pupil.groups if pupil.level in group.levels]
    # Nursery GS go to CP in their partner elementary school.
    for pupil in transfers:
        target = world.schools[world.partner[pupil.school.index]]
        klass = entry_classes.get(target.key)
        if klass is None or "CP" not in klass.levels:
            klass = next((c for c in target.classes if "CP" in c.levels), None)
        if klass is None:
            klass = entry_classes[target.key] = _new_class(target, ("CP",), year)
        pupil.school, pupil.klass, pupil.groups = target, klass, []
    # New pupils at the entry level, as many as each school lost (its GS sent to CP included).
    for school in world.schools:
        entry = ENTRY_LEVEL[school.kind]
        klass = entry_classes.get(school.key) or _new_class(school, (entry,), year)
        entry_classes[school.key] = klass

        def place(_hint, _avoid, school=school, entry=entry, klass=klass):
            return school, entry, klass

        for _ in range(max(0, lost[school.key])):
            structure = rng.choices(STRUCTURES, STRUCTURE_WEIGHTS)[0]
            family(world, rng, place, 1, structure, contact=rng.random() < 0.25)
    _split_and_move_teacher(world, rng, entry_classes, year)
    for school in world.schools:
        for klass in school.classes:
            klass.value = _value(school, klass, year)


def _split_and_move_teacher(
    world: World, rng: random.Random, entry_classes: dict[str, Class], year: int
) -> None:
    """Split the second school's largest class; a teacher of the first school takes the half
    in a new class, and a newcomer takes over their class."""
    if len(world.schools) < 2:
        return
    first, second = world.schools[0], world.schools[1]
    pupils_of: dict[int, list[Pupil]] = {}
    for pupil in world.pupils.values():
        pupils_of.setdefault(id(pupil.klass), []).append(pupil)
    candidates = [
        klass
        for klass in second.classes
        if klass is not entry_classes.get(second.key) and len(pupils_of.get(id(klass), ())) >= 2
    ]
    if not candidates:
        return
    split = max(candidates, key=lambda klass: (len(pupils_of[id(klass)]), klass.code))
    half = _new_class(second, split.levels, year)
    for pupil in sorted(pupils_of[id(split)], key=lambda p: p.key)[1::2]:
        pupil.klass = half
    movers = [
        staff
        for staff in world.staff.values()
        if staff.schools == [first.key] and len(staff.classes) == 1 and not staff.directs
    ]
    if not movers:
        return
    mover = movers[rng.randrange(len(movers))]
    left_class = mover.classes[0]
    mover.schools = [second.key]
    mover.functions = [_teaching(second)]
    mover.classes = [half]
    new_staff(world, rng, [first], [_teaching(first)], [left_class])
