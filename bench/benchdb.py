"""The benchmarks' own database: dropped and made anew before a run (never a shared one)."""

import re
import urllib.parse


def recreate_database(db_url: str) -> None:
    import psycopg

    name = urllib.parse.urlparse(db_url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"unexpected database name {name!r}")
    maintenance = db_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
