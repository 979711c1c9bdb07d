"""SFTP client for the Académie's AAF 1D drop box.

Every morning the Académie puts the day's ``ENT1D_*.xml`` files on its SFTP server; the city
connects with its own RSA private key only, downloads them and removes them (the server destroys
what has been fetched). This module knows nothing of Django: the caller builds an ``SftpConfig``.

Security choices (why they are here):
- the server's host key must already be pinned in ``config.known_hosts``; unknown or changed keys
  are rejected (no trust on first use, no system or user known_hosts files);
- authentication uses the configured RSA key only (no ssh-agent, no ``~/.ssh`` keys);
- a download never leaves a partial file under its final name: it is written to a private
  temporary file, checked against the remote size, fsynced, then renamed;
- logs carry file names, sizes and hashes, never file contents.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import os
import posixpath
import re
import secrets
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import paramiko

logger = logging.getLogger(__name__)

AAF_FILE_NAME_RE = re.compile(
    r"ENT1D_(Complet|Delta)_[0-9]{8}_(Eleve|EtabEducNat|PersEducNat|PersRelEleve)_[0-9]{4}\.xml"
)
MIN_RSA_BITS = 2048
CHUNK_SIZE = 256 * 1024

SftpErrorCode = Literal[
    "host-key", "auth", "connect", "transfer", "size-mismatch", "changed", "disk", "config"
]


@dataclass(frozen=True)
class SftpConfig:
    host: str
    port: int
    user: str
    key_path: Path
    key_passphrase: str | None
    known_hosts: Path
    remote_dir: str
    timeout: float = 30.0

    def __repr__(self) -> str:
        # Keep the passphrase out of logs and tracebacks.
        return (
            f"SftpConfig(host={self.host!r}, port={self.port!r}, user={self.user!r}, "
            f"key_path={self.key_path!r}, key_passphrase={'***' if self.key_passphrase else None}, "
            f"known_hosts={self.known_hosts!r}, remote_dir={self.remote_dir!r}, "
            f"timeout={self.timeout!r})"
        )


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    mtime: int


@dataclass(frozen=True)
class DownloadedFile:
    name: str
    path: Path
    size: int
    sha256: str


class SftpError(Exception):
    """A failure talking to the SFTP server; ``str(error)`` is safe to show (no secrets)."""

    def __init__(self, code: SftpErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: SftpErrorCode = code
        self.message = message


def is_aaf_file_name(name: str) -> bool:
    return AAF_FILE_NAME_RE.fullmatch(name) is not None


class SftpClient:
    """``with SftpClient(config) as client: ...`` — one SSH connection, one SFTP session."""

    def __init__(self, config: SftpConfig) -> None:
        self._config = config
        self._ssh: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def __enter__(self) -> Self:
        self._connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._sftp is not None:
            # If the connection is already gone there is nothing left to release.
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                self._sftp.close()
            self._sftp = None
        if self._ssh is not None:
            self._ssh.close()
            self._ssh = None

    # -- connection ---------------------------------------------------------------------------

    def _endpoint(self) -> str:
        return f"{self._config.user}@{self._config.host}:{self._config.port}"

    def _load_key(self) -> paramiko.RSAKey:
        config = self._config
        try:
            key = paramiko.RSAKey.from_private_key_file(
                str(config.key_path), password=config.key_passphrase
            )
        except paramiko.PasswordRequiredException as exc:
            raise SftpError(
                "config", f"the SFTP private key {config.key_path} is encrypted: set its passphrase"
            ) from exc
        except OSError as exc:
            raise SftpError(
                "config", f"cannot read the SFTP private key {config.key_path}: {exc.strerror}"
            ) from exc
        except (paramiko.SSHException, ValueError, TypeError) as exc:
            raise SftpError(
                "config",
                f"{config.key_path} is not a usable RSA private key "
                "(other key type, wrong passphrase or damaged file)",
            ) from exc
        if key.get_bits() < MIN_RSA_BITS:
            raise SftpError(
                "config", f"the SFTP RSA key has {key.get_bits()} bits, at least {MIN_RSA_BITS}"
            )
        return key

    def _connect(self) -> None:
        config = self._config
        key = self._load_key()
        ssh = paramiko.SSHClient()
        try:
            try:
                # Only the pinned file: no system host keys, no trust on first use.
                ssh.load_host_keys(str(config.known_hosts))
            except OSError as exc:
                raise SftpError(
                    "config", f"cannot read the known_hosts file {config.known_hosts}"
                ) from exc
            ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
            try:
                ssh.connect(
                    config.host,
                    port=config.port,
                    username=config.user,
                    pkey=key,
                    look_for_keys=False,
                    allow_agent=False,
                    timeout=config.timeout,
                    banner_timeout=config.timeout,
                    auth_timeout=config.timeout,
                    channel_timeout=config.timeout,
                )
            except paramiko.BadHostKeyException as exc:
                raise SftpError(
                    "host-key",
                    f"the host key of {config.host}:{config.port} does not match the pinned key "
                    f"(got {exc.key.get_name()} {exc.key.fingerprint})",
                ) from exc
            except paramiko.AuthenticationException as exc:
                raise SftpError(
                    "auth", f"{self._endpoint()} refused the city's key ({key.fingerprint})"
                ) from exc
            except paramiko.SSHException as exc:
                if "not found in known_hosts" in str(exc):
                    raise SftpError(
                        "host-key",
                        f"{config.host}:{config.port} has no pinned host key in "
                        f"{config.known_hosts}",
                    ) from exc
                raise SftpError(
                    "connect", f"SSH negotiation with {self._endpoint()} failed"
                ) from exc
            except (OSError, EOFError) as exc:
                # NoValidConnectionsError and socket.timeout are OSError subclasses.
                reason = "timed out" if isinstance(exc, socket.timeout) else "unreachable"
                raise SftpError("connect", f"{self._endpoint()} {reason}") from exc
            try:
                sftp = ssh.open_sftp()
                sftp.get_channel().settimeout(config.timeout)
            except (OSError, EOFError, paramiko.SSHException) as exc:
                raise SftpError(
                    "connect", f"{self._endpoint()} refused the SFTP subsystem"
                ) from exc
        except BaseException:
            ssh.close()
            raise
        self._ssh = ssh
        self._sftp = sftp
        logger.info("SFTP connected to %s", self._endpoint())

    def _session(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            raise RuntimeError("SftpClient is not connected: use it as a context manager")
        return self._sftp

    def _remote_path(self, name: str) -> str:
        if not is_aaf_file_name(name):
            raise SftpError("config", f"refusing a file name outside the AAF pattern: {name!r}")
        return posixpath.join(self._config.remote_dir, name)

    # -- operations ---------------------------------------------------------------------------

    def list_aaf_files(self) -> list[RemoteFile]:
        """The AAF files waiting in ``remote_dir`` (regular files only), sorted by name."""
        sftp = self._session()
        try:
            entries = sftp.listdir_attr(self._config.remote_dir)
        except FileNotFoundError as exc:
            raise SftpError(
                "config", f"remote directory {self._config.remote_dir!r} does not exist"
            ) from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise SftpError(
                "transfer", f"cannot list remote directory {self._config.remote_dir!r}"
            ) from exc
        files = [
            RemoteFile(name=entry.filename, size=entry.st_size or 0, mtime=entry.st_mtime or 0)
            for entry in entries
            if is_aaf_file_name(entry.filename)
            and entry.st_mode is not None
            and stat.S_ISREG(entry.st_mode)
        ]
        files.sort(key=lambda remote_file: remote_file.name)
        logger.info("SFTP listed %d AAF file(s) on %s", len(files), self._endpoint())
        return files

    def download(
        self,
        name: str,
        dest_dir: Path,
        progress: Callable[[int], None] | None = None,
        expected: RemoteFile | None = None,
    ) -> DownloadedFile:
        """Fetch ``name`` into ``dest_dir`` (mode 0700) as a 0600 file; all or nothing.

        ``progress`` is called with the number of bytes received so far after each chunk.
        A file whose size or modification time changed since ``expected`` (its listing) or
        during the transfer is still being written by the server: SftpError("changed"), nothing
        kept (it is fetched again next time, and so never removed from the server).
        """
        sftp = self._session()
        remote_path = self._remote_path(name)
        dest_dir = _private_dir(dest_dir)
        final_path = dest_dir / name
        temp_path = dest_dir / f".{name}.part-{secrets.token_hex(8)}"
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | nofollow, 0o600)
        try:
            # Closed quietly: on a full disk, closing would raise again and hide the reason.
            with _quiet_close(os.fdopen(fd, "wb")) as out:
                digest = hashlib.sha256()
                received = 0
                try:
                    with sftp.open(remote_path, "rb") as remote:
                        before = remote.stat()
                        if expected is not None:
                            _unchanged(name, expected, before, "between listing and download")
                        expected_size = before.st_size or 0
                        # Pipelined reads (one round trip per 32 KiB would crawl over the WAN).
                        # No request cap: paramiko's capped prefetch thread spins forever once
                        # the connection is gone, which would leak threads in the worker.
                        remote.prefetch(expected_size)
                        while chunk := remote.read(CHUNK_SIZE):
                            _write(out, chunk, name, dest_dir, received)
                            digest.update(chunk)
                            received += len(chunk)
                            if progress is not None:
                                progress(received)
                    after = sftp.stat(remote_path)
                except FileNotFoundError as exc:
                    raise SftpError("transfer", f"remote file {name} does not exist") from exc
                except (OSError, EOFError, paramiko.SSHException) as exc:
                    raise SftpError(
                        "transfer", f"download of {name} interrupted after {received} bytes"
                    ) from exc
                _unchanged(name, before, after, "during its download")
                if received != expected_size:
                    raise SftpError(
                        "size-mismatch",
                        f"{name}: received {received} bytes, the server announced {expected_size}",
                    )
                try:
                    out.flush()
                    os.fsync(out.fileno())
                except OSError as exc:
                    raise _disk_error(exc, name, dest_dir, received) from exc
            os.replace(temp_path, final_path)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        _fsync_dir(dest_dir)
        sha256 = digest.hexdigest()
        logger.info("SFTP downloaded %s (%d bytes, sha256 %s)", name, received, sha256)
        return DownloadedFile(name=name, path=final_path, size=received, sha256=sha256)

    def remove(self, name: str) -> None:
        sftp = self._session()
        remote_path = self._remote_path(name)
        try:
            sftp.remove(remote_path)
        except FileNotFoundError as exc:
            raise SftpError("transfer", f"remote file {name} does not exist") from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise SftpError("transfer", f"cannot remove remote file {name}") from exc
        logger.info("SFTP removed %s from %s", name, self._endpoint())


@contextlib.contextmanager
def _quiet_close(handle):
    try:
        yield handle
    finally:
        with contextlib.suppress(OSError):
            handle.close()


def _write(out, chunk: bytes, name: str, dest_dir: Path, received: int) -> None:
    """A local write failing (the inbox's disk full) is not a transfer fault: say which."""
    try:
        out.write(chunk)
    except OSError as exc:
        raise _disk_error(exc, name, dest_dir, received) from exc


def _disk_error(exc: OSError, name: str, dest_dir: Path, received: int) -> SftpError:
    logger.error("SFTP cannot write %s into %s: %s", name, dest_dir, exc.strerror)
    return SftpError(
        "disk",
        f"cannot write {name} into {dest_dir} after {received} bytes ({exc.strerror}): "
        "nothing kept, the file stays on the server",
    )


def _unchanged(name: str, before, after, when: str) -> None:
    """Refuse a file whose size or modification time moved: the server is still writing it."""
    size_before = before.size if isinstance(before, RemoteFile) else before.st_size or 0
    mtime_before = before.mtime if isinstance(before, RemoteFile) else before.st_mtime or 0
    size_after, mtime_after = after.st_size or 0, after.st_mtime or 0
    if size_before != size_after:
        change = f"size {size_before} → {size_after} bytes"
    elif int(mtime_before) != int(mtime_after):
        change = f"modified at {_stamp(mtime_before)} → {_stamp(mtime_after)}"
    else:
        return
    logger.warning("SFTP %s changed on the server %s", name, when)
    raise SftpError(
        "changed",
        f"{name} changed on the server {when} ({change}): not kept, fetched again next time",
    )


def _stamp(mtime: float) -> str:
    return datetime.datetime.fromtimestamp(int(mtime), datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _private_dir(path: Path) -> Path:
    """Create ``path`` with mode 0700, or tighten an existing directory to 0700."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise SftpError("config", f"download directory {path} is not a plain directory")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        path.chmod(0o700)
    return path


def _fsync_dir(path: Path) -> None:
    # Makes the rename durable; some filesystems refuse fsync on directories.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def generate_keypair(private_path: Path, *, bits: int = 2048, passphrase: str | None = None) -> str:
    """Write a new RSA private key (OpenSSH format, mode 0600) and return its public key line.

    The file is created with O_EXCL and mode 0600 from the start (never readable by others, even
    briefly); an existing file is never overwritten (``FileExistsError``).
    """
    if bits < MIN_RSA_BITS:
        raise ValueError(f"RSA keys need at least {MIN_RSA_BITS} bits")
    key = paramiko.RSAKey.generate(bits)
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(private_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | nofollow, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            key.write_private_key(out, password=passphrase, file_format=paramiko.pkey.OPENSSH)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(private_path).unlink(missing_ok=True)
        raise
    logger.info("generated a %d-bit RSA key pair (%s)", bits, key.fingerprint)
    return f"ssh-rsa {key.get_base64()} entaix"
