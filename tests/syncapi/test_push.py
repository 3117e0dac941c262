"""Contract tests of POST /api/sync/push/ (PROTOCOL.md), over HTTP."""

import dataclasses
import json
import urllib.request
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from catalogue.models import NEGATIVE_STOCK, Category, Favourite, Product
from catalogue.serializers import ProductWriteSerializer
from syncapi.conf import sync_settings
from syncapi.models import RecordAlias, Tombstone
from syncapi.registry import registry
from syncapi.services import tombstones_purge
from syncapi.tokens import token_create
from tests.conftest import client_for, make_product

pytestmark = pytest.mark.django_db

PUSH_URL = "/api/sync/push/"
CLIENT_ID = "7d1c5d2e-0000-4000-8000-000000000001"
OTHER_CLIENT_ID = "7d1c5d2e-0000-4000-8000-000000000002"
REJECTION_CODES = {"invalid", "forbidden", "not_found", "unknown_collection"}


def new_id() -> str:
    return str(uuid.uuid4())


def push(client, mutations: list[dict], client_id: str = CLIENT_ID) -> dict:
    """Push `mutations`; the request itself must succeed."""
    response = client.post(PUSH_URL, {"client_id": client_id, "mutations": mutations}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["id"] for r in body["results"]] == [m["id"] for m in mutations]
    return body


def statuses(body: dict) -> list[str]:
    return [result["status"] for result in body["results"]]


def fav_upsert(mid: int, record_id: str, product, base_version: int | None = None) -> dict:
    return {
        "id": mid,
        "collection": "favourites",
        "op": "upsert",
        "record_id": record_id,
        "base_version": base_version,
        "data": {"product_id": str(product.id)},
    }


def fav_delete(mid: int, record_id: str, base_version: int | None = None) -> dict:
    return {"id": mid, "collection": "favourites", "op": "delete", "record_id": record_id, "base_version": base_version}


def product_upsert(mid: int, product, data: dict, base_version: int | None, base: dict | None = None) -> dict:
    mutation = {
        "id": mid,
        "collection": "products",
        "op": "upsert",
        "record_id": str(product.id) if not isinstance(product, str) else product,
        "base_version": base_version,
        "data": data,
    }
    if base is not None:
        mutation["base"] = base
    return mutation


def version_of(instance) -> int:
    return type(instance)._default_manager.values_list("version", flat=True).get(pk=instance.pk)


def product_state(product) -> dict:
    return Product.objects.values("name", "price", "stock", "description", "version").get(pk=product.pk)


def favourites_state() -> list[tuple]:
    return sorted(Favourite.objects.values_list("id", "user_id", "product_id", "version"))


def db_state() -> dict:
    """Everything push may change, for 'nothing changed' comparisons."""
    return {
        "categories": sorted(Category.objects.values_list("id", "name", "version")),
        "products": sorted(Product.objects.values_list("id", "name", "price", "stock", "is_active", "version")),
        "favourites": favourites_state(),
        "tombstones": sorted(Tombstone.objects.values_list("collection", "record_id", "version")),
    }


@pytest.fixture
def products(category):
    return [make_product(category) for _ in range(4)]


@pytest.fixture
def favourited_elsewhere(user, product):
    """`product` already favourited by `user` on another device: the server's record (X1)."""
    return Favourite.objects.create(user=user, product=product)


@pytest.fixture
def server_wins_products(monkeypatch):
    """`products` under the server_wins policy for one test; monkeypatch restores the registry."""
    collection = dataclasses.replace(registry.get("products"), conflict_policy="server_wins")
    monkeypatch.setitem(registry._collections, "products", collection)
    return collection


# --- Applying and idempotency -------------------------------------------------------------


def test_push_creates_a_favourite_and_returns_the_server_record(user_api, user, product):
    record_id = new_id()

    body = push(user_api, [fav_upsert(1, record_id, product)])

    [result] = body["results"]
    assert result["status"] == "applied"
    record = result["record"]
    assert record["id"] == record_id
    assert type(record["version"]) is int
    assert record["product_id"] == str(product.id)
    favourite = Favourite.objects.get(pk=record_id)
    assert favourite.user == user
    assert favourite.product == product
    assert record["version"] == favourite.version


