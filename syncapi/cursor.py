"""The pull cursor: the only place that encodes or decodes it.

A cursor names a collection, the database epoch, the tombstone horizon the
client's replica is complete for, and the last version the client has applied.
It is signed so that the server only reads cursors it issued.
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


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT, sep="~")


def encode_cursor(cursor: Cursor) -> str:
    return _signer().sign(_SEP.join([cursor.collection, cursor.epoch, str(cursor.horizon), str(cursor.version)]))


def decode_cursor(value: str, *, collection: str) -> Cursor:
    """Read a cursor issued for `collection`, or raise InvalidCursor.

    The range cursors of the planned first downloads of earlier releases (five
    parts) are not read: a client only ever stored ordinary ones, and resumes from those.
    """
    if len(value) > 200:
        raise InvalidCursor()
    try:
        name, epoch, horizon, version = _signer().unsign(value).split(_SEP)
        cursor = Cursor(collection=name, epoch=epoch, horizon=int(horizon), version=int(version))
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidCursor() from exc
    if cursor.collection != collection or cursor.version < 0 or cursor.horizon < 0:
        raise InvalidCursor()
    return cursor
