"""Stock on hand is never negative, whatever the write path (the push and the admin validate it
with a message; the database refuses the rest)."""

import pytest
from django.db import IntegrityError, connection, transaction

from catalogue.models import Product
from tests.conftest import make_product

pytestmark = pytest.mark.django_db


def _set_stock(product, path: str, stock: int) -> None:
    if path == "update":
        Product.objects.filter(pk=product.pk).update(stock=stock)
    elif path == "bulk_update":
        product.stock = stock
        Product.objects.bulk_update([product], ["stock"])
    else:
        key = product.pk.hex if connection.vendor == "sqlite" else product.pk  # Django's column form
        with connection.cursor() as cursor:
            cursor.execute("UPDATE catalogue_product SET stock = %s WHERE id = %s", [stock, key])


@pytest.mark.parametrize("path", ["update", "bulk_update", "raw_sql"])
def test_no_write_path_stores_negative_stock(category, path):
    product = make_product(category, stock=3)

    with pytest.raises(IntegrityError), transaction.atomic():
        _set_stock(product, path, -1)

    product.refresh_from_db()
    assert product.stock == 3
    _set_stock(product, path, 0)  # the same path writes a stock of 0
    product.refresh_from_db()
    assert product.stock == 0