def test_push_returns_the_last_processed_mutation_id(user_api, products):
    body = push(user_api, [fav_upsert(3, new_id(), products[0]), fav_upsert(8, new_id(), products[1])])

    assert body["last_mutation_id"] == 8
    assert push(user_api, [])["last_mutation_id"] == 8
    assert push(user_api, [fav_upsert(8, new_id(), products[2])])["last_mutation_id"] == 8


def test_push_skips_an_already_applied_request(staff_api, staff, products):
    kept = Favourite.objects.create(user=staff, product=products[3])
    request = [
        fav_upsert(1, new_id(), products[0]),
        product_upsert(2, products[1], {"stock": 42}, version_of(products[1])),
        fav_delete(3, str(kept.id), version_of(kept)),
    ]
    first = push(staff_api, request)
    assert statuses(first) == ["applied", "applied", "applied"]
    after_first = db_state()

    second = push(staff_api, request)

    assert statuses(second) == ["duplicate", "duplicate", "duplicate"]
    assert second["last_mutation_id"] == 3
    assert db_state() == after_first


def test_push_retry_after_a_lost_response_applies_only_the_new_mutation(user_api, user, products):
    first_ids = [new_id(), new_id()]
    sent = [fav_upsert(1, first_ids[0], products[0]), fav_upsert(2, first_ids[1], products[1])]
    push(user_api, sent)  # the response is lost: the client sends everything again
    before_retry = favourites_state()
    new_record = new_id()

    body = push(user_api, [*sent, fav_upsert(3, new_record, products[2])])

    assert statuses(body) == ["duplicate", "duplicate", "applied"]
    assert body["last_mutation_id"] == 3
    assert [row for row in favourites_state() if str(row[0]) != new_record] == before_retry
    assert Favourite.objects.get(pk=new_record).user == user


@pytest.mark.parametrize("stale_id", [5, 4, 1], ids=["equal", "lower", "much-lower"])
def test_push_answers_duplicate_for_an_id_not_greater_than_the_last(user_api, products, stale_id):
    push(user_api, [fav_upsert(5, new_id(), products[0])])
    before = db_state()
    late_record = new_id()

    body = push(user_api, [fav_upsert(stale_id, late_record, products[1])])

    assert statuses(body) == ["duplicate"]
    assert body["last_mutation_id"] == 5
    assert not Favourite.objects.filter(pk=late_record).exists()
    assert db_state() == before


def test_push_sequences_of_two_client_ids_of_one_user_are_independent(user_api, products):
    push(user_api, [fav_upsert(1, new_id(), products[0]), fav_upsert(2, new_id(), products[1])], CLIENT_ID)
    record_id = new_id()

    body = push(user_api, [fav_upsert(1, record_id, products[2])], OTHER_CLIENT_ID)

    assert statuses(body) == ["applied"]
    assert body["last_mutation_id"] == 1
    assert Favourite.objects.filter(pk=record_id).exists()
    assert push(user_api, [], CLIENT_ID)["last_mutation_id"] == 2


def test_push_same_client_id_of_another_user_has_its_own_sequence(user_api, other_api, other_user, products):
    push(user_api, [fav_upsert(10, new_id(), products[0])], CLIENT_ID)
    record_id = new_id()

    body = push(other_api, [fav_upsert(1, record_id, products[0])], CLIENT_ID)

    assert statuses(body) == ["applied"]
    assert body["last_mutation_id"] == 1
    assert Favourite.objects.get(pk=record_id).user == other_user


# --- Conflict policies ----------------------------------------------------------------------


