"""Property: a client following cursors ends with exactly the server's visible state.

Hypothesis generates random histories of product writes (create, edit, delete,
deactivate, reactivate, re-create a deleted id, purge tombstones) interleaved
with pulls over HTTP that use random page sizes and may stop while `has_more`
is still true (an interrupted sync, resumed by a later pull). The simulated
client applies every page exactly as PROTOCOL.md says: on `reset` it drops its
replica first, upserts replace, deletes remove, and it stores the cursor.
After the history, the client pulls until `has_more` is false; its replica
must equal what a fresh pull of the server returns, and the active products.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from catalogue.models import Product
from syncapi.models import Tombstone
from syncapi.services import tombstones_purge

PULL_URL = "/api/sync/pull/products/"

index = st.integers(min_value=0, max_value=30)  # which product; taken modulo the candidates
page_size = st.integers(min_value=1, max_value=7)

writes = st.one_of(
    st.tuples(st.just("create")),
    st.tuples(st.just("edit_name"), index, st.text(alphabet="abcxyz ", min_size=1, max_size=12)),
    st.tuples(st.just("edit_price"), index, st.integers(min_value=0, max_value=99_999)),
    st.tuples(st.just("edit_stock"), index, st.integers(min_value=0, max_value=500)),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("deactivate"), index),
    st.tuples(st.just("reactivate"), index),
    st.tuples(st.just("recreate"), index),
    st.tuples(st.just("purge")),
)
# A round: some writes, maybe a tombstone purge (so pulls get `reset`), then a pull of at
# most `max_pages` pages of `limit` records. Stopping while has_more is still true is an
# interrupted sync; the next round's pull resumes it.
rounds = st.lists(
    st.tuples(st.lists(writes, max_size=6), st.booleans(), page_size, st.integers(min_value=1, max_value=3)),
    min_size=1,
    max_size=8,
)


class Client:
    """The PWA's replica of one collection, fed page by page as PROTOCOL.md prescribes."""

    def __init__(self):
        self.http = APIClient()
        self.replica: dict[str, dict] = {}
        self.cursor: str | None = None
        self.pages = 0
        self.resets = 0
        self.interrupted = 0

    def pull_page(self, limit: int) -> bool:
        params = {"limit": limit} if self.cursor is None else {"limit": limit, "cursor": self.cursor}
        response = self.http.get(PULL_URL, params)
        assert response.status_code == 200, response.content
        page = response.json()
        ids = [r["id"] for r in page["upserts"]] + page["deletes"]
        assert len(ids) == len(set(ids)), f"a record appears twice in one page: {page}"
        assert len(ids) <= limit
        if page["reset"]:
            self.replica.clear()
            self.resets += 1
        else:
            for record in page["upserts"]:
                held = self.replica.get(record["id"])
                assert held is None or record["version"] >= held["version"], ("version went back", held, record)
        for record in page["upserts"]:
            self.replica[record["id"]] = record
        for record_id in page["deletes"]:
            self.replica.pop(record_id, None)
        self.cursor = page["cursor"]
        self.pages += 1
        return page["has_more"]

    def sync(self, limit: int, max_pages: int) -> None:
        for _ in range(max_pages):
            if not self.pull_page(limit):
                return
        self.interrupted += 1  # has_more still true: resumed by a later pull

    def sync_to_end(self, limit: int) -> None:
        # Every row and tombstone is delivered at most once per pass, and a pass
        # restarts at most once (one reset); more pages means a sync never ends.
        changes = Product.objects.count() + Tombstone.objects.filter(collection="products").count()
        max_pages = 2 * (changes // limit + 1) + 2
        resets_before = self.resets
        for _ in range(max_pages):
            if not self.pull_page(limit):
                return
        raise AssertionError(
            f"the client did not converge: has_more still true after {max_pages} pages of {limit} "
            f"for {changes} rows and tombstones ({self.resets - resets_before} resets meanwhile)"
        )


class Server:
    """Applies the generated writes to products through the ORM."""

    def __init__(self):
        self.created = 0
        self.deleted: list = []  # ids of deleted products, candidates for re-creation

    @staticmethod
    def pick(candidates: list, i: int):
        return candidates[i % len(candidates)] if candidates else None

    def existing(self, i: int, **filters) -> Product | None:
        return self.pick(list(Product.objects.filter(**filters).order_by("sku")), i)

    def create(self, **fields) -> Product:
        self.created += 1
        defaults = {"sku": f"P-{self.created}", "name": f"Product {self.created}", "price": Decimal("1.00")}
        return Product.objects.create(**{**defaults, **fields})

    def apply(self, op: tuple) -> None:
        kind, *args = op
        if kind == "create":
            self.create()
        elif kind in ("edit_name", "edit_price", "edit_stock"):
            product = self.existing(args[0])
            if product is None:
                return
            if kind == "edit_name":
                product.name = args[1]
            elif kind == "edit_price":
                product.price = Decimal(args[1]).scaleb(-2)
            else:
                product.stock = args[1]
            product.save()
        elif kind == "delete":
            product = self.existing(args[0])
            if product is not None:
                self.deleted.append(product.pk)
                product.delete()
        elif kind == "deactivate":
            product = self.existing(args[0], is_active=True)
            if product is not None:
                Product.objects.filter(pk=product.pk).update(is_active=False)
        elif kind == "reactivate":
            product = self.existing(args[0], is_active=False)
            if product is not None:
                product.is_active = True
                product.save()
        elif kind == "recreate":
            pk = self.pick(self.deleted, args[0])
            if pk is not None and not Product.objects.filter(pk=pk).exists():
                self.create(id=pk)
        elif kind == "purge":
            tombstones_purge(older_than=timedelta(0))
        else:  # pragma: no cover
            raise AssertionError(kind)


def visible_state(http: APIClient) -> dict[str, dict]:
    """The server's visible products, serialized by the pull path itself (a fresh pull)."""
    page = http.get(PULL_URL, {"limit": 5000}).json()
    assert not page["has_more"]
    assert not page["reset"]
    assert page["deletes"] == []
    return {record["id"]: record for record in page["upserts"]}


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(initial=st.integers(min_value=0, max_value=10), history=rounds, final_limit=page_size)
def test_client_following_cursors_ends_with_the_servers_visible_state(initial, history, final_limit):
    with transaction.atomic():
        server, client = Server(), Client()
        for _ in range(initial):
            server.create()
        for round_writes, purge, limit, max_pages in history:
            for op in round_writes:
                server.apply(op)
            if purge:
                server.apply(("purge",))
            client.sync(limit=limit, max_pages=max_pages)

        client.sync_to_end(limit=final_limit)
        note(f"pages={client.pages} resets={client.resets} interrupted={client.interrupted}")
        event("a pull was reset" if client.resets else "no reset")
        event("a sync was interrupted and resumed" if client.interrupted else "no interrupted sync")

        expected = visible_state(client.http)
        assert client.replica == expected
        active = {
            str(pk): (version, name, str(price))
            for pk, version, name, price in Product.objects.filter(is_active=True).values_list(
                "pk", "version", "name", "price"
            )
        }
        assert {pk: (r["version"], r["name"], r["price"]) for pk, r in client.replica.items()} == active
        transaction.set_rollback(True)
