"""Parents' letters carry their child's school contact (the feed's school data, issue 15)."""

import pytest

from accounts import services
from accounts.letters import school_contact_lines
from accounts.models import LetterBatch
from accounts.tests.support import pdf_pages
from entaix.tests.factories import account, guardian_of

pytestmark = pytest.mark.django_db


def test_school_contact_lines_leave_out_empty_parts():
    assert school_contact_lines(
        name="École A", address="3 avenue des Pins\nBâtiment B", po_box="BP 12",
        postal_code="13001", city="MARSEILLE", phone="04 91 00 00 00",
        email="ce.0130001a@ac-test.fr",
    ) == (
        "École A", "3 avenue des Pins", "Bâtiment B", "BP 12", "13001 MARSEILLE",
        "Téléphone : 04 91 00 00 00", "Courriel : ce.0130001a@ac-test.fr",
    )  # fmt: skip
    assert school_contact_lines(name="École B", city="AIX") == ("École B", "AIX")


def test_parents_letter_prints_the_school_contact_and_pupils_letters_do_not(synced):
    school = synced["a"]["school"]
    school.address, school.postal_code, school.city = "3 avenue des Pins", "13001", "MARSEILLE"
    school.phone, school.email = "04 91 00 00 00", "ce.0130001a@ac-test.fr"
    school.save()
    parent = account(guardian_of(synced["a"]["pupils"][0]))
    director = synced["a"]["director"].account
    _batch, pdf = services.letter_batch_create(
        actor=director, kind=LetterBatch.Kind.SELECTION, account_ids=[parent.pk]
    )
    (text,) = pdf_pages(pdf)
    assert "3 avenue des Pins" in text
    assert "13001 MARSEILLE" in text
    assert "Téléphone : 04 91 00 00 00" in text
    assert "Courriel : ce.0130001a@ac-test.fr" in text
    pupil = account(synced["a"]["pupils"][0])
    _batch, pdf = services.letter_batch_create(
        actor=director, kind=LetterBatch.Kind.SELECTION, account_ids=[pupil.pk]
    )
    (text,) = pdf_pages(pdf)
    assert "3 avenue des Pins" not in text
