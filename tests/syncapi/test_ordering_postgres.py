"""The one rule: a reader following cursors never skips a change (PostgreSQL).

Writers here run on their own connections and really commit, so the tests see
what concurrent clients would: transactions that commit in a different order
than they started, and writers racing a reader.
"""

import random
import threading

import psycopg
import pytest
from django.db import connection, connections

from catalogue.models import Product
from syncapi.registry import registry
from syncapi.selectors import changes_since
from tests.conftest import make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _connect() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"], port=s["PORT"] or None
    )


def _pull_all(cursor, replica: dict, limit: int = 2):
    """Follow cursors until has_more is false, applying pages to `replica`."""
    products = registry.get("products")
    while True:
        page = changes_since(collection=products, cursor=cursor, limit=limit)
        if page.reset:
            replica.clear()
        for record in page.upserts:
            replica[str(record["id"])] = record
        for record_id in page.deletes:
            replica.pop(record_id, None)
        cursor = page.cursor
        if not page.has_more:
            return cursor


def _wait_until_blocked(pid: int) -> None:
    """Wait until backend `pid` waits for a lock (polling the server, not sleeping blindly)."""
    with _connect() as probe:
        for _ in range(10_000):
            row = probe.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
            if row and row[0] == "Lock":
                return
            probe.execute("SELECT pg_sleep(0.005)")
    raise AssertionError(f"backend {pid} never blocked")


def test_pull_never_skips_a_transaction_that_started_first_and_committed_last():
    x, y = make_product(), make_product()
    replica = {}
    cursor = _pull_all(None, replica)

    with _connect() as t1, _connect() as t2:
        t1.execute("SELECT now()")  # T1 starts: its now() is fixed from here on
        t2.execute("UPDATE catalogue_product SET price = 2, updated_at = now() WHERE id = %s", [y.pk])
        t2.commit()  # T2 started second, commits first

        cursor = _pull_all(cursor, replica)
        assert replica[str(y.pk)]["price"] == "2.00"

        t1.execute("UPDATE catalogue_product SET price = 1, updated_at = now() WHERE id = %s", [x.pk])
        t1.commit()  # T1 started first, commits last

    x.refresh_from_db()
    y.refresh_from_db()
    # An "updated_at > last sync" cursor would skip X: it carries the older timestamp.
    assert x.updated_at < y.updated_at
    _pull_all(cursor, replica)
    assert replica[str(x.pk)]["price"] == "1.00"
    assert replica[str(x.pk)]["version"] == x.version > y.version


def test_pull_waits_for_a_writer_that_holds_an_earlier_version():
    x, y = make_product(), make_product()
    replica = {}
    cursor = _pull_all(None, replica)

    with _connect() as t1, _connect() as t2:
        t1.execute("UPDATE catalogue_product SET stock = 11 WHERE id = %s", [x.pk])  # T1 takes a version, holds it

        def second_writer():
            t2.execute("UPDATE catalogue_product SET stock = 22 WHERE id = %s", [y.pk])
            t2.commit()

        writer = threading.Thread(target=second_writer)
        writer.start()
        _wait_until_blocked(t2.info.backend_pid)  # T2 must wait for T1: versions follow commit order

        before = dict(replica)
        cursor = _pull_all(cursor, replica)
        assert replica == before  # nothing committed yet, nothing delivered, cursor not advanced

        t1.commit()
        writer.join(timeout=30)
        assert not writer.is_alive()

    _pull_all(cursor, replica)
    assert replica[str(x.pk)]["stock"] == 11
    assert replica[str(y.pk)]["stock"] == 22
    assert replica[str(x.pk)]["version"] < replica[str(y.pk)]["version"]


def test_concurrent_writers_and_a_reader_end_in_an_exact_match():
    rng = random.Random(7)
    ids = [make_product().pk for _ in range(40)]
    errors = []

    def writer(seed: int):
        local = random.Random(seed)
        try:
            for _ in range(150):
                op = local.random()
                pk = local.choice(ids)
                if op < 0.5:
                    Product.objects.filter(pk=pk).update(stock=local.randint(0, 1000))
                elif op < 0.65:
                    Product.objects.filter(pk=pk).update(is_active=local.random() < 0.5)
                elif op < 0.8:
                    Product.objects.filter(pk=pk).delete()
                else:
                    ids.append(make_product().pk)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    writers = [threading.Thread(target=writer, args=(rng.randrange(1 << 30),)) for _ in range(4)]
    products = registry.get("products")
    replica, cursor, pages_during_writes = {}, None, 0
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):
        # One page at a time, so the reader's pages interleave with the writers' commits.
        page = changes_since(collection=products, cursor=cursor, limit=rng.randint(1, 5))
        for record in page.upserts:
            replica[str(record["id"])] = record
        for record_id in page.deletes:
            replica.pop(record_id, None)
        cursor = page.cursor
        pages_during_writes += 1
    for thread in writers:
        thread.join()
    _pull_all(cursor, replica, limit=3)

    assert not errors, errors
    assert pages_during_writes > 10  # the reader really ran beside the writers
    expected = dict(Product.objects.filter(is_active=True).values_list("pk", "version"))
    assert {k: v["version"] for k, v in replica.items()} == {str(k): v for k, v in expected.items()}
