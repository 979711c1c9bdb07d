"""Settings shared by every environment. Values that differ come from the environment."""

from datetime import timedelta

from celery.schedules import crontab
from django.conf import global_settings
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from entaix.env import BASE_DIR, boolean, clock, env, integer, mailers, networks, pem_keys

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
    # ArrayField (entaix.common.fields.PortableArrayField: User.directory_schools, _classes).
    "django.contrib.postgres",
    "axes",
    "auditlog",
    # Two-factor authentication: TOTP apps, and static tokens as recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "schools",
    "accounts",
    "imports",
    "privacy",
    # The city's OpenID Connect provider for the ENT and its school services (issue 18).
    "oauth2_provider",
    "oidc",
    # SCIM 2.0 provisioning for the ENT and the city's services (read-only).
    "scim",
]

MIDDLEWARE = [
    # First: counts every answer (view name and status only) for the Prometheus metrics.
    "entaix.metrics.RequestMetricsMiddleware",
    "entaix.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (Django's own, the former django-csp): SECURE_CSP below.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # The sign-in pages of the OpenID Connect flow may send their form on to the client's
    # registered address (CSP form-action, which browsers apply to redirects too).
    "oidc.middleware.ClientFormActionMiddleware",
    "entaix.hardening.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): this session proved the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # City staff and superusers reach nothing before they enrol a second factor.
    "accounts.mfa.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "entaix.hardening.NoStoreWhenLoggedInMiddleware",
    # django-auditlog's middleware, with the client address of entaix.client_ip.
    "entaix.client_ip.AuditlogClientIpMiddleware",
    # Redis or the broker unreachable: a translated 503 page instead of a 500 (README, "Faults").
    "entaix.unavailable.ServiceUnavailableMiddleware",
    # A per-address limit (django-ratelimit, block=True) answers RATELIMIT_VIEW's 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
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

# People's passwords: Django's default (stretched) hashers; the last one is for OpenID Connect
# client secrets only, long random values that need no stretching (oidc/hashers.py).
PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, "oidc.hashers.ClientSecretHasher"]

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
# One counter per account whatever the case or the spaces typed: logins match that way.
AXES_USERNAME_CALLABLE = "accounts.lockout.typed_login"
# axes keeps the failed request's query and form in its tables: mask every secret (the second
# factor, the passwords of the change form) and what may hold a typed name (next, q).
AXES_SENSITIVE_PARAMETERS = [
    "username", "ip_address", "otp_token", "old_password", "new_password1", "new_password2",
    "next", "q", "csrfmiddlewaretoken",
]  # fmt: skip
# Per-address limiting is django-ratelimit's job (below): an axes lockout per address would lock
# out a whole school behind one NAT address after five typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The client's address: one resolver (entaix/client_ip.py) for axes, django-ratelimit, the audit
# trail. X-Forwarded-For is believed only from these proxies (addresses or networks).
TRUSTED_PROXIES = networks("TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "entaix.client_ip.client_ip"
RATELIMIT_IP_META_KEY = "entaix.client_ip.client_ip"

# Per-address ceiling on login posts, on top of the per-login lockout (django-ratelimit).
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="60/h")
RATELIMIT_VIEW = "accounts.views.rate_limited"

