"""Property: a device following its orders' cursors ends with exactly its user's orders and lines.

Hypothesis generates histories of order writes by two users' devices and by
staff: drafts created and submitted through pushes (each order a group),
lines added and removed, orders given to the other user, deleted, decided,
products withdrawn; interleaved with partial pulls of `orders` and
`order_lines` by Alice's device. After the history the device pulls to the
end; its replica of each collection must equal a fresh pull, and hold every
line of Alice's orders and no other.
"""

import uuid

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from catalogue.models import Order, OrderLine, Product
from catalogue.services import orders_decide
from tests.conftest import client_for, make_product

COLLECTIONS = ("orders", "order_lines")
index = st.integers(min_value=0, max_value=20)
user = st.sampled_from(["alice", "bob"])

writes = st.one_of(
    st.tuples(st.just("order"), user, st.integers(min_value=0, max_value=4), st.booleans()),
    st.tuples(st.just("add_line"), index, index),
    st.tuples(st.just("remove_line"), index),
    st.tuples(st.just("submit"), index),
    st.tuples(st.just("reassign"), index),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("decide"), index, st.booleans()),
    st.tuples(st.just("withdraw"), index),
)
rounds = st.lists(
    st.tuples(
        st.lists(writes, max_size=5), st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=3)
    ),
    min_size=1,
    max_size=8,
)


class Replica:
    """One device's copy of a collection, fed page by page as PROTOCOL.md prescribes."""

    def __init__(self, http: APIClient, collection: str):
        self.http, self.url = http, f"/api/sync/pull/{collection}/"
        self.records: dict[str, dict] = {}
        self.cursor = None

    def pull_page(self, limit: int) -> bool:
        params = {"limit": limit} if self.cursor is None else {"limit": limit, "cursor": self.cursor}
        page = self.http.get(self.url, params).json()
        if page["reset"]:
            self.records.clear()
        for record in page["upserts"]:
            self.records[record["id"]] = record
        for record_id in page["deletes"]:
            self.records.pop(record_id, None)
        self.cursor = page["cursor"]
        return page["has_more"]

    def sync(self, limit: int, max_pages: int = 1000) -> bool:
        """Pull up to `max_pages` pages; whether the end was reached."""
        return any(not self.pull_page(limit) for _ in range(max_pages))

    def fresh(self) -> dict[str, dict]:
        page = self.http.get(self.url, {"limit": 5000}).json()
        assert not page["has_more"]
        return {record["id"]: record for record in page["upserts"]}


class Devices:
    """The users' devices pushing orders (each order one group), and staff acting in the admin."""

    def __init__(self, users: dict, products: list[Product]):
        self.users, self.products = users, products
        self.http = {name: client_for(u) for name, u in users.items()}
        self.next_id = {name: 0 for name in users}
        self.client_id = {name: str(uuid.uuid4()) for name in users}

    def push(self, name: str, *mutations: dict) -> list[str]:
        for mutation in mutations:
            self.next_id[name] += 1
            mutation["id"] = self.next_id[name]
        body = {"client_id": self.client_id[name], "mutations": list(mutations)}
        response = self.http[name].post("/api/sync/push/", body, format="json")
        assert response.status_code == 200, response.content
        return [result["status"] for result in response.json()["results"]]

    @staticmethod
    def pick(queryset, i: int):
        items = list(queryset.order_by("pk"))
        return items[i % len(items)] if items else None

    def owner_name(self, order: Order) -> str:
        return next(name for name, u in self.users.items() if u.pk == order.owner_id)

    def line(self, order_id: str, product: Product, quantity: int = 1) -> dict:
        data = {"order_id": order_id, "product_id": str(product.pk), "quantity": quantity}
        return {"collection": "order_lines", "op": "upsert", "record_id": str(uuid.uuid4()), "base_version": None,
                "data": data, "group": order_id}  # fmt: skip

    def apply(self, op: tuple) -> None:
        kind, *args = op
        if kind == "order":
            name, lines, submit = args
            order_id = str(uuid.uuid4())
            mutations = [{"collection": "orders", "op": "upsert", "record_id": order_id, "base_version": None,
                          "data": {"status": "draft", "customer": "Shop", "note": ""}, "group": order_id}]  # fmt: skip
            mutations += [self.line(order_id, self.products[k % len(self.products)], k + 1) for k in range(lines)]
            if submit:
                mutations.append({"collection": "orders", "op": "upsert", "record_id": order_id, "base_version": None,
                                  "data": {"status": "submitted"}, "group": order_id})  # fmt: skip
            statuses = self.push(name, *mutations)
            event("an order group failed" if "rejected" in statuses else "an order group applied")
            return
        if kind == "add_line":
            order = self.pick(Order.objects.filter(status="draft"), args[0])
            if order is not None:
                self.push(self.owner_name(order), self.line(str(order.pk), self.products[args[1] % len(self.products)]))
        elif kind == "remove_line":
            line = self.pick(OrderLine.objects.filter(order__status="draft"), args[0])
            if line is not None:
                delete = {"collection": "order_lines", "op": "delete", "record_id": str(line.pk), "base_version": None}
                self.push(self.owner_name(line.order), delete)
        elif kind == "submit":
            order = self.pick(Order.objects.filter(status="draft"), args[0])
            if order is not None:
                submit = {"collection": "orders", "op": "upsert", "record_id": str(order.pk),
                          "base_version": order.version, "data": {"status": "submitted"}}  # fmt: skip
                self.push(self.owner_name(order), submit)
        elif kind == "reassign":
            order = self.pick(Order.objects.all(), args[0])
            if order is not None:
                order.owner = next(u for u in self.users.values() if u.pk != order.owner_id)
                order.save()  # as the admin does
        elif kind == "delete":
            order = self.pick(Order.objects.all(), args[0])
            if order is not None:
                order.delete()  # staff, in the admin: the lines go with it
        elif kind == "decide":
            order = self.pick(Order.objects.filter(status="submitted"), args[0])
            if order is not None:
                orders_decide(orders=Order.objects.filter(pk=order.pk), confirm=args[1], reason="stock")
        elif kind == "withdraw":
            product = self.products[args[0] % len(self.products)]
            Product.objects.filter(pk=product.pk).update(is_active=not Product.objects.get(pk=product.pk).is_active)
        else:  # pragma: no cover
            raise AssertionError(kind)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(history=rounds, final_limit=st.integers(min_value=1, max_value=6))
def test_a_device_following_its_cursors_ends_with_exactly_its_users_orders(django_user_model, history, final_limit):
    with transaction.atomic():
        users = {
            name: django_user_model.objects.create_user(f"{name}-{uuid.uuid4().hex[:6]}") for name in ("alice", "bob")
        }
        devices = Devices(users, [make_product() for _ in range(3)])
        alice = {name: Replica(devices.http["alice"], name) for name in COLLECTIONS}
        for round_writes, limit, max_pages in history:
            for op in round_writes:
                devices.apply(op)
            for replica in alice.values():
                replica.sync(limit, max_pages)

        for replica in alice.values():
            assert replica.sync(final_limit), "the device did not reach the end of its changes"
            assert replica.records == replica.fresh()
        mine = Order.objects.filter(owner=users["alice"])
        assert set(alice["orders"].records) == {str(pk) for pk in mine.values_list("pk", flat=True)}
        lines = OrderLine.objects.filter(order__in=mine)
        assert set(alice["order_lines"].records) == {str(pk) for pk in lines.values_list("pk", flat=True)}
        assert all(record["order_id"] in alice["orders"].records for record in alice["order_lines"].records.values())
        transaction.set_rollback(True)
