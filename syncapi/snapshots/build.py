"""Building snapshots: one consistent read, encoded in parts, compressed once, stored, published.

Never inside a device's request (compressing 100,000 products at brotli's
highest level takes about 25 s of CPU): `manage.py build_snapshots`, or a
serving process's background thread (`syncapi.snapshots.auto`). One builder
at a time across servers (`syncapi.snapshots.lease`); until a new snapshot
is published, the previous one is served.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from syncapi.conf import sync_settings
from syncapi.models import Snapshot
from syncapi.registry import Collection, registry
from syncapi.selectors import schema_version_get, sync_state_get
from syncapi.serialization import fetch_rows
from syncapi.snapshots.files import part_store, parts_delete_unlisted
from syncapi.snapshots.format import part_encode
from syncapi.snapshots.identity import fingerprint, snapshot_rows
from syncapi.snapshots.lease import Lease
from syncapi.snapshots.selectors import snapshot_offer
from syncapi.versioning import highest_version, read_snapshot


class LeaseLost(RuntimeError):
    """The builder's lease expired and another process took it: this build is not published."""


@dataclass(frozen=True)
class Built:
    collection: str
    reason: str  # why it was built: "none", "fingerprint", "changes", "age", "forced", ...
    snapshot: Snapshot


def snapshots_refresh(*, force: bool = False) -> list[Built] | None:
    """Build every global collection's snapshot that is due (`force`: every one), then delete
    what is no longer needed. None if another process is building."""
    lease = Lease()
    if not lease.take():
        return None
    try:
        built = []
        for collection in registry.collections():
            if collection.is_user_scoped:
                continue
            reason = "forced" if force else snapshot_offer(collection=collection).rebuild
            if reason is not None:
                built.append(Built(collection.name, reason, snapshot_build(collection=collection, lease=lease)))
        snapshots_prune()
        return built
    finally:
        lease.release()


def snapshot_build(*, collection: Collection, lease: Lease) -> Snapshot:
    """Build and publish a snapshot of `collection` (the caller holds `lease`); it retires the previous one."""
    started = time.monotonic()
    alias = collection.model._default_manager.db
    with read_snapshot(alias):
        state = sync_state_get()
        schema_version = schema_version_get()
        version = _watermark(alias)
        rows = fetch_rows(snapshot_rows(collection, alias))
        identity = fingerprint(collection, alias)
    names = ("id", "version", *collection.fields)
    rows = [row[: len(names)] for row in rows]  # without the visibility flag: every row is visible
    if collection.order:
        rows.sort(key=collection.order_key(names))

    known = _listed_parts(collection.name)
    size = sync_settings.SNAPSHOT_PART_RECORDS
    parts = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        data = part_encode(collection=collection.name, fields=names, rows=chunk)
        parts.append(part_store(collection=collection.name, data=data, records=len(chunk), known=known).describe())
        if not lease.renew():
            raise LeaseLost(collection.name)

    with transaction.atomic():
        if not lease.renew():
            raise LeaseLost(collection.name)
        now = timezone.now()
        Snapshot.objects.filter(collection=collection.name, retired_at__isnull=True).update(retired_at=now)
        return Snapshot.objects.create(
            collection=collection.name, epoch=state.epoch, schema_version=schema_version, fingerprint=identity,
            version=version, horizon=state.purged_through, records=len(rows), parts=parts, created_at=now,
            build_seconds=round(time.monotonic() - started, 3),
        )  # fmt: skip


def _watermark(alias: str) -> int:
    """The newest version of any synced change in the caller's read snapshot (any collection's: so
    the snapshots of every collection built together share about the same one, and a purge held
    back for the oldest is held back little). Every change of the collection up to it is in the
    snapshot: versions are drawn in commit order."""
    return highest_version(connections[alias], registry.collections())


def _listed_parts(collection: str) -> dict[str, dict]:
    """The parts that published snapshots of `collection` list, by sha256: stored whole."""
    listed = {}
    for parts in Snapshot.objects.filter(collection=collection).values_list("parts", flat=True):
        listed |= {part["sha256"]: part for part in parts}
    return listed


def snapshots_prune() -> int:
    """Forget snapshots retired long enough ago (or of another database epoch) and delete the files
    no remaining snapshot lists; how many snapshots were forgotten. Call under the lease."""
    keep = timedelta(hours=sync_settings.SNAPSHOT_KEEP_RETIRED_HOURS)
    state = sync_state_get()
    old = Snapshot.objects.filter(Q(retired_at__lt=timezone.now() - keep) | ~Q(epoch=state.epoch))
    forgotten, _ = old.delete()
    for collection in {c.name for c in registry.collections() if not c.is_user_scoped}:
        parts_delete_unlisted(collection, set(_listed_parts(collection)))
    return forgotten
