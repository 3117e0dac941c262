"""Content codings: what a client accepts, and pull answers compressed on the fly."""

import gzip
import json

import brotli
import pytest

from syncapi.encoding import accepted, choose, compress
from tests.conftest import make_product


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "identity"),
        ("", "identity"),
        ("gzip, deflate, br, zstd", "br"),  # Chromium on HTTPS and localhost
        ("gzip, deflate", "gzip"),  # Chromium over plain HTTP to another host
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("*", "br"),
        ("*;q=0.1, gzip;q=0", "br"),
        ("identity", "identity"),
        ("deflate, zstd", "identity"),
        ("br;q=nonsense, gzip;q=0.3", "gzip"),
        ("GZIP", "gzip"),
    ],
)
def test_choose_takes_the_coding_the_client_prefers(header, expected):
    assert choose(header) == expected


def test_accepted_reads_weights_and_clamps_them():
    assert accepted("br;q=0.8, gzip ; q=2, identity;q=-1, ,") == {"br": 0.8, "gzip": 1.0, "identity": 0.0}


@pytest.mark.parametrize("coding", ["br", "gzip"])
@pytest.mark.parametrize("fast", [True, False])
def test_compress_round_trips(coding, fast):
    data = b'{"upserts": [' + b'{"name": "drill"},' * 500 + b"{}]}"
    decompress = brotli.decompress if coding == "br" else gzip.decompress

    packed = compress(data, coding, fast=fast)

    assert decompress(packed) == data
    assert len(packed) < len(data) / 10


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "coding"), [("gzip, deflate, br", "br"), ("gzip", "gzip")])
def test_a_large_pull_answer_is_compressed_in_the_coding_the_client_prefers(api, category, accept, coding):
    for _ in range(30):
        make_product(category)
    plain = api.get("/api/sync/pull/products/", {"limit": 100})

    packed = api.get("/api/sync/pull/products/", {"limit": 100}, HTTP_ACCEPT_ENCODING=accept)

    decompress = brotli.decompress if coding == "br" else gzip.decompress
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == coding
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 3
    assert "Accept-Encoding" in packed["Vary"]
    assert "Accept-Encoding" in plain["Vary"]
    assert json.loads(decompress(packed.content))["upserts"] == plain.json()["upserts"]
    assert packed["Sync-Upserts"] == "30"


@pytest.mark.django_db
def test_a_small_pull_answer_is_sent_as_it_is(api, category):
    make_product(category)
    cursor = api.get("/api/sync/pull/products/").json()["cursor"]

    empty = api.get("/api/sync/pull/products/", {"cursor": cursor}, HTTP_ACCEPT_ENCODING="br")

    assert "Content-Encoding" not in empty
    assert empty.json()["upserts"] == []
