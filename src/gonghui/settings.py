"""One settings module, driven by the environment (healthchecks' pattern).

The embedded default needs no variable: SQLite in WAL mode under ``var/``, local-memory cache,
inline tasks, SMS printed to the log, keys generated once into ``var/secrets.json``.
``GONGHUI_ENV=production`` refuses to start without its secrets. Each secret may also be given
as ``<NAME>_FILE`` (a path whose content is the value).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parents[1]


def env(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the content of the file named by NAME_FILE."""
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None or not value.strip() else int(value)


GONGHUI_ENV = env("GONGHUI_ENV", "embedded")
PRODUCTION = GONGHUI_ENV == "production"
VAR_DIR = Path(env("GONGHUI_VAR_DIR", str(BASE_DIR / "var")) or "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secrets() -> dict[str, str]:
    """Keys for the embedded default, generated once and kept in var/secrets.json (mode 600)."""
    path = VAR_DIR / "secrets.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    data = {
        "secret_key": secrets.token_urlsafe(50),
        "pii_keys": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "blind_index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return data


def _secret(name: str, embedded_key: str) -> str:
    value = env(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} (or {name}_FILE) must be set when GONGHUI_ENV=production"
        )
    return _embedded_secrets()[embedded_key]


SECRET_KEY = _secret("GONGHUI_SECRET_KEY", "secret_key")
# Personal-data keys: "kid:base64key[,kid:base64key...]"; the first one encrypts, all decrypt.
GONGHUI_PII_KEYS = _secret("GONGHUI_PII_KEYS", "pii_keys")
# Key of the HMAC blind index used to look up and de-duplicate ID numbers and phones.
GONGHUI_BLIND_INDEX_KEY = _secret("GONGHUI_BLIND_INDEX_KEY", "blind_index_key")
if PRODUCTION:
    # Each key must be 32 bytes of base64 (core.prodcheck; the check core.E101/E102 says the same
    # outside production): a short or mistyped key would quietly weaken every index and token.
    from gonghui.core.prodcheck import blind_index_key_problems, pii_keys_problems

    _key_problems = pii_keys_problems(GONGHUI_PII_KEYS) + blind_index_key_problems(
        GONGHUI_BLIND_INDEX_KEY
    )
    if _key_problems:
        raise ImproperlyConfigured("; ".join(_key_problems))

DEBUG = env_bool("GONGHUI_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = [h.strip() for h in (env("GONGHUI_ALLOWED_HOSTS") or "").split(",") if h.strip()]
if not PRODUCTION:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "[::1]", "testserver"]
elif not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "GONGHUI_ALLOWED_HOSTS (or GONGHUI_ALLOWED_HOSTS_FILE) must be set when GONGHUI_ENV=production"
    )
# Reverse proxies in front of the app that append to X-Forwarded-For (core.middleware).
GONGHUI_TRUSTED_PROXIES = int(env("GONGHUI_TRUSTED_PROXIES", "0") or 0)
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in (env("GONGHUI_CSRF_TRUSTED_ORIGINS") or "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # the API docs' Swagger UI from its own static files (no CDN; the CSP stays strict)
    "treebeard",
    "gonghui.core",
    "gonghui.orgs",
    "gonghui.members",
    "gonghui.codes",
    "gonghui.funds",
    "gonghui.activities",
    "gonghui.benefits",
    "gonghui.pos",  # the checkout page and member offer pages (above benefits)
    "gonghui.staffauth",
    "gonghui.mutualaid",
    "gonghui.assistance",
    "gonghui.rights",
    "gonghui.venues",
    "gonghui.jobs",
    "gonghui.honors",
    "gonghui.academy",
    "gonghui.dashboard",  # reads every app's figures through the registries; imports no service app
    "gonghui.demo",  # top of the import direction: may import every app
]

MIDDLEWARE = [
    "gonghui.core.middleware.ForwardedForMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gonghui.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gonghui.error_views.ErrorPageMiddleware",  # styled page for empty 405s
    "gonghui.members.activity.MemberActivityMiddleware",  # 日活/月活: after the response
]

