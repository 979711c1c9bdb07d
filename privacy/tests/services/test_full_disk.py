"""The media disk full (a real tmpfs, see `small_disk`): exports fail with a clear reason and
change nothing; letters, printed in memory, are not affected."""

import os
import tempfile
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.models import LetterBatch
from entaix.common.exceptions import ApplicationError
from entaix.tests.factories import account
from privacy import services
from privacy.models import AccessExport
from privacy.tests.conftest import file_request

pytestmark = pytest.mark.django_db


def fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_CREAT | os.O_WRONLY)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)


def files_under(root: Path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _s, names in os.walk(root) for f in names
    )


@pytest.fixture
def confirmed(family, city_user):
    request = file_request(family)
    services.data_request_subjects_confirm(
        data_request=request,
        actor=city_user,
        guardian_id=family.mother.pk,
        pupil_ids=[family.lea.pk],
    )
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    return request


def test_full_media_disk_keeps_the_previous_export_and_leaves_no_partial_file(
    confirmed, city_user, settings, small_disk
):
    disk = small_disk(512)
    settings.MEDIA_ROOT = disk / "media"
    first = services.access_export_create(data_request=confirmed, actor=city_user)
    kept = files_under(disk / "media")
    assert kept == [f"private/{first.file.name}"]
    fill(disk)
    events = LogEntry.objects.count()

    with pytest.raises(ApplicationError) as exc:
        services.access_export_create(data_request=confirmed, actor=city_user)

    assert exc.value.code == "disk-full"
    assert exc.value.message == (
        "L'export n'a pas pu être écrit : le disque est plein. Rien n'a changé ; "
        "l'export précédent reste valable."
    )
    first.refresh_from_db()
    assert (first.revoked_at, first.file_deleted_at) == (None, None)
    assert files_under(disk / "media") == kept  # no partial archive, the first one still there
    assert AccessExport.objects.count() == 1
    assert LogEntry.objects.count() == events


def test_letters_print_with_the_media_and_temp_disks_full(
    client, family, settings, small_disk, monkeypatch
):
    """Letters are drawn in memory and sent in the answer: a full disk does not stop them."""
    disk = small_disk(64)
    settings.MEDIA_ROOT = disk / "media"
    monkeypatch.setattr(tempfile, "tempdir", str(disk))
    fill(disk)
    mother = account(family.mother)
    client.force_login(family.director.account)
    response = client.post(reverse("accounts:letter-batch-create"), {"ids": [mother.pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert LetterBatch.objects.get().status == "done"
    assert files_under(disk) == ["filler"]
