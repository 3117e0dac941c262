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

Bounded by `SYNCAPI["PAGE_CACHE_BYTES"]` (0 turns it off); the oldest pages
go first. Each process has its own, emptied when it restarts.
"""

import threading
from collections import OrderedDict

from django.db.models import QuerySet

from syncapi.conf import sync_settings
from syncapi.registry import Collection
from syncapi.serialization import EncodedRecords, dumps, fetch_rows, visible_records


class PageCache:
    """Encoded pages by key, first in first out within a byte budget; thread-safe."""

    def __init__(self, max_bytes: int | None = None):
        self._max_bytes = max_bytes
        self._pages: OrderedDict[tuple, EncodedRecords] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def max_bytes(self) -> int:
        return sync_settings.PAGE_CACHE_BYTES if self._max_bytes is None else self._max_bytes

    def get(self, key: tuple) -> EncodedRecords | None:
        return self._pages.get(key)

    def put(self, key: tuple, page: EncodedRecords) -> None:
        size, budget = len(page.json), self.max_bytes
        if size > budget:
            return
        with self._lock:
            if key in self._pages:
                return
            self._pages[key] = page
            self._bytes += size
            while self._bytes > budget:
                _, oldest = self._pages.popitem(last=False)
                self._bytes -= len(oldest.json)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)


page_cache = PageCache()


def page_space(collection: Collection, epoch: str) -> tuple | None:
    """The part of a page's key naming its collection and database; None if pages are not kept."""
    if not epoch or page_cache.max_bytes <= 0:
        return None
    return (collection.model._default_manager.db, epoch, collection.name)


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
