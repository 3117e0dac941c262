"""Test overrides on top of project.settings (pytest uses this module)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from project.settings import *  # noqa: E402,F403
from project.settings import DATABASES, REST_FRAMEWORK, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "5/min"}}
WHITENOISE_AUTOREFRESH = True  # serve from the finders: tests need no collectstatic
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared in-memory database: the browser tests' live
    # server then gives each request thread its own connection, as in
    # production (one shared connection cannot run two requests' transactions).
    import tempfile

    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"test-offline-sync-{os.getpid()}.sqlite3")
    }
