"""Orders over the sync protocol (docs/orders.md): created offline as a group, repriced at
submission, decided by staff, each user's own. Tested from outside, over HTTP."""

import uuid
from decimal import Decimal

import pytest

from catalogue.models import Order, OrderLine, Product
from catalogue.selectors import NO_LINES, NOT_SOLD, order_submission_problems
from catalogue.serializers import CREATED_AS_DRAFT, NOT_YOURS_TO_SET
from catalogue.services import orders_decide
from syncapi.errors import MESSAGES
from tests.conftest import make_product
from tests.syncapi.test_pull import deleted_ids, pull_all, upserted
from tests.syncapi.test_push import push, statuses

pytestmark = pytest.mark.django_db


class Device:
    """One device of one user building orders: numbers its mutations like the app does."""

    def __init__(self, api):
        self.api, self.next_id, self.client_id = api, 0, str(uuid.uuid4())

    def mutation(self, collection, record_id, data=None, *, op="upsert", base_version=None, group=None) -> dict:
        self.next_id += 1
        mutation = {"id": self.next_id, "collection": collection, "op": op, "record_id": str(record_id)}
        mutation["base_version"] = base_version
        if data is not None:
            mutation["data"] = data
        if group is not None:
            mutation["group"] = group
        return mutation

    def push(self, mutations) -> dict:
        return push(self.api, mutations, client_id=self.client_id)

    def order(self, order_id, lines, *, customer="Acme", submit=True, group="order") -> list[dict]:
        """An order created as a draft with `lines` [(line id, product, quantity)], then submitted: one group."""
        mutations = [
            self.mutation("orders", order_id, {"status": "draft", "customer": customer, "note": ""}, group=group)
        ]
        for line_id, product, quantity in lines:
            data = {"order_id": str(order_id), "product_id": str(product.pk), "quantity": quantity}
            mutations.append(
                self.mutation("order_lines", line_id, {**data, "quoted_price": str(product.price)}, group=group)
            )
        if submit:
            mutations.append(self.mutation("orders", order_id, {"status": "submitted"}, group=group))
        return mutations


@pytest.fixture
def device(user_api):
    return Device(user_api)


@pytest.fixture
def products(category):
    return [make_product(category, price=Decimal(price)) for price in ("10.00", "2.50", "99.90")]


def ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


def result_of(body: dict, mutation: dict) -> dict:
    return next(result for result in body["results"] if result["id"] == mutation["id"])


def test_an_order_created_and_submitted_in_one_group_is_priced_by_the_server(device, user, products):
    order_id, *line_ids = ids(4)
    mutations = device.order(order_id, [(line_ids[i], products[i], i + 1) for i in range(3)])

    body = device.push(mutations)

    assert statuses(body) == ["applied"] * 5
    order = Order.objects.get(pk=order_id)
    assert (order.owner, order.status, order.customer) == (user, "submitted", "Acme")
    assert order.total == Decimal("10.00") + 2 * Decimal("2.50") + 3 * Decimal("99.90")
    assert order.submitted_at is not None
    assert order.currency == "EUR"
    record = result_of(body, mutations[-1])["record"]
    assert (record["status"], record["total"]) == ("submitted", "314.70")
    assert OrderLine.objects.filter(order=order, owner=user).count() == 3


def test_a_price_changed_since_the_device_quoted_it_is_repriced_and_both_prices_reach_the_device(device, products):
    order_id, line_id = ids(2)
    mutations = device.order(order_id, [(line_id, products[0], 2)])
    Product.objects.filter(pk=products[0].pk).update(price=Decimal("11.00"))  # after the device quoted 10.00

    assert statuses(device.push(mutations)) == ["applied"] * 3

    pages, _ = pull_all(device.api, "order_lines")
    [line] = upserted(pages)
    assert (line["quoted_price"], line["unit_price"], line["line_total"]) == ("10.00", "11.00", "22.00")
    assert upserted(pull_all(device.api, "orders")[0])[0]["total"] == "22.00"


