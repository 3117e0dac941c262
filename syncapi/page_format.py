"""The byte layout of a pulled page: the server's one owner of it.

Described in docs/protocol-notes.md ("Page layout");
`frontend/static/frontend/js/sync/page-format.js` is the client's owner, and
both sides test against the golden fixture `tests/fixtures/page.json`.

A page is plain JSON (PROTOCOL.md). Its layout lets a client read it without
decoding every record: members in the order of `MEMBERS` (`upserts` before
`deletes`, the small members last), each record's `id` then `version` first
(`RECORD_HEAD`), no whitespace, and the number of upserts in the
`Sync-Upserts` header.
"""

from django.http import HttpResponse

from syncapi.registry import Collection
from syncapi.serialization import dumps

# Response header of a pulled page: how many records `upserts` holds (an extension).
UPSERTS_HEADER = "Sync-Upserts"

# A page's members, in the order they are written.
MEMBERS = ("collection", "upserts", "deletes", "cursor", "has_more", "reset")

# The first names of every record, in this order; the collection's fields follow.
RECORD_HEAD = ("id", "version")


def page_body(
    *, collection: str, upserts: list[dict], deletes: list[str], cursor: str, has_more: bool, reset: bool
) -> bytes:
    """A page's JSON bytes in the layout; each record in `upserts` must start with `RECORD_HEAD`."""
    return dumps({
        "collection": collection, "upserts": upserts, "deletes": deletes,
        "cursor": cursor, "has_more": has_more, "reset": reset,
    })  # fmt: skip


def page_response(**page) -> HttpResponse:
    """A page as a response (`page_body`'s arguments), with its `Sync-Upserts` header."""
    response = HttpResponse(page_body(**page), content_type="application/json")
    response[UPSERTS_HEADER] = str(len(page["upserts"]))
    return response


def _names(collection: Collection) -> tuple[str, ...]:
    return (*RECORD_HEAD, *collection.fields)


def record_dict(collection: Collection, row: tuple) -> dict:
    """One `record_values` row as its wire record."""
    return dict(zip(_names(collection), row))  # noqa: B905 (a trailing visibility flag is not a field)


def split_page(collection: Collection, page: list) -> tuple[list[dict], list[str]]:
    """A page of rows (tuples) and deleted ids (strings) as (upserts, deletes), in the page's order.

    Rows the reader may not see (visibility flag 0) become deletes.
    """
    names, flagged = _names(collection), collection.visible is not None
    upserts = [dict(zip(names, item)) for item in page if type(item) is tuple and (not flagged or item[-1])]  # noqa: B905
    deletes = [
        item if type(item) is str else item[0] for item in page if type(item) is str or (flagged and not item[-1])
    ]
    return upserts, deletes
