"""First-download pages answered from the page cache (syncapi.page_cache), each server
process's own and the one its processes share (syncapi.shared_pages).

These tests commit their rows (transactional database): the cache only serves
reads that run in a snapshot of their own, never inside a caller's transaction.
"""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from catalogue.models import Favourite
from syncapi.page_cache import PageCache, page_cache
from syncapi.registry import registry
from syncapi.selectors import changes_since
from syncapi.serialization import EncodedRecords, dumps, records_subset
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


def replica(pages: list[dict]) -> dict[str, dict]:
    """The records a client holds after applying `pages` in order (a first download: no deletes)."""
    return {record["id"]: record for record in upserted(pages)}


def test_a_second_first_download_gets_the_same_pages_without_reading_their_records(api, category, record_reads):
    active = [make_product(category) for _ in range(7)]
    make_product(category, is_active=False)

    first = planned_download(api, "products", limit=3)
    assert len(record_reads) == 3  # every page but the tail, an ordinary page (never kept, and empty)
    again = planned_download(api, "products", limit=3)

    assert again == first
    assert sorted(upserted_ids(first)) == sorted(str(p.pk) for p in active)
    assert len(page_cache) == 3
    assert len(record_reads) == 3  # none more


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
    cached = replica(planned_download(api, "products", limit=3))
    page_cache.clear()
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_BYTES": 0}
    uncached = replica(planned_download(api, "products", limit=3))

    assert cached == uncached  # the pages may be cut elsewhere: the cache keeps the last plan's cuts
    assert cached[str(products[1].pk)]["price"] == "99.00"
    assert str(products[4].pk) not in cached


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
    assert len(page_cache) == 4  # two planned pages per user


