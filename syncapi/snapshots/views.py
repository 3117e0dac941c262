"""HTTP endpoints of snapshots (an extension, docs/protocol-notes.md): the offer and the part files."""

import re

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from syncapi import serializers as s
from syncapi.cursor import encode_cursor
from syncapi.encoding import CODINGS, IDENTITY, choose
from syncapi.errors import NoSnapshot, RangeNotSatisfiable, SnapshotPartNotFound
from syncapi.registry import registry
from syncapi.selectors import collection_get
from syncapi.serialization import json_response
from syncapi.snapshots import auto
from syncapi.snapshots.files import part_path, snapshot_storage
from syncapi.snapshots.format import FORMAT
from syncapi.snapshots.selectors import snapshot_cursor, snapshot_offer

# Parts never change (their name is their content's sha256): any cache may keep them for a year.
IMMUTABLE = {"public": True, "max_age": 31_536_000, "immutable": True}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def part_url(collection: str, digest: str) -> str:
    return reverse("syncapi:snapshot-part", kwargs={"collection": collection, "digest": digest})


def _offered(collection) -> dict | None:
    """The manifest of the snapshot offered for `collection` (None: none); starts a build if one is due."""
    offer = snapshot_offer(collection=collection)
    if offer.rebuild is not None:
        auto.build_soon()  # in the background: this request is answered now
    snapshot = offer.snapshot
    if snapshot is None:
        return None
    return {
        "collection": snapshot.collection,
        "format": FORMAT,
        "version": snapshot.version,
        "records": snapshot.records,
        "created_at": snapshot.created_at,
        "cursor": encode_cursor(snapshot_cursor(snapshot)),
        "parts": [{"url": part_url(snapshot.collection, part["sha256"]), **part} for part in snapshot.parts],
    }


def _no_cache(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, no_cache=True)  # a newer snapshot may be offered at any time
    return response


class SnapshotsView(APIView):
    @extend_schema(
        responses={200: s.SnapshotsSerializer},
        operation_id="sync_snapshots_list",
        summary="Every snapshot offered now (a client with no replica asks beside the configuration)",
    )
    def get(self, request):
        offered = {c.name: _offered(c) for c in registry.collections() if not c.is_user_scoped}
        return _no_cache(json_response({"snapshots": {name: m for name, m in offered.items() if m is not None}}))


class SnapshotView(APIView):
    @extend_schema(
        responses={200: s.SnapshotSerializer, 404: OpenApiResponse(s.ErrorSerializer)},
        operation_id="sync_snapshot_retrieve",
        summary="The snapshot a client without a cursor may start from",
    )
    def get(self, request, collection: str):
        manifest = _offered(collection_get(name=collection))
        if manifest is None:
            raise NoSnapshot()
        return _no_cache(json_response(manifest))


class SnapshotPartView(APIView):
    """One part, in the content coding the client prefers, with ETag and Range: a reverse proxy
    or CDN in front may keep it (it never changes). Public: it holds what an anonymous pull of a
    global collection answers."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("Range", str, OpenApiParameter.HEADER, description="One byte range.")],
        responses={
            (200, "application/json"): OpenApiResponse(description="The part (format `syncapi.columns.v1`)."),
            (206, "application/json"): OpenApiResponse(description="A byte range of the part as encoded."),
            304: OpenApiResponse(description="The client's copy is current."),
            404: OpenApiResponse(s.ErrorSerializer),
            416: OpenApiResponse(s.ErrorSerializer),
        },
        operation_id="sync_snapshot_part_retrieve",
        summary="A snapshot part file",
    )
    def get(self, request, collection: str, digest: str):
        target = collection_get(name=collection)
        coding = choose(request.headers.get("Accept-Encoding"), CODINGS)
        storage = snapshot_storage()
        try:
            name = part_path(target.name, digest, coding)
        except ValueError as exc:  # not a sha256: no part has that name
            raise SnapshotPartNotFound() from exc
        if target.is_user_scoped or not storage.exists(name):
            raise SnapshotPartNotFound()
        etag = f'"{digest}.{coding}"'
        if {etag, "*"} & set(parse_etags(request.headers.get("If-None-Match", ""))):
            return _headers(HttpResponse(status=304), etag, coding)
        file = storage.open(name, "rb")
        size = file.size
        wanted = _range(request, etag, size)
        if wanted is None:
            response = FileResponse(file, content_type="application/json", filename=f"{digest}.json")
            response["Content-Length"] = str(size)
        else:
            start, end = wanted
            file.seek(start)
            response = HttpResponse(file.read(end - start + 1), status=206, content_type="application/json")
            file.close()
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Accept-Ranges"] = "bytes"
        return _headers(response, etag, coding)


def _headers(response: HttpResponse, etag: str, coding: str) -> HttpResponse:
    response["ETag"] = etag
    if coding != IDENTITY and response.status_code != 304:
        response["Content-Encoding"] = coding
    patch_cache_control(response, **IMMUTABLE)
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def _range(request, etag: str, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, as (first, last) inclusive; None for the whole file (no Range,
    several ranges, or an If-Range that no longer matches). Raises RangeNotSatisfiable."""
    header = request.headers.get("Range")
    if not header or request.headers.get("If-Range", etag) != etag:
        return None
    match = _RANGE.match(header.replace(" ", ""))
    if match is None:
        return None  # several ranges, or another unit: the whole file is a valid answer
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise RangeNotSatisfiable(size=size)
    return start, end
