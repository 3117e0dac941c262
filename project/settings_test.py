"""Test overrides on top of project.settings (pytest uses this module)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from project.settings import *  # noqa: E402,F403
from project.settings import CACHES, DATABASES, PRODUCT_IMAGES_URL, REST_FRAMEWORK, STORAGES, SYNCAPI  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Tests build snapshots when they need them (`tests.conftest.snapshots_built`); one that tests the
# automatic path turns it on and waits for it.
SYNCAPI = {**SYNCAPI, "SNAPSHOT_AUTO_BUILD": False}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "5/min", "login_user": "5/min"}}
# In this process the login throttles count in the default cache's store (LocMemCaches of one
# LOCATION share it; or Redis, in `make test-redis`), which tests.conftest clears for each test. The
# database and Redis stores are tested with real server processes (tests/syncapi/test_throttling.py).
CACHES = {**CACHES, "throttle": {**CACHES["default"]}}
WHITENOISE_AUTOREFRESH = True  # serve from the finders: tests need no collectstatic
WHITENOISE_USE_FINDERS = True

# Snapshot files of this test process (tests.conftest empties it for each test).
STORAGES["sync-snapshots"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.path.join(tempfile.gettempdir(), f"test-offline-sync-snapshots-{os.getpid()}")},
}
# Uploads and product pictures' renditions of this test process (tests.conftest removes them at the end).
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"test-offline-sync-media-{os.getpid()}"
STORAGES["product-images"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(MEDIA_ROOT / "images"), "base_url": PRODUCT_IMAGES_URL},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared in-memory database: the browser tests' live
    # server then gives each request thread its own connection, as in
    # production (one shared connection cannot run two requests' transactions).
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"test-offline-sync-{os.getpid()}.sqlite3")
    }
