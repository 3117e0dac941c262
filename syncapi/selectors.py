"""Reads of the sync protocol: change pages, single records, configuration."""

import uuid
from dataclasses import dataclass
from heapq import merge
from itertools import islice
from operator import itemgetter

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connections

from syncapi.cursor import Cursor
from syncapi.errors import UnknownCollection
from syncapi.history import HistoryForked
from syncapi.models import SyncConfiguration, SyncState
from syncapi.page_format import record_dict, split_page
from syncapi.pull_sql import Head, head_read, rows_after, tombstones_after
from syncapi.registry import Collection, built_for, registry
from syncapi.serialization import record_values
from syncapi.versioning import read_snapshot


@dataclass(frozen=True)
class ChangePage:
    collection: str
    upserts: list[dict]
    deletes: list[str]
    cursor: Cursor
    has_more: bool
    reset: bool
    # What the page was read from: the same head gives the same page for the same request.
    head: Head


def collection_get(*, name: str) -> Collection:
    collection = registry.get(name)
    if collection is None:
        raise UnknownCollection()
    return collection


def sync_state_get() -> SyncState:
    state = SyncState.objects.filter(pk=1).first()
    return state if state is not None else SyncState(pk=1)


def schema_version_get() -> int:
    """The configured `schema_version` (read only: no row is created inside a read snapshot)."""
    stored = SyncConfiguration.objects.filter(pk=1).values_list("schema_version", flat=True).first()
    return stored if stored is not None else SyncConfiguration._meta.get_field("schema_version").default


def needs_reset(cursor: Cursor, state: SyncState | Head) -> bool:
    """True if tombstones this cursor has not seen may have been purged since."""
    if cursor.epoch != state.epoch:
        return True  # another database: the cursor's versions mean nothing here
    return cursor.version < state.purged_through and cursor.horizon < state.purged_through


def collection_head(*, collection: Collection) -> Head:
    """The collection's head as the database holds it now (one statement: see `pull_sql`)."""
    return head_read(collection, connections[DEFAULT_DB_ALIAS])


def changes_since(
    *,
    collection: Collection,
    cursor: Cursor | None,
    limit: int | None,
    user: AbstractBaseUser | None = None,
    head: Head | None = None,
) -> ChangePage:
    """The next page of changes after `cursor` (None: from the beginning), of at most `limit`
    records and deletes (None: the configured page size).

    Records and tombstones are read in one snapshot and merged by version, so
    the returned cursor never passes a change that is not yet visible. In a
    user-scoped collection a cursor of another user's records resets. Given a
    `head` read just before, a cursor at or past the collection's mark gets its
    empty page from the head alone.

    Raises HistoryForked if the cursor is ahead of the database's own history.
    """
    owner = str(user.pk) if collection.is_user_scoped else None
    if head is not None and cursor is not None and _nothing_after(cursor, head, owner):
        return _page(collection, [], False, cursor=cursor, head=head, owner=owner, after=cursor.version, more=False)
    connection = connections[DEFAULT_DB_ALIAS]
    with read_snapshot():
        head = head_read(collection, connection)
        limit = limit if limit is not None else head.page_size
        if cursor is not None and cursor.epoch == head.epoch and cursor.version > head.issued:
            raise HistoryForked(epoch=cursor.epoch, version=cursor.version)
        reset = cursor is not None and (needs_reset(cursor, head) or cursor.owner != owner)
        fresh = cursor is None or reset  # the client holds nothing: hidden rows and deletes are moot
        after = 0 if fresh else cursor.version
        rows = rows_after(collection, connection, after=after, limit=limit + 1, user=user, visible_only=fresh)
        tombstones = []
        if not fresh:
            tombstones = tombstones_after(collection, connection, after=after, limit=limit + 1, owner=owner)

    if tombstones:
        merged = list(
            islice(merge(((row[1], row) for row in rows), tombstones, key=itemgetter(0)), limit)
        )  # (version, row tuple or deleted id)
        page = [item for _, item in merged]
        last = merged[-1][0]
    else:
        page = rows[:limit]
        last = page[-1][1] if page else after
    more = len(rows) + len(tombstones) > limit
    return _page(collection, page, reset, cursor=cursor, head=head, owner=owner, after=last, more=more)


