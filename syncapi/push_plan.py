"""A push's leading plain updates: planned before the writers' lock, stored in bulk under it.

Phase 1 (`plans_make`) writes nothing and takes no lock: it reads the rows
the push's leading updates name, one query per collection, validates each
update against its row and decides its outcome. Phase 2 (`leading_apply`),
under the lock, keeps the plans whose row is as it was read and stores
consecutive ones with one statement per set of columns; every other mutation
is applied the ordinary way (syncapi.push), at its position. Only
collections registered with `bulk_updates=True` are planned. Why:
docs/decisions/0011-pushes-outside-the-writers-lock.md.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, connections, models, router, transaction
from rest_framework import exceptions, serializers

from syncapi.models import SyncClient
from syncapi.page_format import record_dict
from syncapi.push import Mutation, _apply_one, _check_may_write, _merge, _parse_pk, _Push, _Rejected
from syncapi.registry import Collection, registry
from syncapi.serialization import fetch_rows, record_values


@dataclass
class Plan:
    """What a mutation does to its row, decided against the row at `version`."""

    collection: Collection
    instance: Any  # the row as read, the mutation's values set on it
    version: int
    status: str  # "applied" or "conflict"
    # The columns stored (none: the mutation writes nothing), the values of those that are not auto_now
    # as the database takes them (by attname), and the wire fields the history lists.
    fields: tuple[models.Field, ...] = ()
    prepared: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] | None = None  # a merge's fields left as the server has them (the answer's `fields`)

    @property
    def key(self) -> tuple[str, Any]:
        return self.collection.name, self.instance.pk

    def answer(self, record: dict) -> dict:
        """The mutation's result, `record` being its row as stored."""
        result = {"status": self.status, "record": record}
        if self.conflicts is not None:
            result["fields"] = self.conflicts
        return result


@dataclass(frozen=True)
class Leading:
    """The push's first `length` mutations, walked by `leading_apply`; `plans` by their index."""

    length: int
    plans: dict[int, Plan]


# --- Phase 1: before the writers' lock, reads only --------------------------------------------


def plans_make(*, user, client_id, mutations: list[Mutation]) -> Leading:
    """Plan the push's leading plain updates (phase 1): upserts of existing records of collections
    with `bulk_updates`, none in a group, none naming a record another mutation names too.

    A duplicate or a mutation refused here is left to the ordinary path at its position (a refusal
    is not final: an earlier mutation may make it valid); the first mutation of any other kind ends
    the leading run.
    """
    length, candidates = _candidates(user, client_id, mutations)
    rows = _rows_read(user, candidates)
    for index, collection, pk in candidates:
        if pk not in rows[collection.name]:  # a create (or an alias): not a plain update
            length = index
            break
    candidates = [c for c in candidates if c[0] < length]
    current = _records_to_merge(mutations, candidates, rows)
    serializers_ = _Serializers(user)
    plans = {}
    for index, collection, pk in candidates:
        instance = rows[collection.name][pk]
        plan = _plan(
            serializers_.of(collection), collection, instance, mutations[index], current.get((collection.name, pk))
        )
        if plan is not None:
            plans[index] = plan
    return Leading(length=length, plans=plans)


def _last_mutation_id(user, client_id) -> int:
    """The client's last mutation id as committed now (read again, locked, in phase 2)."""
    stored = SyncClient.objects.filter(user=user, client_id=client_id).values_list("last_mutation_id", flat=True)
    return stored.first() or 0


def _named(mutation: Mutation) -> tuple[str, Any]:
    """The record a mutation names: (collection, its key, or the id as sent if it is no key)."""
    collection = registry.get(mutation.collection)
    try:
        return mutation.collection, _parse_pk(collection, mutation.record_id) if collection else mutation.record_id
    except _Rejected:
        return mutation.collection, mutation.record_id


