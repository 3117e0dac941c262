"""Applying a client's mutations: idempotent, never blocked, other writers let in between slices.

`mutations_apply` is the only writer behind POST /api/sync/push/. The client's
last mutation id is stored in the same transaction as the mutations' effects,
so a retried request is answered `duplicate` and applies nothing twice. A
push is applied in slices, each a transaction: one ends, at the end of a
mutation or group, once it has held the writers' lock for PUSH_LOCK_SLICE_MS,
so other writers wait for a slice, not for the whole push.
An upsert saved as another record leaves an alias: later mutations naming its
id act on that record. Consecutive mutations sharing a `group` are applied
all or none, and a mutation's `base_version` is the version the record had
before the same request's earlier mutations changed it, unless someone else
changed it since (extensions: docs/protocol-notes.md). A write serializer
refuses a change the user may not make with DRF's PermissionDenied (answered
`forbidden`) and may refuse a delete in `validate_delete(instance)`.
"""

import time
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, groupby, islice
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, serializers

from syncapi.admin_log import SyncChangeLog
from syncapi.conf import sync_settings
from syncapi.errors import MESSAGES
from syncapi.models import RecordAlias, SyncClient, Tombstone
from syncapi.registry import Collection, registry
from syncapi.selectors import record_get
from syncapi.versioning import lock_versions


@dataclass(frozen=True)
class Mutation:
    id: int
    collection: str
    op: str
    record_id: str
    base_version: int | None = None
    data: dict = field(default_factory=dict)
    base: dict | None = None
    group: str | None = None


class _Rejected(Exception):
    def __init__(self, code: str, errors: dict | None = None):
        super().__init__(code)
        self.code = code
        self.errors = errors or {}


class _GroupFailed(Exception):
    """A member of a group was not applied: the group's savepoint rolls every member back."""


@dataclass
class _Push:
    """One request being applied: who sends it, and what its applied mutations changed so far."""

    user: Any
    client_id: str
    log: SyncChangeLog
    fields: "_WritableFields"
    client: SyncClient | None = None  # its row, locked by the slice being applied
    # (collection, pk) -> (its version before this request first changed it, None if the request created
    # it; the version the request's latest change gave it, None if it deleted it).
    changes: dict = field(default_factory=dict)
    # (collection, pk) of ids no mutation of the push has named yet that are nowhere in the database
    # (`_unknown_ids`): a mutation naming one skips `_resolve`'s and `_belongs_to_another_user`'s reads.
    unknown: set = field(default_factory=set)
    lock_taken: float = 0.0  # when the slice being applied took the writers' lock (time.monotonic)

    def base_of(self, collection: Collection, instance) -> int | None:
        """The version a mutation's `base_version` is compared with: the client's own earlier changes
        in this request do not make its later ones stale, unless another writer changed the record
        after them (between two slices)."""
        before, gave = self.changes.get((collection.name, instance.pk), (None, None))
        return before if gave is not None and gave == instance.version else instance.version

    def changed(self, collection: Collection, pk, before: int | None, gave: int | None) -> None:
        """Note an applied change (only once it is applied: a rejected mutation leaves nothing):
        the record's version `before` it and the version it `gave` the record."""
        key = (collection.name, pk)
        self.changes[key] = (self.changes[key][0] if key in self.changes else before, gave)

    def mark(self) -> dict:
        return dict(self.changes)

    def forget_since(self, mark: dict) -> None:
        """Forget the changes noted after `mark` (a group rolled back)."""
        self.changes = mark


def _rejection(code: str, errors: dict | None = None) -> dict:
    return {"status": "rejected", "code": code, "detail": MESSAGES[code], "errors": errors or {}}


def _runs(mutations: list[Mutation]):
    """The request's mutations as runs applied together: a group's (consecutive) members, or one alone."""
    alone = iter(range(len(mutations)))
    for _, run in groupby(mutations, key=lambda m: m.group if m.group is not None else ("alone", next(alone))):
        yield list(run)


