"""Per-device bearer tokens: issued at login, stored hashed, expiring, revocable."""

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta

from django.db import transaction

from syncapi.conf import sync_settings
from syncapi.models import USER_AGENT_MAX_LENGTH, DeviceToken

# Injectable clock (tests move it to expire tokens).
timer = time.time


def _now() -> datetime:
    return datetime.fromtimestamp(timer(), tz=UTC)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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


def tokens_revoke_for_user(*, user) -> int:
    """Revoke every live token of `user` (their password changed, or they were deactivated): each of
    their devices must sign in again. Returns how many were revoked."""
    return DeviceToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=_now())


def token_get_active(*, raw: str) -> DeviceToken | None:
    """The live token with this raw value, or None (unknown, expired, revoked)."""
    now = _now()
    token = (
        DeviceToken.objects.select_related("user")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Coarse on purpose: one write per token every few minutes, not per request.
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
