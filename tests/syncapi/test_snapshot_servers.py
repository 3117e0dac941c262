"""Two server processes on one database and one snapshot storage: one builds, both serve the same.

Real gunicorn processes (production settings, the automatic build on), as two
servers behind a load balancer would run: each notices that no snapshot can
be offered and starts a build in the background; the database lease lets
one of them build; then both offer the same snapshot, byte for byte.
"""

import json
import os
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command

from bench.common import gunicorn
from catalogue.models import Product
from syncapi.models import Snapshot
from syncapi.snapshots.files import snapshot_storage
from tests.conftest import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _offered(base: str, deadline: float) -> dict:
    """The products snapshot `base` offers, once it offers one (waiting for the build)."""
    while time.monotonic() < deadline:
        status, body = _get(f"{base}/api/sync/snapshot/products/")
        if status == 200:
            return json.loads(body)
        assert json.loads(body)["code"] == "no_snapshot"
        time.sleep(0.1)  # polling another process's background build
    raise AssertionError("no snapshot was offered in time")


def test_two_servers_build_one_snapshot_and_serve_it_alike(settings):
    call_command("seed_catalogue", products=3000, categories=10, seed=2, verbosity=0)
    env = {"DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY,
           "DATABASE_URL": database_url(), "SYNC_SNAPSHOT_DIR": str(snapshot_storage().location),
           "SYNC_SNAPSHOT_AUTO_BUILD": "true", "PATH": os.environ["PATH"]}  # fmt: skip

    with gunicorn(env, workers=1, threads=4) as one, gunicorn(env, workers=1, threads=4) as two:
        asked = []  # both notice at the same moment that there is none
        threads = [threading.Thread(target=lambda b=b: asked.append(_get(f"{b}/api/sync/snapshot/products/")[0]))
                   for b in (one, two)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 120
        offers = [_offered(one, deadline), _offered(two, deadline)]
        parts = [
            [_get(base + part["url"])[1] for part in offer["parts"]]
            for base, offer in zip((one, two), offers, strict=True)
        ]

    assert asked == [404, 404]
    assert offers[0] == offers[1]
    assert offers[0]["records"] == Product.objects.filter(is_active=True).count()
    assert parts[0] == parts[1]
    # One build of each shared collection: a second would have retired the first.
    assert sorted(Snapshot.objects.values_list("collection", "retired_at")) == [
        ("categories", None),
        ("products", None),
    ]
