"""The records of first-download pages, kept encoded in each server process.

Every new device downloads the whole of each collection in the same large
pages, and reading those rows as wire values and encoding them as JSON is
most of the server's work in a first download. This keeps each such page's
records as the JSON text they were sent as, so that the next device's page
costs one query for the versions of its rows, and no encoding.

Why the versions of a page's rows are enough to name its contents: versions
come from one counter per database and are never drawn twice, and every write
to a row gives it a new one (`syncapi.versioning`); so a committed version
names one state of one row, and a list of them names one set of records. A
key is (database alias, database epoch, collection, the versions), and the
versions are those of the rows the reader's own query returned in its
snapshot, so a page can only ever be answered with exactly the rows that
reader may see. This holds only for committed rows: a version drawn in a
transaction that then rolls back is drawn again (SQLite counts in a row of
the same transaction), so a read inside a caller's transaction, which may
hold such rows, does not use the cache (see `read_snapshot`).

Registered fields must therefore be computed from the row alone, which delta
sync already requires: a change elsewhere does not give the row a new version.

Reading a page's versions is itself a query per page, and planning a download
reads the versions of every visible row. Both are remembered too, under the
collection's state (`collection_state`): the newest version among its rows and
among its tombstones. Every committed write to a collection draws a version
above all committed before it (row or tombstone), so while neither newest
version moves, no row of it changed, and a list of versions read then still
holds. A first download from a collection that has not changed since the last
one then reads two index maxima per page and no rows.

Bounded by `SYNCAPI["PAGE_CACHE_BYTES"]` (0 turns it off); the oldest pages
go first. Each process has its own, emptied when it restarts.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from django.db.models import Max, QuerySet

from syncapi import shared_pages
from syncapi.conf import sync_settings
from syncapi.models import Tombstone
from syncapi.registry import Collection
from syncapi.serialization import EncodedRecords, dumps, fetch_rows, records_subset, visible_records

# The lists kept by `PageCache.set_latest` in a process take at most this share of its
# byte budget, the oldest set first out: plans and ranges come and go as a catalogue changes.
LATEST_SHARE = 4


class _Fifo:
    """Entries with their sizes in bytes, the oldest dropped first beyond a budget (call under a lock)."""

    def __init__(self):
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.bytes = 0

    def keep(self, key: tuple, value, size: int, budget: int) -> None:
        """Keep `value` under `key` (replacing what was there), then drop the oldest beyond `budget`."""
        before = self.entries.pop(key, None)
        self.bytes += size - (before[1] if before is not None else 0)
        self.entries[key] = (value, size)
        while self.bytes > budget:
            _, (_, oldest) = self.entries.popitem(last=False)
            self.bytes -= oldest

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = 0


class PageCache:
    """Encoded pages (and lists of versions) by key, first in first out within a byte budget; thread-safe.

    The entries of this process come first; behind them, the shared cache
    (`SYNCAPI["PAGE_CACHE_SHARED"]`, see `syncapi.shared_pages`), where one
    process finds what another one stored, or what it stored before a restart.
    """

    def __init__(self, max_bytes: int | None = None):
        self._max_bytes = max_bytes
        self._pages = _Fifo()  # named by what they hold: never replaced
        self._latest = _Fifo()  # the last list set under a key (`set_latest`)
        self._lock = threading.Lock()

    @property
    def max_bytes(self) -> int:
        return sync_settings.PAGE_CACHE_BYTES if self._max_bytes is None else self._max_bytes

    def get(self, key: tuple):
        entry = self._pages.entries.get(key)
        if entry is not None:
            return entry[0]
        value = shared_pages.get(key)
        if type(value) is bytes:  # a page, stored as its JSON alone: its key ends with its rows' versions
            value = EncodedRecords(value, len(key[-1]))
        if value is not None:
            self._keep(key, value, _size(value))
        return value

    def put(self, key: tuple, value: EncodedRecords | list[int]) -> None:
        size = _size(value)
        if size <= self.max_bytes and self._keep(key, value, size):
            shared_pages.put(key, value)

    def latest(self, key: tuple, *, shared: bool = True) -> list[int] | None:
        """The list last set under `key` (by this process, else, if `shared`, by any), unlike
        entries named by what they hold: the last plan of a download, the last versions of a range."""
        entry = self._latest.entries.get(key)
        if entry is not None:
            return entry[0]
        return shared_pages.get(("latest", *key)) if shared else None

    def set_latest(self, key: tuple, value: list[int], *, shared: bool = True) -> None:
        """Set the list under `key`, for this process and (if `shared`) for every process."""
        size, budget = _size(value), self.max_bytes // LATEST_SHARE
        entry = self._latest.entries.get(key)
        if size > budget or (entry is not None and entry[0] == value):
            return
        with self._lock:
            self._latest.keep(key, value, size, budget)
        if shared:
            shared_pages.put(("latest", *key), value)

    def _keep(self, key: tuple, value, size: int) -> bool:
        """Keep `value` in this process; False if it was there already."""
        with self._lock:
            if key in self._pages.entries:
                return False
            self._pages.keep(key, value, size, self.max_bytes)
        return True

    def clear(self, *, shared: bool = True) -> None:
        """Forget every entry of this process and (unless `shared` is False) of the shared cache."""
        with self._lock:
            self._pages.clear()
            self._latest.clear()
        if shared:
            shared_pages.clear()

    def __len__(self) -> int:
        """How many pages this process keeps (lists of versions aside)."""
        return sum(isinstance(value, EncodedRecords) for value, _ in list(self._pages.entries.values()))


def _size(value: EncodedRecords | list[int]) -> int:
    """Bytes an entry counts for: a page's JSON, or about what a list of versions takes."""
    return len(value.json) if isinstance(value, EncodedRecords) else 64 + 36 * len(value)


