"""Settings of a server that syncs only the test app: no catalogue, no PWA (tests/syncapi/test_generic_app.py)."""

from project.settings_test import *  # noqa: F403
from project.settings_test import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in ("catalogue", "frontend")] + ["tests.generic_app"]
ROOT_URLCONF = "tests.generic_app.urls"
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("frontend.")]  # noqa: F405
