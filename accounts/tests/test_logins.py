import re

import pytest

from accounts.logins import BASE_MAX, LoginAllocator, login_base, login_part

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
    assert (
        login_part("N\u2019Diaye")
        == login_part("N'Diaye")
        == login_part("N\u02bcdiaye")
        == "ndiaye"
    )
    assert login_part("Jean 3") == "jean"


def test_homonyms_get_2_then_3_whatever_the_case_of_taken_logins():
    allocator = LoginAllocator(["LEA.MARTIN", "paul.roux"])
    assert allocator.allocate("Léa", "Martin") == "lea.martin2"
    assert allocator.allocate("Lea", "MARTIN") == "lea.martin3"
    assert allocator.allocate("Paul", "Roux") == "paul.roux2"
    assert allocator.allocate("Noé", "Fabre") == "noe.fabre"
    assert allocator.allocate("Noe", "Fabre") == "noe.fabre2"


def test_allocator_skips_numbers_already_taken():
    allocator = LoginAllocator(["lea.martin", "lea.martin2", "lea.martin4"])
    assert [allocator.allocate("Léa", "Martin") for _ in range(3)] == [
        "lea.martin3",
        "lea.martin5",
        "lea.martin6",
    ]


def test_a_legal_persons_name_keeps_its_digits():
    """The child-welfare body of a département (no first name) lost its number (issue 20)."""
    assert login_base("", "AIDE SOCIALE À L'ENFANCE 13") == "aide-sociale-a-lenfance-13"
    assert login_base("", "Aide sociale à l'enfance 84") == "aide-sociale-a-lenfance-84"
    # A homonym number after a kept number is set apart, so the two never read as one.
    allocator = LoginAllocator(["aide-sociale-a-lenfance-13"])
    assert allocator.allocate("", "Aide sociale à l'enfance 13") == "aide-sociale-a-lenfance-13-2"
    assert allocator.allocate("", "Aide sociale à l'enfance 13") == "aide-sociale-a-lenfance-13-3"
    # A person's name still drops digits (names carry none; `lea.martin2` is a homonym number).
    assert login_base("Jean 3", "Martin 2") == "jean.martin"
