"""What a snapshot's records depend on besides the rows: the registration and the format.

A deploy that adds a field to a registration, changes a computed field (an
image URL built from MEDIA_URL) or changes the part format gives its
collection a new fingerprint, so a snapshot built before it is no longer
offered, whatever `schema_version` says.
"""

import hashlib

from django.db import connections
from django.db.models import QuerySet

from syncapi.registry import Collection
from syncapi.serialization import record_values
from syncapi.snapshots.format import FORMAT


def snapshot_rows(collection: Collection, using: str) -> QuerySet:
    """The query a snapshot reads: the wire values of every visible row."""
    queryset = collection.model._default_manager.using(using).all()
    if collection.visible is not None:
        queryset = queryset.filter(collection.visible)
    return record_values(collection, queryset)


def fingerprint(collection: Collection, using: str) -> str:
    """sha256 of the part format, the wire field names and the compiled SQL (with its parameters)."""
    sql, params = snapshot_rows(collection, using).query.get_compiler(using).as_sql()
    vendor = connections[using].vendor
    text = repr((FORMAT, collection.name, list(collection.fields), vendor, sql, [repr(p) for p in params]))
    return hashlib.sha256(text.encode()).hexdigest()