# Two-factor authentication (accounts/mfa.py): mandatory for city staff and superusers.
MFA_REQUIRED = boolean("MFA_REQUIRED", True)
OTP_TOTP_ISSUER = env.str("MFA_ISSUER", default="ENT Aix-en-Provence")

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
# Redis unreachable: reads miss, writes are skipped, counters and locks raise CacheUnavailable
# (entaix/common/cache.py); short timeouts so that a hung Redis does not hang the pages.
REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
CACHES = {
    "default": {
        "BACKEND": "entaix.common.cache.FaultTolerantRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "entaix",
        "OPTIONS": REDIS_OPTIONS,
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
# Our own origin only, no inline script or style, no framing, forms post only to us.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

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
LOGIN_FORGOT_RATE_PER_EMAIL = env.str("LOGIN_FORGOT_RATE_PER_EMAIL", default="5/h")
LOGIN_FORGOT_RATE_PER_IP = env.str("LOGIN_FORGOT_RATE_PER_IP", default="30/h")
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
# The September changeover (imports/changeover.py): the first Complet on or after this day (MM-DD;
# empty: no date rule), or a Complet changing more than this share of the classes (0: no class
# rule), is held for a changeover review instead of tripping the leave guards.
SCHOOL_YEAR_CHANGEOVER = env.str("SCHOOL_YEAR_CHANGEOVER", default="08-20")
IMPORT_CHANGEOVER_CLASS_RATIO = env.float("IMPORT_CHANGEOVER_CLASS_RATIO", default=0.5)
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

# --- Data protection (privacy) -----------------------------------------------------------
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
# How many downloads the link allows (each one audited with its time and address).
GDPR_EXPORT_MAX_DOWNLOADS = integer("GDPR_EXPORT_MAX_DOWNLOADS", 1)
# A closed request is anonymised after this many years; its attachment deleted after these days.
GDPR_REQUEST_RETENTION_YEARS = integer("GDPR_REQUEST_RETENTION_YEARS", 5)
GDPR_ATTACHMENT_RETENTION_DAYS = integer("GDPR_ATTACHMENT_RETENTION_DAYS", 30)
# Login records (django-axes: logins and failed attempts with address and browser) are deleted
# after this many days by the daily purge.
LOGIN_RECORD_RETENTION_DAYS = integer("LOGIN_RECORD_RETENTION_DAYS", 180)
# Encrypted backups are kept this many days (scripts/backup.sh deletes older ones); the termination
# certificate gives the date the last backup holding feed data expires.
BACKUP_RETENTION_DAYS = integer("BACKUP_RETENTION_DAYS", 35)

# --- Health and metrics --------------------------------------------------------
# /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; unset, it answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# /readyz reports "degraded" (still 200) past these ages; the alert rules watch the same figures.
READY_FEED_MAX_AGE_HOURS = integer("READY_FEED_MAX_AGE_HOURS", 26)
WORKER_HEARTBEAT_MAX_AGE = integer("WORKER_HEARTBEAT_MAX_AGE", 300)

# --- Activation letters ---------------------------------------------------------------------
# A letter batch's PDF (it carries activation codes) stays in MEDIA_ROOT/private/letters/ this
# many hours; its download link expires with it, and the hourly purge deletes the file.
LETTER_BATCH_KEEP_HOURS = integer("LETTER_BATCH_KEEP_HOURS", 24)

# --- OpenID Connect provider (oidc/, django-oauth-toolkit) -------------------------------------
OAUTH2_PROVIDER_APPLICATION_MODEL = "oidc.Client"
# RS256 signing keys (PEM). The first signs; the inactive ones are only published in the JWKS,
# so that during a rotation both keys are known to the clients (README, "Key rotation").
OIDC_RSA_PRIVATE_KEY = (pem_keys("OIDC_RSA_PRIVATE_KEY") or [""])[0]
OIDC_RSA_PRIVATE_KEYS_INACTIVE = pem_keys("OIDC_RSA_PRIVATE_KEYS_INACTIVE")
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": OIDC_RSA_PRIVATE_KEYS_INACTIVE,
    # The public address clients know the provider by; empty: derived from the request.
    "OIDC_ISS_ENDPOINT": env.str("OIDC_ISSUER", default="").rstrip("/"),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OAUTH2_VALIDATOR_CLASS": "oidc.validator.EntaixValidator",
    "SCOPES_BACKEND_CLASS": "oidc.scopes.ClientScopes",
    # Names only: the descriptions people read come from oidc.scopes (translated).
    "SCOPES": {"openid": "openid", "profile": "profile", "email": "email", "ent": "ent",
               "aaf": "aaf"},
    "DEFAULT_SCOPES": ["openid"],
    "CLIENT_SECRET_HASHER": "pbkdf2_sha256_client_secret",
    # Authorization code with PKCE (S256) only; no implicit or password grant.
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": integer("OIDC_ACCESS_TOKEN_SECONDS", 600),
    "ID_TOKEN_EXPIRE_SECONDS": integer("OIDC_ACCESS_TOKEN_SECONDS", 600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": integer("OIDC_REFRESH_TOKEN_DAYS", 30) * 86400,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    "ALLOWED_REDIRECT_URI_SCHEMES": env.list("OIDC_REDIRECT_SCHEMES", default=["https"]),
    # RFC 9700 (OAuth 2.0 security best practice), every gate on: S256 only, no implicit or
    # password grant, no token in a query string, `iss` in the authorization response, tokens
    # stored hashed (a stolen database holds no usable token).
    **dict.fromkeys(
        (
            "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT", "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT",
            "COMPLIANT_BCP_RFC9700_PKCE_METHOD", "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT",
            "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS", "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE",
            "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN", "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME",
            "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING", "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED",
        ),
        True,
    ),
}  # fmt: skip

CELERY_BEAT_SCHEDULE = {
    # Every minute a worker records a heartbeat in Redis: /readyz and the metrics read its age.
    "worker-heartbeat": {
        "task": "entaix.tasks.worker_heartbeat_record_task",
        "schedule": 60.0,
    },
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
    # Every quarter of an hour, a run that stopped without an end (its worker or the database
    # went away) is marked failed-retryable and the city's school service is told.
    "import-runs-abandoned-check": {
        "task": "imports.tasks.import_runs_abandoned_check_task",
        "schedule": crontab(minute="*/15"),
    },
    # At night, raw files older than AAF_INBOX_RETENTION_DAYS are deleted.
    "aaf-inbox-purge": {
        "task": "imports.tasks.aaf_inbox_purge_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Every hour, letter PDFs older than LETTER_BATCH_KEEP_HOURS are deleted.
    "letter-batches-purge": {
        "task": "accounts.tasks.letter_batches_purge_task",
        "schedule": crontab(minute=20),
    },
    # Each morning the assignee (or GDPR_DPO_EMAIL) hears of data requests overdue or due soon.
    "gdpr-request-reminders": {
        "task": "privacy.tasks.data_requests_remind_task",
        "schedule": crontab(hour=8, minute=0),
    },
    # At night, expired OpenID Connect tokens and sign-in records past their retention go.
    "oidc-records-purge": {
        "task": "oidc.tasks.oidc_records_purge_task",
        "schedule": crontab(hour=3, minute=40),
    },
    # Late each evening the retention rules are applied, so that on 31 December the pupils who
    # left during the year are gone before the year ends (convention, article 8).
    "gdpr-retention-purge": {
        "task": "privacy.tasks.retention_purge_task",
        "schedule": crontab(hour=22, minute=30),
    },
    # Just after midnight, people outside the feed whose end date has passed leave (accounts
    # deactivated); the retention purge of the evening then removes them.
    "city-persons-leave": {
        "task": "imports.tasks.city_persons_leave_task",
        "schedule": crontab(hour=0, minute=20),
    },
    # Every hour, CSV imports of such people left undecided for a day lose their rows.
    "city-person-imports-expire": {
        "task": "imports.tasks.city_person_imports_expire_task",
        "schedule": crontab(minute=40),
    },
}