page_cache = PageCache()


def page_space(collection: Collection, epoch: str) -> tuple | None:
    """The part of a page's key naming its collection and database; None if pages are not kept."""
    if not epoch or page_cache.max_bytes <= 0:
        return None
    return (collection.model._default_manager.db, epoch, collection.name)


def collection_state(collection: Collection, user) -> tuple:
    """What names the rows of `collection` that `user` may read, in the caller's snapshot.

    The reader (in a user scope: whose rows), and the newest version among the
    collection's rows and among its tombstones: any committed write to it moves
    one of them (see the module's docstring). Two index lookups.
    """
    manager = collection.model._default_manager
    newest_row = manager.aggregate(v=Max("version"))["v"] or 0
    deletes = Tombstone.objects.using(manager.db).filter(collection=collection.name)
    newest_delete = deletes.aggregate(v=Max("version"))["v"] or 0
    return (user.pk if collection.is_user_scoped else None, newest_row, newest_delete)


def remembered(key: tuple | None, read: Callable[[], list[int]]) -> list[int]:
    """`read()`, kept under `key`, which must name the collection's state; None: not kept."""
    if key is None:
        return read()
    versions = page_cache.get(key)
    if versions is None:
        versions = read()
        page_cache.put(key, versions)
    return versions


def page_versions(queryset: QuerySet, limit: int | None = None) -> list[int]:
    """The versions of the first `limit` rows of an ordered `queryset`."""
    versions = queryset.values_list("version", flat=True)
    return [row[0] for row in fetch_rows(versions[:limit] if limit is not None else versions)]


def page_records(
    collection: Collection, queryset: QuerySet, versions: list[int], space: tuple, latest: tuple | None = None
) -> EncodedRecords | list[dict]:
    """The records of the rows of `queryset` up to the last of `versions` (which are theirs).

    `queryset` is a fresh page's: visible rows only, ordered by version, in the
    snapshot `versions` were read in. `space` is (alias, epoch, collection).
    `latest`, for a planned range: the key under which the range's last
    versions are kept. A range only ever loses rows (see
    `syncapi.selectors._cuts`), so when some of its rows changed since, its
    page is the last one without their records, cut out of the stored JSON.
    """
    if not versions:
        return []
    key = (*space, tuple(versions))
    page = page_cache.get(key)
    if page is None and latest is not None:
        page = _without_the_changed(space, page_cache.latest(latest, shared=False), versions)
        if page is not None:
            page_cache.put(key, page)
    if page is None:
        upserts = visible_records(collection, queryset.filter(version__lte=versions[-1]))
        if len(upserts) != len(versions):  # not the rows the versions were read from: do not keep
            return upserts
        page = EncodedRecords(dumps(upserts), len(upserts))
        page_cache.put(key, page)
    if latest is not None:  # per process: a write per page would cost a first download more than it saves
        page_cache.set_latest(latest, versions, shared=False)
    return page


def _without_the_changed(space: tuple, before: list[int] | None, versions: list[int]) -> EncodedRecords | None:
    """The page of the rows `versions`, from the stored page of `before` if they are some of its rows."""
    if not before:
        return None
    keep = set(versions)
    if not keep.issubset(before):
        return None
    page = page_cache.get((*space, tuple(before)))
    return page and records_subset(page, keep)
