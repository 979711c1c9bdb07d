"""The daily delivery against a real OpenSSH sshd (imports/tests/sshd.py)."""

import datetime
import stat

import psycopg
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from entaix.common.exceptions import ApplicationError
from imports import fetch
from imports.locks import lock_id
from imports.models import DeliveryAlert, FetchAttempt, ImportFile, ImportRun
from imports.sftp import SftpClient
from imports.tests.feeds import FIXTURES
from schools.models import School

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
MANUAL = ImportRun.Trigger.MANUAL


@pytest.fixture
def inbox(tmp_path, settings):
    settings.AAF_INBOX_DIR = str(tmp_path / "inbox")
    settings.CITY_ALERT_EMAIL = "ecoles@example.fr"
    return tmp_path / "inbox"


def deliver(server, *, days_ago=1, kinds=("EtabEducNat", "PersEducNat", "PersRelEleve", "Eleve")):
    """Put the Complet fixture on the server under a recent date."""
    date = (timezone.localdate() - datetime.timedelta(days=days_ago)).strftime("%Y%m%d")
    names = []
    for kind in kinds:
        source = next((FIXTURES / "complet_20260901").glob(f"*_{kind}_*"))
        name = f"ENT1D_Complet_{date}_{kind}_0000.xml"
        server.put(name, source.read_bytes())
        names.append(name)
    return sorted(names)


def test_fetch_downloads_verifies_removes_and_imports_the_set(
    sftp_server, inbox, django_capture_on_commit_callbacks
):
    names = deliver(sftp_server)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert attempt.status == FetchAttempt.Status.FETCHED
    assert sftp_server.remote_names() == []  # removed once the local copy was verified
    files = list(ImportFile.objects.order_by("name"))
    assert [f.name for f in files] == names
    for file in files:
        path = inbox / f"fetch-{attempt.pk}" / file.name
        assert file.path == str(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert file.size == path.stat().st_size
    assert stat.S_IMODE(inbox.stat().st_mode) == 0o700
    run = ImportRun.objects.get(pk__in=attempt.run_ids)
    assert run.status == ImportRun.Status.APPLIED
    assert sorted(School.objects.values_list("uai", flat=True)) == ["0131234A", "0135678B"]


def test_the_same_file_fetched_again_is_not_imported_twice(
    sftp_server, inbox, django_capture_on_commit_callbacks
):
    names = deliver(sftp_server)
    with django_capture_on_commit_callbacks(execute=True):
        fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    deliver(sftp_server)  # the Académie puts the same files again
    with django_capture_on_commit_callbacks(execute=True):
        second = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert second.status == FetchAttempt.Status.NOTHING
    assert second.run_ids == []
    assert ImportFile.objects.count() == len(names)
    assert ImportRun.objects.count() == 1
    assert list((inbox / f"fetch-{second.pk}").iterdir()) == []


def test_wrong_host_key_is_refused_and_nothing_is_downloaded(sftp_server, inbox):
    names = deliver(sftp_server)
    attempt = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config_with_wrong_host_key())
    assert (attempt.status, attempt.code) == (FetchAttempt.Status.FAILED, "host-key")
    assert attempt.message
    assert sftp_server.remote_names() == names
    assert ImportFile.objects.count() == 0
    assert ImportRun.objects.count() == 0
    assert not inbox.exists() or list(inbox.rglob("*.xml")) == []


def test_wrong_client_key_is_an_authentication_error(sftp_server, inbox):
    names = deliver(sftp_server)
    attempt = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config_with_unauthorized_key())
    assert (attempt.status, attempt.code) == (FetchAttempt.Status.FAILED, "auth")
    assert sftp_server.remote_names() == names
    assert ImportFile.objects.count() == 0


def test_failed_attempt_then_a_successful_one(
    sftp_server, inbox, django_capture_on_commit_callbacks
):
    deliver(sftp_server)
    failed = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config_with_closed_port())
    assert (failed.status, failed.code) == (FetchAttempt.Status.FAILED, "connect")
    assert ImportFile.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        ok = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert ok.status == FetchAttempt.Status.FETCHED
    assert ImportRun.objects.get().status == ImportRun.Status.APPLIED


def test_file_changed_after_listing_is_not_kept_nor_removed_and_comes_next_time(
    sftp_server, inbox, django_capture_on_commit_callbacks, monkeypatch
):
    """The Académie rewrites a file just after our listing: it is refused, stays on the
    server, and the next fetch takes it whole."""
    names = deliver(sftp_server)
    changed = names[2]  # …_PersEducNat_…: two files come before it, one after
    original = SftpClient.list_aaf_files

    def list_then_append(client):
        listed = original(client)
        with (sftp_server.local_remote_dir / changed).open("ab") as handle:
            handle.write(b"<!-- rewritten -->\n")
        return listed

    monkeypatch.setattr(SftpClient, "list_aaf_files", list_then_append)
    failed = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    size = (sftp_server.local_remote_dir / changed).stat().st_size
    assert (failed.status, failed.code) == (FetchAttempt.Status.FAILED, "changed")
    assert failed.message == (
        f"{changed} changed on the server between listing and download "
        f"(size {size - 19} → {size} bytes): not kept, fetched again next time"
    )
    assert sorted(ImportFile.objects.values_list("name", flat=True)) == names[:2]
    assert sorted(p.name for p in (inbox / f"fetch-{failed.pk}").iterdir()) == names[:2]
    assert sftp_server.remote_names() == names[2:]  # never removed
    assert ImportRun.objects.count() == 0

    monkeypatch.setattr(SftpClient, "list_aaf_files", original)
    with django_capture_on_commit_callbacks(execute=True):
        ok = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert ok.status == FetchAttempt.Status.FETCHED
    assert sftp_server.remote_names() == []
    assert ImportFile.objects.get(name=changed).size == size
    assert ImportRun.objects.get().status == ImportRun.Status.APPLIED


