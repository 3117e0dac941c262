"""The registry of synced collections, filled by each app's `sync.py`.

Modelled on `django.contrib.admin.sites.AdminSite`: apps register their
models; syncapi serves whatever is registered and imports no app's models.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

from syncapi.models import SyncedModel

SCOPES = ("global", "user")
WRITABLE = ("none", "staff", "owner")
CONFLICT_POLICIES = ("client_wins", "server_wins", "merge")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Collection:
    """One synced collection: which model, which fields, who may write it."""

    name: str
    model: type[models.Model]
    # Wire field name -> model field attname ("category_id": "category_id"), or a
    # query expression computing the wire value in the database.
    fields: Mapping[str, Any]
    scope: str = "global"
    owner_field: str | None = None
    visible: models.Q | None = None
    writable: str = "none"
    conflict_policy: str | None = None
    # DRF serializer validating pushed `data` and saving it (None: read-only).
    write_serializer: type | None = None
    # Wire field names: the list order a client shows, published in the configuration; a
    # snapshot's records come in it (each field as lower-cased text, then the id).
    order: Sequence[str] = ()
    # Wire fields holding picture URLs a client may keep offline (docs/protocol-notes.md); the first
    # is the one it fetches ahead of use when told to keep all pictures (a list's thumbnail).
    image_fields: Sequence[str] = ()
    # (wire field, collection): each record keeps the pictures of the record that field points to, fetched
    # ahead of use when the configuration's offline_images is "favourites" (a favourite, its product).
    keeps_images_of: tuple[str, str] | None = None
    # A push may store plain updates of existing records in bulk (syncapi.push_plan): only if the model's
    # save() and signal receivers do nothing for the fields the write serializer accepts, and its validation
    # reads other records only through database constraints (docs/registering-models.md).
    bulk_updates: bool = False

    @property
    def is_user_scoped(self) -> bool:
        return self.scope == "user"

    def queryset_for(self, user) -> models.QuerySet:
        """The records `user` may see: all of them, or their own in a user scope."""
        queryset = self.model._default_manager.all()
        if self.is_user_scoped:
            queryset = queryset.filter(**{self.owner_field: user})
        return queryset

    def order_key(self, names: Sequence[str]) -> Callable[[tuple], tuple]:
        """The sort key of a row with the wire names `names` in `order` (see docs/protocol-notes.md)."""
        at = [names.index(field) for field in self.order]
        return lambda row: (*("" if row[i] is None else str(row[i]).lower() for i in at), row[0])

    def describe(self) -> dict:
        described = {
            "scope": self.scope,
            "writable": self.writable,
            "conflict_policy": self.conflict_policy,
            "snapshot": not self.is_user_scoped,  # see syncapi.snapshots
        }
        if self.order:
            described["order"] = list(self.order)
        if self.image_fields:
            described["image_fields"] = list(self.image_fields)
        if self.keeps_images_of:
            field, collection = self.keeps_images_of
            described["keeps_images_of"] = {"field": field, "collection": collection}
        return described


class SyncRegistry:
    def __init__(self):
        self._collections: dict[str, Collection] = {}
        self._units: dict[str, list[str]] = {}

    def register(self, name: str, model: type[models.Model], **options) -> Collection:
        """Make `model` syncable as collection `name`. Fails loudly on mistakes."""
        collection = Collection(name=name, model=model, **options)
        _validate(collection)
        if name in self._collections:
            raise ImproperlyConfigured(f"Sync collection {name!r} is registered twice.")
        if any(c.model is model for c in self._collections.values()):
            raise ImproperlyConfigured(f"{model.__name__} is already registered as a sync collection.")
        self._collections[name] = collection
        return collection

    def register_unit(self, name: str, collections: list[str]) -> None:
        """Name a group of collections that clients sync together."""
        if name == "all":
            raise ImproperlyConfigured('The unit "all" is built in: it holds every collection.')
        self._units[name] = list(collections)

    def get(self, name: str) -> Collection | None:
        return self._collections.get(name)

    def collections(self) -> list[Collection]:
        return list(self._collections.values())

    def units(self) -> dict[str, list[str]]:
        for c in self._collections.values():
            if c.keeps_images_of and c.keeps_images_of[1] not in self._collections:
                raise ImproperlyConfigured(f"Sync collection {c.name!r} keeps images of an unknown collection.")
        for unit, names in self._units.items():
            unknown = [n for n in names if n not in self._collections]
            if unknown:
                raise ImproperlyConfigured(f"Sync unit {unit!r} names unknown collections {unknown}.")
        return {"all": list(self._collections), **self._units}


def _validate(c: Collection) -> None:
    where = f"Sync collection {c.name!r}"
    if not _NAME.match(c.name):
        raise ImproperlyConfigured(f"{where}: names are lowercase letters, digits and underscores.")
    if not issubclass(c.model, SyncedModel):
        raise ImproperlyConfigured(f"{where}: {c.model.__name__} must inherit syncapi.models.SyncedModel.")
    if c.scope not in SCOPES:
        raise ImproperlyConfigured(f"{where}: scope must be one of {SCOPES}.")
    if c.writable not in WRITABLE:
        raise ImproperlyConfigured(f"{where}: writable must be one of {WRITABLE}.")
    if c.scope == "user" and not c.owner_field:
        raise ImproperlyConfigured(f"{where}: a user-scoped collection needs owner_field.")
    if c.writable == "owner" and c.scope != "user":
        raise ImproperlyConfigured(f'{where}: writable="owner" needs scope="user".')
    if c.writable != "none":
        if c.conflict_policy not in CONFLICT_POLICIES:
            raise ImproperlyConfigured(f"{where}: conflict_policy must be one of {CONFLICT_POLICIES}.")
        if c.write_serializer is None:
            raise ImproperlyConfigured(f"{where}: a writable collection needs write_serializer.")
    reserved = {"id", "version"} & set(c.fields)
    if reserved:
        raise ImproperlyConfigured(f"{where}: {sorted(reserved)} are added by syncapi; do not list them.")
    attnames = {f.attname for f in c.model._meta.concrete_fields}
    for wire, attname in c.fields.items():
        if isinstance(attname, str) and attname not in attnames:
            raise ImproperlyConfigured(f"{where}: field {wire!r} maps to {attname!r}, not a column of the model.")
    for option in ("order", "image_fields"):
        names = getattr(c, option)
        if isinstance(names, str) or not all(isinstance(field, str) for field in names):
            raise ImproperlyConfigured(f"{where}: {option} must be a sequence of wire field names.")
        unknown = [field for field in names if field not in c.fields]
        if unknown:
            raise ImproperlyConfigured(f"{where}: {option} names {unknown}, not fields of the collection.")
    if c.keeps_images_of is not None and (len(c.keeps_images_of) != 2 or c.keeps_images_of[0] not in c.fields):
        raise ImproperlyConfigured(f"{where}: keeps_images_of is (one of its wire fields, a collection's name).")
    if c.owner_field:
        try:
            c.model._meta.get_field(c.owner_field)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(f"{where}: owner_field {c.owner_field!r} does not exist.") from exc


registry = SyncRegistry()
register = registry.register
register_unit = registry.register_unit


def built_for(cache: dict, key, collection: Collection, build: Callable[[], Any]) -> Any:
    """`build()`'s result, made once per `key` and kept in `cache` while `collection` is the one it was
    made for: a collection registered anew (other fields, other visibility) gets it made again."""
    known = cache.get(key)
    if known is None or known[0] is not collection:
        known = cache[key] = (collection, build())
    return known[1]