def mutations_apply(*, user, client_id, mutations: list[Mutation], device: str = "") -> dict:
    """Apply `mutations` of one client in order, in slices; answer one result per mutation.

    The push's leading plain updates are planned before the writers' lock is
    taken and stored in bulk under it, in the first slice (syncapi.push_plan);
    every other mutation is applied here, one by one. Each applied change is
    also written to the admin's history, with `user` and `device` (admin_log).
    """
    from syncapi.push_plan import leading_apply, plans_make  # it builds on this module's checks

    leading = plans_make(user=user, client_id=client_id, mutations=mutations)
    push = _Push(user=user, client_id=client_id, log=SyncChangeLog(user=user, device=device), fields=_WritableFields())
    runs = deque(_runs(mutations[leading.length :]))
    with _slice(push, runs, _UNKNOWN_WINDOW):
        results = leading_apply(push, mutations[: leading.length], leading.plans)
        applied = _runs_apply(push, runs)
    results += applied
    while runs:
        with _slice(push, runs, max(_UNKNOWN_WINDOW, 2 * len(applied))):  # about what the slice applies
            applied = _runs_apply(push, runs)
        results += applied
    return {"last_mutation_id": push.client.last_mutation_id, "results": results}


# The ids a slice checks in bulk (`_unknown_ids`): at least this many mutations ahead.
_UNKNOWN_WINDOW = 64


@contextmanager
def _slice(push: _Push, runs: deque, window: int):
    """One transaction of the push, holding the writers' lock and the client's row from its start to
    its commit, which stores the client's last mutation id and the slice's history."""
    with transaction.atomic():
        lock_versions()
        push.lock_taken = time.monotonic()
        push.client, _ = SyncClient.objects.select_for_update().get_or_create(user=push.user, client_id=push.client_id)
        push.unknown = _unknown_ids(list(islice(chain.from_iterable(runs), window)))
        yield
        push.log.write()
        push.client.save(update_fields=["last_mutation_id", "last_seen_at"])


def _runs_apply(push: _Push, runs: deque) -> list[dict]:
    """Apply runs from the left of `runs` until none is left or the slice has held the lock long
    enough (checked after each run: a group is never split); their results."""
    results, slice_seconds = [], sync_settings.PUSH_LOCK_SLICE_MS / 1000
    while runs:
        run = runs.popleft()
        if run[0].group is None:
            results.append(_apply_one(push, run[0]))
        else:
            results += _apply_group(push, run)
        if time.monotonic() - push.lock_taken >= slice_seconds:
            break
    return results


def _apply_one(push: _Push, mutation: Mutation, *, savepoint: bool = True) -> dict:
    """Apply one mutation in its own savepoint (a group's member: in its group's); its result."""
    client = push.client
    if mutation.id <= client.last_mutation_id:
        return {"id": mutation.id, "status": "duplicate"}
    client.last_mutation_id = mutation.id
    try:
        with transaction.atomic(savepoint=savepoint):  # a rejected mutation leaves nothing behind
            result = _apply(push, mutation)
        push.log.keep()
    except _Rejected as rejected:
        push.log.drop()
        result = _rejection(rejected.code, rejected.errors)
    return {"id": mutation.id, **result}


def _apply_group(push: _Push, members: list[Mutation]) -> list[dict]:
    """Apply a group's members in order, all or none: the first one rejected or in conflict keeps
    its result, and every other member (but duplicates) is `rejected` with `group_failed`."""
    client = push.client
    results = []
    mark, changes_mark = push.log.mark(), push.mark()
    try:
        with transaction.atomic():
            for mutation in members:
                results.append(_apply_one(push, mutation, savepoint=False))
                if results[-1]["status"] in ("rejected", "conflict"):
                    raise _GroupFailed
    except _GroupFailed:
        push.log.forget_since(mark)
        push.forget_since(changes_mark)
        failed = results[-1]
        if failed["status"] == "conflict" and failed.get("record"):  # as the server holds it after the rollback
            collection = registry.get(members[len(results) - 1].collection)
            failed["record"] = record_get(collection=collection, pk=failed["record"]["id"])
        for mutation in members[len(results) :]:  # never tried: answered now, so a retry is a duplicate
            client.last_mutation_id = max(client.last_mutation_id, mutation.id)
            results.append({"id": mutation.id, "status": "untried"})
        return [
            result
            if result is failed or result["status"] == "duplicate"
            else {"id": result["id"], **_rejection("group_failed")}
            for result in results
        ]
    return results


class _WritableFields(dict):
    """The fields a write serializer accepts, built once per request (DRF builds them per instance)."""

    def of(self, serializer_class, context: dict) -> frozenset:
        if serializer_class not in self:
            self[serializer_class] = frozenset(serializer_class(context=context).fields)
        return self[serializer_class]


