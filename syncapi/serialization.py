"""Records on the wire: a collection's rows as wire values, and fast JSON.

The pull path builds records from `values_list()` tuples of wire values (see
`syncapi.wire`) and encodes them with orjson: no per-row serializer objects and
no per-value conversions, so it stays close to raw SQL speed.
"""

from decimal import Decimal

import orjson
from django.db import connections
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import HttpResponse

from syncapi.registry import Collection
from syncapi.wire import wire_column


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
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
