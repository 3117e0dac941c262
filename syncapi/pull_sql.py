"""The statements of a pull, compiled once per collection and database, then run with new parameters.

A delta pull runs at most three statements: the head (the database's epoch, tombstone horizon and
versions issued, the collection's high-water mark, and the configured page size), the rows after
the cursor, and the tombstones after it. Compiling a queryset costs more than running it on a
small page, so each collection's row statement is built by the ORM once, with marker values where
the cursor's version and the reader go, and later pulls only swap those parameters (as
`record_get` does).
"""

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from syncapi.models import SyncConfiguration
from syncapi.registry import Collection, built_for
from syncapi.serialization import record_values
from syncapi.versioning import MARK_TABLE, PG_SEQUENCE

# Parameter values that stand for the cursor's version and the reader while a statement is compiled.
_AFTER = -7_654_321_001
_OWNER_INT = -7_654_321_002
_OWNER_UUID = uuid.UUID("7654321f-0000-4000-8000-000000000002")
# The page size while no configuration row exists.
_DEFAULT_PAGE_SIZE = SyncConfiguration._meta.get_field("page_size").default


@dataclass(frozen=True)
class Head:
    """What a pull decides from before it reads a row (the names of `SyncState`'s fields)."""

    epoch: str
    purged_through: int
    # The highest version handed out, committed or not (see `versioning.versions_issued`).
    issued: int
    # The collection's high-water mark (`CollectionMark`); None when it has none yet.
    mark: int | None
    # The configured page size (`SyncConfiguration.page_size`), for a pull that asks for none.
    page_size: int


def head_read(collection: Collection, connection) -> Head:
    """The head, in one statement (so in one snapshot of its own outside a transaction)."""
    if connection.vendor == "postgresql":
        issued = f"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {PG_SEQUENCE})"
    else:
        issued = "COALESCE(s.version, 0)"
    config = SyncConfiguration._meta.db_table
    sql = (
        f"SELECT COALESCE(s.epoch, ''), COALESCE(s.purged_through, 0), {issued}, "
        f"(SELECT version FROM {MARK_TABLE} WHERE collection = %s), "
        f"COALESCE((SELECT page_size FROM {config} WHERE id = 1), %s) "
        "FROM (SELECT 1 AS one) AS head LEFT JOIN syncapi_syncstate s ON s.id = 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [collection.name, _DEFAULT_PAGE_SIZE])
        epoch, purged_through, issued_version, mark, page_size = cursor.fetchone()
    return Head(epoch=epoch, purged_through=purged_through, issued=issued_version, mark=mark, page_size=page_size)


@dataclass(frozen=True)
class _Statement:
    sql: str  # ends with "LIMIT %s"
    params: tuple
    after_at: int
    owner_at: int | None


# (collection name, database alias, vendor, visible only) -> (the collection compiled, its statement).
_ROWS: dict[tuple, tuple[Collection, _Statement]] = {}


def rows_after(collection: Collection, connection, *, after: int, limit: int, user, visible_only: bool) -> list:
    """The collection's rows `user` may see with a version above `after`, in version order, at most
    `limit`, as `record_values` tuples (only visible ones if `visible_only`)."""
    key = (collection.name, connection.alias, connection.vendor, visible_only)
    statement = built_for(_ROWS, key, collection, lambda: _rows_statement(collection, connection, visible_only))
    params = list(statement.params)
    params[statement.after_at] = after
    if statement.owner_at is not None:
        params[statement.owner_at] = _owner_param(connection, user.pk)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [*params, limit])
        return cursor.fetchall()


def _owner_marker():
    pk = get_user_model()._meta.pk
    return _OWNER_UUID if pk.get_internal_type() == "UUIDField" else _OWNER_INT


def _owner_param(connection, pk):
    return get_user_model()._meta.pk.get_db_prep_value(pk, connection)


def _rows_statement(collection: Collection, connection, visible_only: bool) -> _Statement:
    reader = get_user_model()(pk=_owner_marker()) if collection.is_user_scoped else None
    queryset = collection.queryset_for(reader).using(connection.alias)
    if visible_only and collection.visible is not None:
        queryset = queryset.filter(collection.visible)
    queryset = record_values(collection, queryset.filter(version__gt=_AFTER).order_by("version"))
    sql, params = queryset.query.get_compiler(connection.alias).as_sql()
    params = tuple(params)
    owner_at = None
    if reader is not None:
        [owner_at] = [i for i, param in enumerate(params) if param == _owner_param(connection, reader.pk)]
    [after_at] = [i for i, param in enumerate(params) if param == _AFTER]
    return _Statement(sql=f"{sql} LIMIT %s", params=params, after_at=after_at, owner_at=owner_at)


def tombstones_after(collection: Collection, connection, *, after: int, limit: int, owner: str | None) -> list:
    """(version, record id) of the collection's tombstones above `after` (of `owner` in a user
    scope), in version order, at most `limit`."""
    sql = "SELECT version, record_id FROM syncapi_tombstone WHERE collection = %s AND version > %s"
    params = [collection.name, after]
    if owner is not None:
        sql += " AND owner = %s"
        params.append(owner)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY version LIMIT %s", [*params, limit])
        return cursor.fetchall()
