"""Plan kinds become `schools.kinds.RecordKind`: singular, and for persons `PersonKind`'s values
("pupils" -> "pupil"). Stored plan items and the runs' counts are renamed; the plan hash of a run
that may still be applied is taken again over the renamed items (else apply would refuse it)."""

import hashlib

from django.db import migrations, models
from django.db.models import TextField
from django.db.models.functions import Cast

FORWARD = {
    "schools": "school",
    "classes": "class",
    "pupils": "pupil",
    "guardians": "guardian",
    "links": "link",
}
BACKWARD = {new: old for old, new in FORWARD.items()}
# Statuses whose stored plan is checked against its hash before an apply.
NOT_DONE = ("planning", "planned", "held", "applying", "failed")


def _keys(mapping: dict, renames: dict) -> dict:
    return {renames.get(key, key): value for key, value in mapping.items()}


def _plan_hash(Item, run_id: int) -> str:
    # As `imports.services.plan_hash` computes it at this migration's time.
    digest = hashlib.sha256()
    rows = (
        Item.objects.filter(run_id=run_id)
        .order_by("seq")
        .annotate(text=Cast("data", TextField()))
        .values_list("kind", "action", "key", "school_key", "text", "digest")
    )
    for row in rows.iterator(chunk_size=5000):
        digest.update("\x1f".join(map(str, row)).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _rename(apps, renames: dict) -> None:
    Item = apps.get_model("imports", "ImportPlanItem")
    Run = apps.get_model("imports", "ImportRun")
    for old, new in renames.items():
        Item.objects.filter(kind=old).update(kind=new)
    for run in Run.objects.only("id", "status", "plan_hash", "counts", "school_counts",
                                "skipped_counts").iterator():  # fmt: skip
        run.counts = _keys(run.counts or {}, renames)
        run.skipped_counts = _keys(run.skipped_counts or {}, renames)
        run.school_counts = {
            school: _keys(kinds, renames) for school, kinds in (run.school_counts or {}).items()
        }
        fields = ["counts", "skipped_counts", "school_counts"]
        if run.plan_hash and run.status in NOT_DONE:
            run.plan_hash = _plan_hash(Item, run.pk)
            fields.append("plan_hash")
        run.save(update_fields=fields)


def forward(apps, schema_editor):
    _rename(apps, FORWARD)


def backward(apps, schema_editor):
    _rename(apps, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0006_delete_importlock_advisory_lock_instead"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="importplanitem",
            name="kind",
            field=models.CharField(
                choices=[
                    ("school", "school"),
                    ("class", "class"),
                    ("pupil", "pupil"),
                    ("guardian", "guardian"),
                    ("staff", "staff member"),
                    ("link", "guardian link"),
                ],
                max_length=10,
                verbose_name="kind",
            ),
        ),
    ]