def test_push_merge_applies_unchanged_fields_and_lists_conflicting_ones(staff_api, category):
    product = make_product(category, name="Hammer", price=Decimal("12.50"))
    seen_version = version_of(product)
    product.price = Decimal("13.00")  # changed on the server after the client saw it
    product.save()
    server_version = version_of(product)

    body = push(
        staff_api,
        [
            product_upsert(
                1,
                product,
                {"name": "Claw hammer", "price": "11.00"},
                seen_version,
                base={"name": "Hammer", "price": "12.50"},
            )
        ],
    )

    [result] = body["results"]
    assert result["status"] == "conflict"
    assert result["fields"] == ["price"]
    state = product_state(product)
    assert state["name"] == "Claw hammer"
    assert state["price"] == Decimal("13.00")
    assert state["version"] > server_version
    record = result["record"]
    assert record["id"] == str(product.id)
    assert record["version"] == state["version"]
    assert record["name"] == "Claw hammer"
    assert record["price"] == "13.00"


def test_push_merge_with_stale_version_applies_when_every_base_still_matches(staff_api, category):
    product = make_product(category, name="Saw", price=Decimal("20.00"), stock=1)
    seen_version = version_of(product)
    product.stock = 9  # a field the client did not touch
    product.save()

    body = push(staff_api, [product_upsert(1, product, {"price": "18.00"}, seen_version, base={"price": "20.00"})])

    [result] = body["results"]
    assert result["status"] == "applied"
    state = product_state(product)
    assert (state["price"], state["stock"]) == (Decimal("18.00"), 9)
    assert result["record"]["version"] == state["version"]


def test_push_merge_with_current_base_version_applies_all_fields(staff_api, product):
    body = push(staff_api, [product_upsert(1, product, {"name": "Renamed", "stock": 11}, version_of(product))])

    [result] = body["results"]
    assert result["status"] == "applied"
    state = product_state(product)
    assert (state["name"], state["stock"]) == ("Renamed", 11)
    assert result["record"]["name"] == "Renamed"
    assert result["record"]["stock"] == 11
    assert result["record"]["version"] == state["version"]


def test_push_merge_applies_a_field_the_client_and_the_server_both_saw_null(staff_api, category):
    product = make_product(None, price=Decimal("20.00"))
    seen_version = version_of(product)
    product.price = Decimal("21.00")  # another field changed on the server: the version moved on
    product.save()

    body = push(
        staff_api,
        [product_upsert(1, product, {"category_id": str(category.id)}, seen_version, base={"category_id": None})],
    )

    [result] = body["results"]
    assert result["status"] == "applied"
    assert "fields" not in result
    assert Product.objects.get(pk=product.pk).category_id == category.id
    assert result["record"]["category_id"] == str(category.id)


@pytest.mark.parametrize(("seen_set", "server_set"), [(False, True), (True, False)], ids=["null-seen", "null-now"])
def test_push_merge_null_against_a_value_is_still_a_conflict(staff_api, category, seen_set, server_set):
    garden = Category.objects.create(name="Garden", position=2)
    product = make_product(category if seen_set else None)
    seen_version = version_of(product)
    product.category = category if server_set else None  # changed on the server after the client saw it
    product.save()
    seen = str(category.id) if seen_set else None

    mutation = product_upsert(1, product, {"category_id": str(garden.id)}, seen_version, base={"category_id": seen})

    body = push(staff_api, [mutation])

    [result] = body["results"]
    assert result["status"] == "conflict"
    assert result["fields"] == ["category_id"]
    assert Product.objects.get(pk=product.pk).category_id == (category.id if server_set else None)


def test_push_server_wins_answers_conflict_and_applies_nothing(staff_api, product, server_wins_products):
    seen_version = version_of(product)
    product.description = "Edited on the server"
    product.save()
    before = product_state(product)

    body = push(staff_api, [product_upsert(1, product, {"name": "Mine"}, seen_version, base={"name": product.name})])

    [result] = body["results"]
    assert result["status"] == "conflict"
    assert result["record"]["id"] == str(product.id)
    assert result["record"]["version"] == before["version"]
    assert result["record"]["description"] == "Edited on the server"
    assert product_state(product) == before


def test_push_server_wins_applies_with_current_base_version(staff_api, product, server_wins_products):
    body = push(staff_api, [product_upsert(1, product, {"name": "Mine"}, version_of(product))])

    assert statuses(body) == ["applied"]
    assert product_state(product)["name"] == "Mine"


