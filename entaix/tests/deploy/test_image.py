"""The production image, stepped through without Docker (no engine and no registry here).

Every build step after `COPY . .` runs in a clean copy of the checkout with exactly the
environment the Dockerfile declares; then the app starts with only the variables the README lists
for production: `check --deploy` passes and gunicorn answers /healthz.
"""

import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def declared_env() -> dict[str, str]:
    env = {}
    for word, rest in instructions():
        if word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def shell() -> list[str]:
    """The SHELL the RUN steps use (Docker's default: sh -c)."""
    import json

    declared = [json.loads(rest) for word, rest in instructions() if word == "SHELL"]
    return declared[-1] if declared else ["/bin/sh", "-c"]


def build_steps() -> list[str]:
    steps, copied = [], False
    for word, rest in instructions():
        if word == "COPY" and rest.split() == [".", "."]:
            copied = True
        elif word == "RUN" and copied:
            steps.append(rest)
    return steps


def readme_production_variables() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    sentence = re.search(r"refuse to start\s+without (.+?);", readme, re.S).group(1)
    return re.findall(r"`([A-Z][A-Z0-9_]+)`", sentence)


def dockerignored(copy_root: Path) -> None:
    for pattern in (ROOT / ".dockerignore").read_text().split():
        for path in copy_root.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The checkout as `COPY . .` sees it, after every later build step."""
    app = tmp_path_factory.mktemp("image") / "app"
    shutil.copytree(ROOT, app, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__"))
    dockerignored(app)
    env = {**declared_env(), "PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(app.parent)}
    for step in build_steps():
        done = subprocess.run([*shell(), step], cwd=app, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{step}\n{done.stderr[-3000:]}"
    return app


def production_env(app: Path) -> dict[str, str]:
    settings = connection.settings_dict
    values = {
        "DJANGO_SECRET_KEY": "x" * 20 + Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "ent.example.fr",
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            settings["USER"],
            settings["HOST"] or "127.0.0.1",
            settings["PORT"] or 5432,
            settings["NAME"],
        ),
        "ACTIVATION_CODE_KEYS": Fernet.generate_key().decode(),
    }
    names = readme_production_variables()
    assert sorted(names) == sorted(values)
    return {**declared_env(), "PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(app.parent),
            **{n: values[n] for n in names}}  # fmt: skip


def test_dockerfile_declares_the_production_settings():
    assert declared_env()["DJANGO_SETTINGS_MODULE"] == "entaix.settings.production"
    assert build_steps()  # collectstatic and compilemessages run at build time


def test_build_steps_need_no_runtime_secret_and_compile_everything(built):
    assert (built / "staticfiles" / "staticfiles.json").is_file()
    assert (built / "locale" / "fr" / "LC_MESSAGES" / "django.mo").is_file()


@pytest.mark.django_db
def test_the_built_app_starts_with_only_the_documented_variables(built):
    env = production_env(built)
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=built, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "entaix.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"],
        cwd=built, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        body = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = (r.status, r.read())
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        assert body == (200, b'{"status": "ok"}'), server.stderr.read1().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_hadolint_passes():
    hadolint = shutil.which("hadolint", path=str(VENV_BIN))
    assert hadolint, "hadolint is installed by requirements-dev.txt"
    done = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
