"""The SYNCAPI settings with their defaults, read as `sync_settings.NAME`."""

from django.conf import settings

DEFAULTS = {
    # Tombstones older than this are purged by `purge_tombstones`; a cursor
    # from before the purge horizon is answered with `reset`.
    "TOMBSTONE_RETENTION_DAYS": 30,
    # PROTOCOL.md requires at least 5000 to be accepted; larger limits are
    # clamped so one request cannot hold a worker for long.
    "MAX_PAGE_SIZE": 5000,
    # A push is one transaction: these bound how long it holds the write lock.
    "MAX_PUSH_MUTATIONS": 1000,
    "MAX_PUSH_BYTES": 2 * 1024 * 1024,
    "TOKEN_TTL_DAYS": 30,
    # Each server process keeps the encoded records of first-download pages
    # up to this many bytes (a 100,000-product catalogue is about 40 MB);
    # 0 turns it off. See syncapi.page_cache.
    "PAGE_CACHE_BYTES": 64 * 1024 * 1024,
    # The alias of a Django cache that every server process shares, behind
    # each one's own pages (None: none). See syncapi.shared_pages.
    "PAGE_CACHE_SHARED": None,
}


class SyncSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown SYNCAPI setting {name!r}")
        return getattr(settings, "SYNCAPI", {}).get(name, DEFAULTS[name])


sync_settings = SyncSettings()