def test_a_line_for_an_inactive_product_fails_the_group_and_nothing_of_the_order_is_applied(device, products):
    Product.objects.filter(pk=products[1].pk).update(is_active=False)
    order_id, *line_ids = ids(4)
    mutations = device.order(order_id, [(line_ids[i], products[i], 1) for i in range(3)])

    body = device.push(mutations)

    offending = result_of(body, mutations[2])
    assert (offending["status"], offending["code"]) == ("rejected", "invalid")
    assert offending["errors"] == {"product_id": [NOT_SOLD]}
    others = [result_of(body, m) for m in mutations if m is not mutations[2]]
    assert {(r["status"], r["code"]) for r in others} == {("rejected", "group_failed")}
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


def test_a_product_withdrawn_after_its_line_was_saved_refuses_the_submission_and_names_the_line(device, products):
    order_id, first, second = ids(3)
    device.push(device.order(order_id, [(first, products[0], 1), (second, products[1], 1)], submit=False))
    Product.objects.filter(pk=products[1].pk).update(is_active=False)
    products[0].delete()  # the line stays, without a product
    version = Order.objects.get(pk=order_id).version

    body = device.push([submit := device.mutation("orders", order_id, {"status": "submitted"}, base_version=version)])

    result = result_of(body, submit)
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert result["errors"] == {
        "lines": {str(first): {"product_id": [NOT_SOLD]}, str(second): {"product_id": [NOT_SOLD]}}
    }
    assert Order.objects.get(pk=order_id).status == "draft"


def test_an_order_with_no_lines_cannot_be_submitted(device):
    order_id = uuid.uuid4()
    body = device.push(mutations := device.order(order_id, []))

    assert result_of(body, mutations[-1])["errors"] == {"lines": [NO_LINES]}
    assert not Order.objects.exists()  # the group is all or none


def test_a_line_never_lands_without_its_order(device, products):
    line = device.mutation(
        "order_lines", uuid.uuid4(), {"order_id": str(uuid.uuid4()), "product_id": str(products[0].pk), "quantity": 1}
    )

    result = device.push([line])["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert list(result["errors"]) == ["order_id"]
    assert not OrderLine.objects.exists()


def test_a_group_resent_after_a_lost_answer_is_a_duplicate_and_leaves_one_order(device, products):
    order_id, *line_ids = ids(4)
    mutations = device.order(order_id, [(line_ids[i], products[i], 1) for i in range(3)])
    device.push(mutations)  # the answer is lost

    again = device.push(mutations)

    assert statuses(again) == ["duplicate"] * 5
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 3


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "many", None])
def test_a_quantity_that_is_not_a_positive_whole_number_is_invalid(device, products, quantity):
    order_id, line_id = ids(2)
    device.push(device.order(order_id, [], submit=False))
    data = {"order_id": str(order_id), "product_id": str(products[0].pk), "quantity": quantity}

    result = device.push([device.mutation("order_lines", line_id, data)])["results"][0]

    assert (result["status"], result["code"], list(result["errors"])) == ("rejected", "invalid", ["quantity"])


@pytest.mark.parametrize("field", ["total", "currency", "submitted_at", "decided_at", "decision_reason"])
def test_the_servers_order_fields_are_not_writable(device, field):
    data = {"status": "draft", field: "1.00"}

    result = device.push([device.mutation("orders", uuid.uuid4(), data)])["results"][0]

    assert (result["status"], result["code"], result["errors"]) == ("rejected", "invalid", {field: ["Unknown field."]})


@pytest.mark.parametrize("field", ["unit_price", "line_total"])
def test_the_servers_line_prices_are_not_writable(device, products, field):
    order_id = uuid.uuid4()
    device.push(device.order(order_id, [], submit=False))
    data = {"order_id": str(order_id), "product_id": str(products[0].pk), "quantity": 1, field: "0.01"}

    result = device.push([device.mutation("order_lines", uuid.uuid4(), data)])["results"][0]

    assert (result["code"], result["errors"]) == ("invalid", {field: ["Unknown field."]})


