"""The listings' fast path (`resources.user_payload`, plain dicts) gives exactly what
scim2-models gives for the same row (`resources.dump(resources.user_resource(…))`), and what it
gives is a valid SCIM User for scim2-models."""

import datetime
import uuid

import pytest
from scim2_models import Context, User

from scim import resources
from scim.groups import GroupRef

BASE = "https://ent.example/scim/v2"
WHEN = datetime.datetime(2026, 9, 1, 7, 30, 5, 123456, tzinfo=datetime.UTC)
PARIS = datetime.timezone(datetime.timedelta(hours=2))
GROUPS = [
    GroupRef("0b5e8c1e-0000-5000-8000-000000000001", 1, None, "0130001A", "school", "École A",
             None),
    GroupRef("0b5e8c1e-0000-5000-8000-000000000002", 1, 7, "0130001A", "class", "CP-CE1 Mme B",
             "0b5e8c1e-0000-5000-8000-000000000001"),
]  # fmt: skip


def row(**changes) -> dict:
    base = {
        "key": 12, "public_id": uuid.UUID("7d7c3d9e-8b1e-4a47-9a51-2c8f0e6c1a10"),
        "login": "lea.martin", "first_name": "Léa", "last_name": "Martin", "kind": "pupil",
        "is_active": True, "email": "", "email_confirmed_at": None, "date_joined": WHEN,
        "modified": WHEN.replace(microsecond=0), "teacher": False, "in_scope": True,
        "removed": False, "directory_schools": [1], "directory_classes": [7],
    }  # fmt: skip
    return {**base, **changes}


ROWS = {
    "pupil with groups": (row(), GROUPS),
    "no groups": (row(), []),
    "confirmed e-mail": (row(email="a@b.fr", email_confirmed_at=WHEN), GROUPS),
    "e-mail not confirmed": (row(email="a@b.fr"), GROUPS),
    "teacher": (row(kind="staff", teacher=True), GROUPS[:1]),
    "staff": (row(kind="staff"), GROUPS[:1]),
    "first name only": (row(last_name=""), GROUPS),
    "last name only": (row(first_name=""), GROUPS),
    "no name": (row(first_name="", last_name=""), GROUPS),
    "dates in another zone": (row(date_joined=WHEN.astimezone(PARIS)), GROUPS),
    "no directory stamp": (row(modified=WHEN), GROUPS),
    "deactivated": (row(is_active=False), GROUPS),
    "out of scope": (row(in_scope=False, kind="guardian"), []),
    "removed": (
        row(
            removed=True,
            login=str(row()["public_id"]),
            first_name="",
            last_name="",
            kind="",
            is_active=False,
            in_scope=False,
            date_joined=None,
        ),
        [],
    ),
}


@pytest.mark.parametrize("name", ROWS)
def test_the_fast_path_is_exactly_scim2_models(name):
    values, groups = ROWS[name]
    reference = resources.dump(resources.user_resource(values, groups=groups, base_url=BASE))
    fast = resources.user_payload(values, groups=groups, base_url=BASE)
    assert fast == reference
    assert fast["meta"]["version"] == reference["meta"]["version"]
    parsed = User.model_validate(fast, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert parsed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) == fast
