"""Every attribute SCIM sends out has its line in the inventory with its recipient, and the
access export lists the connected services that received a person's data."""

import pytest
from django.utils import timezone, translation

from accounts.services import account_sync
from privacy import inventory
from privacy.inventory import Recipient
from privacy.selectors.export import _scim_recipients
from scim import services

pytestmark = pytest.mark.django_db

# Each SCIM attribute entaix sends (scim/resources.py) and the inventory field(s) it comes from.
SCIM_ATTRIBUTES = {
    "id": [("accounts.user", "public_id"), ("scim.scimremoval", "public_id")],
    "userName": [("accounts.user", "login"), ("scim.scimremoval", "public_id")],
    "name.givenName": [("accounts.user", "first_name")],
    "name.familyName": [("accounts.user", "last_name")],
    "displayName": [("accounts.user", "first_name"), ("accounts.user", "last_name")],
    "userType": [("accounts.user", "kind"), ("schools.staff", "is_teacher")],
    "active": [("accounts.user", "is_active")],
    "emails": [("accounts.user", "email")],
    "meta.created": [("accounts.user", "date_joined")],
    "meta.lastModified": [
        ("accounts.user", "directory_modified_at"),
        ("scim.scimremoval", "removed_at"),
    ],
    "groups": [
        ("schools.pupil", "school"),
        ("schools.pupilclass", "school_class"),
        ("schools.guardianlink", "pupil"),
        ("schools.staffassignment", "school"),
        ("schools.staffclass", "school_class"),
    ],
}


def test_every_exported_attribute_has_a_personal_field_with_the_scim_recipient():
    for attribute, fields in SCIM_ATTRIBUTES.items():
        for label, field in fields:
            assert inventory.classify(label, field).personal, (attribute, label, field)
            assert Recipient.SCIM in inventory.recipients(label, field), (attribute, label, field)
    listed = {
        (label, field)
        for label, fields in inventory.RECIPIENTS.items()
        for field, recipients in fields.items()
        if Recipient.SCIM in recipients
    }
    # No line for a field that is not sent, besides the authority that selects the groups.
    sent = {pair for pairs in SCIM_ATTRIBUTES.values() for pair in pairs}
    assert listed - sent == {("schools.guardianlink", "legal")}


def test_the_access_export_lists_the_services_that_received_the_data(two_schools, client):
    synced = two_schools
    pupil = synced["a"]["pupils"][0]
    account_sync()
    pupil.refresh_from_db()
    assert _scim_recipients(pupil.account_id) == []
    _ent, token = services.scim_client_create(name="ENT ONE", school_ids=[synced["a"]["school"].pk])
    before = timezone.now()
    response = client.get("/scim/v2/Users?count=100", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    with translation.override("fr"):
        (entry,) = _scim_recipients(pupil.account_id)
    assert entry["service"] == "ENT ONE"
    assert entry["first_sent_at"] == entry["last_sent_at"]
    assert entry["display"].startswith("ENT ONE : première transmission le ")
    # A pupil of a school the service does not serve received nothing.
    other = synced["b"]["pupils"][0]
    other.refresh_from_db()
    assert _scim_recipients(other.account_id) == []
    assert before <= timezone.now()