ROOT_URLCONF = "gonghui.urls"
WSGI_APPLICATION = "gonghui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
if PRODUCTION and not env("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL (or DATABASE_URL_FILE) must be set when GONGHUI_ENV=production"
    )
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gonghui.sqlite3'}"
# Two roles on PostgreSQL (docs/deployment.md): DATABASE_URL is the runtime role, which owns
# nothing and so can neither disable the append-only triggers nor truncate; DATABASE_MIGRATE_URL
# (optional) is the role that owns the tables, used by the commands that change the schema, or
# by any command with GONGHUI_DB_AS_OWNER=true. After a migrate the owner grants the runtime
# role (GONGHUI_DB_RUNTIME_ROLE, by default the user of DATABASE_URL; core.dbroles).
DATABASE_MIGRATE_URL = env("DATABASE_MIGRATE_URL") or ""
# rotate-pii-key re-encrypts sealed columns of append-only tables (the trigger lets only that
# through), which the runtime role may not UPDATE at all: it runs as the owner too.
_DDL_COMMANDS = {"migrate", "flush", "createcachetable", "rotate_pii_key"}
GONGHUI_DB_AS_OWNER = bool(DATABASE_MIGRATE_URL) and (
    env_bool("GONGHUI_DB_AS_OWNER")
    or (len(sys.argv) > 1 and sys.argv[1].replace("-", "_") in _DDL_COMMANDS)
)
GONGHUI_DB_RUNTIME_ROLE = (
    env("GONGHUI_DB_RUNTIME_ROLE")
    or (dj_database_url.parse(DATABASE_URL).get("USER") if DATABASE_MIGRATE_URL else "")
    or ""
)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_MIGRATE_URL if GONGHUI_DB_AS_OWNER else DATABASE_URL, conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests get a database file of their own, not Django's shared-cache in-memory database: in
    # shared-cache mode SQLite answers a lock held by another connection (a background thread,
    # the test's own) with an immediate "table is locked" instead of waiting, which is not how
    # the file database of the embedded default behaves.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"gonghui-test-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side parameters and prepared statements (psycopg prepares a statement on its third
    # run in a connection): a scan repeats the same dozen statements, and planning them again
    # each time cost PostgreSQL a third of its work in bench/redeem.py. Turn off behind a
    # transaction-mode pooler that does not keep prepared statements (PgBouncer < 1.21).
    if env_bool("GONGHUI_DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 3)
# A read replica for the dashboard (dashboard.router): its views and API read there, nothing
# else does, and no write ever goes there. Tests get a replica alias that mirrors the default
# database (TEST MIRROR); the router uses it only where a test turns GONGHUI_READ_REPLICA on.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL") or ""
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
elif "pytest" in sys.modules:
    DATABASES["replica"] = {
        **DATABASES["default"],
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
    }
if "replica" in DATABASES:
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
GONGHUI_READ_REPLICA = bool(DATABASE_REPLICA_URL)
DATABASE_ROUTERS = ["gonghui.dashboard.router.ReplicaRouter"] if "replica" in DATABASES else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Hash chains of the audit log and the ledger (core.chain): the daily task appends each chain's
# head to this file, which belongs outside the database and its backups (empty: log only).
GONGHUI_CHAIN_HEADS_FILE = env("GONGHUI_CHAIN_HEADS_FILE", "") or ""

# --- cache, rate limits, tasks ---------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "gonghui",
            # A Redis that does not answer fails within a second, and sign-in limits move to
            # database counters (core.throttle) instead of hanging on the operating system's
            # TCP time-outs.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("GONGHUI_TASKS_INLINE", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Yearly-review reminders of hardship files (embedded default: `gonghui assistance-reminders`).
    "assistance-review-reminders": {
        "task": "gonghui.assistance.review_reminders",
        "schedule": 24 * 3600,
    },
    # Venue slots ahead from templates, and no-shows after the slot (`gonghui venues_slots`).
    "venues-slots-generate": {"task": "gonghui.venues.slots_generate", "schedule": 6 * 3600},
    "venues-no-shows-mark": {"task": "gonghui.venues.no_shows_mark", "schedule": 15 * 60},
    # Hash chains (core.chain): seal new rows every minute, record the heads daily
    # (embedded default: `gonghui seal-chain` and `gonghui chain-head --seal --file …`).
    "core-chain-seal": {"task": "gonghui.core.chain_seal", "schedule": 60},
    "core-chain-head": {"task": "gonghui.core.chain_head", "schedule": 24 * 3600},
    # SMS outbox (core.sms): due retries every minute, delivery reports every five
    # (embedded default: `gonghui sms-dispatch` from cron).
    "core-sms-retry": {"task": "gonghui.core.sms_retry_due", "schedule": 60},
    "core-sms-poll": {"task": "gonghui.core.sms_poll_delivery", "schedule": 5 * 60},
    # The dashboard's roll-ups (docs/figures.md; embedded default: `gonghui dashboard-rollup`).
    "dashboard-rollup-advance": {"task": "gonghui.dashboard.rollup_advance", "schedule": 60},
}
# How long a missing service-event or member-activity id may still be a transaction that has not
# committed: the roll-ups' watermark waits below it that long (dashboard.services).
GONGHUI_ROLLUP_GRACE_SECONDS = env_int("GONGHUI_ROLLUP_GRACE_SECONDS", 600)

# --- auth ------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

# --- security --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "gonghui.error_views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("GONGHUI_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("GONGHUI_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- i18n, time ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static, media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
(PACKAGE_DIR / "static").mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Private files (roster reports, claim documents): never under a public URL.
PRIVATE_ROOT = VAR_DIR / "private"

