"""A push holds the writers' lock one slice at a time (PUSH_LOCK_SLICE_MS), committing in between.

Each slice is a transaction storing its mutations' effects with the client's last mutation id, so
other writers get in between two slices, a crash keeps what earlier slices committed and a retry
answers those `duplicate`, and a change another writer makes between two slices is a change made
meanwhile: the client's later mutation of that record is stale. Real commits: transactional tests.
"""

import threading
import uuid
from contextlib import contextmanager

import pytest
from django.db import connection, connections

from catalogue.models import Favourite, Order, Product
from syncapi import push as push_module
from syncapi.models import SyncClient
from tests.conftest import make_product
from tests.syncapi.test_push import fav_upsert, new_id, push, statuses

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def every_run_a_slice(settings):
    """A slice ends after every mutation or group: the shortest slices a push has."""
    settings.SYNCAPI = {**getattr(settings, "SYNCAPI", {}), "PUSH_LOCK_SLICE_MS": 0}


@pytest.fixture
def after_the_first_slice(monkeypatch):
    """Set `work` to run, committed, once the next push's first slice has committed."""
    pending = []
    slice_ = push_module._slice
    slices = []

    @contextmanager
    def then_interrupted(*args, **kwargs):
        with slice_(*args, **kwargs):
            yield
        slices.append(True)
        if len(slices) == 1:
            while pending:
                pending.pop()()

    monkeypatch.setattr(push_module, "_slice", then_interrupted)
    return pending.append


def draft(mid: int, order_id: str, **data) -> dict:
    """An upsert of a draft order, `data` over the defaults, from a device that saw no version of it."""
    data = {"status": "draft", "customer": "Acme", "note": "", **data}
    return dict(id=mid, collection="orders", op="upsert", record_id=order_id, base_version=None, data=data)


def test_a_crash_keeps_the_slices_committed_before_it_and_a_retry_answers_them_duplicate(
    user_api, user, category, every_run_a_slice, monkeypatch
):
    products = [make_product(category) for _ in range(3)]
    mutations = [fav_upsert(n + 1, new_id(), product) for n, product in enumerate(products)]
    apply = push_module._apply

    def crashing_at_the_third(push, mutation):
        if mutation.id == 3:
            raise RuntimeError("the worker died")
        return apply(push, mutation)

    monkeypatch.setattr(push_module, "_apply", crashing_at_the_third)
    with pytest.raises(RuntimeError):
        push(user_api, mutations)
    monkeypatch.setattr(push_module, "_apply", apply)

    assert set(Favourite.objects.filter(user=user).values_list("product_id", flat=True)) == {
        products[0].pk,
        products[1].pk,
    }
    assert SyncClient.objects.get(user=user).last_mutation_id == 2
    assert statuses(push(user_api, mutations)) == ["duplicate", "duplicate", "applied"]
    assert Favourite.objects.filter(user=user).count() == 3


def _waiting_for_the_writers_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_writer_waiting_for_the_lock_gets_in_between_two_slices(
    user_api, user, category, every_run_a_slice, monkeypatch
):
    drill, saw, hammer = (make_product(category) for _ in range(3))
    first, second = new_id(), new_id()
    apply_group, admin = push_module._apply_group, []

    def admin_waiting_after_the_first_group(push, members):
        results = apply_group(push, members)
        if not admin:  # in the first slice, holding the writers' lock: the admin's change must wait
            admin.append(threading.Thread(target=_change_the_price, args=(hammer,)))
            admin[0].start()
            for _ in range(5000):
                if _waiting_for_the_writers_lock():
                    break
            else:
                pytest.fail("the admin's change never waited for the writers' lock")
        return results

    monkeypatch.setattr(push_module, "_apply_group", admin_waiting_after_the_first_group)
    body = push(user_api, [{**fav_upsert(1, first, drill), "group": "a"}, {**fav_upsert(2, second, saw), "group": "b"}])
    admin[0].join(timeout=30)

    assert statuses(body) == ["applied", "applied"]
    versions = dict(Favourite.objects.values_list("id", "version"))
    admin_version = Product.objects.get(pk=hammer.pk).version
    assert versions[uuid.UUID(first)] < admin_version < versions[uuid.UUID(second)]


def _change_the_price(product) -> None:
    try:
        Product.objects.filter(pk=product.pk).update(stock=product.stock + 1)
    finally:
        connections.close_all()


def test_a_change_made_between_two_slices_makes_the_clients_later_mutation_stale(
    user_api, every_run_a_slice, after_the_first_slice
):
    order_id = new_id()
    after_the_first_slice(lambda: Order.objects.filter(pk=order_id).update(customer="Changed by staff"))

    body = push(user_api, [draft(1, order_id), draft(2, order_id, note="Deliver on Monday")])

    assert statuses(body) == ["applied", "conflict"]  # orders: server_wins
    assert body["results"][1]["record"]["customer"] == "Changed by staff"
    assert Order.objects.get(pk=order_id).note == ""


def test_the_clients_own_earlier_changes_in_another_slice_do_not_make_it_stale(user_api, every_run_a_slice):
    order_id = new_id()

    body = push(user_api, [draft(1, order_id), draft(2, order_id, note="Deliver on Monday")])

    assert statuses(body) == ["applied", "applied"]
    assert Order.objects.get(pk=order_id).note == "Deliver on Monday"
