"""First-download pages answered from the per-process page cache (syncapi.page_cache).

These tests commit their rows (transactional database): the cache only serves
reads that run in a snapshot of their own, never inside a caller's transaction.
"""

import threading

import pytest
from django.db import transaction

from catalogue.models import Favourite
from syncapi import page_cache as page_cache_module
from syncapi import selectors as selectors_module
from syncapi.page_cache import PageCache, page_cache
from syncapi.registry import registry
from syncapi.selectors import changes_since
from syncapi.serialization import EncodedRecords
from tests.conftest import make_product
from tests.syncapi.test_pull import pull, upserted, upserted_ids

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_BYTES": 64 * 1024 * 1024}


def planned_download(client, collection: str, limit: int) -> list[dict]:
    """A first download as the app makes it: the planned pages, then the tail."""
    first = pull(client, collection, limit=limit, parallel="1")
    pages = [first, *(pull(client, collection, limit=limit, cursor=c) for c in first.get("parallel_cursors", []))]
    while pages[-1]["has_more"]:
        pages.append(pull(client, collection, limit=limit, cursor=pages[-1]["cursor"]))
    return pages


def counted_in_this_thread(monkeypatch, module, name: str) -> list:
    """Calls of `module.name` made by this thread, one item each."""
    calls, here, original = [], threading.get_ident(), getattr(module, name)

    def counted(*args, **kwargs):
        if threading.get_ident() == here:
            calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.fixture
def record_reads(monkeypatch):
    """Counts the pages whose records the page cache read from the database, in this thread.

    (The live server of the browser tests shares an in-memory SQLite
    connection and may run in another thread: its reads are not counted.)
    """
    return counted_in_this_thread(monkeypatch, page_cache_module, "visible_records")


@pytest.fixture
def version_reads(monkeypatch):
    """Counts the queries for versions of rows (a page's, or the plan's), in this thread."""
    return counted_in_this_thread(monkeypatch, selectors_module, "page_versions")


def test_a_second_first_download_gets_the_same_pages_without_reading_their_records(api, category, record_reads):
    active = [make_product(category) for _ in range(7)]
    make_product(category, is_active=False)

    first = planned_download(api, "products", limit=3)
    assert len(record_reads) == 2  # the two planned pages; the tail is an ordinary page, never kept
    again = planned_download(api, "products", limit=3)

    assert again == first
    assert sorted(upserted_ids(first)) == sorted(str(p.pk) for p in active)
    assert len(page_cache) == 2
    assert len(record_reads) == 2  # none more


def test_an_unchanged_collection_is_downloaded_again_without_reading_any_version(api, category, version_reads):
    for _ in range(8):
        make_product(category)
    first = planned_download(api, "products", limit=3)
    reads = len(version_reads)  # the first page's, the plan's, each range page's
    assert reads >= 3

    assert planned_download(api, "products", limit=3) == first
    assert len(version_reads) == reads

    make_product(category)  # the collection's state moves: its versions are read again
    assert len(upserted(planned_download(api, "products", limit=3))) == 9
    assert len(version_reads) > reads


def test_a_product_changed_after_a_download_is_never_served_from_the_old_page(api, category, settings):
    products = [make_product(category) for _ in range(6)]
    planned_download(api, "products", limit=3)

    products[1].price = "99.00"  # within a page: its first and last versions stay
    products[1].save()
    products[4].is_active = False
    products[4].save()
    cached = planned_download(api, "products", limit=3)
    page_cache.clear()
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_BYTES": 0}
    uncached = planned_download(api, "products", limit=3)

    assert cached == uncached
    records = {record["id"]: record for record in upserted(cached)}
    assert records[str(products[1].pk)]["price"] == "99.00"
    assert str(products[4].pk) not in records


def test_a_product_deleted_after_a_download_is_never_served_again(api, category):
    products = [make_product(category) for _ in range(8)]  # the first page, a planned range, the tail
    planned_download(api, "products", limit=3)

    gone = str(products[4].pk)
    products[4].delete()  # in the range; moves no row's version, only the collection's newest tombstone

    assert gone not in upserted_ids(planned_download(api, "products", limit=3))


def test_pages_read_inside_a_callers_transaction_are_not_kept(category):
    products = registry.get("products")
    with transaction.atomic():
        make_product(category, name="Rolled back")
        assert [r["name"] for r in changes_since(collection=products, cursor=None, limit=10).upserts] == ["Rolled back"]
        transaction.set_rollback(True)
    assert len(page_cache) == 0

    make_product(category, name="Kept")  # on SQLite it takes the rolled-back row's version again
    page = changes_since(collection=products, cursor=None, limit=10)
    assert isinstance(page.upserts, EncodedRecords)
    assert [r["name"] for r in page.upserts] == ["Kept"]


def test_each_user_gets_only_their_own_favourites(user, other_user, user_api, other_api, category):
    mine = [make_product(category) for _ in range(3)]
    theirs = [make_product(category) for _ in range(3)]
    Favourite.objects.bulk_create([Favourite(user=user, product=p) for p in mine])
    Favourite.objects.bulk_create([Favourite(user=other_user, product=p) for p in theirs])

    for _ in range(2):  # cold, then from the cache
        mine_pages = planned_download(user_api, "favourites", limit=2)
        their_pages = planned_download(other_api, "favourites", limit=2)
        assert sorted(r["product_id"] for r in upserted(mine_pages)) == sorted(str(p.pk) for p in mine)
        assert sorted(r["product_id"] for r in upserted(their_pages)) == sorted(str(p.pk) for p in theirs)
    assert len(page_cache) == 2  # one planned page per user


def test_a_budget_of_zero_keeps_no_pages(api, category, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_BYTES": 0}
    for _ in range(5):
        make_product(category)
    assert len(upserted(planned_download(api, "products", limit=2))) == 5
    assert len(page_cache) == 0


def test_the_cache_keeps_within_its_byte_budget_by_dropping_the_oldest_pages():
    cache = PageCache(max_bytes=10)
    pages = {key: EncodedRecords(b"[1,2]", 2) for key in ("a", "b", "c")}  # 5 bytes each
    for key, page in pages.items():
        cache.put((key,), page)
    cache.put(("big",), EncodedRecords(b"[1,2,3,4,5,6]", 6))  # over the whole budget: not kept

    assert [cache.get((key,)) for key in ("a", "b", "c", "big")] == [None, pages["b"], pages["c"], None]


def test_encoded_records_read_as_the_records_they_hold():
    page = EncodedRecords(b'[{"id":"1"},{"id":"2"}]', 2)
    assert len(page) == 2
    assert page == [{"id": "1"}, {"id": "2"}]
    assert [record["id"] for record in page] == ["1", "2"]
