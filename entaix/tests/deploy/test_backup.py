"""Backup and restore as the README documents them: real pg_dump/pg_restore and gpg."""

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from schools.models import Pupil

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]


def url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def table_counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        count = sql.SQL("SELECT count(*) FROM {}")
        return {t: conn.execute(count.format(sql.Identifier(t))).fetchone()[0] for t in tables}


@pytest.fixture
def city_key(tmp_path):
    """The city's key pair: the private half stays in the city's keyring, the server gets the
    public key file only."""
    city = tmp_path / "city-gnupg"
    city.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(city), "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", "Ville d'Aix <dsi@example.fr>", "future-default",
                    "default", "never"], check=True, capture_output=True)  # fmt: skip
    public = tmp_path / "city.pub.asc"
    subprocess.run([*gpg, "--armor", "--export", "--output", str(public)], check=True)
    return city, public


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restore"
    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url(name)
    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(script: str, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *map(str, args)], cwd=ROOT, capture_output=True,
        text=True, env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
    )  # fmt: skip


def test_backup_is_encrypted_and_restores_into_a_fresh_database(
    two_schools, tmp_path, city_key, fresh_database
):
    city_home, public_key = city_key
    media = tmp_path / "media"
    attachment = media / "private" / "gdpr" / "requests" / "piece.pdf"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(b"%PDF-1.4 identity document of Martin")
    source = table_counts(url(connection.settings_dict["NAME"]))
    assert source["schools_pupil"] == Pupil.objects.count() == 8

    server_home = tmp_path / "server-gnupg"  # the server knows no private key
    server_home.mkdir(mode=0o700)
    backups = tmp_path / "backups"
    made = run("backup.sh", backups, DATABASE_URL=url(connection.settings_dict["NAME"]),
               MEDIA_ROOT=media, BACKUP_PUBLIC_KEY=public_key, GNUPGHOME=server_home)  # fmt: skip
    assert made.returncode == 0, made.stderr
    (folder,) = backups.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == [
        "SHA256SUMS",
        "database.dump.gpg",
        "media.tar.gpg",
    ]
    assert folder.stat().st_mode & 0o777 == 0o700
    for part in folder.iterdir():
        assert b"Martin" not in part.read_bytes()  # nothing readable at rest
        assert b"PGDMP" not in part.read_bytes()

    # Without the city's private key nothing is restored, and the database stays empty.
    refused = run("restore.sh", folder, DATABASE_URL=fresh_database,
                  MEDIA_ROOT=tmp_path / "nokey", GNUPGHOME=server_home)  # fmt: skip
    assert refused.returncode != 0
    assert table_counts(fresh_database) == {}
    assert not (tmp_path / "nokey").exists()

    restored = run("restore.sh", folder, DATABASE_URL=fresh_database,
                   MEDIA_ROOT=tmp_path / "restored", GNUPGHOME=city_home)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert table_counts(fresh_database) == source
    copy = tmp_path / "restored" / "private" / "gdpr" / "requests" / "piece.pdf"
    assert copy.read_bytes() == attachment.read_bytes()

    # A second restore into the now-filled database is refused.
    again = run("restore.sh", folder, DATABASE_URL=fresh_database,
                MEDIA_ROOT=tmp_path / "restored", GNUPGHOME=city_home)  # fmt: skip
    assert again.returncode == 2
    assert "not empty" in again.stderr


def test_backups_older_than_the_retention_are_deleted(tmp_path, city_key):
    _, public_key = city_key
    backups = tmp_path / "backups"
    old = backups / "entaix-20250101T000000Z"
    old.mkdir(parents=True)
    os.utime(old, (0, 0))
    other = backups / "not-a-backup"
    other.mkdir()
    os.utime(other, (0, 0))
    made = run("backup.sh", backups, DATABASE_URL=url(connection.settings_dict["NAME"]),
               MEDIA_ROOT=tmp_path / "media", BACKUP_PUBLIC_KEY=public_key,
               BACKUP_RETENTION_DAYS="35", GNUPGHOME=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    names = sorted(p.name for p in backups.iterdir())
    assert len(names) == 2 and "not-a-backup" in names and old.name not in names