def _apply(push: _Push, mutation: Mutation) -> dict:
    user = push.user
    collection = registry.get(mutation.collection)
    if collection is None:
        raise _Rejected("unknown_collection")
    _check_may_write(user, collection)
    named = _parse_pk(collection, mutation.record_id)
    if (collection.name, named) in push.unknown:
        push.unknown.remove((collection.name, named))  # a later mutation naming it reads it again
        pk, instance, alias = named, None, None  # what _resolve finds, and nobody else's
    else:
        pk, instance, alias = _resolve(user, collection, named)
        if instance is None and collection.is_user_scoped and _belongs_to_another_user(collection, pk, user):
            raise _Rejected("forbidden")
    if mutation.op == "delete":
        result = _delete(push, collection, instance, mutation)
    else:
        result = _upsert(push, collection, instance, pk, mutation, alias)
    if pk != named:
        result["record_id"] = str(pk)  # the server's id of the record the client named by its alias
    return result


def _locked(user, collection: Collection, pk):
    return collection.queryset_for(user).select_for_update().filter(pk=pk).order_by().first()


def _resolve(user, collection: Collection, named) -> tuple[Any, Any, RecordAlias | None]:
    """The record a mutation naming `named` acts on: (its pk, the locked row or None, `user`'s alias of `named`).

    An id that an earlier upsert of this user saved as another record stands
    for that record while it lives; once it is gone, the id means itself again.
    """
    instance = _locked(user, collection, named)
    if instance is not None:
        return named, instance, None
    alias = RecordAlias.objects.filter(collection=collection.name, alias_id=str(named), owner=user).first()
    if alias is not None:
        target = _locked(user, collection, collection.model._meta.pk.to_python(alias.record_id))
        if target is not None:
            return target.pk, target, alias
    return named, None, alias


def _belongs_to_another_user(collection: Collection, pk, user) -> bool:
    """True if the id is another user's record, live, deleted or merged into another.

    A deleted one counts too: re-creating it would remove the tombstone its
    owner's devices still have to pull. So does another user's alias: their
    devices still name it.
    """
    if collection.model._default_manager.filter(pk=pk).exists():
        return True
    tombstones = Tombstone.objects.filter(collection=collection.name, record_id=str(pk))
    if tombstones.exclude(owner=str(user.pk)).exists():
        return True
    return RecordAlias.objects.filter(collection=collection.name, alias_id=str(pk)).exclude(owner=user).exists()


def _unknown_ids(mutations: list[Mutation]) -> set[tuple[str, Any]]:
    """The ids `mutations` name that are nowhere in the database: no row, no tombstone, no alias; three
    queries per collection. Read under the writers' lock, so no other writer can change that before
    the slice commits, and within the push a mutation changes what an id is only by naming it: the
    first to name one may take it as new (`_apply`), later ones read it again."""
    collections, named = {}, defaultdict(set)
    for mutation in mutations:
        collection = registry.get(mutation.collection)
        if collection is not None:
            try:
                pk = _parse_pk(collection, mutation.record_id)
            except _Rejected:
                continue  # `_apply` rejects it with its reason
            collections[collection.name] = collection
            named[collection.name].add(pk)
    unknown = set()
    for name, pks in named.items():
        collection = collections[name]
        texts = {str(pk): pk for pk in pks}
        known = set(collection.model._base_manager.filter(pk__in=pks).values_list("pk", flat=True))
        for model, column in ((Tombstone, "record_id"), (RecordAlias, "alias_id")):
            rows = model.objects.filter(collection=collection.name, **{f"{column}__in": list(texts)})
            known |= {texts[text] for text in rows.values_list(column, flat=True)}
        unknown |= {(collection.name, pk) for pk in pks - known}
    return unknown


def _check_may_write(user, collection: Collection) -> None:
    if collection.writable == "none" or (collection.writable == "staff" and not user.is_staff):
        raise _Rejected("forbidden")


def _parse_pk(collection: Collection, record_id: str):
    try:
        return collection.model._meta.pk.to_python(record_id)
    except DjangoValidationError as exc:
        raise _Rejected("invalid", {"record_id": exc.messages}) from exc


def _conflict(collection: Collection, pk) -> dict:
    return {"status": "conflict", "record": record_get(collection=collection, pk=pk)}


def _delete(push: _Push, collection: Collection, instance, mutation: Mutation) -> dict:
    if instance is None:
        return {"status": "applied", "record": None}  # already gone: the end state is what was asked
    if mutation.base_version != push.base_of(collection, instance) and collection.conflict_policy != "client_wins":
        return _conflict(collection, instance.pk)
    serializer = collection.write_serializer(instance, context={"user": push.user, "collection": collection})
    if hasattr(serializer, "validate_delete"):
        _permitted(serializer.validate_delete, instance)
    push.log.record(instance, "deleted")  # before the row goes: the entry names it
    push.changed(collection, instance.pk, instance.version, None)
    instance.delete()
    return {"status": "applied", "record": None}


