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
from syncapi.models import SyncConfiguration, SyncState, Tombstone
from syncapi.page_format import record_dict, split_page
from syncapi.registry import Collection, registry
from syncapi.serialization import fetch_rows, record_values
from syncapi.versioning import read_snapshot, versions_issued


@dataclass(frozen=True)
class ChangePage:
    collection: str
    upserts: list[dict]
    deletes: list[str]
    cursor: Cursor
    has_more: bool
    reset: bool


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


def needs_reset(cursor: Cursor, state: SyncState) -> bool:
    """True if tombstones this cursor has not seen may have been purged since."""
    if cursor.epoch != state.epoch:
        return True  # another database: the cursor's versions mean nothing here
    return cursor.version < state.purged_through and cursor.horizon < state.purged_through


def changes_since(
    *, collection: Collection, cursor: Cursor | None, limit: int, user: AbstractBaseUser | None = None
) -> ChangePage:
    """The next page of changes after `cursor` (None: from the beginning).

    Records and tombstones are read in one snapshot and merged by version, so
    the returned cursor never passes a change that is not yet visible. In a
    user-scoped collection a cursor of another user's records resets.

    Raises HistoryForked if the cursor is ahead of the database's own history.
    """
    owner = str(user.pk) if collection.is_user_scoped else None
    with read_snapshot():
        state = sync_state_get()
        if cursor is not None and cursor.epoch == state.epoch:
            if cursor.version > versions_issued(connections[DEFAULT_DB_ALIAS], state):
                raise HistoryForked(epoch=cursor.epoch, version=cursor.version)
        reset = cursor is not None and (needs_reset(cursor, state) or cursor.owner != owner)
        fresh = cursor is None or reset  # the client holds nothing: hidden rows and deletes are moot
        after = 0 if fresh else cursor.version
        # A replica started after a purge, or already past it, lost nothing to it.
        horizon = state.purged_through if fresh or after >= state.purged_through else cursor.horizon
        rows_qs = collection.queryset_for(user)
        if fresh and collection.visible is not None:
            rows_qs = rows_qs.filter(collection.visible)
        rows_qs = rows_qs.filter(version__gt=after).order_by("version")
        rows = fetch_rows(record_values(collection, rows_qs)[: limit + 1])
        tombstones = []
        if not fresh:
            tomb_qs = Tombstone.objects.filter(collection=collection.name, version__gt=after)
            if collection.is_user_scoped:
                tomb_qs = tomb_qs.filter(owner=str(user.pk))
            tombstones = list(tomb_qs.order_by("version").values_list("version", "record_id")[: limit + 1])

    if tombstones:
        merged = list(
            islice(merge(((row[1], row) for row in rows), tombstones, key=itemgetter(0)), limit)
        )  # (version, row tuple or deleted id)
        page = [item for _, item in merged]
        last = merged[-1][0]
    else:
        page = rows[:limit]
        last = page[-1][1] if page else after
    upserts, deletes = split_page(collection, page)
    return ChangePage(
        collection=collection.name,
        upserts=upserts,
        deletes=deletes,
        cursor=Cursor(collection=collection.name, epoch=state.epoch, horizon=horizon, version=last, owner=owner),
        has_more=len(rows) + len(tombstones) > limit,
        reset=reset,
    )


def collections_changed(*, cursors: list[tuple[Collection, Cursor]], user: AbstractBaseUser | None = None) -> list[str]:
    """The collections a pull from the given cursor would bring anything of: a change, a delete or a reset.

    The answer of a pull of one record, so that it never disagrees with the pull that follows.
    """
    changed = []
    for collection, cursor in cursors:
        try:
            page = changes_since(collection=collection, cursor=cursor, limit=1, user=user)
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
    if key not in _RECORD_SQL:
        _RECORD_SQL[key] = _record_sql(collection, connection)
    sql, params, at = _RECORD_SQL[key]
    params = [*params[:at], collection.model._meta.pk.get_db_prep_value(pk, connection), *params[at + 1 :]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return record_dict(collection, row) if row else None


_RECORD_SQL: dict[tuple, tuple[str, list, int]] = {}


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
