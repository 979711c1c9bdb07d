"""A real OpenSSH sshd on loopback, SFTP only, for tests (fixture ``sftp_server``).

Each test gets its own sshd process, host key, client key and empty inbox:

- ``/usr/sbin/sshd -D -e -f <config>`` listens on 127.0.0.1 and a free port;
- the login user ``entaix-sftp`` (created once with ``useradd`` if missing, password field ``*``
  so that sshd with ``UsePAM no`` does not see a locked account) is chrooted
  (``ChrootDirectory``) and forced into ``internal-sftp`` (``ForceCommand``);
- the chroot lives under ``/var/lib/entaix-test-sshd`` because every component of a chroot path
  must be root-owned and not group/world-writable (``/tmp`` and ``/var/tmp`` are 1777);
- the client sees the inbox as ``/inbox``; tests put files there with ``server.put(name, data)``.

Needs root (chroot, useradd, /run/sshd) and the ``openssh-server`` package.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from imports.sftp import SftpConfig, generate_keypair

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")
CHROOT_PARENT = Path("/var/lib/entaix-test-sshd")
SFTP_USER = "entaix-sftp"
REMOTE_DIR = "/inbox"
START_TIMEOUT = 10.0
CLIENT_TIMEOUT = 5.0

SSHD_CONFIG = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
AllowUsers {user}
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PermitTTY no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
LogLevel VERBOSE
Subsystem sftp internal-sftp
ChrootDirectory {chroot}
ForceCommand internal-sftp
"""


def free_port() -> int:
    """A loopback port nobody listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_private(path: Path, data: bytes | str) -> None:
    """Create ``path`` with mode 0600 from the start."""
    raw = data.encode() if isinstance(data, str) else data
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(raw)


def write_ed25519_key(path: Path) -> str:
    """Write an OpenSSH ed25519 private key (0600); return its ``ssh-ed25519 AAAA...`` line."""
    key = ed25519.Ed25519PrivateKey.generate()
    write_private(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode()


def ensure_sftp_user() -> tuple[int, int]:
    """Create the login user once (idempotent, tolerant of a concurrent creation)."""
    for _attempt in range(5):
        with contextlib.suppress(KeyError):
            ids = _user_ids(SFTP_USER)
            _unlock(SFTP_USER)
            return ids
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--password",
                "*",
                SFTP_USER,
            ],
            check=False,
            capture_output=True,
        )
        time.sleep(0.1)
    pytest.fail(f"could not create the SFTP test user {SFTP_USER!r} with useradd", pytrace=False)


def _unlock(name: str) -> None:
    """sshd with ``UsePAM no`` refuses accounts whose password field starts with '!'."""
    shadow = subprocess.run(
        ["getent", "shadow", name], check=False, capture_output=True, text=True
    ).stdout
    if shadow.split(":")[1:2] and shadow.split(":")[1].startswith("!"):
        subprocess.run(["usermod", "--password", "*", name], check=True, capture_output=True)


def _user_ids(name: str) -> tuple[int, int]:
    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _children_of(pid: int) -> list[int]:
    """All live descendants of ``pid`` (Linux /proc), deepest last."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent pid; the command name (field 2) may contain spaces or ')'.
        fields = stat_line.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@dataclass
