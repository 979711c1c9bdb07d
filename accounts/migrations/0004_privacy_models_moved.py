"""The data-protection models moved to the `privacy` app (issue 14): removed from this app's
state only; their tables and rows stay, now owned by `privacy` (its 0001 and 0002).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_gdpr"),
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="AccessExport"),
                migrations.DeleteModel(name="DataRequestNote"),
                migrations.DeleteModel(name="DataRequestSubject"),
                migrations.DeleteModel(name="RectificationTask"),
                migrations.DeleteModel(name="PurgeReceipt"),
                migrations.DeleteModel(name="LegalHold"),
                migrations.DeleteModel(name="PurgeRun"),
                migrations.DeleteModel(name="DataRequest"),
            ],
        ),
    ]
