"""fupin's settings: one file, configured from the environment.

DATABASE_URL     default sqlite:///<repo>/var/fupin.sqlite3 (the embedded default)
SECRET_KEY       unset: a random key made once in var/secret_key (fupin/secret_key.py); a server on a
DATABASE_URL
                 with DEBUG off refuses to start without it
DEBUG            "1" for development
ALLOWED_HOSTS    comma-separated
FUPIN_TASKS      "immediate" runs background work inline (tests); redis://host:6379/0, a queue on Redis (needs
the
                 `redis` extra: django-tasks-redis) for many workers; default: the database queue (embedded)
FUPIN_MEDIA_ROOT where uploaded files go CACHE_URL        unset: each process's memory; file:///dir or
redis://host:port/db (see CACHES) FUPIN_HTTPS      "1" behind HTTPS: secure cookies, HSTS, redirect to https
(docs/production.md) FUPIN_BEHIND_PROXY "1" behind a reverse proxy that sets X-Forwarded-Proto and
X-Forwarded-For
"""

import datetime
import json
import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from fupin import secret_key

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("FUPIN_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DEBUG", "0") == "1"
SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("SECRET_KEY"))
EMBEDDED_DEFAULT_DATABASE = not os.environ.get("DATABASE_URL")
# Never a constant from the source: the environment's, or this machine's own (fupin.secret_key). A server with
# DEBUG off on a DATABASE_URL and no SECRET_KEY refuses to start (fupin.wsgi, fupin serve).
SECRET_KEY = os.environ.get("SECRET_KEY") or secret_key.load_or_create(VAR_DIR)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "fupin.core",
    "fupin.regions",
    "fupin.accounts",
    "fupin.audit",
    "fupin.registry",
    "fupin.subscriptions",
    "fupin.procedures",
    "fupin.assistance",
    "fupin.disclosure",
    "fupin.funds",
    "fupin.monitoring",
    "fupin.reports",
    "fupin.changes",
    "fupin.declarations",
    "fupin.access",
    "fupin.field",
    "fupin.backup",
    "fupin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "fupin.accounts.middleware.AuthenticationMiddleware",
    "fupin.accounts.second_factor.SecondFactorMiddleware",
    "fupin.accounts.middleware.ReadOnlyRolesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # an ID number searched for leaves no trace in a URL: a session token stands in for it
    # (fupin.core.id_queries)
    "fupin.core.id_queries.IdQueryMiddleware",
    "fupin.core.middleware.ConflictMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # last, as django-axes asks: it answers a locked-out sign-in with the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fupin.urls"
WSGI_APPLICATION = "fupin.wsgi.application"

# Every form's fields (not only ServiceForm's) render with their label, a mark on required fields, help and
# errors.
FORM_RENDERER = "fupin.core.forms.FormRenderer"
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
                "fupin.accounts.context_processors.roles",
                "fupin.core.todo_views.todo_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fupin.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # a connection the server dropped (a restart, pg_terminate_backend) is found at the next request and
        # replaced
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the task worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement only when asked to (fupin.core.db, for the few every page runs): Django's
    # queries bind on the client and are never prepared. Django's default, None, would refuse even those asked
    # for.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite builds indexes without their INCLUDE columns (the member search index's names): PostgreSQL reads them
# from the index, SQLite from the table, with the same results
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "accounts.User"