def test_push_client_wins_applies_an_upsert_with_stale_base_version(user_api, user, products):
    favourite = Favourite.objects.create(user=user, product=products[0])
    seen_version = version_of(favourite)
    favourite.product = products[1]  # changed elsewhere after the client saw it
    favourite.save()

    body = push(user_api, [fav_upsert(1, str(favourite.id), products[2], base_version=seen_version)])

    [result] = body["results"]
    assert result["status"] == "applied"
    favourite.refresh_from_db()
    assert favourite.product == products[2]
    assert result["record"]["product_id"] == str(products[2].id)
    assert result["record"]["version"] == favourite.version


def test_push_client_wins_applies_a_delete_with_stale_base_version(user_api, user, products):
    favourite = Favourite.objects.create(user=user, product=products[0])
    seen_version = version_of(favourite)
    Favourite.objects.filter(pk=favourite.pk).update(product=products[1])

    body = push(user_api, [fav_delete(1, str(favourite.id), base_version=seen_version)])

    assert statuses(body) == ["applied"]
    assert not Favourite.objects.filter(pk=favourite.pk).exists()


# --- Deletes --------------------------------------------------------------------------------


def test_push_deletes_a_favourite(user_api, user, product):
    favourite = Favourite.objects.create(user=user, product=product)
    cursor = user_api.get("/api/sync/pull/favourites/").json()["cursor"]

    body = push(user_api, [fav_delete(1, str(favourite.id), version_of(favourite))])

    assert statuses(body) == ["applied"]
    assert not Favourite.objects.filter(pk=favourite.pk).exists()
    page = user_api.get("/api/sync/pull/favourites/", {"cursor": cursor}).json()
    assert page["deletes"] == [str(favourite.id)]


def test_push_delete_of_an_already_deleted_record_is_applied(user_api, user, product):
    favourite_id = str(Favourite.objects.create(user=user, product=product).id)
    Favourite.objects.filter(pk=favourite_id).delete()
    before = db_state()

    body = push(user_api, [fav_delete(1, favourite_id, base_version=3), fav_delete(2, new_id())])

    assert statuses(body) == ["applied", "applied"]
    assert db_state() == before


# --- Rejections -----------------------------------------------------------------------------


def test_push_rejected_mutations_never_block_later_ones_and_count_as_processed(staff_api, product, category):
    before = product_state(product)
    record_id = new_id()
    request = [
        product_upsert(1, product, {"price": "abc"}, version_of(product)),
        product_upsert(2, product, {"colour": "red"}, version_of(product)),
        {"id": 3, "collection": "categories", "op": "upsert", "record_id": str(category.id), "data": {"name": "X"}},
        {"id": 4, "collection": "widgets", "op": "upsert", "record_id": new_id(), "data": {}},
        fav_upsert(5, record_id, product),
    ]

    body = push(staff_api, request)

    assert statuses(body) == ["rejected", "rejected", "rejected", "rejected", "applied"]
    assert body["last_mutation_id"] == 5
    assert product_state(product) == before
    assert Category.objects.get(pk=category.pk).name == "Tools"
    assert Favourite.objects.filter(pk=record_id).exists()
    after = db_state()

    retry = push(staff_api, request)

    assert statuses(retry) == ["duplicate"] * 5
    assert db_state() == after


@pytest.mark.parametrize(
    ("make_mutation", "code", "error_field"),
    [
        pytest.param(
            lambda p, c: product_upsert(1, p, {"price": "abc"}, p.version), "invalid", "price", id="invalid-price"
        ),
        pytest.param(
            lambda p, c: product_upsert(1, p, {"stock": "many"}, p.version), "invalid", "stock", id="invalid-stock"
        ),
        pytest.param(
            lambda p, c: product_upsert(1, p, {"colour": "red"}, p.version), "invalid", "colour", id="unknown-field"
        ),
        pytest.param(
            lambda p, c: product_upsert(1, "not-a-uuid", {"name": "X"}, None),
            "invalid",
            "record_id",
            id="bad-record-id",
        ),
        pytest.param(
            lambda p, c: {"id": 1, "collection": "categories", "op": "delete", "record_id": str(c.id)},
            "forbidden",
            None,
            id="read-only-collection",
        ),
        pytest.param(
            lambda p, c: {"id": 1, "collection": "widgets", "op": "upsert", "record_id": new_id(), "data": {}},
            "unknown_collection",
            None,
            id="unknown-collection",
        ),
    ],
)
def test_push_rejection_carries_a_code_and_errors(staff_api, product, category, make_mutation, code, error_field):
    product.refresh_from_db()
    before = db_state()

    body = push(staff_api, [make_mutation(product, category)])

    [result] = body["results"]
    assert result["status"] == "rejected"
    assert result["code"] == code
    assert code in REJECTION_CODES
    assert isinstance(result["errors"], dict)
    if error_field is not None:
        assert error_field in result["errors"]
    assert body["last_mutation_id"] == 1
    assert db_state() == before


