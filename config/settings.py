"""Django settings for Studio, read from environment variables (see .env.example and README).

Embedded mode (the default) needs nothing set: SQLite and secrets live in STUDIO_HOME. Production
mode sets DATABASE_URL (PostgreSQL), REDIS_URL and STUDIO_HTTPS. A bad value stops start-up with
a `SettingError` naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url

from studio.env import (
    SettingError,
    envbool,
    envint,
    envlist,
    envmap,
    envpath,
    envrate,
    envstr,
    persisted_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Where Studio keeps its state -------------------------------------------------------------
STUDIO_HOME = envpath("STUDIO_HOME", "./var")
try:
    STUDIO_HOME.mkdir(parents=True, exist_ok=True)
except OSError as error:
    raise SettingError("STUDIO_HOME", f"cannot create {STUDIO_HOME}: {error.strerror}") from None
ARTIFACTS_ROOT = STUDIO_HOME / "artifacts"

# --- Serving ----------------------------------------------------------------------------------
STUDIO_HOST = envstr("STUDIO_HOST", "127.0.0.1")
STUDIO_PORT = envint("STUDIO_PORT", 8000, minimum=1, maximum=65535)
DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY") or persisted_secret(STUDIO_HOME / "secret_key")
if len(SECRET_KEY) < 32:
    raise SettingError("SECRET_KEY", "must be at least 32 characters; unset it to generate one")

_default_hosts = "127.0.0.1,localhost,[::1]"
if STUDIO_HOST not in ("127.0.0.1", "localhost", "0.0.0.0", "::"):
    _default_hosts += f",{STUDIO_HOST}"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", _default_hosts)
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlparse(_origin).scheme not in ("http", "https"):
        raise SettingError("CSRF_TRUSTED_ORIGINS", f"{_origin!r} must start with http:// or https://")

# Behind TLS (production): secure cookies, HSTS, redirect to https.
STUDIO_HTTPS = envbool("STUDIO_HTTPS", False)
SESSION_COOKIE_SECURE = STUDIO_HTTPS
CSRF_COOKIE_SECURE = STUDIO_HTTPS
SECURE_SSL_REDIRECT = STUDIO_HTTPS and envbool("STUDIO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("STUDIO_HSTS_SECONDS", 31536000 if STUDIO_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = STUDIO_HTTPS
SECURE_HSTS_PRELOAD = STUDIO_HTTPS and envbool("STUDIO_HSTS_PRELOAD", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a reverse proxy: trust its X-Forwarded-Proto, and take the client's address (for the
# sign-in limits) from the last entry of the X-Forwarded-For it appends.
STUDIO_BEHIND_PROXY = envbool("STUDIO_BEHIND_PROXY", False)
if STUDIO_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Password sign-ins (the form and HTTP Basic on the API) per username and per client address:
# COUNT/[N]second|minute|hour|day, or off; over either, 429 until the window ends (`studio.login_limits`).
STUDIO_LOGIN_USER_LIMIT = envrate("STUDIO_LOGIN_USER_LIMIT", "5/15minutes")
STUDIO_LOGIN_ADDRESS_LIMIT = envrate("STUDIO_LOGIN_ADDRESS_LIMIT", "30/15minutes")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# --- Database ---------------------------------------------------------------------------------
_SQLITE_OPTIONS = {
    # WAL lets the embedded worker threads read while the web requests write.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    # Seconds a connection waits for another's write to end (SQLite's busy timeout) before
    # "database is locked"; a request that still gets it answers 503 with Retry-After
    # (`studio.database_busy`), never 500.
    "timeout": 20,
}
_database_url = envstr("DATABASE_URL")
if _database_url:
    _scheme = urlparse(_database_url).scheme
    if _scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise SettingError(
            "DATABASE_URL",
            f"unsupported scheme {_scheme!r}: Studio runs on PostgreSQL or SQLite, "
            "e.g. postgres://user:password@host:5432/name or sqlite:////absolute/path.sqlite3",
        )
    try:
        _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as error:
        raise SettingError("DATABASE_URL", f"cannot be read ({error})") from None
    if not _database.get("ENGINE") or not _database.get("NAME"):
        raise SettingError("DATABASE_URL", "must name a database, e.g. postgres://user:pw@host/db")
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database["OPTIONS"] = {**_SQLITE_OPTIONS, **_database.get("OPTIONS", {})}
else:
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": STUDIO_HOME / "studio.sqlite3",
        "OPTIONS": dict(_SQLITE_OPTIONS),
        # Worker threads handle a message every few milliseconds; reconnecting each time costs more.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # A file, not shared-cache memory: worker threads in tests then wait on locks, never fail.
        "TEST": {"NAME": str(STUDIO_HOME / "test.sqlite3")},
    }
# `studio serve` (and its web processes) take PostgreSQL connections from a pool, given back at
# the end of each request: under ASGI a request runs in a thread of its own, so a persistent
# connection would never be reused (one per request, open until collected). Everything else
# (`studio up`, `studio worker`, `manage`) keeps a persistent connection per thread: their
# long-lived threads would never give a pooled one back. The serve verb marks its process.
STUDIO_DB_POOL_MIN_SIZE = envint("STUDIO_DB_POOL_MIN_SIZE", 2, minimum=0, maximum=500)
STUDIO_DB_POOL_MAX_SIZE = envint("STUDIO_DB_POOL_MAX_SIZE", 10, minimum=0, maximum=500)
STUDIO_DB_POOL_TIMEOUT_SECONDS = envint("STUDIO_DB_POOL_TIMEOUT_SECONDS", 10, minimum=1, maximum=600)
if 0 < STUDIO_DB_POOL_MAX_SIZE < STUDIO_DB_POOL_MIN_SIZE:
    raise SettingError(
        "STUDIO_DB_POOL_MAX_SIZE",
        f"must be at least STUDIO_DB_POOL_MIN_SIZE ({STUDIO_DB_POOL_MIN_SIZE}), "
        f"got {STUDIO_DB_POOL_MAX_SIZE} (0 turns the pool off)",
    )
STUDIO_DB_POOLED = (
    envstr("STUDIO_SERVE_PROCESS") == "1"
    and _database["ENGINE"] == "django.db.backends.postgresql"
    and STUDIO_DB_POOL_MAX_SIZE > 0
)
if STUDIO_DB_POOLED:
    _database["CONN_MAX_AGE"] = 0  # Django's pool refuses persistent connections
    _database["OPTIONS"] = {
        **_database.get("OPTIONS", {}),
        "pool": {
            "min_size": STUDIO_DB_POOL_MIN_SIZE,
            "max_size": STUDIO_DB_POOL_MAX_SIZE,
            "timeout": STUDIO_DB_POOL_TIMEOUT_SECONDS,
            "name": "studio-web",
        },
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker and channel layer -----------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL and urlparse(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise SettingError("REDIS_URL", f"must start with redis://, rediss:// or unix://, got {REDIS_URL!r}")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Web processes of `studio serve` (uvicorn workers sharing the socket). Several need Redis (the
# channel layer and the broker are then shared), so without REDIS_URL the default is one. Each
# holds at most STUDIO_DB_POOL_MAX_SIZE PostgreSQL connections; 2 processes on 2 shared CPUs
# created 8-28 % more jobs/s than 1 (bench/README.md, endpoint invocations).
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
STUDIO_WEB_WORKERS = envint("STUDIO_WEB_WORKERS", min(4, _cpus) if REDIS_URL else 1, minimum=1, maximum=64)
STUDIO_WORKER_THREADS = envint("STUDIO_WORKER_THREADS", 2, minimum=1, maximum=64)
# Each running step holds one of these threads for as long as it runs.
STUDIO_STEP_THREADS = envint("STUDIO_STEP_THREADS", 8, minimum=1, maximum=256)
STUDIO_RECONCILE_SECONDS = envint("STUDIO_RECONCILE_SECONDS", 30, minimum=1)
# A step (in any phase: building, staging, running, collecting) or an environment build whose
# worker has not said it is alive for this long is taken over: its worker is presumed dead.
STUDIO_HEARTBEAT_TIMEOUT_SECONDS = envint("STUDIO_HEARTBEAT_TIMEOUT_SECONDS", 30, minimum=3)
# Attempts a step gets back when its worker dies under it, on top of its own max_retries.
STUDIO_WORKER_LOSS_RETRIES = envint("STUDIO_WORKER_LOSS_RETRIES", 2, minimum=0, maximum=20)
# A stopping `studio worker` (SIGTERM) lets its running steps finish for this long, then hands the
# rest back: another worker of their compute adopts or retries them.
STUDIO_WORKER_STOP_GRACE_SECONDS = envint("STUDIO_WORKER_STOP_GRACE_SECONDS", 30, minimum=0, maximum=3600)
# Steps of one user's jobs that may hold a slot (Preparing or Running) at once, on all computes
# together; more wait Queued (`runner.fairness`). 0: no limit.
STUDIO_USER_MAX_RUNNING_STEPS = envint("STUDIO_USER_MAX_RUNNING_STEPS", 0, minimum=0)
# Live events (a copy of status changes and log lines for websockets) of jobs that ended this
# many days ago are deleted; the logs, outputs and the jobs themselves stay. 0 keeps them all.
STUDIO_EVENT_RETENTION_DAYS = envint("STUDIO_EVENT_RETENTION_DAYS", 14, minimum=0)
# The most a step's log file keeps (every attempt together): the first half and the last half of
# what it printed, with a note saying how much of the middle was not kept (`runner.logs`).
STUDIO_STEP_LOG_MAX_BYTES = envint("STUDIO_STEP_LOG_MAX_BYTES", 10 * 1024 * 1024, minimum=64 * 1024)
# The most steps one pipeline job may have: every front door that compiles a pipeline (REST, YAML,
# the designer, publishing an endpoint) refuses more with a 400 that names both numbers.
STUDIO_MAX_STEPS_PER_JOB = envint("STUDIO_MAX_STEPS_PER_JOB", 10_000, minimum=1)

# --- Images and computes ----------------------------------------------------------------------
STUDIO_BASE_IMAGE = envstr("STUDIO_BASE_IMAGE", "studio/python:3.11-bookworm")
STUDIO_BUILD_CA_BUNDLE = envstr("STUDIO_BUILD_CA_BUNDLE")
if STUDIO_BUILD_CA_BUNDLE and not Path(STUDIO_BUILD_CA_BUNDLE).is_file():
    raise SettingError("STUDIO_BUILD_CA_BUNDLE", f"no such file: {STUDIO_BUILD_CA_BUNDLE}")
STUDIO_IMAGE_MAP = envmap("STUDIO_IMAGE_MAP")
STUDIO_COMPUTE_ALIASES = envmap("STUDIO_COMPUTE_ALIASES")
# The interpreter virtualenvs of the `local` compute are made from (default: /usr/bin/python3).
STUDIO_LOCAL_PYTHON = envstr("STUDIO_LOCAL_PYTHON")
STUDIO_VENV_SEED_CACHE = envstr("STUDIO_VENV_SEED_CACHE")  # empty: ~/.cache/studio/virtualenv
# How `local` steps are confined: bwrap (bubblewrap: they see the system read-only, their venv and
# inputs read-only, their work and output folders, a private /tmp; nothing else of STUDIO_HOME),
# auto (bwrap when it works here, else unconfined with a warning), off.
STUDIO_LOCAL_SANDBOX = envstr("STUDIO_LOCAL_SANDBOX", "auto").lower()
if STUDIO_LOCAL_SANDBOX not in ("auto", "bwrap", "off"):
    raise SettingError("STUDIO_LOCAL_SANDBOX", f"expected auto, bwrap or off, got {STUDIO_LOCAL_SANDBOX!r}")
# Folders on the server that pipeline YAML may name as data paths (off by default: any user
# could otherwise read any file the server can).
STUDIO_DATA_ROOTS = envlist("STUDIO_DATA_ROOTS")
# URLs users give (http(s) data inputs and data assets) are fetched by the worker; their hosts may
# not resolve to loopback, link-local, private or other non-public addresses unless this is true,
# or unless the address lies in one of STUDIO_PRIVATE_URL_NETWORKS (studio/net.py).
STUDIO_ALLOW_PRIVATE_URLS = envbool("STUDIO_ALLOW_PRIVATE_URLS", False)
STUDIO_PRIVATE_URL_NETWORKS = envlist("STUDIO_PRIVATE_URL_NETWORKS")
for _network in STUDIO_PRIVATE_URL_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise SettingError(
            "STUDIO_PRIVATE_URL_NETWORKS",
            f"expected networks such as 10.1.0.0/16 or fd00::/8, got {_network!r}",
        ) from None
# Invocations of a pipeline endpoint (all its keys and users together) per window:
# COUNT/[N]second|minute|hour|day, or off.
STUDIO_ENDPOINT_RATE_LIMIT = envrate("STUDIO_ENDPOINT_RATE_LIMIT", "60/minute")
STUDIO_DOCKER_URL = envstr("STUDIO_DOCKER_URL") or envstr("DOCKER_HOST")
# ssh:// engines: an ssh_config file given to `ssh -F` (its key, known_hosts); unset: the worker
# user's ~/.ssh/config.
STUDIO_SSH_CONFIG = envstr("STUDIO_SSH_CONFIG")
# Keys that encrypt secrets kept in the database (a compute's TLS client material): one or more
# strings of 32+ characters, comma-separated; the first encrypts, any decrypts (rotation). Unset:
# derived from SECRET_KEY (rotating SECRET_KEY then loses them: set this in production).
STUDIO_ENCRYPTION_KEYS = envlist("STUDIO_ENCRYPTION_KEY")
if any(len(key) < 32 for key in STUDIO_ENCRYPTION_KEYS):
    raise SettingError("STUDIO_ENCRYPTION_KEY", "each key must be at least 32 characters")
# An image registry (host[:port]) engines push environment images to after a build and pull from
# instead of building; empty: every engine builds its own.
STUDIO_REGISTRY = envstr("STUDIO_REGISTRY").rstrip("/")
if STUDIO_REGISTRY and not re.fullmatch(r"[A-Za-z0-9.-]+(:\d{1,5})?(/[a-z0-9._/-]+)?", STUDIO_REGISTRY):
    raise SettingError("STUDIO_REGISTRY", f"expected host[:port] like 127.0.0.1:5000: {STUDIO_REGISTRY!r}")
# Who steps run as (docker computes always; the local compute when the worker runs as root): a
# dedicated uid/gid that is no login account. 65532 lies outside the login range (1000-59999),
# Debian's package range (60000-64999), systemd's DynamicUser range (61184-65519) and nobody (65534).
STUDIO_STEP_UID = envint("STUDIO_STEP_UID", 65532, minimum=1, maximum=2**31 - 1)
STUDIO_STEP_GID = envint("STUDIO_STEP_GID", 65532, minimum=1, maximum=2**31 - 1)
# Limits of a step container when neither its resources nor its compute set them (0 CPUs: none).
STUDIO_STEP_DEFAULT_CPUS = envint("STUDIO_STEP_DEFAULT_CPUS", 2, minimum=0, maximum=1024)
STUDIO_STEP_DEFAULT_MEMORY_MB = envint("STUDIO_STEP_DEFAULT_MEMORY_MB", 4096, minimum=64)
# The writable /tmp of a step container (its root filesystem is read-only): a tmpfs of this size.
STUDIO_STEP_TMP_MB = envint("STUDIO_STEP_TMP_MB", 1024, minimum=16)
# The most processes (threads count) a step container may have at once: a fork bomb stops there.
STUDIO_STEP_PIDS_LIMIT = envint("STUDIO_STEP_PIDS_LIMIT", 4096, minimum=16, maximum=4194304)
# The most a step may leave in its output folders together, checked when it ends: more fails the
# step with a reason naming both sizes. 0: no limit.
STUDIO_MAX_OUTPUT_BYTES = envint("STUDIO_MAX_OUTPUT_BYTES", 20 * 1024**3, minimum=0)
# Resource limits of each image build's containers (the classic builder's container_limits).
STUDIO_BUILD_MEMORY_MB = envint("STUDIO_BUILD_MEMORY_MB", 4096, minimum=256)
STUDIO_BUILD_CPUSET = envstr("STUDIO_BUILD_CPUSET")
STUDIO_BUILD_CPU_SHARES = envint("STUDIO_BUILD_CPU_SHARES", 512, minimum=2, maximum=262144)
if STUDIO_BUILD_CPUSET and not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", STUDIO_BUILD_CPUSET):
    raise SettingError(
        "STUDIO_BUILD_CPUSET", f"expected CPUs such as 0-3 or 0,2, got {STUDIO_BUILD_CPUSET!r}"
    )
STUDIO_MAX_SNAPSHOT_BYTES = envint("STUDIO_MAX_SNAPSHOT_BYTES", 200 * 1024 * 1024, minimum=1024)
STUDIO_MAX_SNAPSHOT_FILES = envint("STUDIO_MAX_SNAPSHOT_FILES", 10_000, minimum=1)
# The most a request body may hold besides uploaded files (a JSON body, form fields): more is
# refused with 413 naming the limit. Uploaded files (code folders, build contexts, data) stream to
# disk and have their own limits (STUDIO_MAX_SNAPSHOT_BYTES, STUDIO_MAX_SNAPSHOT_FILES).
STUDIO_MAX_REQUEST_BYTES = envint("STUDIO_MAX_REQUEST_BYTES", 10 * 1024 * 1024, minimum=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = STUDIO_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Django -----------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "studio",
    "designer",
    "runner",
    "endpoints",
]

MIDDLEWARE = [
    # Outermost: a refused request (4xx) is logged as one line, METHOD /path STATUS: reason.
    "studio.request_log.RefusalLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.request_connections.PoolLimitMiddleware",  # no pooled connection free in time: 503
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "studio.middleware.LoginRequiredMiddleware",
    "studio.audit.AuditSourceMiddleware",  # where an action came from: web, api or cli
    "studio.database_busy.DatabaseBusyMiddleware",
    "config.middleware.StudioErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studio.context_processors.navigation",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = STUDIO_HOME / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# Embedded mode serves straight from static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
FRONTEND_MANIFEST = BASE_DIR / "static" / "dist" / ".vite" / "manifest.json"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "studio.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["studio.api.permissions.ReadOnlyForViewers"],
    "DEFAULT_PAGINATION_CLASS": "studio.api.pagination.StudioPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "studio.api.schema.StudioAutoSchema",
    "EXCEPTION_HANDLER": "studio.api.errors.studio_exception_handler",
    # JSON nested deeper than studio.schemas.loading.MAX_DEPTH levels is refused with 400.
    "DEFAULT_PARSER_CLASSES": [
        "studio.api.parsers.StudioJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Studio API",
    "DESCRIPTION": "Environments, components, data, computes, pipeline jobs and endpoints.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Requests and responses get components of their own: read-only fields only in answers,
    # write-only ones (a password) only in requests.
    "COMPONENT_SPLIT_REQUEST": True,
}

STUDIO_LOG_LEVEL = envstr("STUDIO_LOG_LEVEL", "INFO").upper()
if STUDIO_LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise SettingError("STUDIO_LOG_LEVEL", "must be DEBUG, INFO, WARNING, ERROR or CRITICAL")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # A 4xx answer is logged without a traceback (studio.request_log); 5xx keep theirs.
    "filters": {"one_line_refusals": {"()": "studio.request_log.OneLineRefusals"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["one_line_refusals"]}
    },
    "root": {"handlers": ["console"], "level": STUDIO_LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["one_line_refusals"]},
    },
}
