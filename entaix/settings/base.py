"""Settings shared by every environment. Values that differ come from the environment."""

from datetime import timedelta

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from entaix.env import BASE_DIR, boolean, clock, env, integer, mailers

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "entaix.admin.EntaixAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "auditlog",
    "schools",
    "accounts",
    "imports",
]

MIDDLEWARE = [
    "entaix.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "entaix.urls"
WSGI_APPLICATION = "entaix.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    }
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("login", "first_name", "last_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Brute-force protection for the portal login (django-axes): the N-th failure locks that login.
AXES_FAILURE_LIMIT = integer("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=integer("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/login_locked.html"
AXES_USERNAME_FORM_FIELD = "username"
# Per-address limiting is django-ratelimit's job (below): an axes lockout per address would lock
# out a whole school behind one NAT address after five typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Behind the production reverse proxy the client address is the first X-Forwarded-For hop.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Per-address ceiling on login posts, on top of the per-login lockout (django-ratelimit).
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="60/h")
RATELIMIT_VIEW = "accounts.views.rate_limited"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "entaix",
    }
}

MAILERS = mailers("EMAIL_URL")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ent@mairie-aixenprovence.fr")
CITY_ALERT_EMAIL = env.str("CITY_ALERT_EMAIL", default="")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = integer("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="entaix")
# An unacknowledged task (its worker died) is delivered again after this many seconds; longer
# than the longest task time limit, so a slow import is never run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": integer("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = boolean("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# A task that outlives these is stopped: soft first (clean up), then hard.
CELERY_TASK_SOFT_TIME_LIMIT = 30 * 60
CELERY_TASK_TIME_LIMIT = 35 * 60
# Acknowledge after the run: a killed worker's task comes again (tasks are idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs the submitted login (a person's name): keep it out of the logs.
    "loggers": {"axes": {"level": "ERROR"}},
}

ENT_SITE_URL = env.str("ENT_SITE_URL", default="http://localhost:8000")

# --- ENT accounts: activation codes, activation and recovery pages ---------------------------
# Fernet keys, comma-separated, that encrypt activation codes so a letter can be reprinted: the
# first encrypts, every one decrypts. Rotate: put a new key first, run
# `manage.py activation_codes_rekey`, then drop the old key.
ACTIVATION_CODE_KEYS = env.list("ACTIVATION_CODE_KEYS", default=[])
# Last valid day (MM-DD) of an activation code: the end of the school year.
ACTIVATION_CODE_EXPIRES_ON = env.str("ACTIVATION_CODE_EXPIRES_ON", default="08-31")
# django-ratelimit rates for the public pages, per typed login and per address.
ACTIVATION_RATE_PER_LOGIN = env.str("ACTIVATION_RATE_PER_LOGIN", default="10/h")
ACTIVATION_RATE_PER_IP = env.str("ACTIVATION_RATE_PER_IP", default="60/h")
PASSWORD_FORGOT_RATE_PER_LOGIN = env.str("PASSWORD_FORGOT_RATE_PER_LOGIN", default="5/h")
PASSWORD_FORGOT_RATE_PER_IP = env.str("PASSWORD_FORGOT_RATE_PER_IP", default="30/h")
# The terms of use shown on the activation page (templates/accounts/terms.html); an account
# records the version it accepted.
TERMS_OF_USE_VERSION = "2026-09"
# An e-mailed password link works once, for this many seconds.
PASSWORD_RESET_TIMEOUT = 24 * 3600

# City staff share one set of dashboard figures, recomputed at most this often (0: never cached).
DASHBOARD_CACHE_SECONDS = integer("DASHBOARD_CACHE_SECONDS", 60)

# --- AAF import guards: a run beyond these is held for a human -------------------------------
IMPORT_MAX_LEAVE_RATIO = env.float("IMPORT_MAX_LEAVE_RATIO", default=0.10)
IMPORT_MAX_AGE_DAYS = integer("IMPORT_MAX_AGE_DAYS", 7)
IMPORT_MAX_COUNT_DROP = env.float("IMPORT_MAX_COUNT_DROP", default=0.20)
IMPORT_MAX_DANGLING_RATIO = env.float("IMPORT_MAX_DANGLING_RATIO", default=0.01)
# Feeds at least this large (bytes) have their guardian and staff files read by a second
# process while this one reads the pupils (PostgreSQL only); 0 always, -1 never.
IMPORT_PARALLEL_MIN_BYTES = integer("IMPORT_PARALLEL_MIN_BYTES", 20 * 2**20)