@pytest.mark.parametrize("existing", [True, False], ids=["update", "create"])
def test_push_product_change_by_non_staff_is_forbidden(user_api, product, existing):
    record = product if existing else new_id()
    before = db_state()

    body = push(user_api, [product_upsert(1, record, {"name": "Hacked", "price": "0.01"}, version_of(product))])

    [result] = body["results"]
    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    assert db_state() == before


@pytest.mark.parametrize("op", ["upsert", "delete"])
def test_push_cannot_change_another_users_favourite(user_api, other_user, products, op):
    theirs = Favourite.objects.create(user=other_user, product=products[0])
    if op == "upsert":
        mutation = fav_upsert(1, str(theirs.id), products[1], base_version=version_of(theirs))
    else:
        mutation = fav_delete(1, str(theirs.id), base_version=version_of(theirs))
    before = db_state()

    body = push(user_api, [mutation])

    [result] = body["results"]
    assert result["status"] == "rejected"
    assert result["code"] == "forbidden"  # the server's documented choice (docs/protocol-notes.md)
    assert db_state() == before
    assert Favourite.objects.get(pk=theirs.pk).user == other_user


def test_push_cannot_take_over_another_users_favourite_id_by_creating_it(user_api, other_user, products):
    theirs = Favourite.objects.create(user=other_user, product=products[0])
    before = db_state()

    body = push(user_api, [fav_upsert(1, str(theirs.id), products[1])])

    assert statuses(body) == ["rejected"]
    assert db_state() == before


@pytest.mark.parametrize("existing", [True, False], ids=["update", "create"])
def test_push_negative_stock_is_rejected_as_invalid(staff_api, product, existing):
    if existing:
        mutation = product_upsert(1, product, {"stock": -1}, version_of(product))
    else:
        data = {"sku": "BACKORDER-1", "name": "Backordered", "price": "1.00", "stock": -4}
        mutation = product_upsert(1, new_id(), data, None)
    before = db_state()

    body = push(staff_api, [mutation])

    [result] = body["results"]
    assert (result["status"], result.get("code")) == ("rejected", "invalid")
    assert result["errors"] == {"stock": [NEGATIVE_STOCK]}
    assert db_state() == before


def test_push_update_of_a_deleted_product_is_not_found(staff_api, product):
    seen_version = version_of(product)
    product_id = str(product.id)
    product.delete()
    before = db_state()

    body = push(staff_api, [product_upsert(1, product_id, {"name": "Back"}, seen_version)])

    [result] = body["results"]
    assert (result["status"], result["code"]) == ("rejected", "not_found")
    assert isinstance(result["errors"], dict)
    assert not Product.objects.filter(pk=product_id).exists()
    assert db_state() == before


# --- Authentication -------------------------------------------------------------------------


def test_anonymous_push_is_not_authenticated(api, product):
    before = db_state()

    response = api.post(PUSH_URL, {"client_id": CLIENT_ID, "mutations": [fav_upsert(1, new_id(), product)]}, "json")

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert isinstance(body["detail"], str)
    assert db_state() == before


