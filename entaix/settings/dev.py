"""Newcomer's settings: SQLite, eager Celery, console e-mail, in-memory cache."""

import base64
import hashlib
import secrets

from entaix.env import BASE_DIR, database

from .base import *  # noqa: F403

# The feed generator, demo_seed and aaf_generate: never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405

DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# No secret in code: a random key is made once per checkout and kept out of git.
_key_file = BASE_DIR / ".dev-secret-key"
if not SECRET_KEY:  # noqa: F405
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

# Activation codes: a key derived from the checkout's secret key unless one is given.
if not ACTIVATION_CODE_KEYS:  # noqa: F405
    _digest = hashlib.sha256(f"activation-code-keys:{SECRET_KEY}".encode()).digest()
    ACTIVATION_CODE_KEYS = [base64.urlsafe_b64encode(_digest).decode()]

DATABASES = {"default": database(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app folders directly; no collectstatic needed here.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
