"""Writes of the sync machinery itself: state, triggers, tombstone purging."""

from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Max
from django.utils import timezone

from syncapi.conf import sync_settings
from syncapi.history import epoch_begin
from syncapi.models import RecordAlias, SyncState, Tombstone
from syncapi.registry import registry
from syncapi.snapshots.selectors import purge_limit
from syncapi.versioning import install_triggers, lock_versions


def sync_state_ensure(*, using: str = DEFAULT_DB_ALIAS) -> SyncState:
    """Give the database a fresh epoch if it has none (after `migrate` on a new database, or `flush`).

    `flush` empties the tables in no fixed order: the delete triggers may write
    tombstones after the tombstone table was emptied, and the state row may go
    after them, restarting SQLite's count below those tombstones. A new epoch
    (`epoch_begin`) drops them and moves the counter past every row's version.
    """
    with transaction.atomic(using=using):
        lock_versions(using)
        state = SyncState.objects.using(using).filter(pk=1).first()
        if state is not None and state.epoch:
            return state
        if state is None:
            state = SyncState.objects.using(using).create(pk=1)
        return epoch_begin(state, using=using)


def triggers_install(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Install version triggers on every registered collection's table."""
    install_triggers(connections[using], registry.collections())


@transaction.atomic
def tombstones_purge(*, older_than: timedelta | None = None) -> int:
    """Delete tombstones past the retention period and move the reset horizon.

    Readers whose cursor is older than the newest purged tombstone get `reset`.
    Tombstones newer than a snapshot still offered stay (a device starting from
    it needs them); they go once a newer snapshot is built. Aliases of merged
    record ids (`RecordAlias`) expire after the same period. Answers the number
    of tombstones purged.
    """
    lock_versions()
    if older_than is None:
        older_than = timedelta(days=sync_settings.TOMBSTONE_RETENTION_DAYS)
    cutoff = timezone.now() - older_than
    RecordAlias.objects.filter(created_at__lt=cutoff).delete()
    expired = Tombstone.objects.filter(deleted_at__lt=cutoff)
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
