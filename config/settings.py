"""Settings, read from the environment, with defaults that run on a laptop.

Every variable is listed in the README. The embedded default is SQLite and a
Redis that the project starts itself (config/embedded_redis.py); production
sets DATABASE_URL and REDIS_URL, and DEBUG=0 with a real SECRET_KEY.
"""

import os
import re

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import embedded_redis
from config.env import (
    BASE_DIR,
    envbool,
    envint,
    envlist,
    envnetworks,
    production_secret_key,
    var_dir,
)

VAR_DIR = var_dir()

DEBUG = envbool("DEBUG", True)

if DEBUG:
    # Only for local use: a production start (DEBUG=0) refuses any key like this one.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-local-development-only"
else:
    SECRET_KEY = production_secret_key(os.environ.get("SECRET_KEY"))

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0.")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # daphne first: its runserver serves HTTP and WebSockets (ASGI).
    "daphne",
    "workshop.backoffice.BackOfficeConfig",  # django.contrib.admin, with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "channels",
    "impacts",
    "duels",
    "workshop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Organisation roles grant their permissions (workshop/tenancy.py).
    "workshop.auth.MembershipBackend",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
# PostgreSQL in production: a pool of connections per web process (DATABASE_POOL_SIZE).
# Every WebSocket message reaches the database, and opening a connection costs more than
# most queries; under ASGI, each request runs in a thread of its own, so connections are
# pooled rather than kept per thread (which would exhaust PostgreSQL's 100 clients).
# Off by default: the tests open and close their own.
DATABASE_POOL_SIZE = envint("DATABASE_POOL_SIZE", 0)
if DATABASE_POOL_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses both at once
    # A check costs a round trip on every borrow; a connection that a PostgreSQL restart
    # broke fails one request instead (a phone's vote is refused, and sent again), and the
    # pool drops it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": DATABASE_POOL_SIZE,
        # A request waits this long for a free connection, then fails: never forever.
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The web server and the workers write at once: WAL and a wait, never "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: the tests' Celery workers and servers open the same database.
    # One per test run, so that two runs at once never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis carries Celery's queue and the Channels layer, in every mode.
REDIS_URL = os.environ.get("REDIS_URL") or (
    f"unix://{embedded_redis.ensure_running(VAR_DIR / 'redis')}"
)
# Celery (kombu) spells a unix socket redis+socket://; redis-py and Channels say unix://.
CELERY_BROKER_URL = (
    "redis+socket://" + REDIS_URL.removeprefix("unix://")
    if REDIS_URL.startswith("unix://")
    else REDIS_URL
)
_CHANNEL_HOST = REDIS_URL

CHANNEL_LAYERS = {
    "default": {
        # channels_redis's layer, with one reader per web process for its screens
        # (config/channel_layer.py): half the work of delivering a reveal to each phone.
        "BACKEND": "config.channel_layer.RedisChannelLayer",
        "CONFIG": {
            # redis-py refuses a command once a process's pool holds 100 connections: a
            # thousand sockets of one web process joining or leaving their groups at
            # once need more (Redis itself accepts 10,000 clients).
            "hosts": [
                {
                    "address": _CHANNEL_HOST,
                    "max_connections": envint("CHANNEL_LAYER_MAX_CONNECTIONS", 2000),
                    # A process's reader blocks in Redis (BZPOPMIN, 1 s here, 5 s upstream),
                    # then asks again; redis-py 8 cuts every read at 5 s by default, which
                    # killed idle screens' consumers (django/channels_redis#422). This read
                    # timeout is longer than either pop.
                    "socket_timeout": 15,
                }
            ],
            "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "duels"),
            # Every screen of a web process shares one inbox in Redis (its channels are
            # "specific.<process>!<screen>"), and channels_redis silently drops what
            # arrives once it holds the channel's capacity (100 by default): forty
            # workshops' news outran a busy process and projectors stayed on an old count
            # (bench/RESULTS.md). The inbox holds more; what each screen buffers in the
            # process stays at 100, so that a screen gone without leaving its groups
            # (a consumer killed at disconnect) holds little. Messages expire after 60 s.
            "channel_capacity": {"specific.*": envint("CHANNEL_LAYER_CAPACITY", 10_000)},
        },
    }
}