def test_push_same_product_favourited_on_two_devices_keeps_one_favourite(user, product):
    first_device, second_device = client_for(user), client_for(user)
    first_id, second_id = new_id(), new_id()

    push(first_device, [fav_upsert(1, first_id, product)], client_id=str(uuid.uuid4()))
    body = push(second_device, [fav_upsert(1, second_id, product)], client_id=str(uuid.uuid4()))

    [result] = body["results"]
    assert result["status"] == "applied"
    assert result["record"]["id"] == first_id  # the server's record: the client adopts its id
    assert list(Favourite.objects.filter(user=user).values_list("pk", flat=True)) == [uuid.UUID(first_id)]


def test_push_cannot_reuse_the_id_of_another_users_deleted_favourite(user_api, other_user, products):
    taken = Favourite.objects.create(user=other_user, product=products[0])
    taken_id = str(taken.pk)
    taken.delete()  # bob's devices still have to pull this delete

    body = push(user_api, [fav_upsert(1, taken_id, products[1])])

    assert statuses(body) == ["rejected"]
    assert body["results"][0]["code"] == "forbidden"
    assert Tombstone.objects.filter(collection="favourites", record_id=taken_id, owner=str(other_user.pk)).exists()
    assert not Favourite.objects.filter(pk=taken_id).exists()


def test_push_a_mutation_failing_on_a_database_constraint_leaves_nothing_and_later_ones_apply(
    staff_api, products, monkeypatch
):
    # A unique constraint the serializer's validators could not foresee (a race): the save
    # writes, then fails. Its half-done write must be rolled back and the request go on.
    failing, other = products[0], products[1]
    original_update = ProductWriteSerializer.update

    def update_then_fail(self, instance, validated_data):
        original_update(self, instance, validated_data)
        if instance.pk == failing.pk:
            raise IntegrityError("UNIQUE constraint failed (simulated race)")
        return instance

    monkeypatch.setattr(ProductWriteSerializer, "update", update_then_fail)
    before = product_state(failing)

    body = push(
        staff_api,
        [
            product_upsert(1, failing, {"price": "77.00"}, version_of(failing)),
            product_upsert(2, other, {"price": "66.00"}, version_of(other)),
        ],
    )

    assert statuses(body) == ["rejected", "applied"]
    assert body["results"][0]["code"] == "invalid"
    assert product_state(failing) == before
    assert body["results"][1]["record"]["price"] == "66.00"


# --- Client ids merged into another record (aliases) -----------------------------------------


def test_push_favourite_then_unfavourite_in_one_push_removes_the_favourite_it_was_merged_into(
    user_api, user, product, favourited_elsewhere
):
    mine = new_id()  # this device's id (X2) for a favourite the server already has as X1

    body = push(user_api, [fav_upsert(1, mine, product), fav_delete(2, mine)])

    assert statuses(body) == ["applied", "applied"]
    assert not Favourite.objects.filter(user=user, product=product).exists()
    upserted, deleted = body["results"]
    assert upserted["record"]["id"] == upserted["record_id"] == str(favourited_elsewhere.id)
    assert deleted["record"] is None
    assert deleted["record_id"] == str(favourited_elsewhere.id)  # the id the client should drop


def test_push_unfavourite_in_a_later_push_removes_the_favourite_it_was_merged_into(
    user_api, user, product, favourited_elsewhere
):
    mine = new_id()
    first = push(user_api, [fav_upsert(1, mine, product)])
    assert first["results"][0]["record"]["id"] == str(favourited_elsewhere.id)
    cursor = user_api.get("/api/sync/pull/favourites/").json()["cursor"]

    body = push(user_api, [fav_delete(2, mine)])

    assert statuses(body) == ["applied"]
    assert not Favourite.objects.filter(user=user, product=product).exists()
    page = user_api.get("/api/sync/pull/favourites/", {"cursor": cursor}).json()
    assert page["deletes"] == [str(favourited_elsewhere.id)]  # how the client learns of it


@pytest.mark.django_db(transaction=True)
def test_push_over_http_favourite_then_unfavourite_removes_the_favourite_it_was_merged_into(
    live_server, user, product, favourited_elsewhere
):
    raw, _ = token_create(user=user, device_name="http")
    mine = new_id()
    payload = {"client_id": CLIENT_ID, "mutations": [fav_upsert(1, mine, product), fav_delete(2, mine)]}
    request = urllib.request.Request(
        live_server.url + PUSH_URL,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
        method="POST",
    )

    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())

    assert statuses(body) == ["applied", "applied"]
    assert not Favourite.objects.filter(user=user, product=product).exists()
    assert body["results"][1]["record_id"] == str(favourited_elsewhere.id)


