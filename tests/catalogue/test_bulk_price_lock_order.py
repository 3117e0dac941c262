"""The admin's bulk price change takes the writers' lock before it locks any product row.

Found by `bench/mixed.py`: a push holding the writers' lock adds a favourite of a product; at its
commit PostgreSQL checks the (deferred) foreign key, which needs a share lock on that product's
row. A bulk price change that had locked the row first (SELECT ... FOR UPDATE) and then waited for
the writers' lock deadlocked with it: one of the two failed.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from catalogue.models import Category, Favourite, Product
from catalogue.services import products_change_prices
from syncapi.versioning import lock_versions
from tests.conftest import make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting_for_the_writers_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0]


def test_a_bulk_price_change_waits_for_a_push_holding_the_writers_lock_without_deadlock(django_user_model):
    category = Category.objects.create(name="Tools", position=1)
    product = make_product(category)
    user = django_user_model.objects.create_user("rita", password=None)
    errors = []

    def bulk_change():
        try:
            products_change_prices(products=Product.objects.filter(category=category), percent=Decimal("-5"))
        except Exception as error:  # noqa: BLE001 (the test reports whatever it was)
            errors.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():  # a push: the writers' lock, then a favourite of the product
        lock_versions()
        Favourite.objects.create(user=user, product=product)
        changing = threading.Thread(target=bulk_change)
        changing.start()
        for _ in range(5000):  # until the bulk change waits for the writers' lock
            if _waiting_for_the_writers_lock():
                break
        else:
            pytest.fail("the bulk change never waited for the writers' lock")
    changing.join(timeout=30)

    assert not changing.is_alive()
    assert errors == []
    assert Favourite.objects.filter(user=user, product=product).exists()
    product.refresh_from_db()
    assert product.price == Decimal("11.88")
