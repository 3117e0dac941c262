"""Delta pulls that find nothing new: answered from the collection's high-water mark, and 304 to a
request that holds the page's ETag (docs/protocol-notes.md, "Conditional pulls")."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Category, Favourite, Product
from syncapi.history import epoch_start_new
from syncapi.models import CollectionMark, Tombstone
from syncapi.services import tombstones_purge
from tests.conftest import make_product
from tests.syncapi.test_pull import pull, pull_url

pytestmark = pytest.mark.django_db


def _latest(client, collection: str) -> dict:
    """Pages of `collection` from the beginning until the last; the last page."""
    page = pull(client, collection, limit=5000)
    while page["has_more"]:
        page = pull(client, collection, limit=5000, cursor=page["cursor"])
    return page


def _highest(collection: str, model) -> int:
    """The highest version of the collection's rows and tombstones, read from the rows themselves."""
    rows = list(model.objects.values_list("version", flat=True))
    tombstones = list(Tombstone.objects.filter(collection=collection).values_list("version", flat=True))
    return max([0, *rows, *tombstones])


def _mark(collection: str) -> int | None:
    return CollectionMark.objects.filter(collection=collection).values_list("version", flat=True).first()


def test_every_write_path_moves_the_collections_mark_to_its_highest_version(category, user, other_user):
    products = [make_product(category) for _ in range(3)]
    assert _mark("products") == _highest("products", Product)

    Product.objects.filter(pk=products[0].pk).update(price="1.00")  # a queryset update
    assert _mark("products") == _highest("products", Product)
    products[1].name = "Renamed"
    Product.objects.bulk_update([products[1]], ["name"])
    assert _mark("products") == _highest("products", Product)
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE catalogue_product SET stock = stock + 1 WHERE id = %s", [products[2].pk.hex])
    assert _mark("products") == _highest("products", Product)
    products[2].delete()  # a tombstone takes the newest version
    assert _mark("products") == _highest("products", Product)
    assert Tombstone.objects.filter(collection="products").exists()

    # In a user-scoped collection too, a record moved to another owner included.
    favourite = Favourite.objects.create(user=user, product=products[0])
    assert _mark("favourites") == _highest("favourites", Favourite)
    # Other collections' writes leave a mark where it is.
    before = _mark("favourites")
    Category.objects.create(name="Garden", position=2)
    assert _mark("favourites") == before
    Favourite.objects.filter(pk=favourite.pk).update(user=other_user)  # a tombstone of the user it left
    assert _mark("favourites") == _highest("favourites", Favourite)
    Favourite.objects.filter(pk=favourite.pk).delete()
    assert _mark("favourites") == _highest("favourites", Favourite)


def test_a_pull_with_nothing_new_reads_the_head_alone(user_api, category):
    make_product(category)
    latest = _latest(user_api, "products")

    with CaptureQueriesContext(connection) as queries:
        page = pull(user_api, "products", cursor=latest["cursor"])

    assert (page["upserts"], page["deletes"], page["has_more"], page["reset"]) == ([], [], False, False)
    assert page["cursor"] == latest["cursor"]
    synced = [q["sql"] for q in queries.captured_queries if "catalogue_product" in q["sql"] or "tombstone" in q["sql"]]
    assert synced == [], "the rows were read"
    assert len([q for q in queries.captured_queries if "syncapi_collectionmark" in q["sql"]]) == 1


def test_a_pull_from_behind_the_mark_reads_the_rows_and_brings_the_changes(user_api, category):
    product = make_product(category)
    latest = _latest(user_api, "products")
    Product.objects.filter(pk=product.pk).update(name="Renamed")
    gone = make_product(category)
    gone_id = str(gone.pk)
    gone.delete()

    page = pull(user_api, "products", cursor=latest["cursor"])

    assert [r["name"] for r in page["upserts"]] == ["Renamed"]
    assert page["deletes"] == [gone_id]
    assert pull(user_api, "products", cursor=page["cursor"])["upserts"] == []


def test_a_pull_bringing_changes_reads_the_configured_page_size_with_the_head(user_api, category):
    product = make_product(category)
    latest = _latest(user_api, "products")
    Product.objects.filter(pk=product.pk).update(name="Renamed")

    with CaptureQueriesContext(connection) as queries:
        page = pull(user_api, "products", cursor=latest["cursor"])

    assert [r["name"] for r in page["upserts"]] == ["Renamed"]
    config = [q["sql"] for q in queries.captured_queries if "syncapi_syncconfiguration" in q["sql"]]
    assert config, "the page size was not read"
    assert all("syncapi_collectionmark" in sql for sql in config), "the page size cost a statement of its own"


