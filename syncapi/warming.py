"""Warming the page cache: a catalogue's first download made ahead of its first device.

Only the first device to download a collection after it was loaded pays for
reading and encoding its records (about 0.9 s of server CPU per 100,000
products); every later device is answered from the page cache
(`syncapi.page_cache`). `first_downloads_warm` makes that first download on
the server itself, as the app makes it — the first page with its plan
(`parallel`), then each planned range, in pages of the largest size the
server answers (what a first download asks for: the app asks 5,000, which
every server must answer) — so that the pages are in the shared cache
before any device asks (`manage.py warm_sync_pages`; `make run` runs it).
It only reads.

Collections in a user scope are left out: their pages are each user's own,
and small.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from syncapi.conf import sync_settings
from syncapi.page_cache import page_cache
from syncapi.registry import registry
from syncapi.selectors import changes_since


@dataclass(frozen=True)
class Warmed:
    collection: str
    pages: int
    records: int


def first_downloads_warm(*, limit: int | None = None) -> list[Warmed]:
    """Make the first download of every shared collection in pages of `limit` records (default:
    the largest the server answers), so that its pages are kept; what was read, per collection.
    Nothing, with the page cache turned off (`PAGE_CACHE_BYTES` 0)."""
    if page_cache.max_bytes <= 0:
        return []
    limit = min(limit or sync_settings.MAX_PAGE_SIZE, sync_settings.MAX_PAGE_SIZE)
    warmed = []
    for collection in registry.collections():
        if collection.is_user_scoped:
            continue
        first = changes_since(collection=collection, cursor=None, limit=limit, user=AnonymousUser(), parallel=True)
        pages = [first]
        # The last planned cursor is the tail's, an ordinary one: such pages are not kept.
        for cursor in first.parallel_cursors[:-1]:
            pages.append(changes_since(collection=collection, cursor=cursor, limit=limit, user=AnonymousUser()))
        warmed.append(Warmed(collection.name, len(pages), sum(len(page.upserts) for page in pages)))
    return warmed
