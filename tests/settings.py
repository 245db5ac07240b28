"""Settings for the test suite: the register's settings on the test database.

``SOR_TEST_DATABASE_URL`` selects the database (default: SQLite). The same suite runs on
SQLite and on PostgreSQL; ``.ci/run`` runs it on both.
"""

import os
import tempfile

os.environ.setdefault("SOR_HOME", tempfile.mkdtemp(prefix="sor-test-home-"))
os.environ.setdefault("SOR_SECRET_KEY", "test-only-secret-key-not-for-production")
if os.environ.get("SOR_TEST_DATABASE_URL"):
    os.environ["SOR_DATABASE_URL"] = os.environ["SOR_TEST_DATABASE_URL"]
else:
    os.environ.pop("SOR_DATABASE_URL", None)

from opensor.register.settings import *  # noqa: F403

if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # One test database per run, so that runs side by side on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_opensor_{os.getpid()}"}  # noqa: F405
