"""The people of the world: staff, and families (guardians, their links, and the pupils)."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence

from .names import BOYS, GIRLS, MEN, SURNAMES, WOMEN
from .world import (
    ASE,
    ELEMENTARY,
    FAMILY,
    FATHER,
    MOTHER,
    OTHER,
    TUTOR,
    UAI_LETTERS,
    Class,
    Flags,
    Guardian,
    Home,
    Place,
    Pupil,
    School,
    Staff,
    World,
    aix_home,
    birth_date,
    digits,
    draw_home,
    mail_address,
)


def _person_names(rng: random.Random, civility: str) -> tuple[str, list[str]]:
    pool = MEN if civility == "M." else WOMEN
    first = rng.choice(pool)
    others = [rng.choice(pool) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
    return first, [name for name in others if name != first]


def new_staff(
    world: World,
    rng: random.Random,
    schools: list[School],
    functions: list[str],
    classes: list[Class],
    *,
    directs: bool = False,
) -> Staff:
    civility = "Mme" if rng.random() < 0.82 else "M."
    first, others = _person_names(rng, civility)
    birth_name = rng.choice(SURNAMES)
    last = rng.choice(SURNAMES) if civility == "Mme" and rng.random() < 0.35 else birth_name
    born = datetime.date(rng.randint(1962, 1998), 1, 1) + datetime.timedelta(rng.randrange(365))
    specialities = []
    if rng.random() < 0.08:
        specialities.append("LANGUE VIVANTE ANGLAIS")
    if rng.random() < 0.04:
        specialities.append("RÉFÉRENT NUMÉRIQUE")
    staff = Staff(
        key=world.new_key(rng),
        civility=civility,
        first=first,
        others=others,
        last=last,
        birth_name=birth_name,
        birth=born.strftime("%d/%m/%Y"),
        mail=mail_address(world, rng, first, last, "example.fr"),
        schools=[school.key for school in schools],
        functions=functions,
        directs=[schools[0].key] if directs else [],
        specialities=specialities,
        classes=classes,
    )
    world.staff[staff.key] = staff
    return staff


def _new_guardian(
    world: World,
    rng: random.Random,
    civility: str,
    last: str,
    home: Home,
    *,
    first: str | None = None,
    birth_name: str | None = None,
    lives_with_child: bool = True,
    mail: bool | None = None,
) -> Guardian:
    given, others = _person_names(rng, civility)
    first = first or given
    has_mail = rng.random() >= 0.3 if mail is None else mail
    guardian = Guardian(
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
        mobile=digits(rng, rng.choice(("06", "07"))) if lives_with_child else "",
        work_phone=digits(rng, rng.choice(("04", "04", "01", "09"))) if rng.random() < 0.8 else "",
        mail=mail_address(world, rng, first, last) if has_mail else "",
    )
    world.guardians[guardian.key] = guardian
    return guardian


def _adults(
    world: World,
    rng: random.Random,
    structure: str,
    *,
    surname: str | None = None,
    father_first: str | None = None,
    father_mail: bool | None = None,
) -> tuple[list[tuple[Guardian, Flags]], str]:
    """The adults of one family with their link flags; also the children's surname."""
    father_last = surname or rng.choice(SURNAMES)
    mother_birth = rng.choice(SURNAMES)
    home = draw_home(rng)
    payment = rng.randint(0, 1)

    def father(where: Home, *, resident: bool = True) -> Guardian:
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

    def mother(where: Home, last: str, *, resident: bool = True) -> Guardian:
        return _new_guardian(
            world, rng, "Mme", last, where, birth_name=mother_birth, lives_with_child=resident
        )

    if structure == "couple":
        married = mother_birth if rng.random() < 0.45 else father_last
        if father_first is None and rng.random() < 0.02:  # two mothers
            partner = (_new_guardian(world, rng, "Mme", father_last, home), MOTHER)
        else:
            partner = (father(home), FATHER)
        pair = [partner, (mother(home, married), MOTHER)]
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
        dad = father(
            home if not with_mother else draw_home(rng, away=True), resident=not with_mother
        )
        mum = mother(
            home if with_mother else draw_home(rng, away=True),
            mother_birth,
            resident=with_mother,
        )
        first, second = (mum, dad) if with_mother else (dad, mum)
        adults = [
            (first, (MOTHER if first is mum else FATHER, 1, 1, 0, 1)),
            (second, (FATHER if second is dad else MOTHER, 1, 2, 0, 0)),
        ]
        children = father_last
    elif structure == "single_mother":
        adults = [(mother(home, mother_birth), (MOTHER, 1, 1, 0, 1))]
        children = mother_birth
    elif structure == "single_father":
        adults = [(father(home), (FATHER, 1, 1, 0, 1))]
        children = father_last
    elif structure == "no_authority":  # the father keeps no parental authority
        mum = mother(home, mother_birth)
        dad = father(draw_home(rng, away=True), resident=False)
        adults = [(mum, (MOTHER, 1, 1, 0, 1)), (dad, (FATHER, 0, 0, 0, 0))]
        children = father_last if rng.random() < 0.5 else mother_birth
    elif structure == "tutor":
        civility = rng.choice(("M.", "Mme"))
        tutor = _new_guardian(world, rng, civility, rng.choice(SURNAMES), home)
        adults = [(tutor, (TUTOR, 1, 1, 0, 1))]
        children = father_last
    else:  # "ase": placed child; the child-welfare service holds authority with the mother
        service = Home("4 QUAI D'ARENC", "13002", "MARSEILLE", "FRANCE", digits(rng, "0413"))
        ase = _new_guardian(
            world, rng, "", "AIDE SOCIALE À L'ENFANCE DES BOUCHES-DU-RHÔNE", service, mail=False
        )
        ase.first, ase.others, ase.mobile = "", [], ""
        adults = [
            (ase, (ASE, 0, 1, 0, 0)),
            (
                mother(draw_home(rng, away=True), mother_birth, resident=False),
                (MOTHER, 0, 2, 0, 0),
            ),
        ]
        children = mother_birth
    return adults, children


