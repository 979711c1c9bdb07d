"""Production settings: refuse to start without the variables that make it safe."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from entaix.env import boolean, database, env, hosts, integer, mailers, required

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = hosts("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": database()}
DATABASES["default"]["CONN_MAX_AGE"] = integer("DATABASE_CONN_MAX_AGE", 60)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Activation codes are encrypted with these (comma-separated Fernet keys, the first encrypts).
ACTIVATION_CODE_KEYS = [k.strip() for k in required("ACTIVATION_CODE_KEYS").split(",") if k.strip()]
try:
    for _key in ACTIVATION_CODE_KEYS:
        Fernet(_key)
except ValueError as exc:
    raise ImproperlyConfigured(
        "The environment variable ACTIVATION_CODE_KEYS must list Fernet keys (comma-separated)."
    ) from exc

# TLS ends at the reverse proxy in front of gunicorn.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = boolean("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = integer("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# City staff and superusers always need their second factor here, whatever MFA_REQUIRED says.
MFA_REQUIRED = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Mail leaves through an SMTP relay; without EMAIL_URL, the host's own MTA on port 25.
MAILERS = mailers("EMAIL_URL", default="smtp://localhost:25")
