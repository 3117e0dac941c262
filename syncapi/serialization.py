"""Records on the wire: a collection's rows as plain dicts, and fast JSON.

The pull path builds records from `values_list()` tuples of wire values (see
`syncapi.wire`) and encodes them with orjson: no per-row serializer objects and
no per-value conversions, so it stays close to raw SQL speed.
"""

from collections.abc import Sequence
from decimal import Decimal

import orjson
from django.db import connections
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import HttpResponse

from syncapi.registry import Collection
from syncapi.wire import wire_column


class EncodedRecords(Sequence):
    """A page's records as the JSON array they are sent as; decoded only if read."""

    __slots__ = ("json", "_count", "_records")

    def __init__(self, json: bytes, count: int):
        self.json = json
        self._count = count
        self._records = None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if self._records is None:
            self._records = orjson.loads(self.json)
        return self._records[index]

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"<EncodedRecords: {self._count} records, {len(self.json)} bytes>"


# How a page's records are laid out: `dumps` of record dicts, each with "id" first.
_FIRST = b'[{"id":'
_BETWEEN = b'},{"id":'
_VERSION = b',"version":'


def records_subset(page: EncodedRecords, versions: set[int]) -> EncodedRecords | None:
    """The records of `page` whose versions are in `versions`, in the page's order, as JSON cut
    out of the page's own; None if the page is not laid out as this module writes records.

    Each record starts with "id" then "version" (`record_dict`): a record's
    JSON begins `{"id":`, which a JSON string cannot hold (its quotes would be
    escaped); a record holding such an object in a field is caught by the count.
    """
    json = page.json
    if not (json.startswith(_FIRST) and json.endswith(b"}]")):
        return None
    parts = json[len(_FIRST) : -2].split(_BETWEEN)
    if len(parts) != len(page):
        return None
    kept = []
    for part in parts:
        at = part.find(_VERSION)
        if at < 0:
            return None
        at += len(_VERSION)
        end = part.find(b",", at)
        version = part[at : end if end >= 0 else None]
        if not version.isdigit():
            return None
        if int(version) in versions:
            kept.append(part)
    if len(kept) != len(versions):
        return None
    return EncodedRecords(_FIRST + _BETWEEN.join(kept) + b"}]", len(kept))


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, EncodedRecords):
        return orjson.Fragment(value.json)
    raise TypeError(f"Cannot encode {type(value).__name__} as JSON")


def dumps(payload) -> bytes:
    return orjson.dumps(payload, default=_default)


def json_response(payload, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps(payload), status=status, content_type="application/json")


def record_values(collection: Collection, queryset: QuerySet) -> QuerySet:
    """`queryset` as tuples of wire values: (id, version, *fields, visible?)."""
    model, vendor = collection.model, connections[queryset.db].vendor
    columns = [wire_column(model, model._meta.pk.attname, vendor), F("version")]
    columns += [
        wire_column(model, source, vendor) if isinstance(source, str) else source
        for source in collection.fields.values()
    ]
    if collection.visible is not None:
        columns.append(Case(When(collection.visible, then=Value(1)), default=Value(0), output_field=IntegerField()))
    return queryset.values_list(*columns)


def fetch_rows(queryset: QuerySet) -> list[tuple]:
    """All rows of a `record_values` queryset, as the database returns them.

    Every column is already a wire value (see `syncapi.wire`), so Django's
    per-value converters and chunked iteration are skipped: one fetchall.
    """
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _names(collection: Collection) -> tuple[str, ...]:
    return ("id", "version", *collection.fields)


def record_dict(collection: Collection, row: tuple) -> dict:
    """One `record_values` row as its wire record."""
    return dict(zip(_names(collection), row))  # noqa: B905 (a trailing visibility flag is not a field)


def split_page(collection: Collection, page: list, *, ordered: bool = True) -> tuple[list[dict], list[str]]:
    """A page of rows (tuples) and deleted ids (strings) as (upserts, deletes).

    Rows the reader may not see (visibility flag 0) become deletes. Upserts
    come in the collection's `page_order`, if it has one and `ordered`, else
    in the rows' order.
    """
    names, flagged = _names(collection), collection.visible is not None
    upserts = [dict(zip(names, item)) for item in page if type(item) is tuple and (not flagged or item[-1])]  # noqa: B905
    if ordered and collection.page_order is not None:
        upserts.sort(key=collection.page_order)
    deletes = [
        item if type(item) is str else item[0] for item in page if type(item) is str or (flagged and not item[-1])
    ]
    return upserts, deletes


def visible_records(collection: Collection, queryset: QuerySet) -> list[dict]:
    """The wire records of the rows of `queryset` the reader may see (all of a fresh page's)."""
    upserts, _ = split_page(collection, fetch_rows(record_values(collection, queryset)))
    return upserts