def test_push_update_naming_a_merged_id_changes_the_record_it_was_merged_into(user_api, user, products):
    theirs = Favourite.objects.create(user=user, product=products[0])
    mine = new_id()
    push(user_api, [fav_upsert(1, mine, products[0])])

    body = push(user_api, [fav_upsert(2, mine, products[1])])

    [result] = body["results"]
    assert result["status"] == "applied"
    assert list(Favourite.objects.filter(user=user).values_list("pk", "product_id")) == [(theirs.pk, products[1].pk)]
    assert result["record"]["id"] == result["record_id"] == str(theirs.id)
    assert result["record"]["product_id"] == str(products[1].id)


def test_push_mutation_naming_a_merged_id_follows_the_conflict_policy(user_api, user, product, monkeypatch):
    collection = dataclasses.replace(registry.get("favourites"), conflict_policy="server_wins")
    monkeypatch.setitem(registry._collections, "favourites", collection)
    theirs = Favourite.objects.create(user=user, product=product)
    mine = new_id()

    # The client never saw X1's version: under server_wins its delete is a conflict.
    body = push(user_api, [fav_upsert(1, mine, product), fav_delete(2, mine)])

    assert statuses(body) == ["applied", "conflict"]
    assert body["results"][1]["record"]["id"] == str(theirs.id)
    assert Favourite.objects.filter(pk=theirs.pk).exists()

    body = push(user_api, [fav_delete(3, mine, base_version=body["results"][1]["record"]["version"])])

    assert statuses(body) == ["applied"]
    assert not Favourite.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("op", ["upsert", "delete"])
def test_push_cannot_use_another_users_alias(user_api, other_api, user, other_user, products, op):
    alices = Favourite.objects.create(user=user, product=products[0])
    alias = new_id()
    push(user_api, [fav_upsert(1, alias, products[0])])
    Favourite.objects.create(user=other_user, product=products[0])  # bob's own favourite of the same product
    mutation = fav_upsert(1, alias, products[1]) if op == "upsert" else fav_delete(1, alias)
    before = db_state()

    body = push(other_api, [mutation])

    [result] = body["results"]
    assert (result["status"], result.get("code")) == ("rejected", "forbidden")
    assert "record_id" not in result
    assert db_state() == before
    assert statuses(push(user_api, [fav_delete(2, alias)])) == ["applied"]  # still alice's
    assert not Favourite.objects.filter(pk=alices.pk).exists()


def test_push_merged_id_names_itself_again_once_its_record_is_gone(user_api, user, products):
    theirs = Favourite.objects.create(user=user, product=products[0])
    mine = new_id()
    push(user_api, [fav_upsert(1, mine, products[0])])
    theirs.delete()  # unfavourited on the other device

    body = push(user_api, [fav_delete(2, mine), fav_upsert(3, mine, products[0])])

    assert statuses(body) == ["applied", "applied"]
    assert "record_id" not in body["results"][1]
    assert body["results"][1]["record"]["id"] == mine
    assert list(Favourite.objects.filter(user=user).values_list("pk", flat=True)) == [uuid.UUID(mine)]
    assert not RecordAlias.objects.filter(alias_id=mine).exists()


def test_tombstones_purge_forgets_aliases_past_the_retention_period(user, other_user):
    retention = timedelta(days=sync_settings.TOMBSTONE_RETENTION_DAYS)
    old, recent = new_id(), new_id()
    for alias, owner, age in [(old, user, retention + timedelta(hours=1)), (recent, other_user, retention / 2)]:
        RecordAlias.objects.create(
            collection="favourites", alias_id=alias, record_id=new_id(), owner=owner, created_at=timezone.now() - age
        )

    tombstones_purge()

    assert list(RecordAlias.objects.values_list("alias_id", flat=True)) == [recent]