def test_a_budget_of_zero_keeps_no_pages(api, category, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_BYTES": 0}
    for _ in range(5):
        make_product(category)
    assert len(upserted(planned_download(api, "products", limit=2))) == 5
    assert len(page_cache) == 0


def test_the_cache_keeps_within_its_byte_budget_by_dropping_the_oldest_pages(settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_SHARED": None}  # this process's own budget
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


def another_process():
    """What a page request finds in another server process (or after a restart): only the shared cache."""
    page_cache.clear(shared=False)


def test_a_page_encoded_by_one_process_is_served_by_another_without_reading_rows_or_versions(
    api, category, record_reads, version_reads
):
    for _ in range(7):
        make_product(category)
    first = planned_download(api, "products", limit=3)
    reads = (len(record_reads), len(version_reads))

    another_process()
    assert planned_download(api, "products", limit=3) == first
    assert (len(record_reads), len(version_reads)) == reads
    assert len(page_cache) == 3  # taken into this process on the way


def test_a_product_changed_after_a_download_is_not_served_from_the_shared_cache(api, category):
    products = [make_product(category) for _ in range(6)]
    planned_download(api, "products", limit=3)

    products[1].price = "99.00"
    products[1].save()
    another_process()
    records = {record["id"]: record for record in upserted(planned_download(api, "products", limit=3))}
    assert records[str(products[1].pk)]["price"] == "99.00"
    assert len(records) == 6


def test_without_a_shared_cache_another_process_reads_the_rows_again(api, category, settings, record_reads):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_SHARED": None}
    for _ in range(7):
        make_product(category)
    first = planned_download(api, "products", limit=3)
    reads = len(record_reads)

    another_process()
    assert planned_download(api, "products", limit=3) == first
    assert len(record_reads) == 2 * reads


class BrokenCache(LocMemCache):
    def get(self, *args, **kwargs):
        raise ConnectionError("cache server down")

    set = get


def test_a_failing_shared_cache_only_costs_a_read(api, category, settings, record_reads, caplog):
    settings.CACHES = {**settings.CACHES, "sync-pages": {"BACKEND": f"{__name__}.BrokenCache"}}
    for _ in range(7):
        make_product(category)
    first = planned_download(api, "products", limit=3)

    another_process()
    assert planned_download(api, "products", limit=3) == first
    assert len(record_reads) == 6  # each planned page read by each "process"
    assert "shared page cache could not be" in caplog.text


def uncached_replica(api, settings, collection: str, limit: int) -> dict[str, dict]:
    saved = settings.SYNCAPI
    settings.SYNCAPI = {**saved, "PAGE_CACHE_BYTES": 0}
    try:
        return replica(planned_download(api, collection, limit=limit))
    finally:
        settings.SYNCAPI = saved


def test_after_a_change_the_download_keeps_its_cuts_and_cuts_the_changed_row_out_of_the_stored_page(
    api, category, settings, record_reads
):
    products = [make_product(category) for _ in range(8)]  # (0, v3], (v3, v6], then the tail
    first = planned_download(api, "products", limit=3)
    reads = len(record_reads)

    products[1].price = "99.00"  # leaves the first range for the tail
    products[1].save()
    again = planned_download(api, "products", limit=3)

    assert len(record_reads) == reads  # neither range was read again
    assert again[0]["parallel_cursors"] == first[0]["parallel_cursors"]  # the same cuts
    assert upserted_ids(again[:1]) == [i for i in upserted_ids(first[:1]) if i != str(products[1].pk)]
    assert upserted_ids(again[1:2]) == upserted_ids(first[1:2])
    assert replica(again) == uncached_replica(api, settings, "products", limit=3)
    assert replica(again)[str(products[1].pk)]["price"] == "99.00"


def test_a_download_is_cut_afresh_once_its_ranges_have_lost_many_rows(api, category, settings):
    products = [make_product(category) for _ in range(30)]
    first = planned_download(api, "products", limit=3)
    assert len(first[0]["parallel_cursors"]) == 10  # cut every 3 rows: the first page, 9 ranges, the tail

    for product in products[:15]:
        product.delete()
    pages = planned_download(api, "products", limit=3)

    assert len(pages[0]["parallel_cursors"]) == 5  # 15 rows cut every 3 (4 ranges, the tail), not the 10 old cuts
    assert replica(pages) == uncached_replica(api, settings, "products", limit=3)


def test_records_subset_cuts_records_out_of_a_page_in_its_order():
    records = [{"id": str(i), "version": v, "name": f"n{i}"} for i, v in ((1, 30), (2, 10), (3, 20))]
    page = EncodedRecords(dumps(records), 3)

    subset = records_subset(page, {30, 20})

    assert list(subset) == [records[0], records[2]]
    assert len(subset) == 2


def test_records_subset_refuses_a_page_it_cannot_cut_safely():
    nested = [{"id": "1", "version": 5, "items": [{"id": 1}, {"id": 2}]}, {"id": "2", "version": 6, "items": []}]
    no_version = [{"id": "1", "name": "x"}, {"id": "2", "name": "y"}]

    assert records_subset(EncodedRecords(dumps(nested), 2), {5}) is None
    assert records_subset(EncodedRecords(dumps(no_version), 2), {5}) is None
    assert records_subset(EncodedRecords(dumps(nested[:1]), 1), {7}) is None  # versions it does not hold


def test_the_latest_lists_of_a_process_stay_within_a_share_of_its_budget(settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_SHARED": None}
    cache = PageCache(max_bytes=4 * (64 + 36 * 10) * 3)  # room for three lists of 10 versions
    for n in range(5):  # ranges of plans that came and went
        cache.set_latest(("range", n), list(range(n, n + 10)))

    assert [cache.latest(("range", n)) for n in range(5)] == [None, None, *(list(range(n, n + 10)) for n in (2, 3, 4))]
    cache.set_latest(("range", 4), list(range(10)))  # set again: counted once
    assert cache.latest(("range", 3)) is not None
    assert cache.latest(("range", 1_000)) is None
