"""Reads of the sync protocol: change pages, single records, configuration."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from heapq import merge
from itertools import islice, pairwise
from operator import itemgetter

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections
from django.db.models import QuerySet

from syncapi.cursor import Cursor
from syncapi.errors import UnknownCollection
from syncapi.models import SyncConfiguration, SyncState, Tombstone
from syncapi.page_cache import collection_state, page_cache, page_records, page_space, page_versions, remembered
from syncapi.registry import Collection, registry
from syncapi.serialization import fetch_rows, record_dict, record_values, split_page, visible_records
from syncapi.versioning import read_snapshot


@dataclass(frozen=True)
class ChangePage:
    collection: str
    upserts: Sequence[dict]  # a list, or the records of a cached page (EncodedRecords)
    deletes: list[str]
    cursor: Cursor
    has_more: bool
    reset: bool
    parallel_cursors: list[Cursor] = field(default_factory=list)


# A planned first download covers at most this many pages; the rest follows serially.
MAX_PLANNED_PAGES = 100


def collection_get(*, name: str) -> Collection:
    collection = registry.get(name)
    if collection is None:
        raise UnknownCollection()
    return collection


def sync_state_get() -> SyncState:
    state = SyncState.objects.filter(pk=1).first()
    return state if state is not None else SyncState(pk=1)


def _needs_reset(cursor: Cursor, state: SyncState) -> bool:
    """True if tombstones this cursor has not seen may have been purged since."""
    if cursor.epoch != state.epoch:
        return True  # another database: the cursor's versions mean nothing here
    return cursor.version < state.purged_through and cursor.horizon < state.purged_through


def changes_since(
    *,
    collection: Collection,
    cursor: Cursor | None,
    limit: int,
    user: AbstractBaseUser | None = None,
    parallel: bool = False,
) -> ChangePage:
    """The next page of changes after `cursor` (None: from the beginning).

    Records and tombstones are read in one snapshot and merged by version, so
    the returned cursor never passes a change that is not yet visible.

    With `parallel`, a fresh first page that has more also plans the rest of
    the download: `parallel_cursors` names the following pages (range cursors,
    then one ordinary cursor for the tail), which a client may fetch at the
    same time and must apply in order (see docs/protocol-notes.md).
    """
    with read_snapshot() as own:
        state = sync_state_get()
        reset = cursor is not None and _needs_reset(cursor, state)
        # Only a snapshot of committed rows may use the page cache (see syncapi.page_cache).
        space = page_space(collection, state.epoch) if own else None
        if cursor is not None and cursor.until is not None and not reset:
            return _range_page(collection, cursor, state, user, space, _known(collection, user, space))
        fresh = cursor is None or reset  # the client holds nothing: hidden rows and deletes are moot
        known = _known(collection, user, space) if fresh else None  # a delta page keeps nothing
        after = 0 if fresh else cursor.version
        # A replica started after a purge, or already past it, lost nothing to it.
        horizon = state.purged_through if fresh or after >= state.purged_through else cursor.horizon

        rows_qs = _visible(collection, collection.queryset_for(user), fresh).filter(version__gt=after)
        rows_qs = rows_qs.order_by("version")
        cuts = _cuts(rows_qs, limit, known) if parallel and fresh else []
        if cuts:  # a planned download: this page is its first range
            upserts = _range_records(collection, user, 0, cuts[0], space, known)
            deletes, last, has_more = [], cuts[0], True
        elif fresh and space is not None:
            versions = remembered((*known, "first", limit), lambda: page_versions(rows_qs, limit + 1))
            has_more, versions = len(versions) > limit, versions[:limit]
            upserts, deletes = page_records(collection, rows_qs, versions, space), []
            last = versions[-1] if versions else after
        else:
            upserts, deletes, last, has_more = _changes(collection, rows_qs, user, after, fresh, limit)
        at = Cursor(collection=collection.name, epoch=state.epoch, horizon=horizon, version=last)
        planned = _planned_cursors(at, cuts)

    return ChangePage(
        collection=collection.name,
        upserts=upserts,
        deletes=deletes,
        cursor=at,
        has_more=has_more,
        reset=reset,
        parallel_cursors=planned,
    )


def _changes(
    collection: Collection, rows_qs: QuerySet, user, after: int, fresh: bool, limit: int
) -> tuple[list[dict], list[str], int, bool]:
    """(upserts, deletes, last version, has_more) of a page: rows and tombstones merged by version."""
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
    has_more = len(rows) + len(tombstones) > limit
    # The page order is a hint (docs/protocol-notes.md), given where it pays: on a download's first
    # page, which the page cache keeps, as it keeps planned ranges. A page after a cursor is read
    # and encoded for each request; sorting it there cost a sixth of a serial download's time, and a
    # client that wants the order sorts a delta's few records (or a plan's tail) for less.
    upserts, deletes = split_page(collection, page, ordered=fresh)
    return upserts, deletes, last, has_more


def _known(collection: Collection, user, space: tuple | None) -> tuple | None:
    """The key under which lists of versions read in this state of the collection may be
    reused (see syncapi.page_cache); None where pages are not kept."""
    return (*space, *collection_state(collection, user)) if space is not None else None


def _visible(collection: Collection, queryset: QuerySet, only_visible: bool) -> QuerySet:
    return queryset.filter(collection.visible) if only_visible and collection.visible is not None else queryset


def _cuts(rows_qs: QuerySet, limit: int, known: tuple | None) -> list[int]:
    """Where a planned first download is cut: its pages are the visible rows in (0, cuts[0]],
    (cuts[0], cuts[1]], ... then the tail after the last cut; [] if it fits in one page.
    A plan cut afresh ends its last range at the last row: every record is in a range, which
    the page cache keeps, and the tail holds only what changed after the plan (an ordinary
    page, read for each request: had it held the last rows, each device would have paid for
    reading and encoding up to a full page).

    Each range holds at most `limit` rows of this snapshot, and later changes
    only ever move a row to a newer version, out of its range and into the
    tail: ranges never grow, and, applied in order, miss nothing. So the cuts
    of the last plan still hold, and are kept (`known`: the collection's state,
    under which plans are kept; None: they are not): after some changes, a
    range that lost none of its rows is the same page as before, and one that
    lost some is that page without them (`page_records`), where cutting afresh
    would shift every later page and change them all. The tail gets new cuts
    every `limit` rows; once the kept ranges hold a fifth fewer rows than
    they could, the download is cut afresh. A plan covers the first page and
    at most MAX_PLANNED_PAGES ranges; the tail continues past them.
    """
    cap = limit * (MAX_PLANNED_PAGES + 1)

    def every(versions: list[int], *, close: bool = False) -> list[int]:
        cuts = versions[limit - 1 :: limit]
        if cuts and len(versions) < cap:  # every row is in `versions`
            if cuts[-1] == versions[-1]:
                cuts.pop()  # no empty range at the end
            if close and len(versions) > limit:
                cuts.append(versions[-1])  # every row in a range: the tail holds only later changes
        return cuts

    if known is None:
        return every(page_versions(rows_qs, cap), close=True)
    latest = _lasting(known, "cuts", limit)

    def cut() -> list[int]:
        before = page_cache.latest(latest)
        if before:
            held = rows_qs.filter(version__lte=before[-1]).count()
            if len(before) <= -(-held // limit) * 5 // 4 + 1:
                return (before + every(page_versions(rows_qs.filter(version__gt=before[-1]), cap)))[: cap // limit]
        return every(page_versions(rows_qs, cap), close=True)

    cuts = remembered((*known, "cuts", limit), cut)
    page_cache.set_latest(latest, cuts)
    return cuts


def _planned_cursors(first: Cursor, cuts: list[int]) -> list[Cursor]:
    """The cursors of the pages after the first of a plan cut at `cuts`: one per range, then
    an ordinary one that continues from the last cut (none without cuts)."""
    if not cuts:
        return []
    ranges = [replace(first, version=lower, until=upper) for lower, upper in pairwise(cuts)]
    return [*ranges, replace(first, version=cuts[-1])]


def _range_records(collection: Collection, user, lower: int, upper: int, space, known) -> Sequence[dict]:
    """The records of the visible rows in (lower, upper]: a planned range, read whole (it only
    ever loses rows)."""
    rows_qs = _visible(collection, collection.queryset_for(user), True)
    rows_qs = rows_qs.filter(version__gt=lower, version__lte=upper).order_by("version")
    if space is None:
        return visible_records(collection, rows_qs)
    versions = remembered((*known, "range", lower, upper), lambda: page_versions(rows_qs))
    return page_records(collection, rows_qs, versions, space, latest=_lasting(known, "range", lower, upper))


def _lasting(known: tuple, *what) -> tuple:
    """A key for `what` of the collection (and reader, in a user scope) that `known` names,
    whatever its state: `known` is (*space, reader, newest row, newest tombstone)."""
    return (*known[:4], *what)


def _range_page(
    collection: Collection, cursor: Cursor, state: SyncState, user, space: tuple | None, known: tuple | None
) -> ChangePage:
    """One planned page: the visible rows in (version, until], then an ordinary cursor at `until`.

    Its deletes are moot: the replica is being filled from scratch, and
    deletes after the plan come with the tail.
    """
    return ChangePage(
        collection=collection.name,
        upserts=_range_records(collection, user, cursor.version, cursor.until, space, known),
        deletes=[],
        cursor=replace(cursor, epoch=state.epoch, version=cursor.until, until=None),
        has_more=True,
        reset=False,
    )


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
        "units": registry.units(),
        "collections": {c.name: c.describe() for c in registry.collections()},
    }