def _upsert(push: _Push, collection: Collection, instance, pk, mutation: Mutation, alias: RecordAlias | None) -> dict:
    user, log = push.user, push.log
    serializer_class = collection.write_serializer
    context = {"user": user, "collection": collection}
    unknown = sorted(set(mutation.data) - push.fields.of(serializer_class, context))
    if unknown:
        raise _Rejected("invalid", {name: ["Unknown field."] for name in unknown})

    if instance is None:
        if mutation.base_version is not None and collection.conflict_policy != "client_wins":
            raise _Rejected("not_found")
        serializer = serializer_class(data=mutation.data, context=context)
        extra = {collection.model._meta.pk.attname: pk}
        if collection.is_user_scoped:
            extra[collection.owner_field] = user
        saved = _save(serializer, extra)
        log.record(saved, "added" if saved.pk == pk else "changed", sorted(mutation.data))
        _remember_alias(user, collection, alias, named=pk, saved=saved.pk)
        record = record_get(collection=collection, pk=saved.pk)
        push.changed(collection, saved.pk, None if saved.pk == pk else saved.version, _version(record))
        result = {"status": "applied", "record": record}
        if saved.pk != pk:
            result["record_id"] = str(saved.pk)
        return result

    data, conflicts = mutation.data, []
    if mutation.base_version != push.base_of(collection, instance) and collection.conflict_policy != "client_wins":
        if collection.conflict_policy == "server_wins":
            return _conflict(collection, instance.pk)
        current = record_get(collection=collection, pk=instance.pk)
        data, conflicts = _merge(serializer_class(context=context), current, mutation)
    version = instance.version  # the row's before this write (triggers give it the next one)
    if data:
        _save(serializer_class(instance, data=data, partial=True, context=context), {})
        log.record(instance, "changed", sorted(data))
    record = record_get(collection=collection, pk=instance.pk)
    if data:
        push.changed(collection, instance.pk, version, _version(record))
    if conflicts:
        return {"status": "conflict", "record": record, "fields": conflicts}
    return {"status": "applied", "record": record}


def _version(record: dict | None) -> int | None:
    return record["version"] if record else None


def _remember_alias(user, collection: Collection, alias: RecordAlias | None, *, named, saved) -> None:
    """Record that the client's id `named` was saved as `saved`, or forget an alias `named` now replaces."""
    if saved == named:
        if alias is not None:
            alias.delete()
        return
    RecordAlias.objects.update_or_create(
        collection=collection.name,
        alias_id=str(named),
        defaults={"record_id": str(saved), "owner": user, "created_at": timezone.now()},
    )


def _save(serializer, extra: dict):
    """Validate and save; called inside the mutation's own savepoint, which a rejection rolls back."""
    if not _permitted(serializer.is_valid):
        raise _Rejected("invalid", serializer.errors)
    try:
        return _permitted(serializer.save, **extra)
    except IntegrityError as exc:
        raise _Rejected("invalid", {"non_field_errors": ["Conflicts with an existing record."]}) from exc


def _permitted(call, *args, **kwargs):
    """`call`'s result; a serializer's PermissionDenied is the mutation's `forbidden`, with its reason."""
    try:
        return call(*args, **kwargs)
    except exceptions.PermissionDenied as denied:
        reason = str(denied.detail)
        raise _Rejected(
            "forbidden", {"non_field_errors": [reason]} if reason != MESSAGES["forbidden"] else {}
        ) from denied


_DIFFERENT = object()


def _canonical(field: serializers.Field, value: Any):
    try:
        return field.to_representation(field.to_internal_value(value))
    except (serializers.ValidationError, DjangoValidationError, TypeError, ValueError):
        return _DIFFERENT


def _unchanged(field: serializers.Field, seen: Any, current: Any) -> bool:
    """Whether the server's value is still the one the client saw (compared in the field's own terms)."""
    if seen is None or current is None:
        return seen is None and current is None  # fields do not parse null: null equals null only
    seen = _canonical(field, seen)
    return seen is not _DIFFERENT and seen == _canonical(field, current)


def _merge(serializer, current: dict, mutation: Mutation) -> tuple[dict, list[str]]:
    """Split the changed fields: those still equal to the client's base in `current` (the server's
    record as a pull gives it) apply."""
    base = mutation.base or {}
    apply, conflicts = {}, []
    for name, value in mutation.data.items():
        if name in base and name in current and _unchanged(serializer.fields[name], base[name], current[name]):
            apply[name] = value
        else:
            conflicts.append(name)
    return apply, conflicts
