"""Settings for the data-access request portal.

Every value that differs between a laptop, CI and production comes from the
environment (``.env.example`` lists them all). With no variable set at all the
portal runs in its *embedded* mode: the cases in a SQLite file and the warehouse
in a DuckDB file under ``var/``, Celery on a file-system broker that needs no server, e-mail printed to the console and
saved under ``var/mail/``.
Production (``DEBUG`` off) refuses every one of those demo defaults: start-up
stops, naming each variable to set (``_refusals_in_production`` below).
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from stats_app.warehouse.engines import SCHEMES as WAREHOUSE_ENGINE_SCHEMES

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# --- Production refuses demo defaults ------------------------------------------
# With DEBUG off nothing falls back to the embedded mode: each variable below is set, and names a service
# fit for production. The defaults further down serve DEBUG=1 only.
_REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "a long random string (DEBUG=1 allows a development key)",
    "DATABASE_URL": "the cases' PostgreSQL database, e.g. postgres://portal:…@db.internal:5432/portal",
    "WAREHOUSE_URL": (
        "the health data's warehouse (PostgreSQL, ClickHouse or a DuckDB file), "
        "e.g. clickhouse://stats_reader:…@warehouse.internal:8123/stats"
    ),
    "REDIS_URL": "the Celery broker and the shared cache, e.g. redis://redis.internal:6379/0",
    "EMAIL_URL": "the SMTP server that sends the legal notices, e.g. smtp+tls://portal:…@smtp.agence.example:587",
    "PORTAL_BASE_URL": "the portal's address for the links in e-mails, e.g. https://portail.agence.example",
    "ALLOWED_HOSTS": "the host names the portal answers to, e.g. portail.agence.example",
}
#: The engine of the cases in production (SQLite is the embedded mode's).
PRODUCTION_DATABASE_ENGINES = {"django.db.backends.postgresql"}
#: The warehouse's engines (stats_app/warehouse/engines.py), by WAREHOUSE_URL scheme: PostgreSQL, ClickHouse (a
#: server or cluster) and DuckDB (an embedded file, one host). chdb:// (in-process ClickHouse) is the tests'.
WAREHOUSE_SCHEMES = WAREHOUSE_ENGINE_SCHEMES
PRODUCTION_WAREHOUSE_ENGINES = {"postgresql", "clickhouse", "duckdb"}
#: EMAIL_URL schemes that send: consolemail, filemail, memorymail and dummymail print, keep or drop the messages.
SENDING_EMAIL_SCHEMES = ("smtp", "smtp+tls", "smtps", "smtp+ssl")


def _found(url: str) -> str:
    """What ``url`` points at, without its password."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        return "SQLite, the embedded mode's file"
    if scheme == "chdb":
        return "chdb://, the tests' in-process ClickHouse"
    return f"{scheme or 'no known'}://"


def _refusals_in_production() -> list[str]:
    """Every reason the environment is not fit for production, one per variable, naming it.

    Values are never echoed (URLs carry passwords): only their scheme or engine.
    """
    refusals = [
        f"{name} is not set: {meaning}."
        for name, meaning in _REQUIRED_IN_PRODUCTION.items()
        if not env.str(name, default="").strip(" ,")
    ]
    url = env.str("DATABASE_URL", default="").strip()
    if url and env.db_url_config(url).get("ENGINE") not in PRODUCTION_DATABASE_ENGINES:
        refusals.append(
            f"DATABASE_URL points at {_found(url)}: production keeps the cases in PostgreSQL (postgres://…)."
        )
    url = env.str("WAREHOUSE_URL", default="").strip()
    if url and WAREHOUSE_SCHEMES.get(urlsplit(url).scheme.lower()) not in PRODUCTION_WAREHOUSE_ENGINES:
        refusals.append(
            f"WAREHOUSE_URL points at {_found(url)}: production keeps the health data in PostgreSQL (postgres://…), "
            "ClickHouse (clickhouse://…, clickhouses://…) or a DuckDB file (duckdb:///…)."
        )
    if (scheme := urlsplit(env.str("EMAIL_URL", default="").strip()).scheme) and scheme not in SENDING_EMAIL_SCHEMES:
        refusals.append(
            f"EMAIL_URL uses {scheme}://, which does not send e-mail (legal notices would be printed, kept or lost): "
            f"production needs {', '.join(s + '://' for s in SENDING_EMAIL_SCHEMES)}."
        )
    base_url = urlsplit(env.str("PORTAL_BASE_URL", default="").strip())
    if base_url.geturl() and (base_url.scheme not in ("http", "https") or not base_url.hostname):
        refusals.append("PORTAL_BASE_URL is not an absolute address such as https://portail.agence.example.")
    if "testserver" in (host.lower() for host in env.list("ALLOWED_HOSTS", default=[])):
        refusals.append(
            "ALLOWED_HOSTS includes testserver, the test client's host name "
            "(the tests add it themselves): list only the names the portal answers to."
        )
    return refusals