# --- Daily AAF delivery over SFTP (convention, annex 2) --------------------------------------
SFTP_HOST = env.str("SFTP_HOST", default="")
SFTP_PORT = integer("SFTP_PORT", 22)
SFTP_USER = env.str("SFTP_USER", default="")
SFTP_KEY_PATH = env.str("SFTP_KEY_PATH", default="")
SFTP_KEY_PASSPHRASE = env.str("SFTP_KEY_PASSPHRASE", default="")
SFTP_KNOWN_HOSTS = env.str("SFTP_KNOWN_HOSTS", default="")
SFTP_REMOTE_DIR = env.str("SFTP_REMOTE_DIR", default=".")
SFTP_TIMEOUT = integer("SFTP_TIMEOUT", 30)
AAF_INBOX_DIR = env.str("AAF_INBOX_DIR", default=str(BASE_DIR / "var" / "inbox"))
AAF_REMOVE_REMOTE = boolean("AAF_REMOVE_REMOTE", True)
AAF_INBOX_RETENTION_DAYS = integer("AAF_INBOX_RETENTION_DAYS", 7)
AAF_FETCH_TIME = clock("AAF_FETCH_TIME", "06:30")
AAF_FETCH_CUTOFF = clock("AAF_FETCH_CUTOFF", "10:00")
AAF_FETCH_RETRY_MINUTES = integer("AAF_FETCH_RETRY_MINUTES", 30)

# --- Data protection (accounts/gdpr) -----------------------------------------------------------
# Where new data requests and deadline reminders go when a request has no assignee.
GDPR_DPO_EMAIL = env.str("GDPR_DPO_EMAIL", default="")
# The accessibility statement's contact (RGAA): who answers a person who cannot use a page.
ACCESSIBILITY_CONTACT_EMAIL = env.str(
    "ACCESSIBILITY_CONTACT_EMAIL", default="ent@mairie-aixenprovence.fr"
)
# The public request form, per address (django-ratelimit).
GDPR_REQUEST_RATE_PER_IP = env.str("GDPR_REQUEST_RATE_PER_IP", default="5/h")
GDPR_ATTACHMENT_MAX_MB = integer("GDPR_ATTACHMENT_MAX_MB", 5)
# The e-mailed link to an access export works this many days; the file is then deleted.
GDPR_EXPORT_LINK_DAYS = integer("GDPR_EXPORT_LINK_DAYS", 7)
# A closed request is anonymised after this many years; its attachment deleted after these days.
GDPR_REQUEST_RETENTION_YEARS = integer("GDPR_REQUEST_RETENTION_YEARS", 5)
GDPR_ATTACHMENT_RETENTION_DAYS = integer("GDPR_ATTACHMENT_RETENTION_DAYS", 30)

CELERY_BEAT_SCHEDULE = {
    # The Académie's files are there early: fetch each morning; the task retries itself every
    # AAF_FETCH_RETRY_MINUTES until the cut-off.
    "aaf-morning-fetch": {
        "task": "imports.tasks.aaf_fetch_task",
        "schedule": crontab(hour=AAF_FETCH_TIME.hour, minute=AAF_FETCH_TIME.minute),
    },
    # At the cut-off, no complete file set today means an alert to the school service.
    "aaf-delivery-check": {
        "task": "imports.tasks.aaf_delivery_check_task",
        "schedule": crontab(hour=AAF_FETCH_CUTOFF.hour, minute=AAF_FETCH_CUTOFF.minute),
    },
    # At night, raw files older than AAF_INBOX_RETENTION_DAYS are deleted.
    "aaf-inbox-purge": {
        "task": "imports.tasks.aaf_inbox_purge_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Each morning the assignee (or GDPR_DPO_EMAIL) hears of data requests overdue or due soon.
    "gdpr-request-reminders": {
        "task": "accounts.gdpr.tasks.data_requests_remind_task",
        "schedule": crontab(hour=8, minute=0),
    },
    # Late each evening the retention rules are applied, so that on 31 December the pupils who
    # left during the year are gone before the year ends (convention, article 8).
    "gdpr-retention-purge": {
        "task": "accounts.gdpr.tasks.retention_purge_task",
        "schedule": crontab(hour=22, minute=30),
    },
}
