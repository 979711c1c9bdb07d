"""The PII inventory covers every field; every model holding personal data is audited."""

import pytest
from auditlog.registry import auditlog
from django.urls import reverse

from privacy import inventory
from privacy.audit import EXCLUDED_FIELDS, NOT_REGISTERED


def test_every_field_of_every_model_is_classified():
    assert inventory.unclassified() == []


def test_the_inventory_names_no_field_that_does_not_exist():
    assert inventory.stale() == []


def test_a_field_missing_from_the_inventory_is_reported(monkeypatch):
    pupil = dict(inventory.INVENTORY["schools.pupil"])
    del pupil["ine"]
    monkeypatch.setitem(inventory.INVENTORY, "schools.pupil", pupil)
    assert inventory.unclassified() == ["schools.pupil.ine"]


def test_every_model_holding_personal_data_is_audited():
    labels = [m._meta.label_lower for m in inventory.personal_models()]
    assert {
        "schools.pupil",
        "schools.guardian",
        "schools.staff",
        "schools.guardianlink",
        "accounts.user",
        "privacy.datarequest",
    } <= set(labels)
    missing = [
        m._meta.label_lower
        for m in inventory.personal_models()
        if not auditlog.contains(m) and m._meta.label_lower not in NOT_REGISTERED
    ]
    assert missing == []


def test_secrets_never_reach_the_audit_trail():
    from accounts.models import ActivationCode, User

    assert "password" in auditlog.get_model_fields(User)["exclude_fields"]
    assert set(EXCLUDED_FIELDS["accounts.activationcode"]) <= set(
        auditlog.get_model_fields(ActivationCode)["exclude_fields"]
    )


def test_person_fields_from_the_feed_are_personal_with_their_rule():
    field = inventory.classify("schools.pupil", "birth_date")
    assert (field.personal, field.source, field.rule) == (True, "aaf", "pupil-left")
    assert inventory.classify("accounts.user", "email").source == "person"
    assert not inventory.classify("imports.importrun", "counts").personal


@pytest.mark.django_db
def test_inventory_page_is_for_the_dpo(client, city_user, two_schools):
    client.force_login(two_schools["a"]["director"].account)
    assert client.get(reverse("privacy:inventory")).status_code == 403
    client.force_login(city_user)
    response = client.get(reverse("privacy:inventory"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == sum(len(f) for f in inventory.INVENTORY.values())
