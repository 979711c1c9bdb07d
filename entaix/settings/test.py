"""Test settings: real PostgreSQL and Redis (DATABASE_URL, REDIS_URL), mail kept in memory."""

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from entaix.env import boolean, database, env

from .base import *  # noqa: F403

# The feed generator, demo_seed and aaf_generate: never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405

# Random per process, unless given: the fault matrix runs a server and commands as separate
# processes that must read each other's activation codes.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
DATABASES = {"default": database(default="postgres://postgres@127.0.0.1:5432/entaix")}


def _xdist_worker_db(url: str) -> str:
    """The Redis database of this pytest-xdist worker: gwK uses the given DB number minus 2K
    (mod 16), so with the defaults 15 (cache) and 14 (broker) gw0 uses 15/14, gw1 13/12, and
    so on. A test's cache.clear() flushes its whole database: each worker needs its own. A
    Celery worker or server a test starts inherits PYTEST_XDIST_WORKER, hence the same DBs.
    Without xdist (a plain `pytest path::test`), the URL as given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    index = int(worker.removeprefix("gw"))
    if index >= 8:
        raise ImproperlyConfigured("At most 8 pytest-xdist workers: Redis has 16 databases.")
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db - 2 * index) % 16}"))


REDIS_URL = _xdist_worker_db(env.str("REDIS_URL", default="redis://127.0.0.1:6379/15"))
CACHES = {
    "default": {
        "BACKEND": "entaix.common.cache.FaultTolerantRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"entaix-test-{secrets.token_hex(4)}",
        "OPTIONS": REDIS_OPTIONS,  # noqa: F405
    }
}
# Not the cache's database: a test's cache.clear() flushes that one, queued tasks included.
CELERY_BROKER_URL = _xdist_worker_db(
    env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/14")
)
# Eager in-process, except for the worker started by the end-to-end test.
CELERY_TASK_ALWAYS_EAGER = boolean("CELERY_TASK_ALWAYS_EAGER", True)
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A fresh key per run: activation codes are encrypted with it.
ACTIVATION_CODE_KEYS = [Fernet.generate_key().decode()]
# Hashing strength is not under test; a fast hasher keeps the suite quick.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "oidc.hashers.ClientSecretHasher",
]
# Serve static files from the app folders directly; no collectstatic needed here.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Most tests log city staff in with force_login, which proves no second factor; the MFA tests
# (accounts/tests/views/test_mfa.py) turn the rule back on.
MFA_REQUIRED = False
# OpenID Connect clients of the tests listen on loopback, in plain HTTP.
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}  # noqa: F405
# The changeover rules are off unless a test turns them on: a suite run in late August would
# otherwise see its fixtures' second Complet as the year's changeover.
SCHOOL_YEAR_CHANGEOVER = env.str("SCHOOL_YEAR_CHANGEOVER", default="")
IMPORT_CHANGEOVER_CLASS_RATIO = env.float("IMPORT_CHANGEOVER_CLASS_RATIO", default=0)
