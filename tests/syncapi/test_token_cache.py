"""Device tokens cached in Redis (SYNCAPI["TOKEN_CACHE"]): fewer queries, and revocation, expiry and
changes to the user still take effect on the next request.

These tests need the Redis server of this machine (127.0.0.1:6379) and fail, not skip, without it.
Across two server processes: tests/syncapi/test_two_servers.py.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncapi import tokens
from syncapi.models import DeviceToken
from syncapi.tokens import STALE, token_create, token_get_active, token_revoke
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# A Redis database of this test process's own (1-15; 0 is left to `make run`).
REDIS_URL = f"redis://127.0.0.1:6379/{1 + (os.getpid() + 7) % 15}"
ME = "/api/auth/me/"


@pytest.fixture
def token_cache(settings):
    """Django's cache in Redis, holding the tokens; emptied before and after."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis does not answer at {REDIS_URL} ({error}): this test needs it running")
    redis_cache = {"BACKEND": "syncapi.cache.RedisCache", "LOCATION": REDIS_URL}
    settings.CACHES = {**settings.CACHES, "tokens": redis_cache}
    settings.SYNCAPI = {**settings.SYNCAPI, "TOKEN_CACHE": "tokens"}
    cache = caches["tokens"]
    cache.clear()
    yield cache
    cache.clear()


def _key(token: DeviceToken) -> str:
    return f"syncapi:token:{token.token_hash}"


def _token_queries(client, path: str = ME) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len([q for q in queries.captured_queries if "syncapi_devicetoken" in q["sql"]])


def test_a_cached_token_authenticates_without_a_query(token_cache, user):
    client = client_for(user)
    assert _token_queries(client) == 2  # read, and last_used_at written
    assert _token_queries(client) == 0


def test_a_revoked_token_is_refused_at_once_though_it_was_cached(token_cache, user):
    client = client_for(user)
    assert client.get(ME).status_code == 200
    [token] = DeviceToken.objects.all()
    assert isinstance(token_cache.get(_key(token)), DeviceToken)

    token_revoke(token=token)

    assert client.get(ME).status_code == 401
    assert token_cache.get(_key(token)) == STALE


def test_a_sign_out_is_refused_at_once(token_cache, user):
    client = client_for(user)
    assert client.get(ME).status_code == 200

    assert client.post("/api/auth/logout/").status_code == 200

    assert client.get(ME).status_code == 401


def test_a_cached_token_expires_on_time(token_cache, user, monkeypatch):
    client = client_for(user)
    assert client.get(ME).status_code == 200
    [token] = DeviceToken.objects.all()
    later = (token.expires_at + timedelta(seconds=1)).timestamp()
    monkeypatch.setattr(tokens, "timer", lambda: later)

    assert client.get(ME).status_code == 401


def test_a_deactivated_users_cached_token_is_refused(token_cache, user):
    client = client_for(user)
    assert client.get(ME).status_code == 200

    user.is_active = False
    user.save()

    assert client.get(ME).status_code == 401


def test_a_change_to_the_user_is_seen_at_once(token_cache, user):
    client = client_for(user)
    assert client.get(ME).json()["is_staff"] is False

    user.is_staff = True
    user.save()

    assert client.get(ME).json()["is_staff"] is True


def test_a_token_deleted_with_its_user_is_refused(token_cache, django_user_model):
    carol = django_user_model.objects.create_user("carol", password="carol-password-1")
    client = client_for(carol)
    assert client.get(ME).status_code == 200

    carol.delete()

    assert client.get(ME).status_code == 401


def test_a_request_that_read_the_token_before_its_revocation_does_not_cache_it(token_cache, user, monkeypatch):
    raw, token = token_create(user=user)
    note_use = tokens._note_use

    def revoked_meanwhile(read, now, cache):
        """The row is read; before this request caches it, another request revokes the token."""
        note_use(read, now, cache)
        token_revoke(token=token)

    monkeypatch.setattr(tokens, "_note_use", revoked_meanwhile)
    assert token_get_active(raw=raw) is not None  # it was live when read
    monkeypatch.setattr(tokens, "_note_use", note_use)

    assert token_cache.get(_key(token)) == STALE
    assert token_get_active(raw=raw) is None


def test_last_use_is_written_once_however_many_requests(token_cache, user):
    client = client_for(user)
    [token] = DeviceToken.objects.all()
    assert token.last_used_at is None

    for _ in range(3):
        assert client.get(ME).status_code == 200
    token_cache.delete(_key(token))  # another server, which has not cached it yet
    assert client.get(ME).status_code == 200

    token.refresh_from_db()
    assert token.last_used_at is not None
    with CaptureQueriesContext(connection) as queries:
        client.get(ME)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_the_redis_backend_reuses_one_client_per_pool_across_calls_and_threads(token_cache):
    token_cache.set("answer", 42)
    assert token_cache.get("answer") == 42
    assert not token_cache.add("answer", 0)
    client = token_cache._cache.get_client(write=True)
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(lambda n: token_cache._cache.get_client(write=True), range(8)))
        values = list(pool.map(lambda n: token_cache.get("answer"), range(8)))

    assert {id(c) for c in clients} == {id(client)}
    assert values == [42] * 8