def rejected_forbidden(result: dict, reason: str | None = None) -> bool:
    assert (result["status"], result["code"], result["detail"]) == ("rejected", "forbidden", MESSAGES["forbidden"])
    return reason is None or result["errors"] == {"non_field_errors": [reason]}


def test_an_order_is_created_as_a_draft_not_submitted_at_once(device):
    result = device.push([device.mutation("orders", uuid.uuid4(), {"status": "submitted"})])["results"][0]
    assert rejected_forbidden(result, CREATED_AS_DRAFT)


@pytest.mark.parametrize("status", ["confirmed", "rejected"])
def test_a_user_cannot_decide_their_own_order(device, products, status):
    order_id, line_id = ids(2)
    device.push(device.order(order_id, [(line_id, products[0], 1)], submit=False))
    version = Order.objects.get(pk=order_id).version

    result = device.push([device.mutation("orders", order_id, {"status": status}, base_version=version)])["results"][0]

    assert rejected_forbidden(result, NOT_YOURS_TO_SET)
    assert Order.objects.get(pk=order_id).status == "draft"


@pytest.fixture
def submitted(device, products):
    order_id, line_id = ids(2)
    device.push(device.order(order_id, [(line_id, products[0], 1)]))
    return Order.objects.get(pk=order_id), OrderLine.objects.get(pk=line_id)


@pytest.mark.parametrize("data", [{"status": "draft"}, {"status": "cancelled"}, {"customer": "Someone else"}])
def test_a_submitted_order_is_not_changed_by_its_device(device, submitted, data):
    order, _ = submitted

    result = device.push([device.mutation("orders", order.pk, data, base_version=order.version)])["results"][0]

    assert rejected_forbidden(result, "Only a draft order is changed on a device: this one is submitted.")
    order.refresh_from_db()
    assert (order.status, order.customer) == ("submitted", "Acme")


def test_the_lines_of_a_submitted_order_are_read_only(device, submitted, products):
    order, line = submitted
    change = device.mutation("order_lines", line.pk, {"quantity": 5}, base_version=line.version)
    remove = device.mutation("order_lines", line.pk, op="delete", base_version=line.version)
    add = device.mutation(
        "order_lines", uuid.uuid4(), {"order_id": str(order.pk), "product_id": str(products[1].pk), "quantity": 1}
    )

    body = device.push([change, remove, add])

    for result in body["results"]:
        assert rejected_forbidden(result, "The lines of a submitted order cannot be changed.")
    assert list(order.lines.values_list("quantity", flat=True)) == [1]


def test_a_submitted_order_cannot_be_deleted_by_its_device(device, submitted):
    order, _ = submitted
    result = device.push([device.mutation("orders", order.pk, op="delete", base_version=order.version)])["results"][0]
    assert rejected_forbidden(result)
    assert Order.objects.filter(pk=order.pk).exists()


def test_deleting_a_draft_discards_it_with_its_lines_on_every_device(device, user_api, products):
    order_id, line_id = ids(2)
    device.push(device.order(order_id, [(line_id, products[0], 1)], submit=False))
    _, lines_cursor = pull_all(user_api, "order_lines")
    version = Order.objects.get(pk=order_id).version

    assert statuses(device.push([device.mutation("orders", order_id, op="delete", base_version=version)])) == [
        "applied"
    ]

    assert not OrderLine.objects.exists()
    pages, _ = pull_all(user_api, "order_lines", cursor=lines_cursor)
    assert deleted_ids(pages) == [str(line_id)]


def test_a_draft_can_be_cancelled(device, products):
    order_id, line_id = ids(2)
    device.push(device.order(order_id, [(line_id, products[0], 1)], submit=False))
    version = Order.objects.get(pk=order_id).version

    body = device.push([device.mutation("orders", order_id, {"status": "cancelled"}, base_version=version)])

    assert statuses(body) == ["applied"]
    assert Order.objects.get(pk=order_id).status == "cancelled"


