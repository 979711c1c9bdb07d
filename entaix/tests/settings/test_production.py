"""Production settings refuse to start unsafely; each failure names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GOOD = {
    "DJANGO_SETTINGS_MODULE": "entaix.settings.production",
    "DJANGO_SECRET_KEY": "k" * 20 + "-Zq8#vL2!pW6@xR4$tN0^bY9&mJ3*cF7",
    "DJANGO_ALLOWED_HOSTS": "ent.example.fr",
    "DATABASE_URL": "postgres://entaix@127.0.0.1:5432/entaix",
    "ACTIVATION_CODE_KEYS": "Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMtbG9uZy1rZXk=",
}


def run(args: list[str], env_overrides: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    for key, value in {**GOOD, **env_overrides}.items():
        if value is not None:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing):
    result = run(["check"], {missing: None})
    assert result.returncode == 1
    assert f"The environment variable {missing} is required and is not set." in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql//oops", "The environment variable DATABASE_URL is malformed"),
        ("LOGIN_FAILURE_LIMIT", "five", "The environment variable LOGIN_FAILURE_LIMIT must be"),
        ("DJANGO_SECURE_SSL_REDIRECT", "maybe", "DJANGO_SECURE_SSL_REDIRECT must be true or false"),
        ("TRUSTED_PROXIES", "10.0.0.1,proxy", "TRUSTED_PROXIES must list IP addresses or networks"),
    ],
)
def test_malformed_variable_stops_start_up_naming_it(name, value, message):
    result = run(["check"], {name: value})
    assert result.returncode == 1
    assert message in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    # A reachable database: Django checks the persons' stored generated column (`search_key`)
    # against the database's features, as `migrate` and the entrypoint do before it serves.
    database = os.environ.get("DATABASE_URL", GOOD["DATABASE_URL"])
    result = run(["check", "--deploy", "--fail-level", "WARNING"], {"DATABASE_URL": database})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."
    assert "WARNING" not in result.stderr


LANGUAGE_COOKIE = """
from django.test import Client
response = Client().post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True,
                         HTTP_HOST="ent.example.fr")
print(response.cookies["django_language"].output())
"""


def test_language_cookie_is_secure_httponly_lax_in_production():
    result = run(["shell", "-c", LANGUAGE_COOKIE], {})
    assert result.returncode == 0, result.stderr
    cookie = result.stdout.strip().splitlines()[-1]
    assert cookie.startswith("Set-Cookie: django_language=en;")
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie


def test_production_always_requires_the_second_factor():
    shown = "from django.conf import settings; print(settings.MFA_REQUIRED)"
    result = run(["shell", "-c", shown], {"MFA_REQUIRED": "false"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
