"""Plain updates stored in bulk (syncapi.push_plan): the same answers, rows and history as one by one.

A push's leading updates of existing products are validated before the
writers' lock and stored together under it; whatever cannot be is applied the
ordinary way at its position. Each test checks, through a spy on the bulk
store, that the fast path really ran.
"""

import dataclasses
import threading
import uuid
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection, transaction
from django.utils import timezone

from catalogue.models import Category, Favourite, Product
from syncapi import push_plan
from syncapi.models import RecordAlias, SyncClient
from syncapi.push import Mutation, mutations_apply
from syncapi.registry import registry
from syncapi.selectors import record_get
from tests.conftest import make_product
from tests.syncapi.test_push import fav_upsert, new_id, product_upsert, push, statuses, version_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_in_bulk(monkeypatch) -> list[list[str]]:
    """The ids of the records each bulk store was asked to write (a refused store counts too)."""
    calls: list[list[str]] = []
    store = push_plan.plans_store

    def spy(plans):
        calls.append([str(plan.instance.pk) for plan in plans])
        return store(plans)

    monkeypatch.setattr(push_plan, "plans_store", spy)
    return calls


def _stored_records_answered(results: list[dict]) -> None:
    """Every product an answer carries is the product as stored now."""
    products = registry.get("products")
    for record in (result.get("record") for result in results):
        if record and "sku" in record:
            assert record == record_get(collection=products, pk=record["id"])


def _without_times(result: dict) -> dict:
    """An answer without what two runs of one push never share: versions and modification times."""
    if not result.get("record"):
        return result
    record = {k: v for k, v in result["record"].items() if k not in ("version", "updated_at", "created_at")}
    return {**result, "record": record}


def pushed(api, mutations: list[dict], *, bulk: bool, stored_in_bulk: list) -> dict:
    """What a push of `mutations` answers and leaves behind, products stored in bulk or not; rolled back after."""
    products = registry.get("products")
    calls_before = len(stored_in_bulk)
    with pytest.MonkeyPatch.context() as patch, transaction.atomic():
        patch.setitem(registry._collections, "products", dataclasses.replace(products, bulk_updates=bulk))
        versions = dict(Product.objects.values_list("pk", "version"))
        body = push(api, mutations)
        _stored_records_answered(body["results"])
        outcome = {
            "last_mutation_id": body["last_mutation_id"],
            "answers": [_without_times(result) for result in body["results"]],
            "rows": sorted(Product.objects.values_list("pk", "sku", "name", "price", "stock", "category_id")),
            "written": sorted(
                pk for pk, version in Product.objects.values_list("pk", "version") if version != versions[pk]
            ),
            "history": list(
                LogEntry.objects.order_by("pk").values_list(
                    "user_id", "object_id", "object_repr", "action_flag", "change_message"
                )
            ),
            "favourites": sorted(Favourite.objects.values_list("pk", "product_id")),
        }
        transaction.set_rollback(True)
    assert (len(stored_in_bulk) > calls_before) is bulk  # the fast path ran, or did not
    return outcome


def seen(product) -> tuple[int, dict]:
    """The version and wire fields of `product` as a client pulled it."""
    record = record_get(collection=registry.get("products"), pk=product.pk)
    return record["version"], record


def changed_on_server(product, **fields) -> None:
    Product.objects.filter(pk=product.pk).update(**fields)


# --- The same as the ordinary path ---------------------------------------------------------------


