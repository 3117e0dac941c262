"""The pull cursor: the only place that encodes or decodes it.

A cursor names a collection, the database epoch, the tombstone horizon the
client's replica is complete for, and the last version the client has applied.
A range cursor (from a fresh pull's `parallel_cursors`) also carries `until`:
it names one page of a planned first download, the visible rows with versions
in (version, until]. It is signed so that the server only reads cursors it
issued.
"""

from dataclasses import dataclass

from django.core import signing

from syncapi.errors import InvalidCursor

_SALT = "syncapi.cursor.v1"
_SEP = "."


@dataclass(frozen=True)
class Cursor:
    collection: str
    epoch: str
    horizon: int  # SyncState.purged_through that this replica already accounts for
    version: int
    until: int | None = None  # a range cursor: the page ends at this version


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT, sep="~")


def encode_cursor(cursor: Cursor) -> str:
    parts = [cursor.collection, cursor.epoch, str(cursor.horizon), str(cursor.version)]
    if cursor.until is not None:
        parts.append(str(cursor.until))
    return _signer().sign(_SEP.join(parts))


def decode_cursor(value: str, *, collection: str) -> Cursor:
    """Read a cursor issued for `collection`, or raise InvalidCursor."""
    if len(value) > 200:
        raise InvalidCursor()
    try:
        payload = _signer().unsign(value)
        name, epoch, horizon, version, *until = payload.split(_SEP)
        if len(until) > 1:
            raise ValueError(payload)
        cursor = Cursor(collection=name, epoch=epoch, horizon=int(horizon), version=int(version),
                        until=int(until[0]) if until else None)  # fmt: skip
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidCursor() from exc
    if cursor.collection != collection or cursor.version < 0 or cursor.horizon < 0:
        raise InvalidCursor()
    return cursor