def _nothing_after(cursor: Cursor, head: Head, owner: str | None) -> bool:
    """Whether a pull from `cursor` brings nothing, by the head alone: no reset, no fork, and the
    cursor at or past every version the collection holds."""
    return (
        head.mark is not None
        and cursor.epoch == head.epoch
        and cursor.owner == owner
        and head.mark <= cursor.version <= head.issued
        and not needs_reset(cursor, head)
    )


def _page(collection, page: list, reset: bool, *, cursor, head: Head, owner, after: int, more: bool) -> ChangePage:
    """A page of `page` (rows and deleted ids), its cursor at version `after`."""
    fresh = cursor is None or reset
    # A replica started after a purge, or already past it, lost nothing to it.
    horizon = head.purged_through if fresh or cursor.version >= head.purged_through else cursor.horizon
    upserts, deletes = split_page(collection, page)
    return ChangePage(
        collection=collection.name,
        upserts=upserts,
        deletes=deletes,
        cursor=Cursor(collection=collection.name, epoch=head.epoch, horizon=horizon, version=after, owner=owner),
        has_more=more,
        reset=reset,
        head=head,
    )


def collections_changed(*, cursors: list[tuple[Collection, Cursor]], user: AbstractBaseUser | None = None) -> list[str]:
    """The collections a pull from the given cursor would bring anything of: a change, a delete or a reset.

    The answer of a pull of one record, so that it never disagrees with the pull that follows.
    """
    changed = []
    for collection, cursor in cursors:
        try:
            head = collection_head(collection=collection)
            page = changes_since(collection=collection, cursor=cursor, limit=1, user=user, head=head)
        except HistoryForked:  # a restored backup: the pull that follows starts the device over
            changed.append(collection.name)
            continue
        if page.upserts or page.deletes or page.reset:
            changed.append(collection.name)
    return changed


def record_get(*, collection: Collection, pk) -> dict | None:
    """The wire form of one record (None if it does not exist).

    A push answers with one record per mutation: the SELECT is compiled once
    per collection and database, and only its primary-key parameter changes.
    """
    connection = connections[collection.model._default_manager.db]
    key = (collection.name, connection.alias, connection.vendor)
    sql, params, at = built_for(_RECORD_SQL, key, collection, lambda: _record_sql(collection, connection))
    params = [*params[:at], collection.model._meta.pk.get_db_prep_value(pk, connection), *params[at + 1 :]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return record_dict(collection, row) if row else None


# (collection name, database alias, vendor) -> (the collection compiled, sql, params, the key's index).
_RECORD_SQL: dict[tuple, tuple[Collection, tuple[str, list, int]]] = {}


def _record_sql(collection: Collection, connection) -> tuple[str, list, int]:
    """`record_get`'s SELECT for a marker primary key: (sql, params, index of the key's parameter)."""
    pk_field = collection.model._meta.pk
    marker = pk_field.to_python(str(uuid.uuid4())) if pk_field.get_internal_type() == "UUIDField" else -7_654_321
    queryset = record_values(collection, collection.model._default_manager.filter(pk=marker))
    sql, params = queryset.query.get_compiler(connection.alias).as_sql()
    prepared = pk_field.get_db_prep_value(marker, connection)
    [at] = [i for i, param in enumerate(params) if param == prepared]
    return sql, list(params), at


def config_get() -> dict:
    """The configuration payload of GET /api/sync/config/."""
    config = SyncConfiguration.load()
    return {
        "protocol": 1,
        "schema_version": config.schema_version,
        "sync_on_online": config.sync_on_online,
        "sync_on_login": config.sync_on_login,
        "sync_on_resume": config.sync_on_resume,
        "retry_on_error": config.retry_on_error,
        "retry_interval_seconds": config.retry_interval_seconds,
        "periodic_sync_minutes": config.periodic_sync_minutes,
        "page_size": config.page_size,
        "foreground_refresh_seconds": config.foreground_refresh_seconds,
        "offline_images": config.offline_images,
        "offline_images_mb": config.offline_images_mb,
        "units": registry.units(),
        "collections": {c.name: c.describe() for c in registry.collections()},
    }
