"""fupin's settings: one file, configured from the environment.

DATABASE_URL     default sqlite:///<repo>/var/fupin.sqlite3 (the embedded default)
SECRET_KEY       required when DEBUG is off
DEBUG            "1" for development
ALLOWED_HOSTS    comma-separated
FUPIN_TASKS      "immediate" runs background work inline (tests); default: database queue
FUPIN_MEDIA_ROOT where uploaded files go
CACHE_URL        unset: each process's memory; file:///dir or redis://host:port/db (see CACHES)
"""
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("FUPIN_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-development-key-set-SECRET_KEY-in-production")
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
    "fupin.core",
    "fupin.regions",
    "fupin.accounts",
    "fupin.audit",
    "fupin.registry",
    "fupin.procedures",
    "fupin.assistance",
    "fupin.disclosure",
    "fupin.funds",
    "fupin.monitoring",
    "fupin.reports",
    "fupin.changes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "fupin.accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "fupin.urls"
WSGI_APPLICATION = "fupin.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fupin.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
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
    # psycopg prepares a statement only when asked to (fupin.core.db, for the few every page runs): Django's queries
    # bind on the client and are never prepared. Django's default, None, would refuse even those asked for.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite builds indexes without their INCLUDE columns (the member search index's names): PostgreSQL reads them
# from the index, SQLite from the table, with the same results
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "accounts.User"
# ModelBackend with the signed-in user's row read by plain SQL on each request (fupin.accounts.backends).
AUTHENTICATION_BACKENDS = ["fupin.accounts.backends.UserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "registry:household_list"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

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
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

if os.environ.get("FUPIN_TASKS", "database") == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The household list keeps rendered pages under the version of their data (fupin.core.fragments), so any
# cache is correct. CACHE_URL chooses it: unset, each process's own memory; file:///var/cache/fupin, files
# shared by the server's processes on one machine; redis://host:6379/0, a Redis server (needs `redis`).
# FUPIN_CACHE_ENTRIES bounds memory and file caches (a list's 50 rows are about 30 kB, the rest of its page 6 kB).
CACHE_URL = os.environ.get("CACHE_URL", "")
_cache_entries = {"MAX_ENTRIES": int(os.environ.get("FUPIN_CACHE_ENTRIES", "1000"))}
if CACHE_URL.startswith("file://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": CACHE_URL.removeprefix("file://"), "OPTIONS": _cache_entries}}
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": _cache_entries}}

SESSION_ENGINE = "fupin.core.sessions"  # the database store, read with the user's row in one plain statement
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Product parameters
FUPIN_PAGE_SIZE = 50
# The address printed in QR codes on handbooks (they lead to the household's public-safe summary).
FUPIN_PUBLIC_URL = os.environ.get("FUPIN_PUBLIC_URL", "http://127.0.0.1:8000")
# Department lists uploaded for cross-checking are deleted after this many days (fupin purge-cross-checks).
FUPIN_CROSSCHECK_RETENTION_DAYS = int(os.environ.get("FUPIN_CROSSCHECK_RETENTION_DAYS", "90"))
