"""Writes of the sync machinery itself: state, triggers, tombstone purging."""

import secrets
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Max
from django.utils import timezone

from syncapi.conf import sync_settings
from syncapi.models import SyncState, Tombstone
from syncapi.registry import registry
from syncapi.snapshots.selectors import purge_limit
from syncapi.versioning import advance_counter, install_triggers, lock_versions


def sync_state_ensure(*, using: str = DEFAULT_DB_ALIAS) -> SyncState:
    """Give the database a fresh epoch if it has none (after `migrate` on a new database, or `flush`).

    A new epoch resets every cursor issued before it to a fresh download, which
    reads rows only; so tombstones from before it are dropped, and the version
    counter moves past every row's version. `flush` empties the tables in no
    fixed order: the delete triggers may write tombstones after the tombstone
    table was emptied, and the state row may go after them, restarting SQLite's
    count below those tombstones. Kept, they would carry a device's first delta
    sync past versions that new writes are about to take.
    """
    with transaction.atomic(using=using):
        lock_versions(using)
        state = SyncState.objects.using(using).filter(pk=1).first()
        if state is not None and state.epoch:
            return state
        Tombstone.objects.using(using).all().delete()
        if state is None:
            state = SyncState.objects.using(using).create(pk=1)
        advance_counter(connections[using], registry.collections())
        state.refresh_from_db(using=using)
        state.epoch = secrets.token_hex(8)
        state.save(using=using, update_fields=["epoch"])
        return state


def triggers_install(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Install version triggers on every registered collection's table."""
    install_triggers(connections[using], registry.collections())


@transaction.atomic
def tombstones_purge(*, older_than: timedelta | None = None) -> int:
    """Delete tombstones past the retention period and move the reset horizon.

    Readers whose cursor is older than the newest purged tombstone get `reset`.
    Tombstones newer than a snapshot still offered stay (a device starting from
    it needs them); they go once a newer snapshot is built.
    """
    lock_versions()
    if older_than is None:
        older_than = timedelta(days=sync_settings.TOMBSTONE_RETENTION_DAYS)
    expired = Tombstone.objects.filter(deleted_at__lt=timezone.now() - older_than)
    limit = purge_limit()
    if limit is not None:
        expired = expired.filter(version__lte=limit)
    horizon = expired.aggregate(v=Max("version"))["v"]
    if horizon is None:
        return 0
    count, _ = expired.delete()
    state = SyncState.objects.select_for_update().get(pk=1)
    if horizon > state.purged_through:
        state.purged_through = horizon
        state.save(update_fields=["purged_through"])
    return count
