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
    "opensor.register.audit",
    "opensor.register.codes",
    "opensor.register.units",
    "opensor.register.accounts",
]

MIDDLEWARE: list[str] = []
ROOT_URLCONF = None
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
