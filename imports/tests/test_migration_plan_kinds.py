"""Migration 0007 renames the stored plan kinds to RecordKind's values; held plans stay valid."""

import importlib

import pytest
from django.apps import apps

from imports import services
from imports.models import ImportPlanItem, ImportRun

pytestmark = pytest.mark.django_db
migration = importlib.import_module("imports.migrations.0007_plan_kinds_take_person_kind_values")


def _item(run, seq, kind, key):
    return ImportPlanItem.objects.create(run=run, seq=seq, kind=kind, action="leave", key=key)


def test_stored_kinds_and_counts_are_renamed_and_a_held_plan_still_applies():
    held = ImportRun.objects.create(
        status="held",
        trigger="command",
        counts={"pupils": {"left": 1}, "links": {"left": 1}, "staff": {"left": 0}},
        skipped_counts={"guardians": 2},
        school_counts={"S1": {"pupils": {"left": 1}, "links": {"left": 1}}},
    )
    _item(held, 0, "pupils", "P1")
    _item(held, 1, "links", "P1|G1")
    held.plan_hash = services.plan_hash(run_id=held.pk)
    held.save()
    applied = ImportRun.objects.create(status="applied", trigger="command", plan_hash="old")
    _item(applied, 0, "schools", "S1")

    migration.forward(apps, None)

    assert sorted(ImportPlanItem.objects.values_list("kind", "key")) == [
        ("link", "P1|G1"),
        ("pupil", "P1"),
        ("school", "S1"),
    ]
    held.refresh_from_db()
    assert held.counts == {"pupil": {"left": 1}, "link": {"left": 1}, "staff": {"left": 0}}
    assert held.skipped_counts == {"guardian": 2}
    assert held.school_counts == {"S1": {"pupil": {"left": 1}, "link": {"left": 1}}}
    # Taken again over the renamed items: the apply's check passes.
    assert held.plan_hash == services.plan_hash(run_id=held.pk)
    applied.refresh_from_db()
    assert applied.plan_hash == "old"  # an applied plan is never checked again

    migration.backward(apps, None)
    assert sorted(ImportPlanItem.objects.values_list("kind", flat=True)) == [
        "links",
        "pupils",
        "schools",
    ]
    held.refresh_from_db()
    assert held.skipped_counts == {"guardians": 2}
