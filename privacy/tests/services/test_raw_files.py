"""Finding 7: every raw file an import read is purged where it lies (hand-run imports too);
the termination deletes them or stops and says which it could not delete."""

import datetime

import pytest
from django.utils import timezone

from entaix.common.exceptions import ApplicationError
from imports.fetch import aaf_inbox_purge
from imports.models import ImportFile, ImportRun
from privacy.models import PurgeRun
from privacy.services import termination

pytestmark = pytest.mark.django_db


def _hand_run_file(path, *, days_ago: int = 30) -> ImportFile:
    run = ImportRun.objects.create(status="applied", trigger="command")
    file = ImportFile.objects.create(
        run=run,
        name=path.name,
        kind="eleves",
        mode="Complet",
        feed_date=datetime.date(2026, 10, 1),
        size=10,
        sha256="0" * 64,
        path=str(path),
    )
    ImportFile.objects.filter(pk=file.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return file


def test_a_hand_run_imports_file_is_deleted_where_it_lies(private_dirs):
    elsewhere = private_dirs / "operator"
    elsewhere.mkdir()
    raw = elsewhere / "ENT2D.ELEVES.xml"
    raw.write_text("<eleve>Léa N'Diaye</eleve>")
    recent = elsewhere / "ENT2D.RESP.xml"
    recent.write_text("<resp/>")
    old_file, recent_file = _hand_run_file(raw), _hand_run_file(recent, days_ago=1)
    assert aaf_inbox_purge() == 1
    assert not raw.exists() and recent.exists()
    old_file.refresh_from_db()
    recent_file.refresh_from_db()
    assert old_file.purged_at is not None and recent_file.purged_at is None


def test_the_termination_stops_and_names_a_file_it_cannot_delete(private_dirs, city_user):
    stuck = private_dirs / "not-a-file"
    stuck.mkdir()  # unlink() fails on it, whoever runs the command
    file = _hand_run_file(stuck)
    with pytest.raises(ApplicationError) as exc:
        termination.convention_terminate(actor=city_user)
    assert exc.value.code == "raw-files"
    assert str(stuck) in exc.value.message
    file.refresh_from_db()
    assert file.purged_at is None
    assert PurgeRun.objects.count() == 0


def test_the_termination_deletes_files_outside_the_inbox(private_dirs, city_user):
    elsewhere = private_dirs / "operator"
    elsewhere.mkdir()
    raw = elsewhere / "ENT2D.ELEVES.xml"
    raw.write_text("<eleve/>")
    file = _hand_run_file(raw)
    result = termination.convention_terminate(actor=city_user)
    assert not raw.exists()
    file.refresh_from_db()
    assert file.purged_at is not None
    assert result.run.counts["files:raw-feed"] == 1
