"""A push request's envelope, read without DRF's per-field machinery when it is plainly well formed.

`PushRequestSerializer` validates each mutation field by field; for a 1,000-mutation push that is
most of the request's time outside the writers' lock. `envelope_read` returns what the serializer
would validate, for a body in the common shape only: ASCII strings within their lengths, integers
in range, objects where objects go, groups consecutive. Anything else (a wrong type, a value out of
range, non-ASCII text, a split group) returns None and the serializer decides, so every error keeps
its one source. `tests/syncapi/test_push_envelope.py` holds both to the same answers.
"""

from uuid import UUID

from syncapi.push import Mutation
from syncapi.serializers import MAX_INT64, MAX_NAME_LENGTH

_OPS = frozenset(("upsert", "delete"))


def envelope_read(body) -> tuple[UUID, list[Mutation]] | None:
    """(client_id, mutations) as `PushRequestSerializer` would validate `body`, or None to let it decide."""
    if not isinstance(body, dict):
        return None
    client_id, mutations = body.get("client_id"), body.get("mutations")
    if not isinstance(client_id, str) or not isinstance(mutations, list):
        return None
    try:
        uuid = UUID(hex=client_id)
    except ValueError:
        return None
    read, closed, current = [], set(), None
    for item in mutations:
        mutation = _mutation(item)
        if mutation is None:
            return None
        if mutation.group != current:  # a group's mutations come one after another
            closed.add(current)
            if mutation.group is not None and mutation.group in closed:
                return None
            current = mutation.group
        read.append(mutation)
    return uuid, read


def _mutation(item) -> Mutation | None:
    if not isinstance(item, dict):
        return None
    id_, base_version = item.get("id"), item.get("base_version")
    collection, op, record_id = item.get("collection"), item.get("op"), item.get("record_id")
    data, base, group = item.get("data", {}), item.get("base"), item.get("group")
    if not (_integer(id_) and 1 <= id_ <= MAX_INT64):
        return None
    if base_version is not None and not (_integer(base_version) and 0 <= base_version <= MAX_INT64):
        return None
    if not (_text(collection) and _text(record_id) and (group is None or _text(group))):
        return None
    if not isinstance(op, str) or op not in _OPS:
        return None
    if not isinstance(data, dict) or not (base is None or isinstance(base, dict)):
        return None
    return Mutation(
        id=id_, collection=collection, op=op, record_id=record_id, base_version=base_version,
        data=dict(data), base=None if base is None else dict(base), group=group,
    )  # fmt: skip


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value) -> bool:
    """A string the serializer takes as it is: 1–64 characters, ASCII, no NUL (DRF refuses NULs)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME_LENGTH and value.isascii() and "\x00" not in value
