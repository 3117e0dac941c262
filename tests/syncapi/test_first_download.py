"""A first download from a snapshot, then deltas, ends equal to the server: over real HTTP.

Every request goes to a live server and is handled outside any test
transaction, as in production, and snapshots are built and served for real
(files, lease, identity checks). The first three tests are the failures of
the page cache that snapshots replaced; each failed on that code.
"""

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models.functions import Lower
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from catalogue.models import Category, Product
from syncapi.models import Snapshot, SyncConfiguration
from syncapi.registry import registry
from syncapi.services import tombstones_purge
from tests.conftest import build_snapshots, make_product
from tests.syncapi.device import Device


@pytest.fixture
def small_parts(settings):
    """Parts of 3 records: a download of a few records has several, so it can be cut half-way."""
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_PART_RECORDS": 3}


def server_state(live_server, collection: str) -> dict[str, dict]:
    """The server's visible records, as a download of pages from the beginning reads them."""
    device = Device(live_server.url, collection)
    device.cursor = None
    return device.sync()


# --- The page cache's three failures ------------------------------------------------------------


def test_a_category_deleted_then_purged_is_not_in_a_new_devices_first_download(live_server):
    doomed = Category.objects.create(name="Doomed", position=1)
    for n in range(4):
        Category.objects.create(name=f"C{n}", position=n + 2)
    build_snapshots()
    Device(live_server.url, "categories").first_download()
    doomed_id = str(doomed.pk)
    doomed.delete()
    tombstones_purge(older_than=timedelta(0))  # with no other category edit in between
    build_snapshots()

    replica = Device(live_server.url, "categories").first_download()

    assert doomed_id not in replica
    assert replica == server_state(live_server, "categories")


def test_a_field_added_with_a_schema_version_bump_is_in_every_new_first_download(live_server, monkeypatch):
    category = Category.objects.create(name="Tools", position=1)
    for _ in range(7):
        make_product(category)
    build_snapshots()
    Device(live_server.url, "products").first_download()
    # A deploy: the registration gains a field, and schema_version is raised.
    products = registry.get("products")
    monkeypatch.setitem(
        registry._collections, "products",
        dataclasses.replace(products, fields={**products.fields, "sku_lower": Lower("sku")}),
    )  # fmt: skip
    SyncConfiguration.objects.update_or_create(pk=1, defaults={"schema_version": 2})

    replica = Device(live_server.url, "products").first_download()

    assert len(replica) == 7
    assert all(record["sku_lower"] == record["sku"].lower() for record in replica.values())


def test_a_product_edited_during_a_first_download_is_in_it_when_it_ends(live_server, small_parts):
    category = Category.objects.create(name="Tools", position=1)
    products = [make_product(category) for _ in range(12)]
    build_snapshots()
    edited = products[4]

    def between(requests: int) -> None:
        if requests == 2:  # the snapshot's offer and its first part are in
            edited.name = "Edited during the download"
            edited.save()

    replica = Device(live_server.url, "products", between=between).first_download()

    assert replica[str(edited.pk)]["name"] == "Edited during the download"
    assert replica == server_state(live_server, "products")


# --- Convergence ---------------------------------------------------------------------------------


def test_a_snapshot_rebuilt_while_a_device_downloads_the_previous_one(live_server, small_parts):
    """The device goes on with the parts of the snapshot it started (they are kept a while), then
    pulls the deltas after it; or, once those files are gone, starts over from the new one."""
    category = Category.objects.create(name="Tools", position=1)
    products = [make_product(category) for _ in range(10)]
    build_snapshots()
    first = Snapshot.objects.get(collection="products", retired_at=None)

    def rebuild(requests: int) -> None:
        if requests == 2:
            products[0].delete()
            make_product(category, name="New")
            build_snapshots(force=True)

    continued = Device(live_server.url, "products", between=rebuild)
    continued.first_download()
    assert continued.started_from == first.version  # the old snapshot, then deltas
    assert continued.replica == server_state(live_server, "products")


