"""Column expressions that make the database return wire values (text) directly.

Django turns UUIDs, datetimes and decimals into Python objects row by row, and
orjson then turns them back into text; on SQLite that conversion costs more
than the query. For those types the pull path asks the database for the wire
text itself, so a page is fetched as ready-to-encode strings. Other types are
left to Django's usual conversion.
"""

from django.db import models
from django.db.models import F, Func
from django.db.models.functions import Cast

_TEXT = models.TextField()


class _Sql(Func):
    """One column wrapped in a fixed SQL template; NULL stays NULL."""

    output_field = _TEXT

    def __init__(self, column, template: str):
        super().__init__(column, template=template)


_SQLITE_UUID = (
    "lower("
    + " || '-' || ".join(
        f"substr(%(expressions)s, {start}, {length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    )
    + ")"
)


def _target(field: models.Field) -> models.Field:
    """The field whose values a column holds (a foreign key holds its target's)."""
    return field.target_field if field.is_relation and field.many_to_one else field


def _sqlite(field: models.Field, column: F):
    target = _target(field)
    kind = target.get_internal_type()
    if kind == "UUIDField":  # 32 hex digits on disk; the wire form has hyphens
        return _Sql(column, _SQLITE_UUID)
    if kind == "DateTimeField":  # stored as UTC "YYYY-MM-DD HH:MM:SS[.ffffff]"
        return _Sql(column, "(replace(%(expressions)s, ' ', 'T') || '+00:00')")
    if kind == "DecimalField":  # stored as a number; the wire keeps the field's decimal places
        places = int(target.decimal_places)
        return _Sql(
            column, f"(CASE WHEN %(expressions)s IS NULL THEN NULL ELSE printf('%%%%.{places}f', %(expressions)s) END)"
        )
    return None


def _postgresql(field: models.Field, column: F):
    kind = _target(field).get_internal_type()
    if kind in ("UUIDField", "DecimalField"):  # numeric keeps its scale: 12.50 -> '12.50'
        return _Sql(column, "(%(expressions)s)::text")
    if kind == "DateTimeField":
        return _Sql(
            column, """(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00')"""
        )
    return None


_BY_VENDOR = {"sqlite": _sqlite, "postgresql": _postgresql}


def wire_column(model: type[models.Model], attname: str, vendor: str):
    """An expression selecting `attname` of `model` as its wire value."""
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    column = F(attname)
    convert = _BY_VENDOR.get(vendor)
    expression = convert(field, column) if convert else None
    if expression is not None:
        return expression
    if field.primary_key:
        return Cast(column, _TEXT)  # ids are strings on the wire
    return column
