"""Stress (PostgreSQL): writer processes edit, delete, deactivate and create products, and
create, change, submit, reassign and delete orders with their lines, while reader threads
pull; every reader ends exactly equal to the server.

Each round is one interleaving with its own seed: three writer *processes*
(their own interpreters and connections, plain SQL, so the triggers alone
version their writes) and three readers following cursors with random page
sizes. Each reader follows the products and one user's orders and order lines;
one starts its products from a snapshot that it builds while the writers run
(the snapshot's version must not pass a change it lacks). `make test` runs a few
rounds; `make stress` runs hundreds (STRESS_ROUNDS).
"""

import multiprocessing
import os
import random
import threading

import pytest
from django.db import connection, connections
from django.db.models import F

from catalogue.models import Order, OrderLine, Product
from syncapi.registry import registry
from syncapi.selectors import changes_since
from syncapi.snapshots.build import snapshots_refresh
from syncapi.snapshots.files import part_path, snapshot_storage
from syncapi.snapshots.format import part_decode
from syncapi.snapshots.selectors import snapshot_cursor, snapshot_latest
from syncapi.versioning import PG_LOCK_KEY
from tests.conftest import make_product
from tests.syncapi.stress_writer import write

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = int(os.environ.get("STRESS_ROUNDS", "3"))
WRITERS, READERS = 3, 3


def _dsn() -> dict:
    s = connection.settings_dict
    return {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"] or None, "host": s["HOST"],
            "port": s["PORT"] or None}  # fmt: skip


class Feed:
    """A replica of one collection following cursors, as PROTOCOL.md prescribes."""

    def __init__(self, name: str, user=None):
        self.collection, self.user = registry.get(name), user
        self.replica, self.cursor = {}, None

    def apply(self, page) -> None:
        if page.reset:
            self.replica.clear()
        for record in page.upserts:
            self.replica[str(record["id"])] = record
        for record_id in page.deletes:
            self.replica.pop(record_id, None)
        self.cursor = page.cursor

    def pull(self, limit: int):
        page = changes_since(collection=self.collection, cursor=self.cursor, limit=limit, user=self.user)
        self.apply(page)
        return page

    def versions(self) -> dict[str, int]:
        return {pk: record["version"] for pk, record in self.replica.items()}


class Reader:
    """A device: the products, and its user's orders and order lines."""

    def __init__(self, seed: int, user, from_snapshot: bool):
        self.rng, self.from_snapshot = random.Random(seed), from_snapshot
        self.products = Feed("products")
        self.orders, self.lines = Feed("orders", user), Feed("order_lines", user)
        self.feeds = [self.products, self.orders, self.lines]
        self.pages_while_writing = 0

    def start(self) -> None:
        """The first download of the products: a snapshot built now, while the writers write, or pages."""
        if not self.from_snapshot:
            return
        assert snapshots_refresh(force=True)
        snapshot = snapshot_latest(collection="products")
        for part in snapshot.parts:
            with snapshot_storage().open(part_path("products", part["sha256"])) as file:
                self.products.replica |= {record["id"]: record for record in part_decode(file.read())[1]}
        self.products.cursor = snapshot_cursor(snapshot)

    def run(self, writing: threading.Event) -> None:
        try:
            self.start()
            while writing.is_set():
                self.rng.choice(self.feeds).pull(self.rng.randint(1, 6))
                self.pages_while_writing += 1
            for feed in self.feeds:  # the writers are done: to the end
                while feed.pull(self.rng.randint(1, 6)).has_more:
                    pass
        finally:
            connections.close_all()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_writer_processes_and_readers_end_exactly_equal(round_, django_user_model):
    rng = random.Random(round_)
    ids = [str(make_product(stock=1).pk) for _ in range(30)]
    users = [django_user_model.objects.create_user(name) for name in ("alice", "bob")]
    spawn = multiprocessing.get_context("spawn")
    user_ids = [user.pk for user in users]
    writers = [
        spawn.Process(target=write, args=(_dsn(), rng.randrange(1 << 30), ids, user_ids, PG_LOCK_KEY))
        for _ in range(WRITERS)
    ]
    readers = [Reader(rng.randrange(1 << 30), users[i % 2], from_snapshot=i == 0) for i in range(READERS)]
    writing = threading.Event()
    writing.set()
    threads = [threading.Thread(target=reader.run, args=(writing,)) for reader in readers]
    for process in writers:
        process.start()
    for thread in threads:
        thread.start()
    for process in writers:
        process.join(timeout=120)
    writing.clear()
    for thread in threads:
        thread.join(timeout=120)

    assert [process.exitcode for process in writers] == [0] * WRITERS
    assert not any(thread.is_alive() for thread in threads)
    assert sum(reader.pages_while_writing for reader in readers) > 10  # the readers really ran beside the writers
    assert OrderLine.objects.exists()  # the writers really made orders with lines
    assert not OrderLine.objects.exclude(owner=F("order__owner")).exists()
    products = _versions(Product.objects.filter(is_active=True))
    for reader in readers:
        user = reader.orders.user
        assert reader.products.versions() == products
        assert reader.orders.versions() == _versions(Order.objects.filter(owner=user))
        assert reader.lines.versions() == _versions(OrderLine.objects.filter(owner=user))
        assert {line["order_id"] for line in reader.lines.replica.values()} <= set(reader.orders.replica)


def _versions(queryset) -> dict[str, int]:
    return {str(pk): version for pk, version in queryset.values_list("pk", "version")}
