"""The WSGI entry point gunicorn loads: the application, its URLs, and the collector kept off them."""

import subprocess
import sys

from tests.project.test_security import ROOT, production_env

LOADED = """
import gc, sys
import project.wsgi
print(gc.get_freeze_count(), "syncapi.views" in sys.modules)
"""


def test_the_entry_point_loads_the_views_and_freezes_what_start_up_made():
    result = subprocess.run(
        [sys.executable, "-c", LOADED], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    frozen, views_loaded = result.stdout.split()
    assert views_loaded == "True"  # loaded before the freeze, not at the first request
    assert int(frozen) > 50_000  # Django and the apps: out of the full collections' walk