class SftpServer:
    config: SftpConfig
    local_remote_dir: Path
    host_pubkey: str
    base_dir: Path
    process: subprocess.Popen[bytes]
    uid: int
    gid: int

    @property
    def authorized_keys(self) -> Path:
        return self.base_dir / "auth" / "authorized_keys"

    def authorize(self, public_key_line: str) -> None:
        """Add a client public key (``ssh-rsa AAAA... comment``) to authorized_keys."""
        with self.authorized_keys.open("a") as out:
            out.write(f"{public_key_line}\n")

    @property
    def log_path(self) -> Path:
        return self.base_dir / "ssh" / "sshd.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def put(self, name: str, data: bytes) -> Path:
        """Drop a file in the inbox, owned by the SFTP user (who must read and delete it)."""
        path = self.local_remote_dir / name
        path.write_bytes(data)
        os.chown(path, self.uid, self.gid)
        path.chmod(0o600)
        return path

    def remote_names(self) -> list[str]:
        return sorted(path.name for path in self.local_remote_dir.iterdir())

    def _scratch(self, stem: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=self.base_dir / "ssh"))

    def config_with_wrong_host_key(self) -> SftpConfig:
        """known_hosts pins another ed25519 key for this very host and port."""
        scratch = self._scratch("wrong-host")
        other = write_ed25519_key(scratch / "other_host_key")
        known_hosts = scratch / "known_hosts"
        known_hosts.write_text(f"[{self.config.host}]:{self.config.port} {other}\n")
        return replace(self.config, known_hosts=known_hosts)

    def config_with_unknown_host(self) -> SftpConfig:
        """known_hosts pins this server's key, but for another port (so this host is unknown)."""
        scratch = self._scratch("unknown-host")
        known_hosts = scratch / "known_hosts"
        known_hosts.write_text(f"[{self.config.host}]:{free_port()} {self.host_pubkey}\n")
        return replace(self.config, known_hosts=known_hosts)

    def config_with_unauthorized_key(self) -> SftpConfig:
        """A freshly generated RSA-2048 client key that is not in authorized_keys."""
        scratch = self._scratch("other-client")
        key_path = scratch / "id_rsa"
        generate_keypair(key_path)
        return replace(self.config, key_path=key_path, key_passphrase=None)

    def config_with_closed_port(self) -> SftpConfig:
        return replace(self.config, port=free_port())

    def drop_connections(self) -> int:
        """SIGKILL every session process of this sshd (the listener survives); return how many.

        The client sees its TCP connection die, as when the Académie's server goes away mid-way.
        """
        children = _children_of(self.process.pid)
        _kill(children)
        return len(children)

    def stop(self) -> None:
        children = _children_of(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        # Session processes call setsid() and outlive the listener: finish them too.
        _kill(children)


def _check_prerequisites() -> None:
    if not SSHD.exists():
        pytest.fail(
            f"{SSHD} is missing: install the OpenSSH server (apt-get install openssh-server); "
            "the SFTP tests use a real sshd",
            pytrace=False,
        )
    if os.geteuid() != 0:
        pytest.fail(
            "the sshd fixture needs root (ChrootDirectory, useradd, /run/sshd)", pytrace=False
        )


def _make_tree(uid: int, gid: int) -> tuple[Path, Path, Path]:
    CHROOT_PARENT.mkdir(mode=0o755, exist_ok=True)
    CHROOT_PARENT.chmod(0o755)
    base = Path(tempfile.mkdtemp(prefix="sshd-", dir=CHROOT_PARENT))
    base.chmod(0o755)
    ssh_dir = base / "ssh"
    ssh_dir.mkdir(mode=0o700)
    chroot = base / "chroot"
    chroot.mkdir(mode=0o755)
    chroot.chmod(0o755)
    inbox = chroot / REMOTE_DIR.lstrip("/")
    inbox.mkdir(mode=0o700)
    os.chown(inbox, uid, gid)
    return base, ssh_dir, chroot


def _wait_until_listening(process: subprocess.Popen[bytes], port: int) -> bool:
    """True once sshd sends its banner; False if it exited (e.g. the port was taken)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(8).startswith(b"SSH-"):
                    return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


def start_sftp_server() -> SftpServer:
    _check_prerequisites()
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    uid, gid = ensure_sftp_user()
    base, ssh_dir, chroot = _make_tree(uid, gid)

    host_key = ssh_dir / "ssh_host_ed25519_key"
    host_pubkey = write_ed25519_key(host_key)
    client_key = ssh_dir / "id_rsa"
    client_pubkey = generate_keypair(client_key)
    # sshd reads authorized_keys as the login user: give that user its own directory.
    auth_dir = base / "auth"
    auth_dir.mkdir(mode=0o700)
    authorized_keys = auth_dir / "authorized_keys"
    write_private(authorized_keys, f"{client_pubkey}\n")
    os.chown(authorized_keys, uid, gid)
    os.chown(auth_dir, uid, gid)
    log_path = ssh_dir / "sshd.log"

    for _attempt in range(3):
        port = free_port()
        config_path = ssh_dir / "sshd_config"
        config_path.write_text(
            SSHD_CONFIG.format(
                port=port,
                host_key=host_key,
                pid_file=ssh_dir / "sshd.pid",
                authorized_keys=authorized_keys,
                user=SFTP_USER,
                chroot=chroot,
            )
        )
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        if _wait_until_listening(process, port):
            break
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)
    else:
        log_text = log_path.read_text(errors="replace")
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"sshd did not start within {START_TIMEOUT}s:\n{log_text}", pytrace=False)

    known_hosts = ssh_dir / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_pubkey}\n")
    config = SftpConfig(
        host="127.0.0.1",
        port=port,
        user=SFTP_USER,
        key_path=client_key,
        key_passphrase=None,
        known_hosts=known_hosts,
        remote_dir=REMOTE_DIR,
        timeout=CLIENT_TIMEOUT,
    )
    return SftpServer(
        config=config,
        local_remote_dir=chroot / REMOTE_DIR.lstrip("/"),
        host_pubkey=host_pubkey,
        base_dir=base,
        process=process,
        uid=uid,
        gid=gid,
    )


@pytest.fixture(name="sftp_server")
def sftp_server_fixture() -> Iterator[SftpServer]:
    """A fresh sshd (own host key, client key and empty ``/inbox``) for one test."""
    server = start_sftp_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)
