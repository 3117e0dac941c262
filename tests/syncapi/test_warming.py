"""Warming the page cache before the first device asks (syncapi.warming, `manage.py warm_sync_pages`).

Rows are committed (transactional database): the page cache only keeps pages
read in a snapshot of their own.
"""

import io

import pytest
from django.core.management import call_command

from catalogue.models import Favourite
from syncapi.page_cache import page_cache
from tests.conftest import make_product
from tests.syncapi.test_page_cache import another_process, planned_download, replica

pytestmark = pytest.mark.django_db(transaction=True)


def warm(**options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("warm_sync_pages", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_the_first_device_after_warming_gets_every_page_without_a_record_read(api, category, record_reads):
    products = [make_product(category) for _ in range(7)]

    out, _ = warm(limit=3)
    assert "products: 7 record(s) in 3 page(s)." in out
    warmed = len(record_reads)  # the three product pages, the category page

    another_process()  # the server's processes have only the shared cache
    pages = planned_download(api, "products", limit=3)

    assert len(record_reads) == warmed
    assert set(replica(pages)) == {str(p.pk) for p in products}


def test_warming_leaves_out_the_collections_each_user_has_their_own_of(user, category):
    Favourite.objects.create(user=user, product=make_product(category))

    out, _ = warm(limit=3)

    assert "products: 1 record(s) in 1 page(s)." in out
    assert "categories: 1 record(s)" in out
    assert "favourites" not in out
    assert len(page_cache) == 2


def test_warming_with_the_page_cache_off_says_so_and_keeps_nothing(category, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_BYTES": 0}
    make_product(category)

    out, _ = warm()

    assert "nothing to warm" in out
    assert len(page_cache) == 0


def test_warming_without_a_shared_cache_warns_that_other_processes_will_not_see_it(category, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "PAGE_CACHE_SHARED": None}
    make_product(category)

    _, err = warm()

    assert "No shared page cache" in err
