"""Epochs: which history of the database a device's cursors belong to.

Versions count up within one history. Restoring a backup, or cloning the
database (staging from production), starts another history in which versions
already handed out are handed out again for other changes; a cursor from the
old history would then skip them. A new epoch makes every earlier cursor
`reset`, so each device downloads anew.
"""

import secrets

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from syncapi.models import SyncState, Tombstone
from syncapi.registry import registry
from syncapi.versioning import advance_counter, lock_versions, versions_issued


class HistoryForked(Exception):
    """A cursor is ahead of every version this database has handed out (see `history_fork_close`)."""

    def __init__(self, *, epoch: str, version: int):
        super().__init__(f"cursor of epoch {epoch} at version {version} is ahead of the database")
        self.epoch = epoch
        self.version = version


def epoch_begin(state: SyncState, *, using: str) -> SyncState:
    """Start a new epoch, inside the caller's transaction holding the writers' lock.

    Cursors of other epochs reset to a fresh download, which reads rows only: the
    tombstones go, and the version counter moves past every row's version.
    """
    Tombstone.objects.using(using).all().delete()
    advance_counter(connections[using], registry.collections())
    state.refresh_from_db(using=using)
    state.epoch = secrets.token_hex(8)
    state.save(using=using, update_fields=["epoch"])
    return state


def epoch_start_new(*, using: str = DEFAULT_DB_ALIAS) -> SyncState:
    """Start a new epoch now (`manage.py sync_new_epoch`: after restoring a backup or cloning)."""
    with transaction.atomic(using=using):
        lock_versions(using)
        state, _ = SyncState.objects.using(using).select_for_update().get_or_create(pk=1)
        return epoch_begin(state, using=using)


def history_fork_close(*, epoch: str, version: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """Start a new epoch if a cursor of `epoch` at `version` comes from a history this database lacks.

    The cursor is above every version the database has handed out, in the
    database's own epoch: the database was restored from a backup taken before
    the cursor was issued. Every device must download anew, not only this one: a
    device behind this one would otherwise skip the versions handed out again.
    Callers that saw the fork at the same time start one epoch, not several.
    """
    with transaction.atomic(using=using):
        lock_versions(using)
        state = SyncState.objects.using(using).select_for_update().filter(pk=1).first()
        if state is not None and state.epoch == epoch and version > versions_issued(connections[using], state):
            epoch_begin(state, using=using)
