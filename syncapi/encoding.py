"""HTTP content codings: which one a client accepts, and compressing bytes in it.

Two codings besides identity: brotli, which every current browser decodes
(Safari included) and which compresses the demo catalogue best, and gzip,
which every client decodes, also over plain HTTP where browsers offer no
brotli. Snapshot parts are compressed once at the highest level
(`syncapi.snapshots`); pull answers on the fly at a fast one
(`compressed_response`). Why these two: docs/decisions/0001-snapshots.md.
"""

import gzip

import brotli
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

IDENTITY = "identity"
# In the order preferred when a client accepts several equally.
CODINGS = ("br", "gzip")

_MAX = {"br": {"quality": 11, "lgwin": 24}, "gzip": {"compresslevel": 9}}
# A 5,000-product page (2 MB): brotli 6.7x smaller in 20 ms, gzip 5x in 27 ms (decision 0001).
_FAST = {"br": {"quality": 4, "lgwin": 22}, "gzip": {"compresslevel": 5}}


def accepted(header: str | None) -> dict[str, float]:
    """The codings an Accept-Encoding header names, with their weights (RFC 9110, 12.5.3)."""
    weights = {}
    for item in (header or "").split(","):
        name, *params = [part.strip() for part in item.split(";")]
        if not name:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        weights[name.lower()] = weight
    return weights


def choose(header: str | None, available: tuple[str, ...] = CODINGS) -> str:
    """The coding of `available` the client prefers, else identity (also when it refuses identity:
    an uncompressed answer is more useful to it than an error)."""
    weights = accepted(header)
    star = weights.get("*", 0.0)
    best, best_weight = IDENTITY, 0.0
    for coding in available:
        weight = weights.get(coding, star)
        if weight > best_weight:
            best, best_weight = coding, weight
    return best


def compress(data: bytes, coding: str, *, fast: bool = False) -> bytes:
    """`data` in `coding`, at the highest level (snapshot parts, compressed once) or a fast one."""
    options = (_FAST if fast else _MAX)[coding]
    if coding == "br":
        return brotli.compress(data, **options)
    if coding == "gzip":
        return gzip.compress(data, mtime=0, **options)
    raise ValueError(f"unknown content coding {coding!r}")


def compressed_response(request: HttpRequest, response: HttpResponse, *, min_bytes: int = 1024) -> HttpResponse:
    """`response` compressed on the fly in the coding the client prefers, if its body is worth it."""
    patch_vary_headers(response, ("Accept-Encoding",))
    if response.streaming or response.has_header("Content-Encoding") or len(response.content) < min_bytes:
        return response
    coding = choose(request.headers.get("Accept-Encoding"))
    if coding == IDENTITY:
        return response
    response.content = compress(response.content, coding, fast=True)
    response["Content-Encoding"] = coding
    response["Content-Length"] = str(len(response.content))
    return response
