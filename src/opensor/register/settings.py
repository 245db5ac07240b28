"""Django settings of the register, configured from the environment.

``SOR_HOME`` (default ``./var``) holds the embedded SQLite database, the secret key and, in
later parts, the publications. ``SOR_DATABASE_URL`` selects the database
(``sqlite:///path`` or ``postgresql://user@host:port/name``); it defaults to SQLite in
``SOR_HOME``. Tests use ``SOR_TEST_DATABASE_URL`` when it is set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

SOR_HOME = Path(os.environ.get("SOR_HOME", "var")).resolve()


def _database_url() -> str:
    url = os.environ.get("SOR_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{SOR_HOME / 'register.sqlite3'}"


def _secret_key() -> str:
    key = os.environ.get("SOR_SECRET_KEY")
    if key:
        return key
    key_file = SOR_HOME / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    try:
        SOR_HOME.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key)
        key_file.chmod(0o600)
    except OSError:
        pass  # a read-only home: the key then lives for this process only
    return key


def _database() -> dict[str, object]:
    config: dict[str, object] = dict(dj_database_url.parse(_database_url(), conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers work beside the writer; IMMEDIATE makes a writing transaction
            # take the write lock up front instead of failing half-way with "database is locked".
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                " PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        config["CONN_MAX_AGE"] = 0
        config["TEST"] = {"NAME": None}
    return config


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("SOR_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("SOR_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "opensor.register.audit",
    "opensor.register.codes",
    "opensor.register.units",
    "opensor.register.accounts",
    "opensor.register.requests",
    "opensor.register.access",
    "opensor.register.web",
]

MIDDLEWARE: list[str] = [
    "opensor.register.web.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "opensor.register.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
STATIC_URL = "/manage/static/"
LOGIN_URL = "/manage/login/"
LANGUAGES = [("da", "Dansk"), ("en", "English")]

# Sessions and CSRF: cookies only over HTTPS (browsers treat http://localhost as secure, so the
# quickstart works); SOR_INSECURE_COOKIES=1 allows plain HTTP elsewhere, for testing only.
_SECURE_COOKIES = os.environ.get("SOR_INSECURE_COOKIES", "") != "1"
SESSION_COOKIE_SECURE = _SECURE_COOKIES
CSRF_COOKIE_SECURE = _SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "opensor.register.web.views.csrf_failure"
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
"""Every form and API body is limited to 256 KiB."""
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Europe/Copenhagen"
LANGUAGE_CODE = "da"
USE_I18N = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"opensor": {"handlers": ["console"], "level": "WARNING"}},
}