# The access log (fupin.audit.access): one user revealing more persons than this in an hour opens a problem
# for the county.
FUPIN_ACCESS_ALERT_PERSONS = int(os.environ.get("FUPIN_ACCESS_ALERT_PERSONS", "100"))
# Retention (fupin purge-expired, daily): access-log entries expire after this many days (three years by
# default); the files of approved or withdrawn change requests are deleted this many days after the decision
# (unset: kept).
FUPIN_ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("FUPIN_ACCESS_LOG_RETENTION_DAYS", str(3 * 365)))
FUPIN_EVIDENCE_RETENTION_DAYS = (
    int(os.environ["FUPIN_EVIDENCE_RETENTION_DAYS"])
    if os.environ.get("FUPIN_EVIDENCE_RETENTION_DAYS")
    else None
)
# Visit photos and closed declarations' photos are deleted this many days after the visit or the declaration
# (unset: kept); a failed import's uploaded file this many days after it failed (a finished one's at once).
FUPIN_PHOTO_RETENTION_DAYS = (
    int(os.environ["FUPIN_PHOTO_RETENTION_DAYS"]) if os.environ.get("FUPIN_PHOTO_RETENTION_DAYS") else None
)
FUPIN_IMPORT_FILE_RETENTION_DAYS = int(os.environ.get("FUPIN_IMPORT_FILE_RETENTION_DAYS", "30"))
# ModelBackend with the signed-in user's row read by plain SQL on each request (fupin.accounts.backends).
# The lockout backend first: it refuses a locked account or address before any password is checked.
AUTHENTICATION_BACKENDS = ["fupin.accounts.backends.LockoutBackend", "fupin.accounts.backends.UserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"  # each role's own first page (issue 18, finding 1)
LOGOUT_REDIRECT_URL = "accounts:login"

# Applied wherever a password is set: the admin, the change-password page, accounts.services, helpers'
# sign-ins.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in lockout (django-axes, fupin.accounts.throttle): an account is locked after FUPIN_LOGIN_FAILURES
# wrong passwords, a source address after FUPIN_LOGIN_ADDRESS_FAILURES (over any accounts), for
# FUPIN_LOCKOUT_MINUTES; a system administrator unlocks earlier (admin: 用户 → 解除登录锁定, or `fupin
# axes_reset_username NAME`).
AXES_HANDLER = "fupin.accounts.throttle.LoginThrottle"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("FUPIN_LOGIN_FAILURES", "5"))
FUPIN_LOGIN_ADDRESS_FAILURES = int(os.environ.get("FUPIN_LOGIN_ADDRESS_FAILURES", "30"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("FUPIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "fupin.accounts.throttle.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]

# The second factor (django-otp, TOTP): optional for county, prefecture, province and administrators, who
# enrol on 「两步验证」; FUPIN_REQUIRE_2FA_ROLES (comma-separated roles, "admin" for administrators) makes it
# mandatory for those roles: they enrol at their next sign-in.
OTP_TOTP_ISSUER = "fupin"
FUPIN_2FA_ROLES = ("county", "prefecture", "province", "admin")
FUPIN_REQUIRE_2FA_ROLES = tuple(
    r.strip() for r in os.environ.get("FUPIN_REQUIRE_2FA_ROLES", "").split(",") if r.strip()
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# fupin/static holds the project-wide assets (fupin.css, vendored htmx); it is not an app's static dir.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("FUPIN_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    # files under MEDIA_ROOT are encrypted at rest, opened as they are read (fupin.core.sealed_files)
    "default": {"BACKEND": "fupin.core.sealed_files.SealedFileStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# The task queue. The embedded default keeps tasks in the database (django-tasks-db): nothing more to run. A
# province with many workers may put the queue on Redis (django-tasks-redis: streams with consumer groups);
# `fupin worker` runs either queue's worker. A task whose worker died is not run a second time: after
# FUPIN_TASKS_CLAIM seconds the queue marks it failed, and its work (an import, a handbook batch, a sweep) is
# settled by its lease, as on the database queue (fupin.core.work), for an administrator to retry.
FUPIN_TASKS = os.environ.get("FUPIN_TASKS", "database")
if FUPIN_TASKS == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
elif FUPIN_TASKS.startswith(("redis://", "rediss://", "unix://")):
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.RedisTaskBackend",
            "QUEUES": ["default"],
            "OPTIONS": {
                "REDIS_URL": FUPIN_TASKS,
                # several sites (or test runs) may share one Redis: each its own keys and workers' group
                "REDIS_KEY_PREFIX": os.environ.get("FUPIN_TASKS_PREFIX", "fupin"),
                "REDIS_CONSUMER_GROUP": os.environ.get("FUPIN_TASKS_PREFIX", "fupin") + "-workers",
                # longer than the longest task (a province's import), or a running task is called dead
                "REDIS_CLAIM_TIMEOUT": int(os.environ.get("FUPIN_TASKS_CLAIM", "7200")),
                "REDIS_MAX_DELIVERIES": 1,
                "REDIS_BLOCK_TIMEOUT": 2000,
            },
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The household list keeps rendered pages under the version of their data (fupin.core.fragments), so any
# cache is correct. CACHE_URL chooses it: unset, each process's own memory; file:///var/cache/fupin, files
# shared by the server's processes on one machine; redis://host:6379/0, a Redis server (needs `redis`).
# FUPIN_CACHE_ENTRIES bounds memory and file caches (a list's 50 rows are about 30 kB, the rest of its page 6
# kB).
CACHE_URL = os.environ.get("CACHE_URL", "")
_cache_entries = {"MAX_ENTRIES": int(os.environ.get("FUPIN_CACHE_ENTRIES", "1000"))}
if CACHE_URL.startswith("file://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_URL.removeprefix("file://"),
            "OPTIONS": _cache_entries,
        }
    }
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": _cache_entries}
    }
# The public pages' per-address limits (django-ratelimit) count in a cache every server process sees: Redis
# when CACHE_URL names one (atomic, shared by machines); otherwise files under var/cache/limits, shared by one
# machine's processes (a process's own memory would let each of `fupin serve`'s processes grant the whole
# limit again).
CACHES["limits"] = (
    CACHES["default"]
    if CACHES["default"]["BACKEND"].endswith("RedisCache")
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "limits"),
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
)
RATELIMIT_USE_CACHE = "limits"

SESSION_ENGINE = "fupin.core.sessions"  # the database store, read with the user's row in one plain statement
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind HTTPS (FUPIN_HTTPS=1): cookies only over TLS, HSTS, plain-HTTP requests redirected. Behind a reverse
# proxy (FUPIN_BEHIND_PROXY=1) that terminates TLS, its X-Forwarded-Proto says whether the request was HTTPS.
FUPIN_HTTPS = os.environ.get("FUPIN_HTTPS", "0") == "1"
FUPIN_BEHIND_PROXY = os.environ.get("FUPIN_BEHIND_PROXY", "0") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = FUPIN_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("FUPIN_HSTS_SECONDS", "31536000")) if FUPIN_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = FUPIN_HTTPS and os.environ.get("FUPIN_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = FUPIN_HTTPS and os.environ.get("FUPIN_HSTS_PRELOAD", "0") == "1"
if FUPIN_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: scripts only from fupin's own static files (no inline script, no eval: the pages'
# behaviour is in static/fupin/fupin.js, htmx runs without its inline indicator styles). Styles allow inline
# style attributes (charts and a few templates set widths); nothing is loaded from another origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# What an uploaded spreadsheet may hold, checked before it is read (fupin.core.files): an .xlsx's unpacked
# size and compression ratio, a sheet's rows, columns and cells. The web's limits take a 1,000,000-person CSV
# and a county's .xlsx; `fupin import FILE` on the server has higher ones (FUPIN_IMPORT_CLI_*). Photos: pixels
# at most.
FUPIN_IMPORT_MAX_BYTES = int(os.environ.get("FUPIN_IMPORT_MAX_MB", "500")) * 1024 * 1024
FUPIN_IMPORT_MAX_UNPACKED_MB = int(os.environ.get("FUPIN_IMPORT_MAX_UNPACKED_MB", "1024"))
FUPIN_IMPORT_MAX_ROWS = int(os.environ.get("FUPIN_IMPORT_MAX_ROWS", "1048576"))
FUPIN_IMPORT_MAX_CELLS = int(os.environ.get("FUPIN_IMPORT_MAX_CELLS", "25000000"))
FUPIN_IMPORT_MAX_COLUMNS = int(os.environ.get("FUPIN_IMPORT_MAX_COLUMNS", "1000"))
FUPIN_IMPORT_CLI_MAX_UNPACKED_MB = int(os.environ.get("FUPIN_IMPORT_CLI_MAX_UNPACKED_MB", "8192"))
FUPIN_IMPORT_CLI_MAX_ROWS = int(os.environ.get("FUPIN_IMPORT_CLI_MAX_ROWS", "20000000"))
FUPIN_IMPORT_CLI_MAX_CELLS = int(os.environ.get("FUPIN_IMPORT_CLI_MAX_CELLS", "200000000"))
FUPIN_XLSX_MAX_RATIO = int(os.environ.get("FUPIN_XLSX_MAX_RATIO", "100"))
FUPIN_PHOTO_MAX_PIXELS = int(os.environ.get("FUPIN_PHOTO_MAX_PIXELS", "50000000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # every handler masks ID numbers, phones and account numbers (fupin.core.logs)
    "filters": {"personal_data": {"()": "fupin.core.logs.MaskPersonalData"}},
    "formatters": {
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
        "server": {"class": "logging.StreamHandler", "filters": ["personal_data"], "formatter": "server"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own loggers (django.utils.log.DEFAULT_LOGGING) write through the masking handlers too:
    # django.request names a path, the development server (django.server) its whole request line with the
    # query
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": os.environ.get("LOG_LEVEL", "WARNING"),
            "propagate": False,
        },
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}

# Product parameters
FUPIN_PAGE_SIZE = 50
# The address printed in QR codes on handbooks (they lead to the household's public-safe summary).
FUPIN_PUBLIC_URL = os.environ.get("FUPIN_PUBLIC_URL", "http://127.0.0.1:8000")
# Where fupin audit-anchor appends each day's audit chain heads, outside the database (docs/audit.md).
FUPIN_AUDIT_ANCHOR_FILE = os.environ.get("FUPIN_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.log"))
# Department lists uploaded for cross-checking are deleted after this many days (fupin purge-cross-checks).
FUPIN_CROSSCHECK_RETENTION_DAYS = int(os.environ.get("FUPIN_CROSSCHECK_RETENTION_DAYS", "90"))
# The daily jobs (fupin/core/schedule.py): "name=HH:MM,name=off", or "off" for none (the test suite's
# workers).
FUPIN_SCHEDULE = os.environ.get("FUPIN_SCHEDULE", "")
# A handbook's QR code leads to its household's public summary for this many days after it was printed;
# reprinting a household's handbook with 「作废旧二维码」 ends its older codes at once.
FUPIN_PUBLIC_CODE_DAYS = int(os.environ.get("FUPIN_PUBLIC_CODE_DAYS", "365"))
# API tokens: the lifetimes offered on the 「API 令牌」 page (days) and the one chosen unless another is.
FUPIN_API_TOKEN_DAYS = (30, 90, 180, 365)
FUPIN_API_TOKEN_DEFAULT_DAYS = 90
# Each API token may make FUPIN_API_RATE_LIMIT requests per FUPIN_API_RATE_WINDOW seconds (0: no limit); one
# more answers 429 with Retry-After. Counted in the default cache, shared by the server's processes where
# CACHE_URL says.
FUPIN_API_RATE_LIMIT = int(os.environ.get("FUPIN_API_RATE_LIMIT", "1200"))
FUPIN_API_RATE_WINDOW = int(os.environ.get("FUPIN_API_RATE_WINDOW", "60"))
# A verified API token is kept in each server process this many seconds (fupin.accounts.token_cache): a
# revocation in another process, a user's deactivation or change of role take effect within it (0: no cache).
FUPIN_API_TOKEN_CACHE_SECONDS = float(os.environ.get("FUPIN_API_TOKEN_CACHE_SECONDS", "10"))
# Webhooks (fupin.subscriptions.delivery): a delivery is tried at most FUPIN_WEBHOOK_MAX_ATTEMPTS times,
# waiting
# BACKOFF × 2^(n-1) seconds after the n-th failure, at most BACKOFF_CAP; each try waits TIMEOUT seconds for an
# answer.
# Receivers on private, loopback or reserved addresses are refused (SSRF) unless FUPIN_WEBHOOK_ALLOW_PRIVATE=1
# (tests, an embedded site posting to its own network).
FUPIN_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("FUPIN_WEBHOOK_MAX_ATTEMPTS", "8"))
FUPIN_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("FUPIN_WEBHOOK_BACKOFF_SECONDS", "30"))
FUPIN_WEBHOOK_BACKOFF_CAP_SECONDS = float(os.environ.get("FUPIN_WEBHOOK_BACKOFF_CAP_SECONDS", str(6 * 3600)))
FUPIN_WEBHOOK_TIMEOUT = float(os.environ.get("FUPIN_WEBHOOK_TIMEOUT", "10"))
FUPIN_WEBHOOK_ALLOW_PRIVATE = os.environ.get("FUPIN_WEBHOOK_ALLOW_PRIVATE", "") == "1"

