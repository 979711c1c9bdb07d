import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    pending = []
    for user in User.objects.filter(public_id__isnull=True).only("pk").iterator(chunk_size=2000):
        user.public_id = uuid.uuid4()
        pending.append(user)
        if len(pending) == 2000:
            User.objects.bulk_update(pending, ["public_id"])
            pending = []
    User.objects.bulk_update(pending, ["public_id"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_city_staff_roles")]

    operations = [
        # Nullable first: a callable default would give every existing row the same value.
        migrations.AddField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="public identifier"),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="public identifier"
            ),
        ),
    ]
