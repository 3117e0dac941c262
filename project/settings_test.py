"""Test overrides on top of project.settings (pytest uses this module)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from project.settings import *  # noqa: E402,F403
from project.settings import REST_FRAMEWORK, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "5/min"}}
WHITENOISE_AUTOREFRESH = True  # serve from the finders: tests need no collectstatic
WHITENOISE_USE_FINDERS = True