def _candidates(user, client_id, mutations: list[Mutation]) -> tuple[int, list[tuple[int, Collection, Any]]]:
    """How many mutations lead, and which of them may be plain updates: (index, collection, key)."""
    named = Counter(_named(mutation) for mutation in mutations)
    candidates, last_id = [], None
    for index, mutation in enumerate(mutations):
        collection = registry.get(mutation.collection)
        if mutation.group is not None or mutation.op != "upsert" or not _updates_plainly(collection):
            return index, candidates
        if last_id is None:  # read once a push has a leading update at all
            last_id = _last_mutation_id(user, client_id)
        if mutation.id <= last_id:
            continue  # a duplicate: answered as such, it changes nothing
        last_id = mutation.id
        try:
            _check_may_write(user, collection)
            pk = _parse_pk(collection, mutation.record_id)
        except _Rejected:
            continue  # refused the ordinary way, changing nothing
        if named[(collection.name, pk)] > 1:
            return index, candidates
        candidates.append((index, collection, pk))
    return len(mutations), candidates


def _updates_plainly(collection: Collection | None) -> bool:
    """Whether the collection's updates may be stored in bulk: registered so, and its write serializer
    saves as ModelSerializer does. Bulk storing replaces its save() and update(); and a create never
    merges into another record, so a mutation applied the ordinary way changes no record but its own."""
    if collection is None or not collection.bulk_updates:
        return False
    plain = serializers.ModelSerializer
    return all(
        getattr(collection.write_serializer, name) is getattr(plain, name) for name in ("save", "create", "update")
    )


def _rows_read(user, candidates) -> dict[str, dict]:
    """The candidates' rows as `user` may see them, one query per collection: {collection name: {key: row}}."""
    return {
        collection.name: collection.queryset_for(user).order_by().in_bulk(pks)
        for collection, pks in _by_collection((collection, pk) for _, collection, pk in candidates)
    }


def _records_to_merge(mutations, candidates, rows) -> dict[tuple[str, Any], dict]:
    """The wire records of the rows a merge compares with (their version is not the mutation's base)."""
    stale = [
        (collection, pk)
        for index, collection, pk in candidates
        if collection.conflict_policy == "merge" and mutations[index].base_version != rows[collection.name][pk].version
    ]
    return _records_by_key(stale)


class _Serializers(dict):
    """One write serializer per collection for the whole push: DRF builds a serializer's fields for
    each instance, a millisecond that a bulk push cannot pay per mutation. Its `instance` is set
    before each validation (`bulk_updates` promises fields that do not depend on it)."""

    def __init__(self, user):
        super().__init__()
        self.user = user

    def of(self, collection: Collection):
        if collection.name not in self:
            context = {"user": self.user, "collection": collection}
            self[collection.name] = collection.write_serializer(context=context, partial=True)
        return self[collection.name]


def _plan(serializer, collection: Collection, instance, mutation: Mutation, current: dict | None) -> Plan | None:
    """What the ordinary path would do to `instance` (syncapi.push._upsert), or None if it refuses it."""
    if set(mutation.data) - set(serializer.fields):
        return None  # an unknown field: refused
    base = Plan(collection=collection, instance=instance, version=instance.version, status="applied")
    data, conflicts = mutation.data, None
    if mutation.base_version != instance.version and collection.conflict_policy != "client_wins":
        if collection.conflict_policy == "server_wins":
            base.status = "conflict"
            return base
        if current is None or current["version"] != instance.version:
            return None  # changed between the two reads
        data, conflicts = _merge(serializer, current, mutation)
        if conflicts:
            base.status, base.conflicts = "conflict", conflicts
    if not data:
        return base
    validated = _validated(serializer, instance, data)
    stored = _set(instance, validated) if validated is not None else None
    if not stored:
        return None
    base.fields, base.prepared, base.changed = stored, _prepared(instance, stored), sorted(data)
    return base


def _validated(serializer, instance, data: dict) -> dict | None:
    """`data` as the write serializer validates it for `instance` (a partial update); None if refused."""
    serializer.instance, serializer.initial_data = instance, data  # as a serializer made for them has them
    try:
        return serializer.run_validation(data)  # what is_valid() runs
    except (serializers.ValidationError, exceptions.PermissionDenied):
        return None


