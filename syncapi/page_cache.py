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

from syncapi.conf import sync_settings
from syncapi.models import Tombstone
from syncapi.registry import Collection
from syncapi.serialization import EncodedRecords, dumps, fetch_rows, visible_records


class PageCache:
    """Encoded pages (and lists of versions) by key, first in first out within a byte budget; thread-safe."""

    def __init__(self, max_bytes: int | None = None):
        self._max_bytes = max_bytes
        self._pages: OrderedDict[tuple, EncodedRecords] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def max_bytes(self) -> int:
        return sync_settings.PAGE_CACHE_BYTES if self._max_bytes is None else self._max_bytes

    def get(self, key: tuple):
        entry = self._pages.get(key)
        return entry[0] if entry is not None else None

    def put(self, key: tuple, value: EncodedRecords | list[int]) -> None:
        size, budget = _size(value), self.max_bytes
        if size > budget:
            return
        with self._lock:
            if key in self._pages:
                return
            self._pages[key] = (value, size)
            self._bytes += size
            while self._bytes > budget:
                _, (_, oldest) = self._pages.popitem(last=False)
                self._bytes -= oldest

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def __len__(self) -> int:
        """How many pages it keeps (lists of versions aside)."""
        return sum(isinstance(value, EncodedRecords) for value, _ in list(self._pages.values()))


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
    collection: Collection, queryset: QuerySet, versions: list[int], space: tuple
) -> EncodedRecords | list[dict]:
    """The records of the rows of `queryset` up to the last of `versions` (which are theirs).

    `queryset` is a fresh page's: visible rows only, ordered by version, in the
    snapshot `versions` were read in. `space` is (alias, epoch, collection).
    """
    if not versions:
        return []
    key = (*space, tuple(versions))
    page = page_cache.get(key)
    if page is None:
        upserts = visible_records(collection, queryset.filter(version__lte=versions[-1]))
        if len(upserts) != len(versions):  # not the rows the versions were read from: do not keep
            return upserts
        page = EncodedRecords(dumps(upserts), len(upserts))
        page_cache.put(key, page)
    return page
