"""The SYNCAPI settings with their defaults, read as `sync_settings.NAME`."""

from django.conf import settings

DEFAULTS = {
    # Tombstones older than this are purged by `purge_tombstones`; a cursor
    # from before the purge horizon is answered with `reset`.
    "TOMBSTONE_RETENTION_DAYS": 30,
    # PROTOCOL.md requires at least 5000 to be accepted; larger limits are
    # clamped so one request cannot hold a worker for long.
    "MAX_PAGE_SIZE": 5000,
    # What one push may carry: these bound the work of one request.
    "MAX_PUSH_MUTATIONS": 1000,
    "MAX_PUSH_BYTES": 2 * 1024 * 1024,
    # A push commits what it has applied and lets other writers in once it has held the writers'
    # lock this long (at the end of a mutation or group; a group is never split): syncapi.push.
    "PUSH_LOCK_SLICE_MS": 50.0,
    "TOKEN_TTL_DAYS": 30,
    # The CACHES alias that keeps live tokens between requests: a cache every server process shares
    # (Redis), or None to read each request's token from the database. Never one process's memory:
    # a token revoked through one process must be refused by all of them at once.
    "TOKEN_CACHE": None,
    # Seconds a live token stays cached; revocation, expiry and changes to its user take effect at
    # once (syncapi.tokens), this bounds only changes made behind Django's back (a queryset update).
    "TOKEN_CACHE_SECONDS": 60,
    # Snapshots (syncapi.snapshots): the STORAGES alias of their files,
    "SNAPSHOT_STORAGE": "sync-snapshots",
    # records per part (a part is parsed in one task by the app: 5,000 is about 10 ms),
    "SNAPSHOT_PART_RECORDS": 5000,
    # a rebuild once this many changes (rows and deletes) came after the offered one's version,
    "SNAPSHOT_REBUILD_CHANGES": 1000,
    # or once it is this old (a tombstone purge never passes an offered snapshot's version),
    "SNAPSHOT_MAX_AGE_HOURS": 24,
    # the files of a retired snapshot stay this long, for devices still downloading it,
    "SNAPSHOT_KEEP_RETIRED_HOURS": 24,
    # and a serving process starts a rebuild in a background thread when one is due (False: only
    # `manage.py build_snapshots` builds).
    "SNAPSHOT_AUTO_BUILD": True,
}


class SyncSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown SYNCAPI setting {name!r}")
        return getattr(settings, "SYNCAPI", {}).get(name, DEFAULTS[name])


sync_settings = SyncSettings()