@pytest.mark.parametrize("policy", ["merge", "server_wins", "client_wins"])
def test_a_bulk_push_answers_stores_and_logs_as_the_ordinary_path(
    staff_api, category, monkeypatch, stored_in_bulk, policy
):
    monkeypatch.setitem(
        registry._collections, "products", dataclasses.replace(registry.get("products"), conflict_policy=policy)
    )
    garden = Category.objects.create(name="Garden", position=2)
    p = [make_product(category, price=Decimal("10.00"), stock=5) for _ in range(10)]
    views = [seen(product) for product in p]
    changed_on_server(p[1], price=Decimal("11.00"))
    changed_on_server(p[2], stock=9)
    changed_on_server(p[3], name="Renamed on the server")
    (v0, _), (v1, r1), (v2, r2), (v3, r3) = views[:4]
    mutations = [
        product_upsert(1, p[0], {"price": "9.99", "stock": 7}, v0),  # applies
        product_upsert(2, p[1], {"name": "Mine", "price": "8.00"}, v1, base={"name": r1["name"], "price": r1["price"]}),
        product_upsert(3, p[2], {"price": "12.00"}, v2, base={"price": r2["price"]}),  # still mergeable
        product_upsert(4, p[3], {"name": "Also mine"}, v3, base={"name": r3["name"]}),  # nothing merges
        product_upsert(5, p[4], {"stock": -1}, views[4][0]),  # refused by the serializer
        product_upsert(6, p[5], {"colour": "red"}, views[5][0]),  # an unknown field
        product_upsert(7, p[6], {"category_id": str(garden.id)}, views[6][0]),
        product_upsert(9, p[7], {}, views[7][0]),  # nothing to change
        product_upsert(8, p[8], {"stock": 1}, views[8][0]),  # a duplicate (8 after 9)
        fav_upsert(10, new_id(), p[0]),  # a create: the ordinary path from here on
        product_upsert(11, p[9], {"description": "After the favourite"}, views[9][0]),
    ]

    bulk = pushed(staff_api, mutations, bulk=True, stored_in_bulk=stored_in_bulk)
    ordinary = pushed(staff_api, mutations, bulk=False, stored_in_bulk=stored_in_bulk)

    assert bulk == ordinary
    assert stored_in_bulk[0][0] == str(p[0].pk)
    assert [a["status"] for a in bulk["answers"]][-4:] == ["applied", "duplicate", "applied", "applied"]


def test_a_merge_conflict_is_split_in_bulk(staff_api, category, stored_in_bulk):
    product = make_product(category, name="Hammer", price=Decimal("12.50"))
    version, record = seen(product)
    changed_on_server(product, price=Decimal("13.00"))

    body = push(
        staff_api,
        [product_upsert(1, product, {"name": "Claw hammer", "price": "11.00"}, version, base=record)],
    )

    [result] = body["results"]
    assert (result["status"], result["fields"]) == ("conflict", ["price"])
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.price) == ("Claw hammer", Decimal("13.00"))
    assert stored.updated_at > product.updated_at  # auto_now, as save() stores it
    assert result["record"] == record_get(collection=registry.get("products"), pk=product.pk)
    assert stored_in_bulk == [[str(product.pk)]]
    [entry] = LogEntry.objects.filter(object_id=str(product.pk))
    assert entry.get_change_message() == "Changed name through sync from test."


def test_the_history_of_a_bulk_push_lists_each_change_in_order(staff_api, staff, category, stored_in_bulk):
    products = [make_product(category) for _ in range(3)]

    body = push(
        staff_api,
        [product_upsert(n, p, {"stock": n, "price": f"{n}.00"}, version_of(p)) for n, p in enumerate(products, 1)],
    )

    assert statuses(body) == ["applied"] * 3
    assert stored_in_bulk == [[str(p.pk) for p in products]]
    entries = LogEntry.objects.order_by("pk")
    assert [(e.user, e.object_id, e.action_flag, e.get_change_message()) for e in entries] == [
        (staff, str(p.pk), CHANGE, "Changed price, stock through sync from test.") for p in products
    ]
    assert [e.object_repr for e in entries] == [str(Product.objects.get(pk=p.pk)) for p in products]