def _set(instance, validated: dict) -> tuple[models.Field, ...] | None:
    """Set the validated values as ModelSerializer.update does; the columns save() would change
    (theirs and the auto_now ones), or None if a value is not a plain column."""
    meta = instance._meta
    names = set()
    for name, value in validated.items():
        try:
            model_field = meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not model_field.concrete or model_field.many_to_many:
            return None
        setattr(instance, name, value)
        names.add(model_field.name)
    return tuple(f for f in meta.concrete_fields if f.name in names or getattr(f, "auto_now", False))


def _prepared(instance, stored: tuple[models.Field, ...]) -> dict[str, Any]:
    """The database values of the stored fields that save() would not set itself (auto_now ones do),
    and of the key: known now, so not computed under the lock."""
    connection = connections[router.db_for_write(type(instance))]
    fixed = [f for f in stored if not getattr(f, "auto_now", False)] + [instance._meta.pk]
    return {f.attname: f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fixed}


# --- Phase 2: under the writers' lock -----------------------------------------------------------


def leading_apply(push: _Push, mutations: list[Mutation], plans: dict[int, Plan]) -> list[dict]:
    """Apply the leading mutations in order (phase 2): consecutive planned ones together, the
    others the ordinary way. A plan whose row changed since it was read is applied the ordinary way."""
    plans = _still_valid(push.user, plans)
    results: list[dict | None] = [None] * len(mutations)
    batch = _Batch(push, results)
    for index, mutation in enumerate(mutations):
        plan = plans.get(index)
        if plan is not None:
            batch.add(index, mutation, plan)
        else:
            batch.flush()
            results[index] = _apply_one(push, mutation)
    batch.flush()
    return results


def _still_valid(user, plans: dict[int, Plan]) -> dict[int, Plan]:
    """The plans whose row still has the version it was planned against (the rows locked now), and
    whose new references still exist: a foreign key is checked at commit, too late to fall back."""
    versions = {}
    for collection, pks in _by_collection((plan.collection, plan.instance.pk) for plan in plans.values()):
        rows = collection.queryset_for(user).select_for_update().filter(pk__in=pks).order_by()
        versions |= {(collection.name, pk): version for pk, version in rows.values_list("pk", "version")}
    kept = {index: plan for index, plan in plans.items() if versions.get(plan.key) == plan.version}
    missing = _missing_references(kept.values())
    return {index: plan for index, plan in kept.items() if not _references(plan) & missing}


def _references(plan: Plan) -> set[tuple[type[models.Model], str, Any]]:
    """What the plan's stored foreign keys point to: (model, field, value)."""
    return {
        (stored.related_model, stored.target_field.attname, getattr(plan.instance, stored.attname))
        for stored in plan.fields
        if stored.is_relation and getattr(plan.instance, stored.attname) is not None
    }


def _missing_references(plans) -> set[tuple[type[models.Model], str, Any]]:
    """The references of `plans` to rows that no longer exist, one query per model referred to."""
    wanted = defaultdict(set)
    for plan in plans:
        for model, name, value in _references(plan):
            wanted[(model, name)].add(value)
    missing = set()
    for (model, name), values in wanted.items():
        found = set(model._base_manager.filter(**{f"{name}__in": values}).values_list(name, flat=True))
        missing |= {(model, name, value) for value in values - found}
    return missing


