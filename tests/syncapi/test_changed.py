"""POST /api/sync/changed/ (an extension): which collections a pull from the given cursors would bring anything of."""

from decimal import Decimal

import pytest

from catalogue.models import Favourite, Product
from syncapi.errors import MESSAGES
from syncapi.models import SyncState
from tests.conftest import make_product
from tests.syncapi.test_pull import pull_all

pytestmark = pytest.mark.django_db

URL = "/api/sync/changed/"


def changed(client, cursors: dict, status: int = 200) -> dict:
    response = client.post(URL, {"cursors": cursors}, format="json")
    assert response.status_code == status, response.content
    return response.json()


def heads(client, *collections: str) -> dict:
    """The cursor at the end of each collection, as a device holds it after its sync."""
    return {name: pull_all(client, name)[1] for name in collections}


def test_nothing_changed_after_a_sync(api, category):
    make_product(category)
    assert changed(api, heads(api, "categories", "products")) == {"changed": []}


def test_a_changed_record_names_its_collection_only(api, category):
    product = make_product(category)
    cursors = heads(api, "categories", "products")

    Product.objects.filter(pk=product.pk).update(price=Decimal("1.23"))

    assert changed(api, cursors) == {"changed": ["products"]}
    pages, _ = pull_all(api, "products", cursors["products"])  # and the pull brings it
    assert [r["price"] for p in pages for r in p["upserts"]] == ["1.23"]


def test_a_delete_counts_as_a_change(api, category):
    product = make_product(category)
    cursors = heads(api, "products")

    product.delete()

    assert changed(api, cursors) == {"changed": ["products"]}


def test_a_cursor_the_server_would_reset_counts_as_a_change(api, category):
    make_product(category)
    cursors = heads(api, "products")

    SyncState.objects.update_or_create(pk=1, defaults={"epoch": "another-database"})

    assert changed(api, cursors) == {"changed": ["products"]}


def test_a_users_collection_needs_their_token_and_sees_only_their_changes(user_api, other_api, user, other_user,
                                                                           category, api):  # fmt: skip
    product = make_product(category)
    mine = heads(user_api, "favourites")

    error = changed(api, mine, status=401)
    assert error["code"] == "not_authenticated"
    assert error["detail"]

    Favourite.objects.create(user=other_user, product=product)
    assert changed(user_api, mine) == {"changed": []}
    Favourite.objects.create(user=user, product=product)
    assert changed(user_api, mine) == {"changed": ["favourites"]}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"cursors": {"products": "not-a-cursor"}}, 400, "invalid_cursor"),
        ({"cursors": {"products": ""}}, 400, "invalid_cursor"),
        ({"cursors": {"nothing": "x"}}, 404, "unknown_collection"),
        ({"cursors": ["products"]}, 400, "invalid_body"),
        ([], 400, "invalid_body"),
    ],
    ids=["bad-cursor", "blank-cursor", "unknown-collection", "not-a-dict", "not-an-object"],
)
def test_bad_input_gets_a_code_and_a_detail(api, body, status, code):
    response = api.post(URL, body, format="json")

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"] == MESSAGES.get(code, response.json()["detail"])
    assert response.json()["detail"]


def test_no_cursors_no_changes(api):
    assert changed(api, {}) == {"changed": []}


def test_a_cursor_of_another_collection_is_refused(api, category):
    make_product(category)
    cursors = heads(api, "categories")

    response = api.post(URL, {"cursors": {"products": cursors["categories"]}}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
