"""The one settings module; everything that varies comes from environment variables."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF

from qinqing.core.forms import parse_bool
from qinqing.core.net import parse_networks

django_stubs_ext.monkeypatch()  # lets admin and querysets be subscripted for mypy



def _flag(name: str, default: bool = False) -> bool:
    return parse_bool(os.environ.get(name, "1" if default else "0")) is True


TESTING = _flag("QINQING_TESTING") or "pytest" in sys.modules
BASE_DIR = Path(__file__).resolve().parent
_default_data_dir = Path(tempfile.mkdtemp(prefix="qinqing-test-")) if TESTING else Path.cwd() / ".qinqing"
DATA_DIR = Path(os.environ.get("QINQING_DATA_DIR", _default_data_dir)).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = _flag("QINQING_PRODUCTION")
DEBUG = _flag("QINQING_DEBUG")

SECRET_KEY = os.environ.get("QINQING_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("QINQING_SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-qinqing-0123456789-abcdefghijklmnopqrstuvwxyz"

ALLOWED_HOSTS = [h for h in os.environ.get("QINQING_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("QINQING_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("QINQING_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "channels",
    "django_htmx",
    "csp",
    "huey.contrib.djhuey",
    "qinqing.core",
    "qinqing.audit",
    "qinqing.notifications",
    "qinqing.regions",
    "qinqing.accounts",
    "qinqing.catalog",
    "qinqing.rules",
    "qinqing.datahub",
    "qinqing.cases",
    "qinqing.bundles",
    "qinqing.servicedesk",
    "qinqing.policies",
    "qinqing.cockpit",
    "qinqing.web",
]

MIDDLEWARE = [
    "qinqing.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "qinqing.core.staticfiles.StaticFilesMiddleware",  # servestatic, synchronous in a synchronous chain
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qinqing.core.middleware.ChineseFirstLocaleMiddleware",
    "qinqing.core.bodylimit.BodyLimitMiddleware",
    "qinqing.core.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qinqing.core.csp.KeptPolicyCSPMiddleware",  # django-csp, the plain policy built once per process
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "qinqing.urls"
WSGI_APPLICATION = "qinqing.wsgi.application"
ASGI_APPLICATION = "qinqing.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # overrides of other apps' templates (the admin's base_site)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qinqing.web.context.site",
            ],
        },
    }
]

# Embedded default: SQLite (WAL) in the data directory; DATABASE_URL selects PostgreSQL.
_database_url = os.environ.get("DATABASE_URL", "")
if _database_url:
    # Under an ASGI server each request may run on another thread, so per-thread persistent
    # connections pile up ("too many clients"); a psycopg pool per process bounds them.
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: the platform's queries are short, and a plan whose estimate crosses jit_above_cost (a
        # snapshot row refresh joining ten DISTINCT ON subqueries) spent 6.2 s compiling for a 30 ms run.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not TESTING:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": int(os.environ.get("QINQING_DB_POOL_SIZE", "8")),
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            # Django's SQLite with writers queued in-process (QINQING_SQLITE_WRITER_QUEUE=0: without, for benchmarks)
            "ENGINE": "django.db.backends.sqlite3" if os.environ.get("QINQING_SQLITE_WRITER_QUEUE") == "0"
            else "qinqing.core.sqlite",
            "NAME": str(DATA_DIR / "qinqing.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            },
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A 秒办 decision's one statement of rows is PREPAREd once per PostgreSQL connection (core/events/together.py);
# 0 for a pooler in transaction mode that does not carry prepared statements across transactions.
QINQING_DB_PREPARE = os.environ.get("QINQING_DB_PREPARE", "1") != "0"
# The test database's name (default: "test_" + NAME), e.g. for a shared server's naming rules.
_test_database = os.environ.get("QINQING_TEST_DATABASE") or os.environ.get("QINQING_TEST_DATABASE_NAME")
if _test_database:
    DATABASES["default"]["TEST"] = {"NAME": _test_database}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing cost only matters against stolen hashes; tests create thousands of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Login throttling (qinqing/accounts/throttle.py): a growing back-off per account across addresses
# and per address across accounts; a password spray from one address is refused; an SMS code passes.
QINQING_LOGIN_FAILURE_LIMIT = int(os.environ.get("QINQING_LOGIN_FAILURE_LIMIT", "5"))
QINQING_LOGIN_ADDRESS_LIMIT = int(os.environ.get("QINQING_LOGIN_ADDRESS_LIMIT", "20"))
QINQING_LOGIN_SPRAY_ACCOUNTS = int(os.environ.get("QINQING_LOGIN_SPRAY_ACCOUNTS", "8"))
# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated); default none.
QINQING_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("QINQING_TRUSTED_PROXIES", "").split(",") if p.strip()]
parse_networks(QINQING_TRUSTED_PROXIES)  # a typo stops the start, it never silently trusts nothing or all

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "qinqing.cockpit.staticfinders.PlotlyFinder",  # plotly.js from the plotly package, same origin
]
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The service desk's clock (chat response, work orders): daily hours, and whether it stops on
# public holidays or on weekends that are not make-up workdays.
QINQING_SERVICE_HOURS = {
    "opens": os.environ.get("QINQING_SERVICE_OPENS", "09:00"),
    "closes": os.environ.get("QINQING_SERVICE_CLOSES", "21:00"),
    "skip_holidays": _flag("QINQING_SERVICE_SKIP_HOLIDAYS"),
    "skip_weekends": _flag("QINQING_SERVICE_SKIP_WEEKENDS"),
}

# Uploads: the limit an enterprise sees, and the total a request body may carry.
QINQING_MAX_UPLOAD_BYTES = int(os.environ.get("QINQING_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
QINQING_API_MAX_BODY_BYTES = 1024 * 1024
# A multipart request (all its files together) over this is refused with 413 before it is read.
QINQING_MAX_REQUEST_BYTES = int(os.environ.get("QINQING_MAX_REQUEST_BYTES", str(64 * 1024 * 1024)))
# An uploaded DOCX, XLSX or OFD is opened and refused beyond these (a zip bomb expands to gigabytes).
QINQING_UPLOAD_MAX_ZIP_ENTRIES = 2000
QINQING_UPLOAD_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("QINQING_UPLOAD_MAX_UNCOMPRESSED_BYTES",
                                                           str(100 * 1024 * 1024)))
QINQING_UPLOAD_MAX_COMPRESSION_RATIO = 200
QINQING_TOKEN_TTL_HOURS = 12
# Public licence verification: look-ups per client address per minute (page and API together).
QINQING_VERIFY_PER_MINUTE = int(os.environ.get("QINQING_VERIFY_PER_MINUTE", "100000" if TESTING else "30"))
# The registry of every event subscriber and outbox consumer (see qinqing/core/events/).
QINQING_EVENT_FLOWS = "qinqing.flows"
# Which shared-data sources an authorised agent reads: those its 一件事 read (unset: none).
QINQING_DATAHUB_BUNDLE_SOURCES = "qinqing.bundles.queries.sources_needed"
QINQING_SIGNING_KEY_FILE = Path(os.environ.get("QINQING_SIGNING_KEY_FILE", DATA_DIR / "licence-signing.key"))
# The audit chain's HMAC keys (outside the database): QINQING_AUDIT_KEY (base64url secrets, comma-separated,
# first current) or a key file created on first use; checkpoints and the export of the chain's heads.
QINQING_AUDIT_KEY = os.environ.get("QINQING_AUDIT_KEY", "")
QINQING_AUDIT_KEY_FILE = Path(os.environ.get("QINQING_AUDIT_KEY_FILE", DATA_DIR / "audit-keys.json"))
QINQING_AUDIT_DIR = Path(os.environ.get("QINQING_AUDIT_DIR", DATA_DIR / "audit"))
QINQING_AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("QINQING_AUDIT_CHECKPOINT_MINUTES", "10"))
# The licence PDF's X.509 material (issuing CA + signing certificate), created on first use, and the
# public keys and certificates of rotated-out keys, which still verify what they signed (docs/security/sec-licence.md).
QINQING_PDF_SIGNING_DIR = Path(os.environ.get("QINQING_PDF_SIGNING_DIR", DATA_DIR / "licence-pdf-signing"))
QINQING_RETIRED_KEYS_DIR = Path(os.environ.get("QINQING_RETIRED_KEYS_DIR", DATA_DIR / "licence-keys-retired"))

# Rate-limit counters: per process by default, shared by every process through Redis in production.
if _redis_url_cache := os.environ.get("REDIS_URL", ""):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url_cache}}

# Background work: Huey on SQLite in the data directory; Redis when REDIS_URL is set.
_redis_url = os.environ.get("REDIS_URL", "")
HUEY: dict[str, object]
if _redis_url:
    HUEY = {"huey_class": "huey.PriorityRedisHuey", "name": "qinqing", "url": _redis_url, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "qinqing",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": TESTING or _flag("QINQING_HUEY_IMMEDIATE"),
    }

# Real time (chat with D小二): one process by default; channels-redis across processes when REDIS_URL is set.
CHANNEL_LAYERS: dict[str, dict[str, object]]
if _redis_url:
    # Redis pub/sub: a message for a conversation crosses Redis once per server process, which then hands it
    # to each of its own connected clients; the list-based layer pushed and popped one copy per client
    # (docs/performance.md, "Service desk"). Delivery is at most once either way: clients catch up by
    # sequence number. QINQING_CHANNELS_PUBSUB=0 selects the list-based layer.
    CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer" if _flag("QINQING_CHANNELS_PUBSUB", True)
        else "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [_redis_url]}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Outside world: notification channels behind an interface; the default backend only logs.
# The bank gateway payouts go through; the sandbox keeps its transfers in a local SQLite file (one per
# test process, so that parallel test runs never share a bank).
QINQING_BANK_GATEWAY = os.environ.get("QINQING_BANK_GATEWAY", "qinqing.policies.gateway.SandboxGateway")
# Whole-registry matching of a published policy: one Huey job per this many enterprises (docs/deploy.md).
QINQING_MATCH_PARTITION_SIZE = int(os.environ.get("QINQING_MATCH_PARTITION_SIZE", "200000"))
QINQING_BANK_SANDBOX = os.environ.get("QINQING_BANK_SANDBOX") or str(
    Path(tempfile.gettempdir()) / f"qinqing-bank-{os.getpid()}.sqlite3" if TESTING else DATA_DIR / "bank-sandbox.sqlite3")
QINQING_SMS_BACKEND = os.environ.get("QINQING_SMS_BACKEND", "qinqing.notifications.backends.LogBackend")
QINQING_EMAIL_BACKEND = os.environ.get("QINQING_EMAIL_BACKEND", "qinqing.notifications.backends.LogBackend")

# Security headers: a strict CSP with no inline script or style.
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
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_AGE = 8 * 3600
if PRODUCTION:
    SECURE_SSL_REDIRECT = _flag("QINQING_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Logs: every record carries the request id (also sent as the X-Request-ID header); errors,
# including every 500 from `django.request`, go to stderr and to errors.log in the data directory.
QINQING_ERROR_LOG = Path(os.environ.get("QINQING_ERROR_LOG", DATA_DIR / "errors.log"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "qinqing.core.logs.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [request %(request_id)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
        "errors": {"class": "logging.handlers.WatchedFileHandler", "filename": str(QINQING_ERROR_LOG),
                   "level": "ERROR", "formatter": "plain", "filters": ["request_id"], "delay": True,
                   "encoding": "utf-8"},
    },
    "loggers": {
        "qinqing": {"handlers": ["console", "errors"], "level": os.environ.get("QINQING_LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console", "errors"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console", "errors"], "level": "WARNING", "propagate": False},
    },
}
