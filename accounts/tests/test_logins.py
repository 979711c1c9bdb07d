import re

import pytest

from accounts.logins import BASE_MAX, LoginAllocator, fold, login_base

CHARSET = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")  # the User table's check constraint


@pytest.mark.parametrize(
    ("first", "last", "login"),
    [
        ("Léa", "Martin", "lea.martin"),
        ("Aïssatou", "N'Diaye", "aissatou.ndiaye"),
        ("Zoé", "D\u2019Angelo", "zoe.dangelo"),
        ("Jean-Baptiste", "De La Fontaine", "jean-baptiste.de-la-fontaine"),
        ("Chloé", "Lefèvre\u2013Bérard", "chloe.lefevre-berard"),  # an en dash
        ("Œdipe", "Strauß", "oedipe.strauss"),
        ("  ANAÏS ", "  FABRE  ", "anais.fabre"),
        ("Louis 2", "Müller", "louis.muller"),
        ("Noé", "O'Brien-Smith", "noe.obrien-smith"),
        ("-Jean-", "--Roux--", "jean.roux"),
        ("李", "Martin", "martin"),
        ("Léa", "", "lea"),
        ("", "", "compte"),
    ],
)
def test_login_base_folds_names(first, last, login):
    assert login_base(first, last) == login
    assert CHARSET.match(login)


def test_login_base_is_cut_to_a_sane_length():
    login = login_base("Maximilien-Alexandre", "Rodriguez de la Santisima Trinidad")
    assert login == "maximilien-alex.rodriguez-de-l"
    assert len(login) == BASE_MAX == 30
    # A cut never leaves a dangling hyphen.
    assert login_base("Jean-", "X" * 40) == "jean." + "x" * 25
    assert login_base("Marie-Christine-Anne", "Roux") == "marie-christine.roux"


def test_fold_drops_every_apostrophe_and_digit():
    assert fold("N\u2019Diaye") == fold("N'Diaye") == fold("N\u02bcdiaye") == "ndiaye"
    assert fold("Jean 3") == "jean"


def _taken(logins):
    """The allocator's question, answered from a fixed list, counting the questions."""
    asked = []

    def taken(candidates: set[str]) -> set[str]:
        asked.append(set(candidates))
        return {login for login in logins if login.lower() in candidates}

    return taken, asked


def test_homonyms_get_2_then_3_whatever_the_case_of_taken_logins():
    taken, asked = _taken(["LEA.MARTIN", "paul.roux"])
    names = [("Léa", "Martin"), ("Lea", "MARTIN"), ("Paul", "Roux"), ("Noé", "Fabre"),
             ("Noe", "Fabre")]  # fmt: skip
    assert LoginAllocator(taken).allocate_batch(names) == [
        "lea.martin2",
        "lea.martin3",
        "paul.roux2",
        "noe.fabre",
        "noe.fabre2",
    ]
    # One question for the bases, one for the numbers: not one per person.
    assert asked[0] == {"lea.martin", "paul.roux", "noe.fabre"}
    assert len(asked) == 2


def test_allocator_skips_numbers_already_taken():
    taken, _ = _taken(["lea.martin", "lea.martin2", "lea.martin4"])
    assert LoginAllocator(taken).allocate_batch([("Léa", "Martin")] * 3) == [
        "lea.martin3",
        "lea.martin5",
        "lea.martin6",
    ]


def test_many_homonyms_take_several_rounds_and_skip_every_taken_number():
    taken, asked = _taken(["jean.roux"] + [f"jean.roux{n}" for n in range(2, 12)])
    logins = LoginAllocator(taken).allocate_batch([("Jean", "Roux")] * 2)
    assert logins == ["jean.roux12", "jean.roux13"]
    assert len(asked) == 4  # bases, then numbers 2-6, 7-11, 12-16