def _contact(world: World, rng: random.Random, surname: str) -> tuple[Guardian, Flags]:
    """A person to call who holds no authority: a grandparent, or a childminder."""
    civility = "Mme" if rng.random() < 0.7 else "M."
    if rng.random() < 0.7:
        person = _new_guardian(world, rng, civility, surname, aix_home(rng))
        return person, (FAMILY, 0, 0, 1, 0)
    person = _new_guardian(world, rng, civility, rng.choice(SURNAMES), aix_home(rng))
    return person, (OTHER, 0, 0, 1, 0)


def family(
    world: World,
    rng: random.Random,
    place: Place,
    n_children: int,
    structure: str,
    *,
    contact: bool = False,
    surname: str | None = None,
    father_first: str | None = None,
    father_mail: bool | None = None,
    twin_of: Pupil | None = None,
    schools: Sequence[int | None] = (),
) -> tuple[list[Guardian], list[Pupil]]:
    adults, children_surname = _adults(
        world, rng, structure, surname=surname, father_first=father_first, father_mail=father_mail
    )
    links: list[tuple[Guardian, Flags]] = list(adults)
    if contact:
        links.append(_contact(world, rng, children_surname))
    pupils: list[Pupil] = []
    for number in range(n_children):
        hint = schools[number] if number < len(schools) else None
        if hint is None and pupils:
            same = rng.random() < 0.7
            hint = pupils[-1].school.index if same else world.partner[pupils[-1].school.index]
        school, level, klass = place(hint, {pupil.level for pupil in pupils})
        pupil = new_pupil(world, rng, school, level, klass, children_surname, links, pupils)
        if twin_of is not None and number == 0:  # a homonym of a pupil of another family
            pupil.first, pupil.civility = twin_of.first, twin_of.civility
            pupil.last = pupil.birth_name = twin_of.last
        pupils.append(pupil)
    return [guardian for guardian, _ in links], pupils


def new_pupil(
    world: World,
    rng: random.Random,
    school: School,
    level: str,
    klass: Class,
    surname: str,
    links: Sequence[tuple[Guardian, Flags]],
    siblings: Sequence[Pupil],
) -> Pupil:
    civility = "M." if rng.random() < 0.51 else "Mme"
    pool = BOYS if civility == "M." else GIRLS
    taken = {sibling.first for sibling in siblings}
    first = rng.choice(pool)
    while first in taken:
        first = rng.choice(pool)
    others = [rng.choice(pool) for _ in range(rng.choice((0, 1, 1, 2)))]
    while True:
        ine = digits(rng, "", 10) + rng.choice(UAI_LETTERS)
        if ine not in world.ines:
            world.ines.add(ine)
            break
    elementary = level in ELEMENTARY

    def yes(share: float) -> str:
        return "O" if rng.random() < share else "N"

    pupil = Pupil(
        key=world.new_key(rng),
        civility=civility,
        first=first,
        others=[name for name in others if name != first],
        last=surname,
        birth_name=surname,
        birth=birth_date(rng, world.year, level),
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


STRUCTURES = (
    "couple",
    "separated",
    "single_mother",
    "single_father",
    "no_authority",
    "tutor",
    "ase",
)
STRUCTURE_WEIGHTS = (620, 170, 140, 35, 20, 10, 5)
