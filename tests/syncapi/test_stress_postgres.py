"""Stress (PostgreSQL): writer processes edit, delete, deactivate and create products while
reader threads pull; every reader ends exactly equal to the server.

Each round is one interleaving with its own seed: three writer *processes*
(their own interpreters and connections, plain SQL, so the triggers alone
version their writes) and three readers following cursors with random page
sizes — one of them starting from a snapshot that it builds while the
writers run (the snapshot's version must not pass a change it lacks). `make test` runs a few
rounds; `make stress` runs hundreds (STRESS_ROUNDS).
"""

import multiprocessing
import os
import random
import threading

import pytest
from django.db import connection, connections

from catalogue.models import Product
from syncapi.registry import registry
from syncapi.selectors import changes_since
from syncapi.snapshots.build import snapshots_refresh
from syncapi.snapshots.files import part_path, snapshot_storage
from syncapi.snapshots.format import part_decode
from syncapi.snapshots.selectors import snapshot_cursor, snapshot_latest
from tests.conftest import make_product
from tests.syncapi.stress_writer import write

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = int(os.environ.get("STRESS_ROUNDS", "3"))
WRITERS, READERS = 3, 3


def _dsn() -> dict:
    s = connection.settings_dict
    return {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"] or None, "host": s["HOST"],
            "port": s["PORT"] or None}  # fmt: skip


class Reader:
    """A replica following cursors, as PROTOCOL.md prescribes."""

    def __init__(self, seed: int, from_snapshot: bool):
        self.rng, self.from_snapshot = random.Random(seed), from_snapshot
        self.replica, self.cursor, self.pages, self.pages_while_writing = {}, None, 0, 0
        self.products = registry.get("products")

    def apply(self, page) -> None:
        if page.reset:
            self.replica.clear()
        for record in page.upserts:
            self.replica[str(record["id"])] = record
        for record_id in page.deletes:
            self.replica.pop(record_id, None)
        self.cursor = page.cursor
        self.pages += 1

    def pull(self, cursor=None):
        return changes_since(collection=self.products, cursor=cursor, limit=self.rng.randint(1, 6))

    def start(self) -> None:
        """The first download: a snapshot built now, while the writers write, or the first page."""
        if not self.from_snapshot:
            self.apply(self.pull())
            return
        assert snapshots_refresh(force=True)
        snapshot = snapshot_latest(collection="products")
        for part in snapshot.parts:
            with snapshot_storage().open(part_path("products", part["sha256"])) as file:
                self.replica |= {record["id"]: record for record in part_decode(file.read())[1]}
        self.cursor = snapshot_cursor(snapshot)

    def run(self, writing: threading.Event) -> None:
        try:
            self.start()
            while writing.is_set():
                self.apply(self.pull(self.cursor))
                self.pages_while_writing += 1
            while True:  # the writers are done: to the end
                page = self.pull(self.cursor)
                self.apply(page)
                if not page.has_more:
                    return
        finally:
            connections.close_all()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_writer_processes_and_readers_end_exactly_equal(round_):
    rng = random.Random(round_)
    ids = [str(make_product(stock=1).pk) for _ in range(30)]
    spawn = multiprocessing.get_context("spawn")
    writers = [spawn.Process(target=write, args=(_dsn(), rng.randrange(1 << 30), ids)) for _ in range(WRITERS)]
    readers = [Reader(rng.randrange(1 << 30), from_snapshot=i == 0) for i in range(READERS)]
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
    expected = {str(pk): version for pk, version in Product.objects.filter(is_active=True).values_list("pk", "version")}
    assert sum(reader.pages_while_writing for reader in readers) > 10  # the readers really ran beside the writers
    for reader in readers:
        assert {pk: record["version"] for pk, record in reader.replica.items()} == expected
