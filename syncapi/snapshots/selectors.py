"""Reads of snapshots: which one a client is offered, and whether a new one is due."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from syncapi.conf import sync_settings
from syncapi.cursor import Cursor
from syncapi.models import Snapshot, SyncState, Tombstone
from syncapi.registry import Collection
from syncapi.selectors import needs_reset, schema_version_get, sync_state_get
from syncapi.snapshots.identity import fingerprint


@dataclass(frozen=True)
class Offer:
    snapshot: Snapshot | None  # the one to offer; None: none may be
    rebuild: str | None  # why a new one is due ("none", "fingerprint", "changes", ...); None: not due


def snapshot_cursor(snapshot: Snapshot) -> Cursor:
    """The cursor a client holds once it has applied every part: ordinary pulls continue from V."""
    return Cursor(collection=snapshot.collection, epoch=snapshot.epoch, horizon=snapshot.horizon,
                  version=snapshot.version)  # fmt: skip


def snapshot_latest(*, collection: str) -> Snapshot | None:
    """The newest snapshot of `collection` that no newer one retired."""
    offered = Snapshot.objects.filter(collection=collection, retired_at__isnull=True)
    return offered.order_by("-created_at", "-pk").first()


def snapshot_offer(*, collection: Collection, now: datetime | None = None) -> Offer:
    """The snapshot a client without a cursor may start from, and whether to build a new one.

    A snapshot is only offered while it is exactly what a first pull would
    read now, or an older state of it: same database epoch, same
    `schema_version`, same fingerprint (registration, computed fields, format),
    and no tombstone purge past its version. A stale one (many changes since,
    or old) is still offered, while a new one is due.
    """
    if collection.is_user_scoped:
        return Offer(None, None)
    latest = snapshot_latest(collection=collection.name)
    if latest is None:
        return Offer(None, "none")
    mismatch = _mismatch(latest, collection, sync_state_get())
    if mismatch:
        return Offer(None, mismatch)
    return Offer(latest, _staleness(latest, collection, now or timezone.now()))


def _mismatch(snapshot: Snapshot, collection: Collection, state: SyncState) -> str | None:
    if snapshot.epoch != state.epoch:
        return "epoch"
    if needs_reset(snapshot_cursor(snapshot), state):
        return "purged"
    if snapshot.schema_version != schema_version_get():
        return "schema_version"
    if snapshot.fingerprint != fingerprint(collection, collection.model._default_manager.db):
        return "fingerprint"
    return None


def _staleness(snapshot: Snapshot, collection: Collection, now: datetime) -> str | None:
    if now - snapshot.created_at >= timedelta(hours=sync_settings.SNAPSHOT_MAX_AGE_HOURS):
        return "age"
    limit = sync_settings.SNAPSHOT_REBUILD_CHANGES
    changed = collection.model._default_manager.filter(version__gt=snapshot.version)[:limit].count()
    if changed < limit:
        deletes = Tombstone.objects.filter(collection=collection.name, version__gt=snapshot.version)
        changed += deletes[: limit - changed].count()
    return "changes" if changed >= limit else None


def purge_limit() -> int | None:
    """The highest tombstone version a purge may delete: the lowest version of a snapshot still
    offered (a client starting from it needs every delete after it); None: no limit."""
    state = sync_state_get()
    offered = Snapshot.objects.filter(retired_at__isnull=True, epoch=state.epoch)
    return min(offered.values_list("version", flat=True), default=None)
