"""Per-device bearer tokens: issued at login, stored hashed, expiring, revocable.

With a shared cache configured (SYNCAPI["TOKEN_CACHE"], Redis), a live token read from the
database is kept there for a short while, so most requests authenticate without a query.
Revocation stays immediate on every server: once a revocation commits, the token's key is
overwritten with a `stale` mark, and a request only ever *adds* a token to the cache, so one that
read the row before the revocation committed cannot put it back. Expiry is checked on each request;
a change to the user (deactivated, made staff) marks their tokens stale the same way.
"""

import hashlib
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.core.cache import caches
from django.db import transaction

from syncapi.conf import sync_settings
from syncapi.models import USER_AGENT_MAX_LENGTH, DeviceToken

# Injectable clock (tests move it to expire tokens).
timer = time.time

# A token's `last_used_at` is written at most this often: one write per token every few minutes.
USED_EVERY = timedelta(minutes=5)
# What a revoked or changed token's key holds until its entry could have expired anyway.
STALE = "stale"


def _now() -> datetime:
    return datetime.fromtimestamp(timer(), tz=UTC)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cache():
    alias = sync_settings.TOKEN_CACHE
    return caches[alias] if alias else None


def _key(token_hash: str) -> str:
    return f"syncapi:token:{token_hash}"


@transaction.atomic
def token_create(*, user, device_name: str = "", user_agent: str = "") -> tuple[str, DeviceToken]:
    """Issue a new token for one device; the raw value is returned only here.

    `device_name` is what the client calls the device, `user_agent` the
    User-Agent header of its login (the admin names the device from either).
    """
    raw = secrets.token_urlsafe(32)
    now = _now()
    token = DeviceToken.objects.create(
        user=user,
        token_hash=_hash(raw),
        device_name=device_name[:200],
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
        expires_at=now + timedelta(days=sync_settings.TOKEN_TTL_DAYS),
    )
    return raw, token


def token_revoke(*, token: DeviceToken) -> None:
    DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=_now())
    tokens_forget([token.token_hash])


def tokens_revoke_for_user(*, user) -> int:
    """Revoke every live token of `user` (their password changed, or they were deactivated): each of
    their devices must sign in again. Returns how many were revoked."""
    revoked = DeviceToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=_now())
    tokens_forget_for_user(user=user)
    return revoked


def tokens_forget_for_user(*, user) -> None:
    """Make every server read `user`'s tokens (and the user) from the database again."""
    if _cache() is not None:
        tokens_forget(DeviceToken.objects.filter(user=user).values_list("token_hash", flat=True))


def tokens_forget(token_hashes: Iterable[str]) -> None:
    """Mark these tokens' cache entries stale now and again once the current transaction commits: a
    request that read a row before the commit then finds the mark, and adds nothing over it."""
    cache = _cache()
    if cache is None:
        return
    stale = {_key(token_hash): STALE for token_hash in token_hashes}
    if not stale:
        return
    cache.set_many(stale, timeout=sync_settings.TOKEN_CACHE_SECONDS)
    transaction.on_commit(lambda: cache.set_many(stale, timeout=sync_settings.TOKEN_CACHE_SECONDS))


def token_get_active(*, raw: str) -> DeviceToken | None:
    """The live token with this raw value, or None (unknown, expired, revoked)."""
    now, token_hash, cache = _now(), _hash(raw), _cache()
    cached = cache.get(_key(token_hash)) if cache is not None else None
    if isinstance(cached, DeviceToken):
        token = cached
    else:
        token = (
            DeviceToken.objects.select_related("user")
            .filter(token_hash=token_hash, revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
    if token is None or token.expires_at <= now or not token.user.is_active:
        return None
    _note_use(token, now, cache)
    if cached is None and cache is not None:
        seconds = min(sync_settings.TOKEN_CACHE_SECONDS, (token.expires_at - now).total_seconds())
        cache.add(_key(token_hash), token, timeout=seconds)  # add: never over a `stale` mark
    return token


def _note_use(token: DeviceToken, now: datetime, cache) -> None:
    """Write `last_used_at` if it is older than USED_EVERY: decided by the row as read (or cached),
    then, with a shared cache, by one key for all servers, so that only one of them writes it."""
    due = token.last_used_at is None or now - token.last_used_at > USED_EVERY
    if due and cache is not None:
        due = cache.add(f"syncapi:token-used:{token.token_hash}", 1, timeout=int(USED_EVERY.total_seconds()))
    if due:
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now  # as the row now holds it (and the cache, if this copy goes there)