def test_a_later_mutation_naming_a_bulk_updated_record_by_an_alias_compares_with_its_version_before_the_push(
    staff, staff_api, category, stored_in_bulk
):
    product = make_product(category, price=Decimal("10.00"))
    alias = new_id()  # an id this user's device once had for the product (syncapi.push._resolve)
    RecordAlias.objects.create(
        collection="products", alias_id=alias, record_id=str(product.pk), owner=staff, created_at=timezone.now()
    )
    version = version_of(product)

    body = push(
        staff_api,
        [
            product_upsert(1, product, {"stock": 1}, version),
            product_upsert(2, alias, {"price": "2.00"}, version),  # the same edit session: not stale
        ],
    )

    assert statuses(body) == ["applied", "applied"]
    assert body["results"][1]["record_id"] == str(product.pk)
    stored = Product.objects.get(pk=product.pk)
    assert (stored.stock, stored.price) == (1, Decimal("2.00"))
    assert stored_in_bulk == [[str(product.pk)]]


# --- Refused before the lock, valid in order ----------------------------------------------------


def test_an_update_refused_before_the_lock_applies_once_an_earlier_one_frees_its_sku(
    staff_api, category, stored_in_bulk
):
    first, second, third = (make_product(category, sku=sku) for sku in ("SKU-A", "SKU-B", "SKU-C"))

    body = push(
        staff_api,
        [
            product_upsert(1, first, {"sku": "SKU-FREE"}, version_of(first)),
            product_upsert(2, second, {"sku": "SKU-A"}, version_of(second)),  # taken until mutation 1 applies
            product_upsert(3, third, {"price": "3.00"}, version_of(third)),
        ],
    )

    assert statuses(body) == ["applied"] * 3
    assert [body["results"][n]["record"]["sku"] for n in range(2)] == ["SKU-FREE", "SKU-A"]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["SKU-A", "SKU-C", "SKU-FREE"]
    assert stored_in_bulk == [[str(first.pk)], [str(third.pk)]]  # the second, the ordinary way between


def test_a_batch_refused_by_a_unique_constraint_is_applied_as_the_ordinary_path_does(
    staff_api, category, stored_in_bulk
):
    first, second, third = (make_product(category) for _ in range(3))
    mutations = [
        product_upsert(1, first, {"sku": "SKU-TWICE"}, version_of(first)),
        product_upsert(2, second, {"sku": "SKU-TWICE", "stock": 4}, version_of(second)),  # free before the push
        product_upsert(3, third, {"price": "3.00"}, version_of(third)),
    ]

    bulk = pushed(staff_api, mutations, bulk=True, stored_in_bulk=stored_in_bulk)
    ordinary = pushed(staff_api, mutations, bulk=False, stored_in_bulk=stored_in_bulk)

    assert bulk == ordinary
    assert [a["status"] for a in bulk["answers"]] == ["applied", "rejected", "applied"]
    assert list(bulk["answers"][1]["errors"]) == ["sku"]
    assert stored_in_bulk == [[str(p.pk) for p in (first, second, third)]]  # tried, refused


# --- Retries --------------------------------------------------------------------------------------


def test_a_retried_bulk_push_answers_duplicate_and_changes_nothing(staff_api, category, stored_in_bulk):
    products = [make_product(category) for _ in range(4)]
    first = [product_upsert(n, p, {"stock": 40 + n}, version_of(p)) for n, p in enumerate(products[:3], 1)]
    assert statuses(push(staff_api, first)) == ["applied"] * 3
    after = sorted(Product.objects.values_list("pk", "stock", "version"))
    history = LogEntry.objects.count()

    retry = push(staff_api, first)
    with_one_more = push(staff_api, [*first, product_upsert(4, products[3], {"stock": 44}, version_of(products[3]))])

    assert statuses(retry) == ["duplicate"] * 3
    assert statuses(with_one_more) == ["duplicate"] * 3 + ["applied"]
    assert with_one_more["last_mutation_id"] == 4
    assert sorted(Product.objects.exclude(pk=products[3].pk).values_list("pk", "stock", "version")) == [
        row for row in after if row[0] != products[3].pk
    ]
    assert LogEntry.objects.count() == history + 1
    assert stored_in_bulk == [[str(p.pk) for p in products[:3]], [str(products[3].pk)]]


