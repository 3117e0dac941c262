"""The page cache's second level: entries shared by every server process, through a Django cache.

Each server process keeps its own pages in memory (`syncapi.page_cache`), so
with several gunicorn workers each one read and encoded the catalogue once
for itself, and a restart lost them all. Behind that, pages and lists of
versions are also stored in the Django cache named by
`SYNCAPI["PAGE_CACHE_SHARED"]` (None: none): a worker then finds a page
another one encoded, and, with a cache that outlives the processes (the
project's default is diskcache's, on local disk), the first device after a
restart finds the pages of the one before.

Sharing is safe for the same reason the cache is: a key names the database
(alias and epoch), the collection and the versions of the rows, and a
committed version names one state of one row, in every process. Keys are
hashed (sha256 of the key's repr), so any cache backend takes them. A page
is stored as its JSON bytes alone (diskcache writes bytes unpickled): its
count is that of the versions its key ends with. The "latest" lists (a
collection's last plan) are shared too; a range's last versions are not: a
write per page would cost a first download more than it saves. The cache
is only a cache: should it fail, the page is read and encoded as if it were
not there, and the failure is logged.
"""

import hashlib
import logging

from django.core.cache import caches

from syncapi.conf import sync_settings
from syncapi.serialization import EncodedRecords

logger = logging.getLogger(__name__)


def _cache():
    alias = sync_settings.PAGE_CACHE_SHARED
    return caches[alias] if alias else None


def _digest(key: tuple) -> str:
    return "syncapi-page:" + hashlib.sha256(repr(key).encode()).hexdigest()


def get(key: tuple) -> bytes | list[int] | None:
    """The entry stored under `key` by any process (a page as its JSON alone: bytes, stored
    as they are, unpickled); None if none (or no shared cache)."""
    cache = _cache()
    if cache is None:
        return None
    try:
        stored = cache.get(_digest(key))
    except Exception:
        logger.warning("The shared page cache could not be read", exc_info=True)
        return None
    return stored


def put(key: tuple, value: EncodedRecords | list[int]) -> None:
    """Store `value` under `key` for every process (nothing if there is no shared cache)."""
    cache = _cache()
    if cache is None:
        return
    stored = value.json if isinstance(value, EncodedRecords) else value
    try:
        cache.set(_digest(key), stored, timeout=None)
    except Exception:
        logger.warning("The shared page cache could not be written", exc_info=True)


def clear() -> None:
    cache = _cache()
    if cache is not None:
        cache.clear()