# --- product settings ------------------------------------------------------------------------
GONGHUI_SMS_BACKEND = env("GONGHUI_SMS_BACKEND") or "gonghui.core.sms.ConsoleSmsBackend"
if PRODUCTION:
    # The console backend logs live sign-in codes; production names its provider's backend.
    from gonghui.core.prodcheck import sms_backend_problem

    if _sms_problem := sms_backend_problem(env("GONGHUI_SMS_BACKEND")):
        raise ImproperlyConfigured(
            f"{_sms_problem} (GONGHUI_SMS_BACKEND or GONGHUI_SMS_BACKEND_FILE, required when "
            "GONGHUI_ENV=production)"
        )
# SMS (core.sms, docs/deployment.md): the fallback order (dotted paths, comma-separated), tried
# only after a provider error or a time-out; the providers' credentials, signatures and template
# tables (JSON); the client time-out; attempts before a message is failed; send limits.
GONGHUI_SMS_FALLBACK = [
    p.strip()
    for p in (env("GONGHUI_SMS_FALLBACK") or "").replace("\n", ",").split(",")
    if p.strip()
]
GONGHUI_SMS_TIMEOUT_SECONDS = float(env("GONGHUI_SMS_TIMEOUT_SECONDS") or 5)
GONGHUI_SMS_MAX_ATTEMPTS = env_int("GONGHUI_SMS_MAX_ATTEMPTS", 5)
GONGHUI_SMS_PER_PHONE_HOUR = env_int("GONGHUI_SMS_PER_PHONE_HOUR", 10)
GONGHUI_SMS_PER_PHONE_DAY = env_int("GONGHUI_SMS_PER_PHONE_DAY", 40)
GONGHUI_SMS_PER_IP_HOUR = env_int("GONGHUI_SMS_PER_IP_HOUR", 60)
GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID = env("GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID") or ""
GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET = env("GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET") or ""
GONGHUI_SMS_ALIYUN_SIGN_NAME = env("GONGHUI_SMS_ALIYUN_SIGN_NAME") or ""
GONGHUI_SMS_ALIYUN_TEMPLATES = env("GONGHUI_SMS_ALIYUN_TEMPLATES") or ""
GONGHUI_SMS_ALIYUN_ENDPOINT = env("GONGHUI_SMS_ALIYUN_ENDPOINT") or ""
GONGHUI_SMS_TENCENT_SECRET_ID = env("GONGHUI_SMS_TENCENT_SECRET_ID") or ""
GONGHUI_SMS_TENCENT_SECRET_KEY = env("GONGHUI_SMS_TENCENT_SECRET_KEY") or ""
GONGHUI_SMS_TENCENT_SDK_APP_ID = env("GONGHUI_SMS_TENCENT_SDK_APP_ID") or ""
GONGHUI_SMS_TENCENT_SIGN_NAME = env("GONGHUI_SMS_TENCENT_SIGN_NAME") or ""
GONGHUI_SMS_TENCENT_REGION = env("GONGHUI_SMS_TENCENT_REGION") or "ap-guangzhou"
GONGHUI_SMS_TENCENT_TEMPLATES = env("GONGHUI_SMS_TENCENT_TEMPLATES") or ""
GONGHUI_SMS_TENCENT_ENDPOINT = env("GONGHUI_SMS_TENCENT_ENDPOINT") or ""
GONGHUI_OTP_TTL_SECONDS = 300
GONGHUI_OTP_MAX_ATTEMPTS = 5
# Applications to join, per proved phone and per IP per hour (members.enrolment).
GONGHUI_ENROL_MAX_PER_PHONE = 5
GONGHUI_ENROL_MAX_PER_IP = 20
# Anonymous rights intake per IP (rights.intake): per hour and per day.
GONGHUI_RIGHTS_INTAKE_PER_IP_HOUR = 5
GONGHUI_RIGHTS_INTAKE_PER_IP_DAY = 20
# Proof of work of anonymous forms (core.pow): zero bits asked, and how long a challenge lasts.
GONGHUI_POW_BITS = 12
GONGHUI_POW_MAX_AGE_SECONDS = 1800
GONGHUI_DEPLOYMENT_NAME = env("GONGHUI_DEPLOYMENT_NAME", "玉环市总工会")
# Rights cases are numbered <prefix>-<year>-<n> (rights.services.case_number).
GONGHUI_CASE_NUMBER_PREFIX = env("GONGHUI_CASE_NUMBER_PREFIX", "YH") or "YH"
# Staff sign-in throttle (staffauth.throttle): wrong passwords per username and per IP within the
# window lock the username for the lockout (docs/security.md).
GONGHUI_STAFF_LOGIN_MAX_FAILURES = env_int("GONGHUI_STAFF_LOGIN_MAX_FAILURES", 5)
GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP = env_int("GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP", 20)
GONGHUI_STAFF_LOGIN_WINDOW_SECONDS = env_int("GONGHUI_STAFF_LOGIN_WINDOW_SECONDS", 900)
GONGHUI_STAFF_LOGIN_LOCKOUT_SECONDS = env_int("GONGHUI_STAFF_LOGIN_LOCKOUT_SECONDS", 900)
# true: a roster upload is imported in the request instead of a Celery task (members.roster).
GONGHUI_ROSTER_IMPORT_INLINE = env_bool("GONGHUI_ROSTER_IMPORT_INLINE", default=False)
# Venues (venues.services): how many minutes before its start a booking lets the member in, and
# how many days ahead slots are generated (at least each venue's booking horizon).
GONGHUI_VENUES_ENTRY_GRACE_MINUTES = env_int("GONGHUI_VENUES_ENTRY_GRACE_MINUTES", 15)
GONGHUI_VENUES_SLOT_DAYS = env_int("GONGHUI_VENUES_SLOT_DAYS", 14)
# `gonghui demo` also writes the federation's past year of services (gonghui.demo.history); the
# test suite turns it off but for the tests that read that year (tests/conftest.py).
GONGHUI_DEMO_HISTORY = env_bool("GONGHUI_DEMO_HISTORY", default=True)
# Scan rate limits (codes.ratelimit): JSON {"<limit name>": [count, window seconds]} overriding
# the defaults of codes.ratelimit.DEFAULTS one by one; empty keeps them all.
GONGHUI_CODES_RATE_LIMITS: dict[str, tuple[int, int]] = {
    name: (int(count), int(window))
    for name, (count, window) in json.loads(env("GONGHUI_CODES_RATE_LIMITS") or "{}").items()
}
# Wrong codes (codes.services): this many bad MACs for one holder within the window lock the
# credential, first for LOCK_SECONDS, doubling on each further lock up to LOCK_MAX_SECONDS.
GONGHUI_CODES_LOCK_THRESHOLD = env_int("GONGHUI_CODES_LOCK_THRESHOLD", 10)
GONGHUI_CODES_FAIL_WINDOW_SECONDS = env_int("GONGHUI_CODES_FAIL_WINDOW_SECONDS", 24 * 3600)
GONGHUI_CODES_LOCK_SECONDS = env_int("GONGHUI_CODES_LOCK_SECONDS", 15 * 60)
GONGHUI_CODES_LOCK_MAX_SECONDS = env_int("GONGHUI_CODES_LOCK_MAX_SECONDS", 24 * 3600)
# The CJK font embedded in PDFs (certificates, the work report): a path, "path#index" for a
# collection; empty searches the usual system paths (core.pdffont, docs/academy.md).
# GONGHUI_CERTIFICATE_FONT is its older name, used when GONGHUI_PDF_FONT is empty.
GONGHUI_PDF_FONT = env("GONGHUI_PDF_FONT", "") or ""
GONGHUI_CERTIFICATE_FONT = env("GONGHUI_CERTIFICATE_FONT", "") or ""
# The yearly work report marked for publication (dashboard.report): counts below this are
# suppressed (shown as "<N").
GONGHUI_REPORT_SUPPRESS_BELOW = env_int("GONGHUI_REPORT_SUPPRESS_BELOW", 5)