if not DEBUG and (_refusals := _refusals_in_production()):
    raise ImproperlyConfigured(
        "Production (DEBUG=0) refuses to start on demo defaults:\n"
        + "".join(f"- {refusal}\n" for refusal in _refusals)
        + "Set them (.env.example lists every variable), or DEBUG=1 for the embedded mode on a developer's machine."
    )

_DEVELOPMENT_SECRET_KEY = "development-only-not-secret"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="") or _DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "simple_history",
    "django_celery_beat",
    "csp",
    "pgtrigger",
    "rest_framework",
    "drf_spectacular",
    # The API docs' Swagger UI and Redoc, served from our static files (no CDN).
    "drf_spectacular_sidecar",
    "portal",
    "stats_app",
    "requests_app",
]
# The benchmarks' commands (``make bench``; the tests of the case generator): never in production.
if env.bool("PORTAL_BENCH", default=False):
    INSTALLED_APPS.append("tests.bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.StaffMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.StaffSessionIdleMiddleware",
    "portal.ratelimit.PostRateLimitMiddleware",
    "portal.audit.AccessLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------
# ``default`` holds the cases; the warehouse holds the health data and is read
# only by the statistics code (stats_app/warehouse/engines.py, stats_app/routers.py).
# A PostgreSQL warehouse is Django's ``warehouse`` connection; DuckDB and ClickHouse
# are opened by their engine from WAREHOUSE_URL.
WAREHOUSE_URL = env.str("WAREHOUSE_URL", default="").strip() or f"duckdb:///{VAR_DIR / 'warehouse.duckdb'}"
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if WAREHOUSE_SCHEMES.get(urlsplit(WAREHOUSE_URL).scheme.lower()) == "postgresql":
    DATABASES["warehouse"] = env.db_url_config(WAREHOUSE_URL)
# DuckDB, embedded: the memory it may take in each process (it spills to temp_directory beyond), and its threads.
# The defaults suit 2 cores and 24 GB shared with the web processes and the other workers.
WAREHOUSE_DUCKDB = {
    "memory_limit": env.str("WAREHOUSE_DUCKDB_MEMORY_LIMIT", default="2GB"),
    "threads": env.int("WAREHOUSE_DUCKDB_THREADS", default=2),
    "temp_directory": env.str("WAREHOUSE_DUCKDB_TEMP_DIRECTORY", default=str(VAR_DIR / "duckdb-tmp")),
}
for _alias, _db in DATABASES.items():
    if _db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web process and the worker share the file.
        _db.setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
        _db["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    else:
        _db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        _db.setdefault("CONN_HEALTH_CHECKS", True)
DATABASE_ROUTERS = ["stats_app.routers.WarehouseRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts --------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http" if DEBUG else "https")

MFA_ADAPTER = "portal.adapters.MFAAdapter"  # staff may not switch TOTP off
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Portail d'accès aux données"
# Only honoured by allauth while DEBUG is on: lets a demo log in as staff
# without an authenticator app. Never set in production.
MFA_TOTP_INSECURE_BYPASS_CODE = env.str("DEMO_MFA_BYPASS_CODE", default="") or None

# History reasons carry free text (a withdrawal's reason, a notice of extension):
# a text column, not simple-history's default varchar(100).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# guardian: no anonymous user row; object permissions live in direct-FK tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Montreal"
USE_I18N = True
USE_TZ = True
# Dates written out in full in English too: portal/formats/en/formats.py.
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static and private files ----------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded attachments and generated outputs live outside the web root and are
# served only by permission-checked views; there is deliberately no MEDIA_URL.
PRIVATE_FILES_ROOT = Path(env.str("PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_FILES_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- Cache, broker and jobs --------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The embedded mode: a real Celery worker (started by `make run`) on a
    # broker made of folders, so jobs run through the same code with no server.
    CELERY_BROKER_URL = "filesystem://"
    _queue = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "queue"),
        "data_folder_out": str(_queue / "queue"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),
        "store_processed": False,
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# A task must finish well before Redis hands its message to another worker.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
if CELERY_TASK_TIME_LIMIT >= CELERY_BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must stay below CELERY_VISIBILITY_TIMEOUT.")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One beat process (the DatabaseScheduler loads these entries into its tables at start-up).
CELERY_BEAT_SCHEDULE = {
    # The outbox's safety net: e-mails whose message was lost (broker down, worker killed) go out anyway.
    "notifications-sweep-outbox": {"task": "requests_app.tasks.sweep_outbox", "schedule": 60.0},
    # Reminders before the due date, overdue alerts, clarifications left waiting (CELERY_TIMEZONE: Montréal).
    "notifications-deadline-scan": {"task": "requests_app.tasks.scan_deadlines", "schedule": crontab(hour=7, minute=0)},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- E-mail ----------------------------------------------------------------
if env.str("EMAIL_URL", default=""):  # always set in production (see above)
    vars().update(env.email_url("EMAIL_URL"))
else:
    # The embedded mode: each message on the console and saved under var/mail/ (portal/mail.py).
    EMAIL_BACKEND = "portal.mail.ConsoleAndFileBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
# Seconds an SMTP conversation may hang before the send fails and is retried later.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="acces-donnees@agence.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails are absolute: the portal's address as its users reach it.
# Business days between a table's release and its entry in the public register (A-2.1, r. 2, s. 4 par. 8).
PUBLICATION_DELAY_WORKING_DAYS = env.int("PUBLICATION_DELAY_WORKING_DAYS", default=5)
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Notifications (requests_app/notifications/): reminders to the officer this many days before the due
# date, and to a requester whose clarification has waited this many days.
DUE_REMINDER_DAYS = sorted(env.list("DUE_REMINDER_DAYS", cast=int, default=[5, 1]), reverse=True)
CLARIFICATION_REMINDER_DAYS = env.int("CLARIFICATION_REMINDER_DAYS", default=7)

# --- Security --------------------------------------------------------------
# Production is served over HTTPS only. ``SECURE_COOKIES=0`` (the test suite, the
# benchmark's gunicorn, a plain-HTTP run) and ``DEBUG=1`` turn the HTTPS-only
# rules off together; each one can still be set on its own.
HTTPS_ONLY = not DEBUG and env.bool("SECURE_COOKIES", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
# No script of the portal reads the CSRF cookie: forms carry the token.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
if HTTPS_ONLY:
    # "__Host-": the browser keeps these cookies only from HTTPS, for this host, on every path.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
# The load balancer's health probe may come over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a reverse proxy that ends TLS: trust its X-Forwarded-Proto (and only then).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind that proxy, the client's address is the one the proxy adds to X-Forwarded-For:
# the rate limits and the access log count per client, not per proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): every page loads its styles, scripts and
# images from the portal itself; no inline script, no inline style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Staff sessions end after this many seconds without a request (portal.middleware.StaffSessionIdleMiddleware);
# requesters keep Django's two weeks.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)

# Failed sign-ins (allauth): per address, at most 10 a minute whatever the account; per address and
# account, 5 in 15 minutes (``portal.adapters.AccountAdapter`` keys the account's limit by address
# too, so nobody can lock another person out from elsewhere). A window, never a permanent lock.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,5/15m/key"),
}

# POSTs per user to the pages that file or write something (``portal.ratelimit``):
# URL name -> (requests, seconds). A refused POST gets a 429 page that keeps what was written.
POST_RATE_LIMITS = {
    "requests_app:create": (10, 3600),
    "requests_app:submit": (5, 3600),
    "requests_app:attachments": (30, 3600),
    "requests_app:message": (10, 600),
    "requests_app:clarification_answer": (10, 600),
    "workspace:message": (30, 600),
    "api_tokens": (10, 3600),
    "workspace:clarification_ask": (30, 600),
    "consultations:detail": (20, 600),
}

# --- The REST API (/api/v1/, requests_app/api/) ------------------------------------
# Personal access tokens: valid this many days unless their owner chooses, and never longer than the maximum.
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
REST_FRAMEWORK = {
    # A token first: an unauthenticated call answers 401 with "WWW-Authenticate: Bearer".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "requests_app.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "requests_app.api.permissions.TokenScope",
    ],
    # The pages' limits (POST_RATE_LIMITS), counted in the same buckets.
    "DEFAULT_THROTTLE_CLASSES": ["requests_app.api.throttling.PageRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "requests_app.api.views.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portail d'accès aux données — API",
    "DESCRIPTION": "Requesters file and follow their data-access requests; staff read their queues (MFA session).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AttachmentKindEnum": "requests_app.models.AttachmentKind",
        "MeasureKindEnum": "stats_app.models.MeasureKind",
        "StatusEnum": "requests_app.states.Status",
        "JobStateEnum": "requests_app.states.JobState",
    },
}

# Uploaded and generated files are never under a folder the static server reads.
for _static_root in (STATIC_ROOT, *STATICFILES_DIRS):
    if PRIVATE_FILES_ROOT.resolve().is_relative_to(Path(_static_root).resolve()):
        raise ImproperlyConfigured(
            f"PRIVATE_FILES_ROOT ({PRIVATE_FILES_ROOT}) is inside {_static_root}, which the static server serves."
        )

# --- The Act, as settings ----------------------------------------------------
# Access Act s. 47: answer within 20 calendar days, extendable once by 10.
STATUTORY_DELAY_DAYS = env.int("STATUTORY_DELAY_DAYS", default=20)
EXTENSION_DAYS = env.int("EXTENSION_DAYS", default=10)
# Access Act ss. 135, 137: delay to ask the Commission for a review.
REVIEW_REQUEST_DAYS = env.int("REVIEW_REQUEST_DAYS", default=30)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
SPECIFICATION_MAX_DIMENSIONS = 4
# The agency's floors for disclosure control (Health Insurance Act s. 67): no dataset's threshold or rounding base
# may be set below them, by a proposal or by its approval (``stats_app.governance``).
DISCLOSURE_MIN_THRESHOLD = env.int("DISCLOSURE_MIN_THRESHOLD", default=5)
DISCLOSURE_MIN_ROUNDING_BASE = env.int("DISCLOSURE_MIN_ROUNDING_BASE", default=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