# --- Another writer between the plan and the lock -------------------------------------------------


def _in_another_connection(work) -> None:
    """Run `work` in a thread of its own (its own connection, committing), and wait for it to end."""
    failures = []

    def run():
        try:
            work()
        except Exception as exc:  # noqa: BLE001 (re-raised in the test's thread)
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures


@pytest.fixture
def between_the_phases(monkeypatch):
    """Set `work` to run, committed by another connection, after the next push planned and before it locks."""
    pending = []
    plan = push_plan.plans_make

    def planned_then_interrupted(**kwargs):
        leading = plan(**kwargs)
        while pending:
            _in_another_connection(pending.pop())
        return leading

    monkeypatch.setattr(push_plan, "plans_make", planned_then_interrupted)
    return pending.append


@pytest.mark.django_db(transaction=True)
def test_a_row_changed_by_another_writer_before_the_lock_is_merged_again(
    staff_api, category, stored_in_bulk, between_the_phases
):
    product = make_product(category, name="Saw", price=Decimal("20.00"))
    version, record = seen(product)
    between_the_phases(lambda: changed_on_server(product, price=Decimal("25.00")))

    body = push(staff_api, [product_upsert(1, product, {"price": "18.00"}, version, base=record)])

    [result] = body["results"]
    assert (result["status"], result["fields"]) == ("conflict", ["price"])
    assert Product.objects.get(pk=product.pk).price == Decimal("25.00")
    assert result["record"] == record_get(collection=registry.get("products"), pk=product.pk)
    assert stored_in_bulk == []


@pytest.mark.django_db(transaction=True)
def test_a_category_deleted_before_the_lock_refuses_the_update_as_the_ordinary_path_does(
    staff_api, category, stored_in_bulk, between_the_phases
):
    garden = Category.objects.create(name="Garden", position=2)
    product, other = make_product(category), make_product(category)
    between_the_phases(lambda: Category.objects.filter(pk=garden.pk).delete())

    body = push(
        staff_api,
        [
            product_upsert(1, product, {"category_id": str(garden.id)}, version_of(product)),
            product_upsert(2, other, {"stock": 8}, version_of(other)),
        ],
    )

    moved, stocked = body["results"]
    assert (moved["status"], moved["code"], list(moved["errors"])) == ("rejected", "invalid", ["category_id"])
    assert stocked["status"] == "applied"
    assert Product.objects.get(pk=product.pk).category_id == category.id
    assert stored_in_bulk == [[str(other.pk)]]


@pytest.mark.django_db(transaction=True)
def test_updates_another_push_of_the_client_answered_before_the_lock_are_duplicates(
    staff, staff_api, category, stored_in_bulk, between_the_phases
):
    products = [make_product(category) for _ in range(2)]
    unrelated = make_product(category)
    client_id = str(uuid.uuid4())
    # The same device's next push, sent again on a flaky link, overtakes this one: it holds id 9.
    later = Mutation(id=9, collection="products", op="upsert", record_id=str(unrelated.pk), data={})
    between_the_phases(lambda: mutations_apply(user=staff, client_id=client_id, mutations=[later]))
    before = sorted(Product.objects.values_list("pk", "stock", "version"))

    body = push(
        staff_api,
        [product_upsert(n, p, {"stock": 70 + n}, version_of(p)) for n, p in enumerate(products, 1)],
        client_id=client_id,
    )

    assert statuses(body) == ["duplicate", "duplicate"]
    assert body["last_mutation_id"] == 9
    assert sorted(Product.objects.values_list("pk", "stock", "version")) == before
    assert SyncClient.objects.get(client_id=client_id).last_mutation_id == 9
    assert stored_in_bulk == []
