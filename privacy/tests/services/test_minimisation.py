"""Finding 8: minimisation by default. The feed's service flags of pupils and staff birth dates
are dropped where records become rows; no column holds them; the inventory says "not kept"."""

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse

from imports import state
from privacy import inventory
from schools.models import Pupil, Staff

DROPPED = {
    Pupil: ("canteen", "transport", "morning_care", "evening_care", "supervised_study"),
    Staff: ("birth_date",),
}


def test_the_fields_the_ent_does_not_need_are_not_kept():
    for model, names in DROPPED.items():
        for name in names:
            with pytest.raises(FieldDoesNotExist):
                model._meta.get_field(name)
    assert not set(DROPPED[Pupil]) & set(state.PUPIL_FIELDS)
    assert "birth_date" not in state.STAFF_FIELDS
    assert sorted(inventory.NOT_KEPT) == [
        "ENTEleveEtudesSurveillees",
        "ENTEleveGarderieMatin",
        "ENTEleveGarderieSoir",
        "ENTEleveRestaurantScolaire",
        "ENTEleveTransport",
        "PersEducNat ENTPersonDateNaissance",
    ]


@pytest.mark.django_db
def test_teachers_do_not_see_a_guardians_address_and_phones(family, client):
    url = reverse("schools:guardian", args=[family.mother.pk])
    client.force_login(family.teacher.account)
    page = client.get(url)
    assert page.status_code == 200
    assert "3 rue Sextius" not in page.content.decode()
    assert "0611223344" not in page.content.decode()
    client.force_login(family.director.account)
    page = client.get(url).content.decode()
    assert "3 rue Sextius" in page and "0611223344" in page


def test_every_kept_guardian_contact_field_names_the_feature_that_needs_it():
    contact = ("address", "postal_code", "city", "home_phone", "mobile_phone", "work_phone")
    needed = inventory.NEEDED_FOR["schools.guardian"]
    assert all(needed[name] for name in contact)
    assert all(inventory.INVENTORY["schools.guardian"][name].personal for name in contact)
