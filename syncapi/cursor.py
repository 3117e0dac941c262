"""The pull cursor: the only place that encodes or decodes it.

A cursor names a collection, the database epoch, the tombstone horizon the
client's replica is complete for, the last version the client has applied,
and, in a collection of each user's records, whose records they are. It is
signed so that the server only reads cursors it issued.
"""

from dataclasses import dataclass

from django.core import signing

from syncapi.errors import InvalidCursor

_SALT = "syncapi.cursor.v1"
_SEP = "."
_OWNER = "u"  # prefix of the owner part, apart from the numbers of the range cursors of earlier releases


@dataclass(frozen=True)
class Cursor:
    collection: str
    epoch: str
    horizon: int  # SyncState.purged_through that this replica already accounts for
    version: int
    # The owner's key in a user-scoped collection: another user presenting it gets `reset`.
    owner: str | None = None


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT, sep="~")


def encode_cursor(cursor: Cursor) -> str:
    parts = [cursor.collection, cursor.epoch, str(cursor.horizon), str(cursor.version)]
    if cursor.owner is not None:
        parts.append(_OWNER + cursor.owner)
    return _signer().sign(_SEP.join(parts))


def decode_cursor(value: str, *, collection: str) -> Cursor:
    """Read a cursor issued for `collection`, or raise InvalidCursor.

    The range cursors of the planned first downloads of earlier releases (a
    fifth part that is a number) are not read: a client only ever stored
    ordinary ones, and resumes from those. Cursors of earlier releases have no
    owner part; in a user-scoped collection they are read as nobody's.
    """
    if len(value) > 200:
        raise InvalidCursor()
    try:
        name, epoch, horizon, version, *rest = _signer().unsign(value).split(_SEP)
        if len(rest) > 1 or (rest and not rest[0].startswith(_OWNER)):
            raise ValueError("not an ordinary cursor")
        owner = rest[0][len(_OWNER) :] if rest else None
        cursor = Cursor(collection=name, epoch=epoch, horizon=int(horizon), version=int(version), owner=owner)
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidCursor() from exc
    if cursor.collection != collection or cursor.version < 0 or cursor.horizon < 0:
        raise InvalidCursor()
    return cursor
