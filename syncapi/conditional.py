"""Conditional pulls: a page's ETag names what it was read from, and a request holding it gets 304.

A page is a function of the request (collection, cursor, limit, reader) and of the collection's
head (`pull_sql.Head`): the database's epoch and tombstone horizon and the collection's high-water
mark, which every write of the collection moves. The ETag is that head (with the reader in a user
scope, and a fingerprint of the collection's fields, which a deploy may change), so a client or a
proxy revalidating a pull it holds is answered `304 Not Modified` from the head alone.
"""

import hashlib

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from syncapi.page_format import MEMBERS, RECORD_HEAD
from syncapi.pull_sql import Head
from syncapi.registry import Collection, built_for

# Collection name -> (the collection, its fingerprint), computed once per registered collection.
_FINGERPRINTS: dict[str, tuple[Collection, str]] = {}


def _fingerprint(collection: Collection) -> str:
    """The collection's wire shape, the same in every server process running the same code."""
    return built_for(_FINGERPRINTS, collection.name, collection, lambda: _shape_hash(collection))


def _shape_hash(collection: Collection) -> str:
    shape = repr((collection.name, MEMBERS, RECORD_HEAD, list(collection.fields.items()), collection.visible))
    return hashlib.sha256(shape.encode()).hexdigest()[:12]


def page_etag(collection: Collection, head: Head, owner: str | None) -> str | None:
    """The strong ETag of any page read from `head` by `owner` (None while the collection has no mark)."""
    if head.mark is None:
        return None
    reader = f".u{owner}" if owner is not None else ""
    return f'"{_fingerprint(collection)}.{head.epoch}.{head.purged_through}.{head.mark}{reader}"'


def not_modified(request: HttpRequest, collection: Collection, etag: str | None) -> HttpResponse | None:
    """A 304 answer if the request's If-None-Match holds `etag`, else None."""
    if etag is None:
        return None
    response = get_conditional_response(request, etag=etag)
    return conditional_headers(response, collection, etag) if response is not None else None


def conditional_headers(response: HttpResponse, collection: Collection, etag: str | None) -> HttpResponse:
    """A pull answer's validator and caching rules: any cache may keep it but must revalidate it
    (`no-cache`); a shared one keeps none of a user's own records (`private`)."""
    if etag is not None:
        response["ETag"] = etag
    patch_cache_control(response, no_cache=True, **({"private": True} if collection.is_user_scoped else {}))
    patch_vary_headers(response, ("Accept-Encoding", "Authorization"))
    return response
