"""Login throttling: by the real client address and by username, counted across server processes.

In-process tests run on the test settings' rates (5 a minute for each limit). The tests of
shared counts start real gunicorn processes (production settings) on this test database, as
servers behind a load balancer run, with the throttle cache in the database or in Redis.
"""

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from bench.common import gunicorn
from syncapi.models import DeviceToken
from syncapi.snapshots.files import snapshot_storage
from tests.conftest import database_url

LOGIN_URL = "/api/auth/login/"
LIMIT = 5  # attempts the test settings allow per address and per username in a minute
ALICE = {"username": "alice", "password": "alice-password-1"}
# The table of the database throttle cache (syncapi migration 0003, CACHES["throttle"]).
CACHE_TABLE = "syncapi_throttle_cache"
# Redis on this machine; each test process takes a database of its own (1-15).
REDIS_URL = f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}"
THROTTLE_KEYS = "*throttle_login*"


def assert_throttled(status: int, body: dict, retry_after: str | None) -> None:
    assert status == 429, body
    assert body["code"] == "throttled"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert int(retry_after) > 0


def _login(api, username: str, password: str = "wrong-password", **extra):
    return api.post(LOGIN_URL, {"username": username, "password": password}, format="json", **extra)


def _assert_response_throttled(response) -> None:
    assert_throttled(response.status_code, response.json(), response.get("Retry-After"))


# --- In one process -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_client_sent_x_forwarded_for_does_not_escape_the_address_limit(api, user):
    # Other usernames each time: only the address limit can stop these.
    for n in range(LIMIT):
        response = _login(api, f"guess-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        assert response.status_code == 400, response.content

    _assert_response_throttled(_login(api, **ALICE, HTTP_X_FORWARDED_FOR="198.51.100.200"))
    assert not DeviceToken.objects.exists()
    # The limit is the address's: another client signs in.
    assert _login(api, **ALICE, REMOTE_ADDR="203.0.113.9").status_code == 200


@pytest.mark.django_db
def test_the_username_limit_holds_across_client_addresses(api, user, other_user):
    for n in range(LIMIT):
        response = _login(api, "alice", REMOTE_ADDR=f"203.0.113.{n}")
        assert response.status_code == 400, response.content

    _assert_response_throttled(_login(api, **ALICE, REMOTE_ADDR="203.0.113.100"))
    # The same account spelled otherwise counts as the same.
    _assert_response_throttled(_login(api, " ALICE ", REMOTE_ADDR="203.0.113.101"))
    assert not DeviceToken.objects.exists()
    # The limit is the account's: another user signs in from a fresh address.
    bob = {"username": "bob", "password": "bob-password-1"}
    assert _login(api, **bob, REMOTE_ADDR="203.0.113.102").status_code == 200


# --- Real server processes ------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: dict
    retry_after: str | None


def _login_at(base: str, username: str, password: str = "wrong-password", *, forwarded_for: str = "") -> Answer:
    headers = {"Content-Type": "application/json"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    data = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(base + LOGIN_URL, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, json.loads(response.read()), response.headers.get("Retry-After"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, json.loads(error.read()), error.headers.get("Retry-After"))


def _assert_answer_throttled(answer: Answer) -> None:
    assert_throttled(answer.status, answer.body, answer.retry_after)


def _server_env(settings, **extra: str) -> dict:
    """A production-like server on this test database; `extra`: more of its environment."""
    return {"DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": database_url(), "SYNC_SNAPSHOT_DIR": str(snapshot_storage().location),
            "SYNC_SNAPSHOT_AUTO_BUILD": "false", "LOGIN_THROTTLE_RATE": f"{LIMIT}/hour",
            "LOGIN_USER_THROTTLE_RATE": f"{LIMIT}/hour", "PATH": os.environ["PATH"], **extra}  # fmt: skip


def _database_counts() -> int:
    """Rows in the database throttle cache (0 when there is no such table)."""
    with connection.cursor() as cursor:
        if CACHE_TABLE not in connection.introspection.table_names(cursor):
            return 0
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(CACHE_TABLE)}")
        return cursor.fetchone()[0]


@pytest.fixture
def fresh_database_counts(transactional_db):
    """No counts left in the database cache by an earlier server test (a flush keeps that table)."""
    with connection.cursor() as cursor:
        if CACHE_TABLE in connection.introspection.table_names(cursor):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(CACHE_TABLE)}")


@pytest.fixture
def alice_for_servers(django_user_model, fresh_database_counts):
    """alice, her password hashed with a hasher of the production settings (the test settings' MD5
    is not among them); few iterations, so that a wrong guess costs the servers little."""
    hasher = PBKDF2PasswordHasher()
    password = hasher.encode(ALICE["password"], hasher.salt(), iterations=1000)
    return django_user_model.objects.create(username=ALICE["username"], password=password)


def _redis() -> redis.Redis:
    """The test's Redis database, emptied of throttle counts; a Redis that does not answer fails the test."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis does not answer at {REDIS_URL} ({error}): this test needs it running")
    for key in client.scan_iter(THROTTLE_KEYS):
        client.delete(key)
    return client


def test_behind_a_proxy_the_client_address_is_the_proxys_hop(settings, alice_for_servers):
    env = _server_env(settings, BEHIND_PROXY="true", LOGIN_USER_THROTTLE_RATE="1000/hour")

    with gunicorn(env, workers=1, threads=2) as base:
        # The client writes what it likes into X-Forwarded-For; the proxy appends the address it saw.
        tried = [_login_at(base, f"guess-{n}", forwarded_for=f"10.0.0.{n}, 198.51.100.7") for n in range(LIMIT)]
        last = _login_at(base, **ALICE, forwarded_for="10.0.0.99, 198.51.100.7")
        other_client = _login_at(base, **ALICE, forwarded_for="198.51.100.7, 198.51.100.8")

    assert [answer.status for answer in tried] == [400] * LIMIT
    _assert_answer_throttled(last)
    assert other_client.status == 200, other_client.body


@pytest.mark.parametrize("store", ["database", "redis"])
def test_two_servers_share_the_login_limit(settings, alice_for_servers, store):
    env = _server_env(settings)
    if store == "redis":
        client = _redis()
        env["REDIS_URL"] = REDIS_URL

    with gunicorn(env, workers=1, threads=2) as one, gunicorn(env, workers=1, threads=2) as two:
        # Alternately to each server, another username each time: only the address limit applies.
        tried = [_login_at((one, two)[n % 2], f"guess-{n}") for n in range(LIMIT)]
        last = _login_at(one, **ALICE)

    assert [answer.status for answer in tried] == [400] * LIMIT
    _assert_answer_throttled(last)
    assert not DeviceToken.objects.exists()
    if store == "redis":
        assert list(client.scan_iter(THROTTLE_KEYS)), "the counts are not in Redis"
        assert _database_counts() == 0
        for key in client.scan_iter(THROTTLE_KEYS):
            client.delete(key)
    else:
        assert _database_counts() > 0