# Web processes freeze what survives the garbage collector's full collections, which
# otherwise stop the event loop for a quarter of a second with a thousand phones
# (config/collector.py). On in production; off by default where DEBUG is on (tests,
# development), where finalizers of frozen cycles would run late.
GC_FREEZE = envbool("GC_FREEZE", not DEBUG)

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# A task whose worker died is handed to another after this long (seconds). Running
# generations are protected by their lease (duels/generation.py), so a short timeout
# never runs one twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 300),
    # Look for such abandoned tasks every few seconds rather than every hundred.
    "unacked_restore_interval": envint("CELERY_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": 1,
}

# Floods: new participants per network address and minute (a sliding minute: a token
# bucket), codes that name no room per address and minute; messages per WebSocket.
JOINS_PER_ADDRESS_PER_MINUTE = envint("JOINS_PER_ADDRESS_PER_MINUTE", 300)
JOIN_FAILURES_PER_ADDRESS_PER_MINUTE = envint("JOIN_FAILURES_PER_ADDRESS_PER_MINUTE", 30)
WEBSOCKET_BURST = envint("WEBSOCKET_BURST", 20)
WEBSOCKET_MESSAGES_PER_SECOND = envint("WEBSOCKET_MESSAGES_PER_SECOND", 2)

# Model providers (duels/endpoint_safety.py). The environment variables an endpoint may
# name for its key: no other variable of the workers is ever sent, and the platform's own
# secrets never, even if listed here. The private networks a worker may call, e.g. the
# compose stack's network for its llama service; loopback stays for endpoints marked local.
PROVIDER_KEY_VARIABLES = envlist(
    "PROVIDER_KEY_VARIABLES", ["OPENROUTER_API_KEY", "ALBERT_API_KEY", "MISTRAL_API_KEY"]
)
PRIVATE_ENDPOINT_NETWORKS = envnetworks("PRIVATE_ENDPOINT_NETWORKS")

# Generations: a worker's hold on one lapses unless renewed; retries back off exponentially.
GENERATION_LEASE_SECONDS = envint("GENERATION_LEASE_SECONDS", 60)
GENERATION_MAX_ATTEMPTS = envint("GENERATION_MAX_ATTEMPTS", 5)
GENERATION_RETRY_BASE_SECONDS = envint("GENERATION_RETRY_BASE_SECONDS", 2)
GENERATION_RETRY_CAP_SECONDS = envint("GENERATION_RETRY_CAP_SECONDS", 60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# French first, English alongside. Pages are in French until the English catalogue
# exists; a browser's Accept-Language must not give half-translated pages.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Locally, static files come straight from the apps' folders, with no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "admin:login"

# E-mail: invitations to join an organisation (workshop/invitations.py). Locally they are
# printed on the console; the tests keep them in memory.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
# An unreachable mail server makes the admin wait this long, then shows the link instead.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# Hosts whose https images a slide may show (workshop/slide_images.py). Whoever serves an
# image sees the address of every phone that shows it: by default, the platform's own
# files only.
SLIDE_IMAGE_HOSTS = envlist("SLIDE_IMAGE_HOSTS", [])
for _host in SLIDE_IMAGE_HOSTS:
    # Each one goes into the Content-Security-Policy header as it is written.
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?", _host):
        raise ImproperlyConfigured(
            f"SLIDE_IMAGE_HOSTS: {_host!r} is not a host name (images.example.org[:port])."
        )

# Production hardening; `manage.py check --deploy` passes with DEBUG=0.
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # The container's own health check speaks plain HTTP on loopback.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

# Logs: plain lines for a terminal, or one JSON object per line for a log collector
# (LOG_FORMAT=json in production). Both hide secrets (config/logging.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json; got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "config.logging.PlainFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "filters": {"forbidden_in_one_line": {"()": "config.logging.ForbiddenInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler would print its records a second time, unformatted.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A refused page (403) is one line, without the PermissionDenied's traceback.
        "django.request": {"filters": ["forbidden_in_one_line"], "propagate": True},
    },
}
# Celery's worker keeps these handlers rather than installing its own plain ones.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