def test_a_device_whose_snapshot_files_were_deleted_mid_download_starts_over(live_server, small_parts, settings):
    category = Category.objects.create(name="Tools", position=1)
    products = [make_product(category) for _ in range(10)]
    build_snapshots()
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_KEEP_RETIRED_HOURS": 0}

    def rebuild(requests: int) -> None:
        if requests == 2:
            products[1].name = "Renamed"
            products[1].save()
            build_snapshots(force=True)  # and the retired one's files are deleted at once

    device = Device(live_server.url, "products", between=rebuild)
    device.first_download()

    current = Snapshot.objects.get(collection="products", retired_at=None)
    assert device.started_from == current.version
    assert device.replica == server_state(live_server, "products")


index = st.integers(min_value=0, max_value=30)
writes = st.one_of(
    st.tuples(st.just("create")),
    st.tuples(st.just("edit"), index, st.integers(min_value=0, max_value=99_999)),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("deactivate"), index),
    st.tuples(st.just("reactivate"), index),
    st.tuples(st.just("recreate"), index),
    st.tuples(st.just("purge")),
    st.tuples(st.just("build")),
    st.tuples(st.just("build_and_prune")),
)


class Server:
    """Applies generated writes to products, and builds snapshots, as an admin and cron would."""

    def __init__(self, settings):
        self.settings = settings
        self.deleted: list = []
        self.created = 0

    def product(self, i: int, **filters) -> Product | None:
        candidates = list(Product.objects.filter(**filters).order_by("sku"))
        return candidates[i % len(candidates)] if candidates else None

    def create(self, **fields) -> Product:
        self.created += 1
        return make_product(None, name=f"P {self.created}", **fields)

    def apply(self, op: tuple) -> None:
        kind, *args = op
        if kind == "create":
            self.create()
        elif kind == "edit" and (product := self.product(args[0])):
            product.price = Decimal(args[1]).scaleb(-2)
            product.save()
        elif kind == "delete" and (product := self.product(args[0])):
            self.deleted.append(product.pk)
            product.delete()
        elif kind == "deactivate" and (product := self.product(args[0], is_active=True)):
            Product.objects.filter(pk=product.pk).update(is_active=False)
        elif kind == "reactivate" and (product := self.product(args[0], is_active=False)):
            product.is_active = True
            product.save()
        elif kind == "recreate" and self.deleted:
            pk = self.deleted[args[0] % len(self.deleted)]
            if not Product.objects.filter(pk=pk).exists():
                self.create(id=pk)
        elif kind == "purge":
            tombstones_purge(older_than=timedelta(0))
        elif kind in ("build", "build_and_prune"):
            keep = 0 if kind == "build_and_prune" else 24
            self.settings.SYNCAPI = {**self.settings.SYNCAPI, "SNAPSHOT_KEEP_RETIRED_HOURS": keep}
            build_snapshots(force=True)


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.lists(writes, max_size=8),
    during=st.lists(st.lists(writes, max_size=3), max_size=8),
    limit=st.integers(min_value=1, max_value=4),
)
def test_a_device_starting_from_any_snapshot_ends_equal_to_the_server(
    live_server, settings, small_parts, before, during, limit
):
    """Any history of edits, deletes, deactivations, re-creations, purges and rebuilds, then a
    device's first download with more of them between its requests: once it has pulled to the
    end, its replica is the server's visible state. (The database is not emptied between
    examples: the property holds from any state.)"""
    server = Server(settings)
    for op in before:
        server.apply(op)

    def between(requests: int) -> None:
        for op in during[requests - 1] if requests <= len(during) else []:
            server.apply(op)

    device = Device(live_server.url, "products", between=between)
    device.first_download(limit=limit)
    device.between = None
    device.sync(limit=limit)  # whatever the last writes changed

    note(f"requests={device.requests} started_from={device.started_from} resets={device.resets}")
    event("from a snapshot" if device.started_from is not None else "from the beginning")
    event("reset on the way" if device.resets else "no reset")
    assert device.replica == server_state(live_server, "products")
    active = dict(Product.objects.filter(is_active=True).values_list("pk", "version"))
    assert {record_id: record["version"] for record_id, record in device.replica.items()} == {
        str(pk): version for pk, version in active.items()
    }
