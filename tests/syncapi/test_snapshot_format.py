"""The snapshot part format against its golden fixture, which the app's tests read too (tests/js/)."""

import json
from pathlib import Path

import pytest

from syncapi.snapshots.format import FORMAT, PartFormatError, part_decode, part_encode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PART = (FIXTURES / "snapshot-part.json").read_bytes()
RECORDS = json.loads((FIXTURES / "snapshot-part.records.json").read_text())


def test_the_golden_part_decodes_to_its_records():
    collection, records = part_decode(PART)

    assert collection == "products"
    assert records == RECORDS


def test_records_encode_to_the_golden_part_byte_for_byte():
    fields = list(RECORDS[0])

    data = part_encode(collection="products", fields=fields, rows=[tuple(r[f] for f in fields) for r in RECORDS])

    assert data == PART


def test_a_part_of_no_records_keeps_its_fields():
    data = part_encode(collection="categories", fields=["id", "version", "name"], rows=[])

    assert json.loads(data) == {"format": FORMAT, "collection": "categories", "count": 0,
                                "fields": ["id", "version", "name"], "columns": [[], [], []]}  # fmt: skip
    assert part_decode(data) == ("categories", [])


def test_a_column_of_uuids_is_packed_as_their_hex_digits_and_any_other_as_it_is():
    ids = ["0b9c4a52-3a6e-4c8f-9a61-2f0e8a1d5b01", "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"]
    rows = [(ids[0], ids[0].upper(), None), (ids[1], ids[1], ids[1])]

    body = json.loads(part_encode(collection="c", fields=["id", "other", "maybe"], rows=rows))

    assert body["columns"] == [
        {"uuid_hex": "0b9c4a523a6e4c8f9a612f0e8a1d5b011c2d3e4f5a6b4c7d8e9f0a1b2c3d4e5f"},
        [ids[0].upper(), ids[1]],  # not canonical: as it is
        [None, ids[1]],
    ]
    records = [dict(zip(["id", "other", "maybe"], row, strict=True)) for row in rows]
    assert part_decode(json.dumps(body).encode())[1] == records


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        json.dumps({"format": "another", "fields": [], "columns": [], "count": 0}).encode(),
        json.dumps({"format": FORMAT, "fields": ["id"], "columns": [], "count": 0}).encode(),
        json.dumps({"format": FORMAT, "fields": ["id"], "columns": [["a", "b"]], "count": 1}).encode(),
        json.dumps({"format": FORMAT, "fields": ["id"], "columns": [["a"]], "count": "1"}).encode(),
        json.dumps({"format": FORMAT, "fields": ["id"], "columns": [{"uuid_hex": "ab" * 15}], "count": 1}).encode(),
        json.dumps({"format": FORMAT, "fields": ["id"], "columns": [{"uuid_hex": "G" * 32}], "count": 1}).encode(),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "other-format",
        "fields-without-columns",
        "column-too-long",
        "count-not-int",
        "uuid-hex-too-short",
        "uuid-hex-not-hex",
    ],  # fmt: skip
)
def test_anything_else_is_not_a_part(data):
    with pytest.raises(PartFormatError):
        part_decode(data)
