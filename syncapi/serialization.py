"""Records on the wire: a collection's rows as plain dicts, and fast JSON.

The pull path builds records from `values_list()` tuples and encodes them with
orjson: no per-row serializer objects, so it stays close to raw SQL speed.
"""

from decimal import Decimal

import orjson
from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.http import HttpResponse

from syncapi.registry import Collection

_VISIBLE = "_sync_visible"


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"Cannot encode {type(value).__name__} as JSON")


def dumps(payload) -> bytes:
    return orjson.dumps(payload, default=_default)


def json_response(payload, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps(payload), status=status, content_type="application/json")


def record_values(collection: Collection, queryset: QuerySet) -> QuerySet:
    """`queryset` as tuples: (id, version, visible, *wire fields)."""
    visible = ExpressionWrapper(collection.visible, output_field=BooleanField()) if collection.visible else None
    if visible is not None:
        queryset = queryset.annotate(**{_VISIBLE: visible})
    extra = [_VISIBLE] if visible is not None else []
    return queryset.values_list("pk", "version", *extra, *collection.fields.values())


class RowEncoder:
    """Turns the tuples of `record_values` into (id, visible, record dict)."""

    def __init__(self, collection: Collection):
        self.names = ("id", "version", *collection.fields)
        self.has_visible = collection.visible is not None
        self.stringify_id = collection.model._meta.pk.get_internal_type() != "UUIDField"
        self.transforms = [(name, fn) for name, fn in collection.transforms.items()]

    def __call__(self, row: tuple) -> tuple[object, bool, dict]:
        if self.has_visible:
            visible = bool(row[2])
            row = row[:2] + row[3:]
        else:
            visible = True
        record = dict(zip(self.names, row, strict=True))
        if self.stringify_id:
            record["id"] = str(record["id"])
        for name, fn in self.transforms:
            record[name] = fn(record[name])
        return record["id"], visible, record
