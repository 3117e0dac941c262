"""Snapshot part files, through Django's storage API (`STORAGES[SYNCAPI["SNAPSHOT_STORAGE"]]`).

A part is stored once per coding: `<collection>/<sha256>.json` (identity),
then `.json.br` and `.json.gz`, where sha256 is that of the identity bytes.
A name therefore names one content: a file is never rewritten with other
bytes, and an unchanged part is shared by consecutive snapshots. A part
counts as stored once a published snapshot lists it (the database is the
record of what is complete); files no snapshot lists are deleted.
"""

import hashlib
import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

from syncapi.conf import sync_settings
from syncapi.encoding import CODINGS, IDENTITY, compress

SUFFIXES = {IDENTITY: "", "br": ".br", "gzip": ".gz"}
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def snapshot_storage() -> Storage:
    return storages[sync_settings.SNAPSHOT_STORAGE]


def part_path(collection: str, digest: str, coding: str = IDENTITY) -> str:
    """The storage name of a part in `coding`."""
    if not _DIGEST.match(digest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return f"{collection}/{digest}.json{SUFFIXES[coding]}"


@dataclass(frozen=True)
class StoredPart:
    sha256: str
    records: int
    bytes: int
    encoded: dict[str, int]  # coding -> bytes stored

    def describe(self) -> dict:
        return {"sha256": self.sha256, "records": self.records, "bytes": self.bytes, "encoded": self.encoded}


def part_store(*, collection: str, data: bytes, records: int, known: dict[str, dict]) -> StoredPart:
    """Store `data` in every coding, unless a published snapshot already lists the same part (`known`,
    by sha256): compressing at the highest level is most of a build's time."""
    digest = hashlib.sha256(data).hexdigest()
    if digest in known:
        return StoredPart(digest, records, len(data), dict(known[digest]["encoded"]))
    storage = snapshot_storage()
    encoded = {}
    for coding in (IDENTITY, *CODINGS):
        content = data if coding == IDENTITY else compress(data, coding)
        _write(storage, part_path(collection, digest, coding), content)
        encoded[coding] = len(content)
    return StoredPart(digest, records, len(data), encoded)


def _write(storage: Storage, name: str, content: bytes) -> None:
    # A file left by a build that stopped before publishing may hold fewer bytes: replace it.
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # another writer got there first: the storage chose another name
        storage.delete(saved)
        raise RuntimeError(f"snapshot part {name} was written by another process during this build")


def parts_delete_unlisted(collection: str, listed: set[str]) -> int:
    """Delete the files of `collection` whose part no snapshot lists any more; how many."""
    storage = snapshot_storage()
    try:
        _, names = storage.listdir(collection)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in names:
        digest = name.split(".", 1)[0]
        if _DIGEST.match(digest) and digest not in listed:
            storage.delete(f"{collection}/{name}")
            deleted += 1
    return deleted