def test_a_collection_without_a_mark_is_pulled_from_its_rows(user_api, category):
    product = make_product(category)
    latest = _latest(user_api, "products")
    Product.objects.filter(pk=product.pk).update(name="Renamed")
    CollectionMark.objects.filter(collection="products").delete()  # as before migration 0009 filled it

    page = pull(user_api, "products", cursor=latest["cursor"])

    assert [r["name"] for r in page["upserts"]] == ["Renamed"]
    assert "ETag" not in pull_response(user_api, "products", cursor=page["cursor"])


def test_a_purge_past_the_cursor_still_resets_it(user_api, category):
    doomed = make_product(category)
    before = _latest(user_api, "products")
    doomed.delete()
    tombstones_purge(older_than=timedelta(0))
    make_product(category)
    _latest(user_api, "products")  # the mark moves past the purge
    Product.objects.all().delete()
    tombstones_purge(older_than=timedelta(0))

    page = pull(user_api, "products", cursor=before["cursor"])

    assert page["reset"] is True


def test_a_cursor_of_another_user_still_resets_in_a_users_collection(user, user_api, other_api, product):
    Favourite.objects.create(user=user, product=product)
    mine = _latest(user_api, "favourites")

    page = pull(other_api, "favourites", cursor=mine["cursor"])

    assert page["reset"] is True


def pull_response(client, collection: str, headers: dict | None = None, **params):
    return client.get(pull_url(collection), params, headers=headers or {})


def test_a_pull_holding_the_current_etag_is_answered_304(user_api, category):
    make_product(category)
    latest = _latest(user_api, "products")
    first = pull_response(user_api, "products", cursor=latest["cursor"])
    etag = first["ETag"]

    again = pull_response(user_api, "products", {"If-None-Match": etag}, cursor=latest["cursor"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "no-cache" in again["Cache-Control"]


def test_a_change_gives_the_page_a_new_etag_and_a_full_answer(user_api, category):
    product = make_product(category)
    latest = _latest(user_api, "products")
    etag = pull_response(user_api, "products", cursor=latest["cursor"])["ETag"]
    Product.objects.filter(pk=product.pk).update(name="Renamed")

    answer = pull_response(user_api, "products", {"If-None-Match": etag}, cursor=latest["cursor"])

    assert answer.status_code == 200
    assert answer["ETag"] != etag
    assert [r["name"] for r in answer.json()["upserts"]] == ["Renamed"]


def test_a_purge_gives_the_page_a_new_etag(user_api, category):
    make_product(category).delete()
    latest = _latest(user_api, "products")
    etag = pull_response(user_api, "products", cursor=latest["cursor"])["ETag"]

    tombstones_purge(older_than=timedelta(0))

    assert pull_response(user_api, "products", {"If-None-Match": etag}, cursor=latest["cursor"]).status_code == 200


def test_a_users_pages_are_private_and_their_etags_are_theirs(user, user_api, other_api, product):
    Favourite.objects.create(user=user, product=product)
    mine = pull_response(user_api, "favourites")
    theirs = pull_response(other_api, "favourites")

    assert mine["ETag"] != theirs["ETag"]
    assert "private" in mine["Cache-Control"]
    assert "Authorization" in mine["Vary"]
    # Another user holding my ETag gets their own page.
    assert pull_response(other_api, "favourites", {"If-None-Match": mine["ETag"]}).status_code == 200


def test_an_etag_of_another_database_history_is_not_current(user_api, category):
    make_product(category)
    latest = _latest(user_api, "products")
    etag = pull_response(user_api, "products", cursor=latest["cursor"])["ETag"]
    epoch_start_new()

    answer = pull_response(user_api, "products", {"If-None-Match": etag}, cursor=latest["cursor"])
    assert answer.status_code == 200
    assert answer.json()["reset"] is True


def test_an_unknown_etag_is_answered_in_full(user_api, category):
    make_product(category)
    answer = pull_response(user_api, "products", {"If-None-Match": f'"{uuid.uuid4().hex}"'})
    assert answer.status_code == 200
    assert len(answer.json()["upserts"]) == 1
