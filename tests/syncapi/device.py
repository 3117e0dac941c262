"""A device over real HTTP, as the app syncs one collection: snapshot first, then pages.

It speaks to a running server (pytest-django's `live_server`) with urllib,
so every request is a real one, handled outside any test transaction, and
answers come compressed as a browser would get them. Its replica is a dict
of records by id; `requests` lists the paths it asked for.
"""

import gzip
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

import brotli

from syncapi.snapshots.format import part_decode

DECODERS = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}


class HttpError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"{status} {body}")
        self.status, self.body = status, body


class Device:
    def __init__(self, base_url: str, collection: str, *, between: Callable[[int], None] | None = None):
        """`between(n)` runs after the device's n-th request: a way to change the server mid-download."""
        self.base, self.collection, self.between = base_url, collection, between
        self.replica: dict[str, dict] = {}
        self.cursor: str | None = None
        self.requests: list[str] = []
        self.resets = 0
        self.started_from: int | None = None  # the version of the snapshot the last first download used

    def get(self, path: str, params: dict | None = None) -> bytes:
        url = self.base + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        request = urllib.request.Request(url, headers={"Accept-Encoding": "br, gzip"})
        self.requests.append(path)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = DECODERS[response.headers.get("Content-Encoding")](response.read())
        except urllib.error.HTTPError as error:
            raise HttpError(error.code, json.loads(error.read())) from None
        finally:
            if self.between is not None:
                self.between(len(self.requests))
        return body

    def first_download(self, *, limit: int = 5000) -> dict[str, dict]:
        """Start from scratch: from the snapshot if one is offered, then pages until `has_more` is false."""
        self.replica, self.cursor, self.started_from = {}, None, None
        for _ in range(3):  # a snapshot replaced during the download is started over once or twice
            try:
                manifest = json.loads(self.get(f"/api/sync/snapshot/{self.collection}/"))
            except HttpError as error:
                if error.body["code"] != "no_snapshot":
                    raise
                break
            try:
                records = [record for part in manifest["parts"] for record in self._part(part)]
            except HttpError as error:
                if error.body["code"] != "snapshot_part_not_found":
                    raise
                continue
            self.replica = {record["id"]: record for record in records}
            self.cursor, self.started_from = manifest["cursor"], manifest["version"]
            break
        return self.sync(limit=limit)

    def _part(self, part: dict) -> list[dict]:
        collection, records = part_decode(self.get(part["url"]))
        assert collection == self.collection
        assert len(records) == part["records"]
        return records

    def sync(self, *, limit: int = 5000) -> dict[str, dict]:
        """Pull pages from the cursor until `has_more` is false, applying them as PROTOCOL.md says."""
        for _ in range(1000):
            params = {"limit": limit} | ({"cursor": self.cursor} if self.cursor else {})
            page = json.loads(self.get(f"/api/sync/pull/{self.collection}/", params))
            if page["reset"]:
                self.replica.clear()
                self.resets += 1
            for record in page["upserts"]:
                self.replica[record["id"]] = record
            for record_id in page["deletes"]:
                self.replica.pop(record_id, None)
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return self.replica
        raise AssertionError("has_more never became false")
