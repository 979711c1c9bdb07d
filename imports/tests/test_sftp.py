"""imports.sftp against a real OpenSSH sshd on loopback (see imports/tests/sshd.py)."""

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519

from imports.sftp import DownloadedFile, RemoteFile, SftpClient, SftpError, generate_keypair
from imports.tests.sshd import SftpServer

pytestmark = pytest.mark.slow

ELEVE = "ENT1D_Complet_20240902_Eleve_0000.xml"
ETAB = "ENT1D_Complet_20240902_EtabEducNat_0000.xml"
PERS = "ENT1D_Complet_20240902_PersEducNat_0000.xml"
REL = "ENT1D_Complet_20240902_PersRelEleve_0000.xml"
DELTA = "ENT1D_Delta_20240903_Eleve_0001.xml"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_list_aaf_files_returns_only_aaf_names_sorted(sftp_server: SftpServer) -> None:
    for name, data in [
        (REL, b"r" * 4),
        (DELTA, b"d" * 5),
        (ELEVE, b"e" * 1),
        (PERS, b"p" * 3),
        (ETAB, b"s" * 2),
        ("notes.txt", b"not an AAF file"),
        (".hidden", b"hidden"),
        (f"{ELEVE}.bak", b"backup"),
        ("ENT1D_Complet_2024092_Eleve_0000.xml", b"seven-digit date"),
        ("ENT1D_Complet_20240902_Parent_0000.xml", b"unknown kind"),
    ]:
        sftp_server.put(name, data)
    (sftp_server.local_remote_dir / "ENT1D_Complet_20240902_Eleve_0009.xml").mkdir()
    before = sftp_server.remote_names()

    with SftpClient(sftp_server.config) as client:
        listed = client.list_aaf_files()

    def remote(name: str, size: int) -> RemoteFile:
        mtime = int((sftp_server.local_remote_dir / name).stat().st_mtime)
        return RemoteFile(name=name, size=size, mtime=mtime)

    assert listed == [
        remote(ELEVE, 1),
        remote(ETAB, 2),
        remote(PERS, 3),
        remote(REL, 4),
        remote(DELTA, 5),
    ]
    assert sftp_server.remote_names() == before