def _console_static(path: str) -> Any:
    """A static file of the console, resolved when a page is rendered (unfold calls it)."""

    def url(request: Any) -> str:
        from django.templatetags.static import static

        return static(path)

    return url


# The console (unfold): union red (#C8102E at 600) as its primary palette, the deployment's name
# under the header, and the console's own stylesheet (orgs/static/orgs/console.css).
UNION_RED = {
    "50": "#fef2f3",
    "100": "#fde3e6",
    "200": "#fbccd2",
    "300": "#f7a1ad",
    "400": "#f0677c",
    "500": "#e33a55",
    "600": "#c8102e",
    "700": "#a80d27",
    "800": "#8c0f25",
    "900": "#771124",
    "950": "#42040f",
}
UNFOLD = {
    "SITE_TITLE": "工惠码 · Gonghui",
    "SITE_HEADER": "工惠码",
    "SITE_SUBHEADER": GONGHUI_DEPLOYMENT_NAME,
    "SITE_SYMBOL": "badge",
    "COLORS": {"primary": UNION_RED},
    "STYLES": [_console_static("orgs/console.css")],
    "SHOW_LANGUAGES": True,
    "LOGIN": {"form": "gonghui.staffauth.forms.StaffLoginForm"},
    "ACCOUNT": {"navigation": "gonghui.staffauth.views.account_links"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("GONGHUI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
