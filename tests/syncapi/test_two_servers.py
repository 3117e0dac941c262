"""Two servers behind a load balancer: two gunicorn instances on one PostgreSQL database, one Redis
and one snapshot storage, with a device going to either of them request by request.

Every piece of state a request depends on lives in a shared engine, so which server answers makes
no difference. The login throttle counting across both: tests/syncapi/test_throttling.py.
"""

import json
import os
import urllib.error
import urllib.request
from itertools import count

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from bench.common import gunicorn
from catalogue.models import Category, Product
from syncapi.snapshots.files import snapshot_storage
from tests.conftest import build_snapshots, database_url, make_product
from tests.syncapi.device import Device

pytestmark = pytest.mark.postgres

# A Redis database of this test process's own (1-15).
REDIS_URL = f"redis://127.0.0.1:6379/{1 + (os.getpid() + 3) % 15}"
PASSWORD = "carol-password-1"


@pytest.fixture
def servers(settings, transactional_db):
    """Two production-like servers on this test database and one Redis; the Redis database emptied."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as error:
        pytest.fail(f"Redis does not answer at {REDIS_URL} ({error}): this test needs it running")
    env = {"DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY,
           "DATABASE_URL": database_url(), "REDIS_URL": REDIS_URL, "SYNC_SNAPSHOT_AUTO_BUILD": "false",
           "SYNC_SNAPSHOT_DIR": str(snapshot_storage().location), "PATH": os.environ["PATH"]}  # fmt: skip
    with gunicorn(env, workers=1, threads=2) as one, gunicorn(env, workers=1, threads=2) as two:
        yield one, two
    client.flushdb()


def _call(base: str, path: str, *, token: str | None = None, body: dict | None = None, headers: dict | None = None):
    """(status, headers, decoded JSON body or None) of one request."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, response.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, error.headers, json.loads(raw) if raw else None


def test_a_device_alternating_between_servers_converges_while_the_catalogue_changes(servers):
    category = Category.objects.create(name="Tools", position=1)
    products = [make_product(category) for _ in range(30)]
    build_snapshots()  # into the storage both servers read
    edits, answered_by = count(), []

    def next_request_elsewhere_and_a_write(requests: int) -> None:
        """After each request: the next one goes to the other server, and a writer changes the catalogue."""
        answered_by.append(device.base)
        device.base = servers[requests % 2]
        n = next(edits)
        if n % 3 == 0:
            Product.objects.filter(pk=products[n % len(products)].pk).update(name=f"Renamed {n}")
        elif n % 3 == 1:
            products.append(make_product(category))
        else:
            products.pop(0).delete()

    device = Device(servers[0], "products", between=next_request_elsewhere_and_a_write)
    device.first_download(limit=7)
    for _ in range(5):
        device.sync(limit=7)
    assert device.requests.count("/api/sync/pull/products/") > 5
    assert answered_by[::2] == [servers[0]] * len(answered_by[::2])  # in turn
    assert answered_by[1::2] == [servers[1]] * len(answered_by[1::2])
    device.between = None
    device.sync(limit=7)

    for base in servers:  # each server, from scratch, as a new device reads it
        fresh = Device(base, "products")
        assert device.replica == fresh.sync()
    assert set(device.replica) == {str(p.pk) for p in Product.objects.filter(is_active=True)}
    assert any(record["name"].startswith("Renamed") for record in device.replica.values())


def test_a_token_revoked_on_one_server_is_refused_by_the_other_at_once(servers, django_user_model):
    hasher = PBKDF2PasswordHasher()  # a hasher of the production settings; few iterations, quick
    django_user_model.objects.create(username="carol", password=hasher.encode(PASSWORD, hasher.salt(), iterations=1000))
    one, two = servers
    status, _, signed_in = _call(one, "/api/auth/login/", body={"username": "carol", "password": PASSWORD})
    assert status == 200, signed_in
    token = signed_in["token"]
    for base in (one, two, one, two):  # each server has it in the shared cache now
        assert _call(base, "/api/auth/me/", token=token)[0] == 200

    assert _call(one, "/api/auth/logout/", token=token, body={})[0] == 200

    status, _, refused = _call(two, "/api/auth/me/", token=token)
    assert status == 401
    assert refused["code"] == "invalid_token"
    assert _call(one, "/api/auth/me/", token=token)[0] == 401


def test_a_pages_etag_from_one_server_is_current_on_the_other(servers):
    make_product(Category.objects.create(name="Tools", position=1))
    one, two = servers
    _, _, page = _call(one, "/api/sync/pull/products/")
    path = f"/api/sync/pull/products/?cursor={page['cursor']}"
    status, headers, _ = _call(one, path)
    assert status == 200

    status, _, _ = _call(two, path, headers={"If-None-Match": headers["ETag"]})

    assert status == 304
