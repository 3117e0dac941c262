"""The page layout against its golden fixture, which the app's tests read too (tests/js/)."""

import json
from pathlib import Path

import pytest

from syncapi.page_format import MEMBERS, RECORD_HEAD, UPSERTS_HEADER, page_body
from tests.conftest import make_product

PAGE = (Path(__file__).resolve().parent.parent / "fixtures" / "page.json").read_bytes()


def test_a_page_encodes_to_the_golden_page_byte_for_byte():
    assert page_body(**json.loads(PAGE)) == PAGE


def test_the_golden_page_has_the_layout_the_client_reads():
    page = json.loads(PAGE)

    assert tuple(page) == MEMBERS
    assert all(tuple(record)[: len(RECORD_HEAD)] == RECORD_HEAD for record in page["upserts"])
    assert PAGE == json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode()  # no whitespace


@pytest.mark.django_db
def test_a_pulled_page_is_laid_out_as_the_golden_one(api, category):
    for _ in range(3):
        make_product(category)

    response = api.get("/api/sync/pull/products/", {"limit": 2})

    page = response.json()
    assert response.content == page_body(**page)
    assert tuple(page) == MEMBERS
    assert [tuple(record)[:2] for record in page["upserts"]] == [RECORD_HEAD, RECORD_HEAD]
    assert response[UPSERTS_HEADER] == "2"
