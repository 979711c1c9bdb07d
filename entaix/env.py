"""Reads configuration from the environment; every failure names the variable at fault."""

import datetime
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# A .env file is read only when asked: production takes its environment from the orchestrator.
if env.bool("DJANGO_READ_DOT_ENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

_DB_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


def required(name: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} is required and is not set.")
    return value


def database(name: str = "DATABASE_URL", *, default: str | None = None) -> dict:
    raw = env.str(name, default="").strip() or default
    if not raw:
        raise ImproperlyConfigured(f"The environment variable {name} is required and is not set.")
    scheme = urlparse(raw).scheme
    if scheme not in _DB_SCHEMES:
        raise ImproperlyConfigured(
            f"The environment variable {name} is malformed: expected postgres://… or sqlite:///…"
        )
    config = environ.Env.db_url_config(raw)
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"The environment variable {name} names no database.")
    return config


def integer(name: str, default: int) -> int:
    try:
        return env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"The environment variable {name} must be an integer.") from exc


def boolean(name: str, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"The environment variable {name} must be true or false.")


def hosts(name: str) -> list[str]:
    values = [h.strip() for h in required(name).split(",") if h.strip()]
    if not values:
        raise ImproperlyConfigured(f"The environment variable {name} lists no host.")
    return values


def networks(name: str) -> list[str]:
    """Comma-separated IP addresses or networks (CIDR); empty gives an empty list."""
    values = [v.strip() for v in env.str(name, default="").split(",") if v.strip()]
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"The environment variable {name} must list IP addresses or networks "
                f"(comma-separated): {value!r} is neither."
            ) from exc
    return values


def mailers(name: str = "EMAIL_URL", *, default: str = "consolemail://") -> dict:
    """Django 6.1 MAILERS from one URL (smtp://user:pass@host:587/?tls=True, consolemail://…)."""
    try:
        config = env.email_url_config(env.str(name, default="").strip() or default)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(f"The environment variable {name} is malformed.") from exc
    options = {
        "host": config.get("EMAIL_HOST"),
        "port": config.get("EMAIL_PORT"),
        "username": config.get("EMAIL_HOST_USER"),
        "password": config.get("EMAIL_HOST_PASSWORD"),
        "use_tls": config.get("EMAIL_USE_TLS", False),
        "use_ssl": config.get("EMAIL_USE_SSL", False),
        "timeout": 20,
    }
    backend = config["EMAIL_BACKEND"]
    if not backend.endswith("smtp.EmailBackend"):
        options = {}
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


def clock(name: str, default: str) -> datetime.time:
    """A time of day written HH:MM."""
    raw = env.str(name, default="").strip() or default
    try:
        return datetime.time.fromisoformat(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"The environment variable {name} must be HH:MM.") from exc


_PEM = re.compile(
    r"-----BEGIN (?:RSA )?PRIVATE KEY-----.+?-----END (?:RSA )?PRIVATE KEY-----", re.DOTALL
)


def pem_keys(name: str) -> list[str]:
    """PEM private keys from one variable: zero, one or several blocks, one after the other
    (real newlines, or `\\n` escapes as a one-line .env file writes them)."""
    raw = env.str(name, default="").replace("\\n", "\n").strip()
    keys = _PEM.findall(raw)
    if raw and not keys:
        raise ImproperlyConfigured(
            f"The environment variable {name} must hold PEM private keys "
            "(-----BEGIN PRIVATE KEY-----…)."
        )
    return keys
