"""Malformed requests: each is a 4xx `{code, detail}` and changes nothing (PROTOCOL.md)."""

import copy
import uuid

import orjson
import pytest

from catalogue.models import Category, Favourite, Product
from syncapi.conf import sync_settings
from syncapi.errors import MESSAGES, InvalidBody, PayloadTooLarge, TooManyMutations
from syncapi.models import DeviceToken, SyncClient, Tombstone
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

PUSH_URL = "/api/sync/push/"
CLIENT_ID = "7d1c5d2e-0000-4000-8000-0000000000aa"


def favourite_mutation(mid: int, product) -> dict:
    return {
        "id": mid,
        "collection": "favourites",
        "op": "upsert",
        "record_id": str(uuid.uuid4()),
        "base_version": None,
        "data": {"product_id": str(product.id)},
    }


def valid_body(products) -> dict:
    """A push that would apply two favourites: the cases below spoil a part of it."""
    return {"client_id": CLIENT_ID, "mutations": [favourite_mutation(n + 1, p) for n, p in enumerate(products[:2])]}


def db_state() -> dict:
    return {
        "categories": sorted(Category.objects.values_list("id", "version")),
        "products": sorted(Product.objects.values_list("id", "name", "price", "version")),
        "favourites": sorted(Favourite.objects.values_list("id", "version")),
        "tombstones": sorted(Tombstone.objects.values_list("collection", "record_id", "version")),
        "clients": sorted(SyncClient.objects.values_list("user_id", "client_id", "last_mutation_id")),
        "tokens": sorted(DeviceToken.objects.values_list("id", "revoked_at")),
    }


def post_raw(client, body: bytes | str):
    return client.generic("POST", PUSH_URL, body, content_type="application/json")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def without(key):
    return lambda body: {k: v for k, v in body.items() if k != key}


def with_body(**changes):
    return lambda body: {**body, **changes}


def with_second_mutation(**changes):
    """Spoil the second mutation; the first stays valid and must not be applied either."""

    def spoil(body):
        body = copy.deepcopy(body)
        for key, value in changes.items():
            if value is _MISSING:
                del body["mutations"][1][key]
            else:
                body["mutations"][1][key] = value
        return body

    return spoil


_MISSING = object()


@pytest.fixture
def products(category):
    return [make_product(category) for _ in range(2)]


# --- Push bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b'{"client_id": ', b"\xff\xfe", b"NaN"],
    ids=["broken", "empty", "truncated", "not-utf8", "nan"],
)
def test_push_body_that_is_not_json_is_invalid_body(user_api, products, raw):
    before = db_state()

    assert_error(post_raw(user_api, raw), 400, InvalidBody.default_code)
    assert db_state() == before


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda body: [body], id="list"),
        pytest.param(lambda body: 5, id="number"),
        pytest.param(lambda body: "push", id="string"),
        pytest.param(lambda body: None, id="null"),
        pytest.param(without("client_id"), id="client_id-missing"),
        pytest.param(with_body(client_id="not-a-uuid"), id="client_id-not-a-uuid"),
        pytest.param(with_body(client_id=""), id="client_id-empty"),
        pytest.param(with_body(client_id=None), id="client_id-null"),
        pytest.param(with_body(client_id=12345), id="client_id-number"),
        pytest.param(without("mutations"), id="mutations-missing"),
        pytest.param(with_body(mutations={"id": 1}), id="mutations-object"),
        pytest.param(with_body(mutations="all"), id="mutations-string"),
        pytest.param(with_body(mutations=None), id="mutations-null"),
        pytest.param(with_second_mutation(id="5"), id="id-string"),
        pytest.param(with_second_mutation(id=5.5), id="id-float"),
        pytest.param(with_second_mutation(id=True), id="id-bool"),
        pytest.param(with_second_mutation(id=0), id="id-zero"),
        pytest.param(with_second_mutation(id=-3), id="id-negative"),
        pytest.param(with_second_mutation(id=2**63), id="id-too-big"),
        pytest.param(with_second_mutation(id=_MISSING), id="id-missing"),
        pytest.param(with_second_mutation(op="update"), id="op-unknown"),
        pytest.param(with_second_mutation(op=_MISSING), id="op-missing"),
        pytest.param(with_second_mutation(record_id=17), id="record_id-number"),
        pytest.param(with_second_mutation(record_id=_MISSING), id="record_id-missing"),
        pytest.param(with_second_mutation(collection=["favourites"]), id="collection-list"),
        pytest.param(with_second_mutation(base_version="3"), id="base_version-string"),
        pytest.param(with_second_mutation(base_version=1.5), id="base_version-float"),
        pytest.param(with_second_mutation(data="product"), id="data-string"),
        pytest.param(with_second_mutation(data=["product_id"]), id="data-list"),
        pytest.param(with_second_mutation(base="x"), id="base-string"),
        pytest.param(lambda body: {**body, "mutations": [*body["mutations"], 7]}, id="mutation-not-object"),
    ],
)
def test_push_body_with_wrong_types_is_invalid_body_and_applies_nothing(user_api, products, spoil):
    body = spoil(valid_body(products))
    before = db_state()

    response = post_raw(user_api, orjson.dumps(body))

    assert_error(response, 400, InvalidBody.default_code)
    assert db_state() == before