# Self-declaration (农户自主申报, fupin.declarations). Deadlines in working days per region code prefix, the
# longest prefix winning ("" is the default); FUPIN_DECLARATION_DEADLINES='{"36": {"total": 20}}' in the
# environment overrides or adds provinces.
FUPIN_DECLARATION_DEADLINES = {
    "": {"verify": 2, "review": 5, "total": 15},
    **json.loads(os.environ.get("FUPIN_DECLARATION_DEADLINES", "{}")),
}
# Abuse limits of the public form: codes per phone a day, declarations per phone and per ID number a day,
# photo size.
FUPIN_DECLARATION_LIMITS = {"codes_per_day": 5, "per_phone_day": 3, "per_id_day": 2, "photo_mb": 5}
# Per address, through django-ratelimit on the "limits" cache (above: shared by the server's processes).
FUPIN_DECLARATION_RATES = {"code": "10/h", "declare": "10/h", "status": "20/m"}
# Holidays and make-up working days (ISO dates) for a year the chinesecalendar package does not know yet
# (fupin.core.workdays); comma-separated in the environment.
FUPIN_EXTRA_HOLIDAYS = [d for d in os.environ.get("FUPIN_EXTRA_HOLIDAYS", "").split(",") if d]
FUPIN_EXTRA_WORKDAYS = [d for d in os.environ.get("FUPIN_EXTRA_WORKDAYS", "").split(",") if d]
# Text messages (fupin.core.sms): "console" logs them (and appends them to FUPIN_SMS_FILE when set); "http"
# posts them to a gateway at FUPIN_SMS_URL with FUPIN_SMS_KEY/FUPIN_SMS_SECRET and the template ids in
# FUPIN_SMS_TEMPLATES.
FUPIN_SMS_BACKEND = os.environ.get("FUPIN_SMS_BACKEND", "console")
FUPIN_SMS_FILE = os.environ.get("FUPIN_SMS_FILE", "")
FUPIN_SMS_URL = os.environ.get("FUPIN_SMS_URL", "")
FUPIN_SMS_KEY = os.environ.get("FUPIN_SMS_KEY", "")
FUPIN_SMS_SECRET = os.environ.get("FUPIN_SMS_SECRET", "")
FUPIN_SMS_SIGN = os.environ.get("FUPIN_SMS_SIGN", "")
FUPIN_SMS_TEMPLATES = json.loads(os.environ.get("FUPIN_SMS_TEMPLATES", "{}"))
FUPIN_SMS_ATTEMPTS = int(os.environ.get("FUPIN_SMS_ATTEMPTS", "3"))
FUPIN_SMS_RETRY_SECONDS = float(os.environ.get("FUPIN_SMS_RETRY_SECONDS", "2"))
# The 12317 hotline printed on village posters.
FUPIN_HOTLINE = os.environ.get("FUPIN_HOTLINE", "12317")
