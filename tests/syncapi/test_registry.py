"""Registering a collection (syncapi.registry): mistakes fail loudly, at startup."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalogue.models import Product
from syncapi.registry import SyncRegistry


def test_a_page_order_that_is_not_a_sort_key_is_refused():
    with pytest.raises(ImproperlyConfigured, match="page_order"):
        SyncRegistry().register("things", Product, fields={"name": "name"}, page_order="name")


def test_a_page_order_is_kept_with_the_collection():
    def key(record):
        return record["name"]

    assert SyncRegistry().register("things", Product, fields={"name": "name"}, page_order=key).page_order is key
