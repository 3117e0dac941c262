"""A line always carries its order's stored owner, however the order was given away meanwhile.

Lines sync by the owner they carry (docs/orders.md), so a line with another
owner than its order would stay on the first user's devices and never reach
the second's. The writers here really commit, outside any test transaction.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from catalogue.models import Order, OrderLine
from tests.conftest import make_product

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_line_saved_with_an_out_of_date_order_takes_the_stored_owner(django_user_model):
    alice = django_user_model.objects.create_user("alice")
    bob = django_user_model.objects.create_user("bob")
    order = Order.objects.create(owner=alice, customer="Shop")
    seen = Order.objects.get(pk=order.pk)  # read before staff give the order to Bob
    order.owner = bob
    order.save()

    line = OrderLine.objects.create(order=seen, product=make_product(), quantity=1)

    assert line.owner_id == bob.pk
    assert OrderLine.objects.get(pk=line.pk).owner_id == bob.pk


def _blocked_or_done(thread: threading.Thread) -> None:
    """Wait until `thread` has finished or some other backend waits for a lock (polled, not slept)."""
    with connection.cursor() as probe:
        for _ in range(10_000):
            if not thread.is_alive():
                return
            probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if probe.fetchone()[0]:
                return
            probe.execute("SELECT pg_sleep(0.005)")
    raise AssertionError("the reassignment neither finished nor waited")


def _in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
def test_a_line_added_while_its_order_is_reassigned_follows_the_order(django_user_model):
    alice = django_user_model.objects.create_user("alice")
    bob = django_user_model.objects.create_user("bob")
    order = Order.objects.create(owner=alice, customer="Shop")
    product = make_product()
    line_saved, commit_line = threading.Event(), threading.Event()

    def add_line():  # a device's push: the line is written, the transaction not yet committed
        with transaction.atomic():
            OrderLine(order=Order.objects.get(pk=order.pk), product=product, quantity=1).save()
            line_saved.set()
            assert commit_line.wait(30)

    def reassign():  # staff give the order to Bob meanwhile
        stored = Order.objects.get(pk=order.pk)
        stored.owner = bob
        stored.save()

    adding = _in_thread(add_line)
    assert line_saved.wait(30)
    reassigning = _in_thread(reassign)
    _blocked_or_done(reassigning)
    commit_line.set()
    adding.join(30)
    reassigning.join(30)

    assert not adding.is_alive()
    assert not reassigning.is_alive()
    assert Order.objects.get(pk=order.pk).owner_id == bob.pk
    assert list(OrderLine.objects.values_list("owner_id", flat=True)) == [bob.pk]