def test_download_writes_private_file_with_matching_hash(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    data = os.urandom(1_000_003)
    sftp_server.put(ELEVE, data)
    dest = tmp_path / "inbox"

    with SftpClient(sftp_server.config) as client:
        downloaded = client.download(ELEVE, dest)

    assert downloaded == DownloadedFile(
        name=ELEVE,
        path=dest / ELEVE,
        size=1_000_003,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    assert (dest / ELEVE).read_bytes() == data
    assert mode_of(dest / ELEVE) == 0o600
    assert mode_of(dest) == 0o700
    assert sorted(os.listdir(dest)) == [ELEVE]
    assert sftp_server.remote_names() == [ELEVE]


def test_download_tightens_an_existing_loose_directory(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    sftp_server.put(ETAB, b"<xml/>")
    dest = tmp_path / "inbox"
    dest.mkdir()
    dest.chmod(0o755)

    with SftpClient(sftp_server.config) as client:
        downloaded = client.download(ETAB, dest)

    assert mode_of(dest) == 0o700
    assert downloaded.sha256 == hashlib.sha256(b"<xml/>").hexdigest()
    assert sorted(os.listdir(dest)) == [ETAB]


def test_download_of_an_empty_file(sftp_server: SftpServer, tmp_path: Path) -> None:
    sftp_server.put(DELTA, b"")

    with SftpClient(sftp_server.config) as client:
        downloaded = client.download(DELTA, tmp_path / "inbox")

    assert downloaded.size == 0
    assert downloaded.sha256 == hashlib.sha256(b"").hexdigest()
    assert (tmp_path / "inbox" / DELTA).read_bytes() == b""


def test_remove_deletes_the_remote_file(sftp_server: SftpServer) -> None:
    sftp_server.put(ELEVE, b"e")
    sftp_server.put(ETAB, b"s")

    with SftpClient(sftp_server.config) as client:
        client.remove(ELEVE)
        listed = client.list_aaf_files()

    assert [remote_file.name for remote_file in listed] == [ETAB]
    assert sftp_server.remote_names() == [ETAB]


def test_non_aaf_names_are_refused(sftp_server: SftpServer, tmp_path: Path) -> None:
    sftp_server.put("notes.txt", b"x")
    dest = tmp_path / "inbox"

    with SftpClient(sftp_server.config) as client:
        with pytest.raises(SftpError) as download_error:
            client.download("../chroot/inbox/notes.txt", dest)
        with pytest.raises(SftpError) as remove_error:
            client.remove("notes.txt")

    assert download_error.value.code == "config"
    assert remove_error.value.code == "config"
    assert not dest.exists()
    assert sftp_server.remote_names() == ["notes.txt"]


def test_missing_remote_file_is_a_transfer_error(sftp_server: SftpServer, tmp_path: Path) -> None:
    dest = tmp_path / "inbox"

    with SftpClient(sftp_server.config) as client, pytest.raises(SftpError) as error:
        client.download(ELEVE, dest)

    assert error.value.code == "transfer"
    assert os.listdir(dest) == []


def test_wrong_host_key_is_rejected(sftp_server: SftpServer, tmp_path: Path) -> None:
    sftp_server.put(ELEVE, b"e")
    dest = tmp_path / "inbox"
    dest.mkdir(mode=0o700)
    config = sftp_server.config_with_wrong_host_key()

    with pytest.raises(SftpError) as error, SftpClient(config) as client:
        client.download(ELEVE, dest)

    assert error.value.code == "host-key"
    assert os.listdir(dest) == []
    assert sftp_server.remote_names() == [ELEVE]
    assert "Accepted publickey" not in sftp_server.log()


def test_unknown_host_is_rejected(sftp_server: SftpServer, tmp_path: Path) -> None:
    sftp_server.put(ELEVE, b"e")
    dest = tmp_path / "inbox"
    dest.mkdir(mode=0o700)
    config = sftp_server.config_with_unknown_host()
    before = config.known_hosts.read_text()

    with pytest.raises(SftpError) as error, SftpClient(config) as client:
        client.download(ELEVE, dest)

    assert error.value.code == "host-key"
    assert os.listdir(dest) == []
    assert sftp_server.remote_names() == [ELEVE]
    assert config.known_hosts.read_text() == before  # never learnt on first use


def test_unauthorized_client_key_is_rejected(sftp_server: SftpServer, tmp_path: Path) -> None:
    sftp_server.put(ELEVE, b"e")
    dest = tmp_path / "inbox"
    dest.mkdir(mode=0o700)

    config = sftp_server.config_with_unauthorized_key()

    with pytest.raises(SftpError) as error, SftpClient(config) as client:
        client.remove(ELEVE)

    assert error.value.code == "auth"
    assert os.listdir(dest) == []
    assert sftp_server.remote_names() == [ELEVE]


def test_closed_port_is_a_connect_error(sftp_server: SftpServer) -> None:
    sftp_server.put(ELEVE, b"e")

    config = sftp_server.config_with_closed_port()

    with pytest.raises(SftpError) as error, SftpClient(config) as client:
        client.remove(ELEVE)

    assert error.value.code == "connect"
    assert sftp_server.remote_names() == [ELEVE]


def test_encrypted_client_key_with_its_passphrase(sftp_server: SftpServer, tmp_path: Path) -> None:
    key_path = tmp_path / "id_rsa"
    public = generate_keypair(key_path, passphrase="correct horse")
    sftp_server.authorize(public)
    sftp_server.put(ELEVE, b"e")
    good = replace(sftp_server.config, key_path=key_path, key_passphrase="correct horse")
    missing = replace(sftp_server.config, key_path=key_path, key_passphrase=None)

    with SftpClient(good) as client:
        assert [remote_file.name for remote_file in client.list_aaf_files()] == [ELEVE]
    with pytest.raises(SftpError) as error, SftpClient(missing):
        pass

    assert error.value.code == "config"
    assert "correct horse" not in str(error.value)
    assert "correct horse" not in repr(good)


def _ed25519_pem() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )


def _ecdsa_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _dsa_pem() -> bytes:
    return dsa.generate_private_key(2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize("make_key", [_ed25519_pem, _ecdsa_pem, _dsa_pem])
def test_non_rsa_client_key_is_a_config_error(
    sftp_server: SftpServer, tmp_path: Path, make_key: Callable[[], bytes]
) -> None:
    key_path = tmp_path / "id_other"
    key_path.write_bytes(make_key())
    key_path.chmod(0o600)
    sftp_server.put(ELEVE, b"e")
    config = replace(sftp_server.config, key_path=key_path)

    with pytest.raises(SftpError) as error, SftpClient(config) as client:
        client.remove(ELEVE)

    assert error.value.code == "config"
    assert sftp_server.remote_names() == [ELEVE]
    assert "Accepted publickey" not in sftp_server.log()


# paramiko's prefetch thread dies with an OSError when the socket closes under it; the
# download itself reports the failure as an SftpError.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_dropped_connection_leaves_no_partial_file_and_retry_succeeds(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    data = os.urandom(16 * 1024 * 1024)
    sftp_server.put(PERS, data)
    dest = tmp_path / "inbox"
    seen: list[int] = []
    killed: list[int] = []

    def drop_after_first_chunk(received: int) -> None:
        seen.append(received)
        if len(seen) == 1:
            killed.append(sftp_server.drop_connections())

    with SftpClient(sftp_server.config) as client, pytest.raises(SftpError) as error:
        client.download(PERS, dest, progress=drop_after_first_chunk)

    assert error.value.code in {"transfer", "size-mismatch"}
    assert killed[0] >= 1
    assert seen[-1] < len(data)
    assert os.listdir(dest) == []  # neither the final name nor a temporary file
    assert sftp_server.remote_names() == [PERS]

    with SftpClient(sftp_server.config) as client:
        downloaded = client.download(PERS, dest)

    assert downloaded.sha256 == hashlib.sha256(data).hexdigest()
    assert downloaded.size == len(data)
    assert os.listdir(dest) == [PERS]


def test_generate_keypair_writes_a_private_rsa_2048_key(tmp_path: Path) -> None:
    key_path = tmp_path / "id_rsa"

    public = generate_keypair(key_path)

    assert mode_of(key_path) == 0o600
    assert public.startswith("ssh-rsa ")
    assert public.endswith(" entaix")
    key = paramiko.RSAKey.from_private_key_file(str(key_path))
    assert key.get_bits() == 2048
    assert public == f"ssh-rsa {key.get_base64()} entaix"


def test_generate_keypair_refuses_to_overwrite(tmp_path: Path) -> None:
    key_path = tmp_path / "id_rsa"
    generate_keypair(key_path)
    before = key_path.read_bytes()

    with pytest.raises(FileExistsError):
        generate_keypair(key_path)

    assert key_path.read_bytes() == before
    assert os.listdir(tmp_path) == ["id_rsa"]


def test_generate_keypair_with_passphrase_needs_it_to_load(tmp_path: Path) -> None:
    key_path = tmp_path / "id_rsa"

    generate_keypair(key_path, passphrase="s3cret")

    with pytest.raises(paramiko.PasswordRequiredException):
        paramiko.RSAKey.from_private_key_file(str(key_path))
    assert (
        paramiko.RSAKey.from_private_key_file(str(key_path), password="s3cret").get_bits() == 2048
    )


def test_file_growing_during_download_is_never_kept(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    """The Académie still writing the file: the bytes read match no complete file."""
    data = os.urandom(4 * 1024 * 1024)
    remote = sftp_server.put(PERS, data)
    dest = tmp_path / "inbox"

    def append_once(received: int) -> None:
        if remote.stat().st_size == len(data):
            with remote.open("ab") as handle:
                handle.write(b"<more/>")

    with SftpClient(sftp_server.config) as client, pytest.raises(SftpError) as error:
        client.download(PERS, dest, progress=append_once)

    assert error.value.code == "changed"
    assert str(error.value) == (
        f"{PERS} changed on the server during its download (size {len(data)} → "
        f"{len(data) + 7} bytes): not kept, fetched again next time"
    )
    assert os.listdir(dest) == []
    assert sftp_server.remote_names() == [PERS]
    assert remote.stat().st_size == len(data) + 7


def test_file_rewritten_in_place_during_download_is_never_kept(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    """Same size, new content: the modification time tells."""
    data = os.urandom(2 * 1024 * 1024)
    remote = sftp_server.put(PERS, data)
    os.utime(remote, (1_700_000_000, 1_700_000_000))
    dest = tmp_path / "inbox"

    def rewrite_once(received: int) -> None:
        if remote.stat().st_mtime == 1_700_000_000:
            remote.write_bytes(os.urandom(len(data)))
            os.utime(remote, (1_700_000_100, 1_700_000_100))

    with SftpClient(sftp_server.config) as client, pytest.raises(SftpError) as error:
        client.download(PERS, dest, progress=rewrite_once)

    assert error.value.code == "changed"
    assert "modified at" in str(error.value)
    assert os.listdir(dest) == []
    assert sftp_server.remote_names() == [PERS]


def test_file_changed_between_listing_and_download_is_never_kept(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    remote = sftp_server.put(PERS, b"<a/>" * 1000)
    dest = tmp_path / "inbox"
    with SftpClient(sftp_server.config) as client:
        [listed] = client.list_aaf_files()
        with remote.open("ab") as handle:
            handle.write(b"<b/>")
        with pytest.raises(SftpError) as error:
            client.download(PERS, dest, expected=listed)

    assert error.value.code == "changed"
    assert str(error.value) == (
        f"{PERS} changed on the server between listing and download (size 4000 → 4004 bytes): "
        "not kept, fetched again next time"
    )
    assert os.listdir(dest) == []
    assert sftp_server.remote_names() == [PERS]


def test_unchanged_listed_file_downloads(sftp_server: SftpServer, tmp_path: Path) -> None:
    sftp_server.put(PERS, b"<a/>" * 1000)
    with SftpClient(sftp_server.config) as client:
        [listed] = client.list_aaf_files()
        downloaded = client.download(PERS, tmp_path / "inbox", expected=listed)
    assert downloaded.size == 4000
