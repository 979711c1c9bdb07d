"""The demo's SQLite, for tests that check it answers as PostgreSQL does: `manage.py` run in its
own process (the test process is on PostgreSQL) against a database file. The `sqlite_database`
fixture (root conftest.py) gives each test a copy of one database migrated once per test
worker: migrating SQLite costs about 20 s of CPU, four tests paid it each."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sqlite_manage(database: Path, *args: str) -> str:
    """`manage.py <args>` with the demo's settings on this SQLite file; its output. A failing
    command fails the test with its error output."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "entaix.settings.dev",
           "DATABASE_URL": f"sqlite:///{database}"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def last_json(output: str):
    """The JSON a command printed last (the shell may say first what it imported)."""
    return json.loads(output.strip().splitlines()[-1])


def sqlite_shell_json(database: Path, script: str):
    """Run a script in `manage.py shell` on this SQLite file; the JSON it printed last."""
    return last_json(sqlite_manage(database, "shell", "-c", script))