def test_push_valid_body_of_these_cases_applies(user_api, products):
    """The unspoiled body is accepted: the cases above fail because of their spoiled part."""
    response = post_raw(user_api, orjson.dumps(valid_body(products)))

    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["results"]] == ["applied", "applied"]


def test_push_with_too_many_mutations_is_refused_and_applies_nothing(user_api, category, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "MAX_PUSH_MUTATIONS": 2}
    products = [make_product(category) for _ in range(3)]
    before = db_state()
    body = {"client_id": CLIENT_ID, "mutations": [favourite_mutation(n + 1, p) for n, p in enumerate(products)]}

    response = post_raw(user_api, orjson.dumps(body))

    error = assert_error(response, 400, TooManyMutations.default_code)
    assert error["detail"] == MESSAGES["too_many_mutations"].format(limit=2)
    assert db_state() == before
    body["mutations"] = body["mutations"][:2]
    assert post_raw(user_api, orjson.dumps(body)).status_code == 200


def test_push_over_the_size_limit_is_refused_and_applies_nothing(user_api, products, settings):
    body = valid_body(products)
    small = orjson.dumps(body)
    settings.SYNCAPI = {**settings.SYNCAPI, "MAX_PUSH_BYTES": len(small) + 10}
    body["mutations"][0]["data"]["note"] = "x" * 100
    before = db_state()

    response = post_raw(user_api, orjson.dumps(body))

    error = assert_error(response, 400, PayloadTooLarge.default_code)
    assert error["detail"] == MESSAGES["payload_too_large"].format(limit=sync_settings.MAX_PUSH_BYTES)
    assert db_state() == before
    assert post_raw(user_api, small).status_code == 200


# --- Paths and methods --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/nothing/", "/api/sync/", "/api/sync/pull/", "/api/sync/push/extra/", "/api/x"])
def test_unknown_api_path_is_404_json(api, path, method):
    response = getattr(api, method)(path)

    error = assert_error(response, 404, "not_found")
    assert error["detail"] == MESSAGES["not_found"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/sync/push/"),
        ("put", "/api/sync/push/"),
        ("post", "/api/sync/pull/products/"),
        ("delete", "/api/sync/pull/favourites/"),
        ("post", "/api/sync/config/"),
        ("patch", "/api/sync/config/"),
        ("get", "/api/auth/login/"),
        ("get", "/api/auth/logout/"),
        ("delete", "/api/auth/me/"),
    ],
)
def test_wrong_http_method_is_405_and_changes_nothing(user_api, product, method, path):
    before = db_state()

    response = getattr(user_api, method)(path)

    assert_error(response, 405, "method_not_allowed")
    assert db_state() == before