class _Batch:
    """Consecutive planned mutations, stored together when an ordinary one comes next (or at the end)."""

    def __init__(self, push: _Push, results: list[dict | None]):
        self.push, self.results = push, results
        self.entries: list[tuple[int, Mutation, Plan]] = []
        self.last_before = 0  # the client's last mutation id before the batch's first

    def add(self, index: int, mutation: Mutation, plan: Plan) -> None:
        client = self.push.client
        if mutation.id <= client.last_mutation_id:  # another push of this client came first
            self.results[index] = {"id": mutation.id, "status": "duplicate"}
            return
        if not self.entries:
            self.last_before = client.last_mutation_id
        client.last_mutation_id = mutation.id
        self.entries.append((index, mutation, plan))

    def flush(self) -> None:
        """Store the batch in one savepoint; if a constraint refuses it, apply it the ordinary way."""
        entries, self.entries = self.entries, []
        if not entries:
            return
        writes = [plan for _, _, plan in entries if plan.fields]
        try:
            if writes:
                with transaction.atomic():
                    plans_store(writes)
        except IntegrityError:  # e.g. two of them giving records the same unique value
            self.push.client.last_mutation_id = self.last_before
            for index, mutation, _ in entries:
                self.results[index] = _apply_one(self.push, mutation)
            return
        records = _records_by_key((plan.collection, plan.instance.pk) for _, _, plan in entries)
        push = self.push
        for index, mutation, plan in entries:
            if plan.fields:
                push.changed(plan.collection, plan.instance.pk, plan.version, records[plan.key]["version"])
                push.log.record(plan.instance, "changed", plan.changed)
                push.log.keep()
            self.results[index] = {"id": mutation.id, **plan.answer(records[plan.key])}


def plans_store(plans: list[Plan]) -> None:
    """Store the changes of `plans` (each writes some columns), the values as save() stores them
    (auto_now fields take the time now): per model and set of columns, one UPDATE of every row on
    PostgreSQL (its statement triggers then fire once, not once a row), an executemany on SQLite."""
    groups = defaultdict(list)
    for plan in plans:
        groups[(plan.collection.model, plan.fields)].append(plan)
    for (model, stored), group in groups.items():
        connection = connections[router.db_for_write(model)]
        rows = [_values(plan, (*stored, model._meta.pk), connection) for plan in group]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(*_update_from_arrays(model, stored, rows, connection))
            else:
                cursor.executemany(*_update_each(model, stored, rows, connection))


def _update_each(model, stored: tuple[models.Field, ...], rows: list[list], connection) -> tuple[str, list]:
    """One UPDATE statement, run for each row."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in stored)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    return sql, rows


def _update_from_arrays(model, stored: tuple[models.Field, ...], rows: list[list], connection) -> tuple[str, list]:
    """One UPDATE of every row, its values passed as one array per column (PostgreSQL's unnest)."""
    quote, table = connection.ops.quote_name, connection.ops.quote_name(model._meta.db_table)
    columns = (*stored, model._meta.pk)
    names = [f"c{n}" for n in range(len(columns))]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{name}" for f, name in zip(stored, names, strict=False))
    sql = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({', '.join(names)}) "
        f"WHERE {table}.{quote(model._meta.pk.column)} = v.{names[-1]}"
    )
    return sql, [list(column) for column in zip(*rows, strict=True)]


def _values(plan: Plan, fields: tuple[models.Field, ...], connection) -> list:
    """The database values of `fields` of the plan's row: prepared in phase 1, or taken now (auto_now)."""
    prepared, instance = plan.prepared, plan.instance
    return [
        prepared[f.attname] if f.attname in prepared else f.get_db_prep_save(f.pre_save(instance, False), connection)
        for f in fields
    ]


def _by_collection(keys) -> list[tuple[Collection, list]]:
    """(collection, key) pairs as (collection, its keys), collections in first-seen order."""
    collections, keys_of = {}, defaultdict(list)
    for collection, pk in keys:
        collections.setdefault(collection.name, collection)
        keys_of[collection.name].append(pk)
    return [(collection, keys_of[name]) for name, collection in collections.items()]


def _records_by_key(keys) -> dict[tuple[str, Any], dict]:
    """The wire records of (collection, key) pairs, one query per collection, by (collection name, key)."""
    return {
        (collection.name, collection.model._meta.pk.to_python(wire_id)): record
        for collection, pks in _by_collection(keys)
        for wire_id, record in _records_read(collection, pks).items()
    }


def _records_read(collection: Collection, pks: list) -> dict[str, dict]:
    """The wire records of `pks` (those that exist), by their wire id: `record_get` for many."""
    queryset = collection.model._default_manager.filter(pk__in=pks).order_by()
    return {row[0]: record_dict(collection, row) for row in fetch_rows(record_values(collection, queryset))}