def test_full_inbox_disk_fails_the_fetch_with_its_reason_and_keeps_everything_remote(
    sftp_server, settings, small_disk, django_capture_on_commit_callbacks
):
    disk = small_disk(1024)  # a 1 MiB disk; the pupils' file is 2 MiB
    settings.AAF_INBOX_DIR = str(disk / "inbox")
    names = deliver(sftp_server)
    with (sftp_server.local_remote_dir / names[0]).open("ab") as handle:
        handle.write(b"<!--" + b"x" * (2 * 1024 * 1024) + b"-->\n")

    attempt = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)

    folder = disk / "inbox" / f"fetch-{attempt.pk}"
    assert (attempt.status, attempt.code) == (FetchAttempt.Status.FAILED, "disk")
    assert attempt.message.startswith(f"cannot write {names[0]} into {folder} after ")
    assert attempt.message.endswith(
        " bytes (No space left on device): nothing kept, the file stays on the server"
    )
    assert list(folder.iterdir()) == []  # no partial file
    assert ImportFile.objects.count() == 0
    assert ImportRun.objects.count() == 0
    assert sftp_server.remote_names() == names

    settings.AAF_INBOX_DIR = str(small_disk(16 * 1024) / "inbox")  # space again
    with django_capture_on_commit_callbacks(execute=True):
        ok = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert ok.status == FetchAttempt.Status.FETCHED
    assert sftp_server.remote_names() == []
    assert ImportRun.objects.get().status == ImportRun.Status.APPLIED


def test_incomplete_set_waits_then_alerts_at_the_cutoff(
    sftp_server, inbox, django_capture_on_commit_callbacks
):
    deliver(sftp_server, days_ago=0, kinds=("EtabEducNat", "PersEducNat", "PersRelEleve"))
    with django_capture_on_commit_callbacks(execute=True):
        attempt = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert attempt.run_ids == []
    assert ImportRun.objects.count() == 0
    assert School.objects.count() == 0
    assert ImportFile.objects.filter(run__isnull=True).count() == 3

    alert = fetch.aaf_delivery_check()
    assert alert.code == DeliveryAlert.Code.INCOMPLETE
    assert [m.to for m in mail.outbox] == [["ecoles@example.fr"]]
    assert fetch.aaf_delivery_check() == alert  # once a day, not once per check
    assert len(mail.outbox) == 1

    deliver(sftp_server, days_ago=0, kinds=("Eleve",))
    with django_capture_on_commit_callbacks(execute=True):
        attempt = fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert ImportRun.objects.get(pk__in=attempt.run_ids).files.count() == 4


def test_no_delivery_at_all_alerts_missing(inbox):
    alert = fetch.aaf_delivery_check()
    assert (alert.code, alert.date) == (DeliveryAlert.Code.MISSING, timezone.localdate())
    assert mail.outbox[0].subject.startswith("ENT")


def test_two_triggers_at_once_make_one_fetch(sftp_server, inbox):
    deliver(sftp_server)
    # Another worker (another database session) is fetching.
    other = psycopg.connect(**other_session_params(), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", [lock_id("aaf-fetch")])
    try:
        with pytest.raises(ApplicationError) as exc:
            fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    finally:
        other.close()
    assert exc.value.code == "fetch-running"
    assert FetchAttempt.objects.count() == 0
    assert len(sftp_server.remote_names()) == 4


def other_session_params() -> dict:
    params = connection.get_connection_params()
    return {k: params[k] for k in ("dbname", "user", "host", "port") if params.get(k)}


def test_raw_files_are_purged_after_the_retention_period(
    sftp_server, inbox, django_capture_on_commit_callbacks
):
    deliver(sftp_server)
    with django_capture_on_commit_callbacks(execute=True):
        fetch.aaf_fetch(trigger=MANUAL, config=sftp_server.config)
    assert fetch.aaf_inbox_purge(now=timezone.now() + datetime.timedelta(days=6)) == 0
    assert fetch.aaf_inbox_purge(now=timezone.now() + datetime.timedelta(days=8)) == 4
    assert list(inbox.rglob("*.xml")) == []
    assert ImportFile.objects.filter(purged_at__isnull=False).count() == 4


def test_aaf_fetch_command_dry_run_lists_and_downloads_nothing(
    sftp_server, inbox, settings, capsys
):
    names = deliver(sftp_server)
    config = sftp_server.config
    settings.SFTP_HOST, settings.SFTP_PORT, settings.SFTP_USER = (
        config.host,
        config.port,
        config.user,
    )
    settings.SFTP_KEY_PATH, settings.SFTP_KNOWN_HOSTS = (
        str(config.key_path),
        str(config.known_hosts),
    )
    settings.SFTP_REMOTE_DIR = config.remote_dir
    call_command("aaf_fetch", "--dry-run")
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[:-1]] == names
    assert out.splitlines()[-1] == "Fichiers qui seraient récupérés : 4."
    assert sftp_server.remote_names() == names
    assert ImportFile.objects.count() == 0


def test_sftp_keygen_writes_a_private_key_0600_and_prints_the_public_key(tmp_path, capsys):
    key = tmp_path / "city_rsa"
    call_command("sftp_keygen", "--out", str(key))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert capsys.readouterr().out.startswith("ssh-rsa AAAA")
    with pytest.raises(Exception, match="la clé de la ville ne sera pas écrasée"):
        call_command("sftp_keygen", "--out", str(key))
