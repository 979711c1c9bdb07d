"""The termination certificate says how long the destroyed data survive in encrypted backups."""

import datetime

import pytest
from django.utils import timezone

from privacy.models import PurgeRun
from privacy.services.termination import certificate_text

pytestmark = pytest.mark.django_db


def test_certificate_gives_the_date_the_last_backup_expires(settings):
    settings.BACKUP_RETENTION_DAYS = 35
    finished = timezone.make_aware(datetime.datetime(2027, 7, 10, 18, 30))
    run = PurgeRun.objects.create(
        kind=PurgeRun.Kind.TERMINATION, status=PurgeRun.Status.DONE,
        trigger=PurgeRun.Trigger.COMMAND, as_of=finished.date(), finished_at=finished,
    )  # fmt: skip
    text = certificate_text(run)
    assert (
        "Sauvegardes : les sauvegardes chiffrées faites avant cette destruction contiennent encore "
        "ces données ; elles sont supprimées au plus tard le 2027-08-14 (35 jours après), ou "
        "rendues illisibles plus tôt par la destruction de la clé privée de la Ville."
    ) in " ".join(text.split())