def test_later_edits_in_the_same_push_are_not_stale_because_of_the_devices_own_earlier_ones(device, products):
    """base_version is the version the device saw: its own changes earlier in the request do not count."""
    order_id = uuid.uuid4()
    mutations = [
        device.mutation("orders", order_id, {"status": "draft", "customer": "Acme"}),
        device.mutation("orders", order_id, {"customer": "Acme Ltd"}),  # still base_version null
        device.mutation("orders", order_id, {"note": "Deliver Monday"}),
    ]

    assert statuses(device.push(mutations)) == ["applied"] * 3

    order = Order.objects.get(pk=order_id)
    assert (order.customer, order.note) == ("Acme Ltd", "Deliver Monday")


def test_a_stale_device_does_not_overwrite_a_draft_changed_elsewhere(device, user_api, products):
    order_id = uuid.uuid4()
    device.push([device.mutation("orders", order_id, {"status": "draft", "customer": "Acme"})])
    seen = Order.objects.get(pk=order_id).version
    other_device = Device(user_api)
    other_device.push([other_device.mutation("orders", order_id, {"customer": "Acme Ltd"}, base_version=seen)])

    result = device.push([device.mutation("orders", order_id, {"customer": "ACME"}, base_version=seen)])["results"][0]

    assert result["status"] == "conflict"
    assert result["record"]["customer"] == "Acme Ltd"


def test_each_user_syncs_only_their_own_orders(device, other_api, products):
    order_id, line_id = ids(2)
    device.push(device.order(order_id, [(line_id, products[0], 1)]))

    assert upserted(pull_all(other_api, "orders")[0]) == []
    assert upserted(pull_all(other_api, "order_lines")[0]) == []
    assert [r["id"] for r in upserted(pull_all(device.api, "orders")[0])] == [str(order_id)]


def test_another_user_can_neither_change_an_order_nor_add_a_line_to_it(device, other_api, products):
    order_id = uuid.uuid4()
    device.push(device.order(order_id, [], submit=False))
    intruder = Device(other_api)
    change = intruder.mutation("orders", order_id, {"customer": "Mine now"})
    line = intruder.mutation(
        "order_lines", uuid.uuid4(), {"order_id": str(order_id), "product_id": str(products[0].pk), "quantity": 1}
    )

    changed, added = intruder.push([change, line])["results"]

    assert (changed["status"], changed["code"]) == ("rejected", "forbidden")
    assert (added["status"], added["code"], list(added["errors"])) == ("rejected", "invalid", ["order_id"])
    assert Order.objects.get(pk=order_id).customer == "Acme"
    assert not OrderLine.objects.exists()


@pytest.mark.parametrize("confirm", [True, False])
def test_a_staff_decision_reaches_the_device_on_its_next_sync(device, submitted, confirm):
    order, _ = submitted
    _, cursor = pull_all(device.api, "orders")

    orders_decide(orders=Order.objects.filter(pk=order.pk), confirm=confirm, reason="Out of stock until May")

    [record] = upserted(pull_all(device.api, "orders", cursor=cursor)[0])
    expected = ("confirmed", "") if confirm else ("rejected", "Out of stock until May")
    assert (record["status"], record["decision_reason"]) == expected
    assert record["decided_at"] is not None


def test_an_order_given_to_another_user_leaves_the_first_ones_devices_with_its_lines(
    device, submitted, other_user, other_api
):
    order, line = submitted
    cursors = {name: pull_all(device.api, name)[1] for name in ("orders", "order_lines")}

    order.owner = other_user  # as the admin saves it
    order.save()

    for name, record_id in (("orders", order.pk), ("order_lines", line.pk)):
        assert deleted_ids(pull_all(device.api, name, cursor=cursors[name])[0]) == [str(record_id)]
        assert [r["id"] for r in upserted(pull_all(other_api, name)[0])] == [str(record_id)]


def test_checking_an_order_for_submission_reads_its_lines_and_products_in_one_query(
    user, products, django_assert_num_queries
):
    order = Order.objects.create(owner=user, customer="Acme")
    for product in products:
        OrderLine.objects.create(order=order, product=product, quantity=1)
    order = Order.objects.get(pk=order.pk)

    with django_assert_num_queries(1):
        assert order_submission_problems(order) == {}
