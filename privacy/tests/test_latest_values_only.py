"""Finding 3 (annex 1: "seules les dernières mises à jour sont conservées"): after a rename and a
phone change, no table holds the old value; applied plan items keep keys and field names."""

import pytest
from auditlog.models import LogEntry

from accounts.tests.support import account
from imports.models import ImportPlanItem

from .conftest import apply_import, where_found

pytestmark = pytest.mark.django_db


def test_after_a_rename_and_a_phone_change_no_table_holds_the_old_values(family):
    mother = account(family.mother)
    mother.email = "aissatou.perso@example.fr"
    mother.save()
    mother.email = "awa.perso@example.fr"
    mother.save()
    run = apply_import(
        [
            (
                "guardians",
                "update",
                family.mother.join_key,
                {"first_name": "Awa", "mobile_phone": "0700000001"},
            )
        ]
    )
    assert run.status == "applied"
    family.mother.refresh_from_db()
    assert (family.mother.first_name, family.mother.mobile_phone) == ("Awa", "0700000001")
    # The applied plan keeps which fields changed, not their values.
    item = ImportPlanItem.objects.get(run=run)
    assert (item.key, item.data) == (
        family.mother.join_key,
        {"first_name": None, "mobile_phone": None},
    )
    # A second rename: the first new value is now an old one, and nowhere either.
    run = apply_import([("guardians", "update", family.mother.join_key, {"first_name": "Awou"})])
    assert run.status == "applied"
    assert where_found(["Aïssatou", "0611223344", "aissatou.perso@example.fr"]) == []
    assert ImportPlanItem.objects.filter(data__first_name="Awa").count() == 0
    # The account's audit entries say the e-mail changed, without its values.
    entries = LogEntry.objects.get_for_object(mother).filter(
        action=LogEntry.Action.UPDATE, additional_data__isnull=True
    )
    assert [e.changes for e in entries] == [
        {"email": ["[redacted]", "[redacted]"]},
        {"email": ["[redacted]", "[redacted]"]},
    ]
