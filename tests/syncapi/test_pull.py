"""Contract tests of GET /api/sync/pull/{collection}/ (PROTOCOL.md), over HTTP."""

import itertools
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from catalogue.models import Category, Favourite, Product
from syncapi.errors import MESSAGES, InvalidCursor, InvalidLimit, UnknownCollection
from syncapi.models import SyncConfiguration
from syncapi.services import tombstones_purge
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

PAGE_FIELDS = {"collection", "upserts", "deletes", "cursor", "has_more", "reset"}
PRODUCT_FIELDS = {
    *("sku", "name", "description", "price", "currency", "stock", "category_id", "updated_at"),
    *("image_url", "thumbnail_url", "image_width", "image_height"),
}
CATEGORY_FIELDS = {"name", "parent_id", "position"}
FAVOURITE_FIELDS = {"product_id", "created_at"}


def pull_url(collection: str) -> str:
    return f"/api/sync/pull/{collection}/"


def pull(client, collection: str, **params) -> dict:
    """One page of `collection`; the request must succeed."""
    response = client.get(pull_url(collection), params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def pull_all(client, collection: str, cursor: str | None = None, limit: int | None = None) -> tuple[list[dict], str]:
    """Follow cursors until `has_more` is false: (pages, last cursor)."""
    pages = []
    while True:
        params = {}
        if cursor is not None:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = limit
        page = pull(client, collection, **params)
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages, cursor
        assert len(pages) < 100, f"has_more never became false (reset={page['reset']}, cursor={cursor})"


def upserted(pages: list[dict]) -> list[dict]:
    return [record for page in pages for record in page["upserts"]]


def upserted_ids(pages: list[dict]) -> list[str]:
    return [record["id"] for record in upserted(pages)]


def deleted_ids(pages: list[dict]) -> list[str]:
    return [record_id for page in pages for record_id in page["deletes"]]


def assert_error(response, status: int, code: str) -> dict:
    """A protocol error: the status, `{code, detail}`, and the server's message for `code`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["detail"] == MESSAGES[code]
    return body


def assert_record_basics(record: dict) -> None:
    assert isinstance(record["id"], str)
    uuid.UUID(record["id"])
    assert type(record["version"]) is int
    assert record["version"] > 0


def assert_iso_datetime(value) -> None:
    assert isinstance(value, str)
    assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def version_of(instance) -> int:
    return type(instance)._default_manager.values_list("version", flat=True).get(pk=instance.pk)


# --- Shape and record fields --------------------------------------------------------------


def test_pull_page_has_every_protocol_field(api, product):
    page = pull(api, "products")

    assert PAGE_FIELDS <= set(page)
    assert page["collection"] == "products"
    assert isinstance(page["upserts"], list)
    assert isinstance(page["deletes"], list)
    assert isinstance(page["cursor"], str)
    assert page["cursor"]
    assert page["has_more"] is False
    assert page["reset"] is False


def test_pull_products_records_carry_protocol_fields(api, category):
    renditions = {
        "image": "products/h.jpg",
        "image_detail": "d" * 32 + ".webp",
        "image_thumbnail": "t" * 32 + ".webp",
        "image_width": 640,
        "image_height": 427,
    }
    with_all = make_product(category, price=Decimal("12.50"), description="A hammer", stock=7, **renditions)
    bare = make_product(None, price=Decimal("9.9"), stock=0)

    records = {r["id"]: r for r in pull(api, "products")["upserts"]}

    assert set(records) == {str(with_all.id), str(bare.id)}
    for record in records.values():
        assert_record_basics(record)
        assert PRODUCT_FIELDS <= set(record)
        assert_iso_datetime(record["updated_at"])
    full = records[str(with_all.id)]
    assert full["sku"] == with_all.sku
    assert full["name"] == with_all.name
    assert full["description"] == "A hammer"
    assert full["price"] == "12.50"
    assert full["currency"] == "EUR"
    assert full["stock"] == 7
    assert type(full["stock"]) is int
    assert full["category_id"] == str(category.id)
    assert full["image_url"] == "/media/images/" + "d" * 32 + ".webp"
    assert full["thumbnail_url"] == "/media/images/" + "t" * 32 + ".webp"
    assert (full["image_width"], full["image_height"]) == (640, 427)
    assert full["version"] == version_of(with_all)
    empty = records[str(bare.id)]
    assert empty["price"] == "9.90"
    assert empty["category_id"] is None
    assert (empty["image_url"], empty["thumbnail_url"], empty["image_width"], empty["image_height"]) == (None,) * 4


def test_pull_categories_records_carry_protocol_fields(api):
    root = Category.objects.create(name="Garden", position=2)
    child = Category.objects.create(name="Hoses", parent=root, position=5)

    records = {r["id"]: r for r in pull(api, "categories")["upserts"]}

    assert set(records) == {str(root.id), str(child.id)}
    for record in records.values():
        assert_record_basics(record)
        assert CATEGORY_FIELDS <= set(record)
    assert records[str(root.id)]["name"] == "Garden"
    assert records[str(root.id)]["parent_id"] is None
    assert records[str(root.id)]["position"] == 2
    assert records[str(child.id)]["parent_id"] == str(root.id)
    assert type(records[str(child.id)]["position"]) is int


def test_pull_favourites_records_carry_protocol_fields(user_api, user, product):
    favourite = Favourite.objects.create(user=user, product=product)

    page = pull(user_api, "favourites")

    assert page["collection"] == "favourites"
    [record] = page["upserts"]
    assert_record_basics(record)
    assert FAVOURITE_FIELDS <= set(record)
    assert record["id"] == str(favourite.id)
    assert record["version"] == version_of(favourite)
    assert record["product_id"] == str(product.id)
    assert_iso_datetime(record["created_at"])


# --- From the beginning, paging, changes after a cursor ------------------------------------


def test_pull_without_cursor_starts_from_the_beginning(api, category):
    active = [make_product(category) for _ in range(3)]
    make_product(category).delete()
    make_product(category, is_active=False)

    pages, _ = pull_all(api, "products")

    assert sorted(upserted_ids(pages)) == sorted(str(p.id) for p in active)
    assert pages[0]["reset"] is False


def test_pull_paging_returns_each_record_once_pages_in_version_order(api, category):
    products = [make_product(category) for _ in range(7)]

    pages, _ = pull_all(api, "products", limit=3)

    assert [len(page["upserts"]) for page in pages] == [3, 3, 1]
    assert [page["has_more"] for page in pages] == [True, True, False]
    ids = upserted_ids(pages)
    assert len(ids) == len(set(ids))
    assert set(ids) == {str(p.id) for p in products}
    versions = [record["version"] for record in upserted(pages)]
    assert len(versions) == len(set(versions))
    for page, following in itertools.pairwise(pages):  # within a page, records come in the page order
        assert max(r["version"] for r in page["upserts"]) < min(r["version"] for r in following["upserts"])


def test_pull_pages_list_their_records_in_version_order(api, category):
    """Snapshots come in the app's list order (test_snapshots.py); pages, read for each request,
    in the order they are read: sorting a delta's few records is the client's choice."""
    for name in ["b drill", "A saw", "C hammer"]:
        make_product(category, name=name)
    first = pull(api, "products", limit=2)
    for name in ["z last", "a first", "m middle"]:
        make_product(category, name=name)

    upserts = pull(api, "products", cursor=first["cursor"], limit=10)["upserts"]

    assert [r["name"] for r in first["upserts"]] == ["b drill", "A saw"]
    assert [r["name"] for r in upserts] == ["C hammer", "z last", "a first", "m middle"]
    versions = [r["version"] for r in upserts]
    assert versions == sorted(versions)


def _save(product):
    product.price = Decimal("99.00")
    product.save()


def _queryset_update(product):
    Product.objects.filter(pk=product.pk).update(price=Decimal("99.00"))


def _bulk_update(product):
    product.price = Decimal("99.00")
    Product.objects.bulk_update([product], ["price"])


@pytest.mark.parametrize("write", [_save, _queryset_update, _bulk_update], ids=["save", "update", "bulk_update"])
def test_pull_delivers_change_made_after_cursor(api, product, write):
    first = pull(api, "products")
    old_version = first["upserts"][0]["version"]

    write(product)
    page = pull(api, "products", cursor=first["cursor"])

    [record] = page["upserts"]
    assert record["id"] == str(product.id)
    assert record["price"] == "99.00"
    assert record["version"] > old_version
    assert page["deletes"] == []


def _instance_delete(product):
    product.delete()


def _queryset_delete(product):
    Product.objects.filter(pk=product.pk).delete()


@pytest.mark.parametrize("delete", [_instance_delete, _queryset_delete], ids=["delete", "queryset_delete"])
def test_pull_delivers_deleted_product_as_delete(api, product, delete):
    kept = make_product()
    cursor = pull(api, "products")["cursor"]
    product_id = str(product.id)

    delete(product)
    page = pull(api, "products", cursor=cursor)

    assert page["deletes"] == [product_id]
    assert page["upserts"] == []
    assert Product.objects.filter(pk=kept.pk).exists()


def test_pull_delivers_deleted_category_as_delete(api):
    doomed = Category.objects.create(name="Old stuff")
    doomed_id = str(doomed.id)
    cursor = pull(api, "categories")["cursor"]

    doomed.delete()
    page = pull(api, "categories", cursor=cursor)

    assert page["deletes"] == [doomed_id]
    assert page["upserts"] == []


def test_pull_delivers_deactivated_product_as_delete(api, product):
    cursor = pull(api, "products")["cursor"]

    product.is_active = False
    product.save()
    page = pull(api, "products", cursor=cursor)

    assert page["deletes"] == [str(product.id)]
    assert page["upserts"] == []


def test_pull_delivers_reactivated_product_as_upsert(api, product):
    Product.objects.filter(pk=product.pk).update(is_active=False)
    cursor = pull(api, "products")["cursor"]

    Product.objects.filter(pk=product.pk).update(is_active=True)
    page = pull(api, "products", cursor=cursor)

    assert [r["id"] for r in page["upserts"]] == [str(product.id)]
    assert page["deletes"] == []


def test_pull_lists_a_changed_record_at_most_once_per_page(api, product):
    cursor = pull(api, "products")["cursor"]

    for price in ("1.00", "2.00", "3.00"):
        product.price = Decimal(price)
        product.save()
    Product.objects.filter(pk=product.pk).update(is_active=False)
    Product.objects.filter(pk=product.pk).update(is_active=True)
    page = pull(api, "products", cursor=cursor)

    assert [r["id"] for r in page["upserts"]] == [str(product.id)]
    assert page["upserts"][0]["version"] == version_of(product)
    assert page["deletes"] == []


def test_pull_lists_a_deleted_and_recreated_record_once(user_api, user, product):
    favourite_id = Favourite.objects.create(user=user, product=product).id
    cursor = pull(user_api, "favourites")["cursor"]

    Favourite.objects.filter(pk=favourite_id).delete()
    Favourite.objects.create(id=favourite_id, user=user, product=product)
    page = pull(user_api, "favourites", cursor=cursor)

    assert [r["id"] for r in page["upserts"]] == [str(favourite_id)]
    assert page["deletes"] == []


def test_pull_with_up_to_date_cursor_returns_empty_page_and_a_working_cursor(api, product):
    _, cursor = pull_all(api, "products")

    page = pull(api, "products", cursor=cursor)
    assert page["upserts"] == []
    assert page["deletes"] == []
    assert page["has_more"] is False
    assert page["reset"] is False

    again = pull(api, "products", cursor=page["cursor"])
    assert again["upserts"] == []
    assert again["has_more"] is False

    product.name = "Renamed"
    product.save()
    changed = pull(api, "products", cursor=again["cursor"])
    assert [(r["id"], r["name"]) for r in changed["upserts"]] == [(str(product.id), "Renamed")]


# --- limit --------------------------------------------------------------------------------


def test_pull_limit_defaults_to_configured_page_size(api, category):
    config = SyncConfiguration.load()
    config.page_size = 2
    config.save()
    for _ in range(3):
        make_product(category)

    page = pull(api, "products")

    assert len(page["upserts"]) == 2
    assert page["has_more"] is True


def test_pull_accepts_a_limit_of_5000_and_clamps_larger_ones(api):
    Category.objects.bulk_create(Category(name=f"C{n:05d}", position=n) for n in range(5001))

    page = pull(api, "categories", limit=5000)
    assert len(page["upserts"]) == 5000
    assert page["has_more"] is True

    huge = pull(api, "categories", limit=10**6)
    assert len(huge["upserts"]) >= 5000

    rest = pull(api, "categories", cursor=page["cursor"], limit=5000)
    assert len(rest["upserts"]) == 1
    assert rest["has_more"] is False


def test_pull_clamps_limit_to_the_server_maximum(api, category, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "MAX_PAGE_SIZE": 2}
    for _ in range(3):
        make_product(category)

    page = pull(api, "products", limit=50)

    assert len(page["upserts"]) == 2
    assert page["has_more"] is True


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", ""])
def test_pull_rejects_a_limit_that_is_not_a_positive_whole_number(api, product, limit):
    response = api.get(pull_url("products"), {"limit": limit})

    assert_error(response, 400, InvalidLimit.default_code)


# --- Access -------------------------------------------------------------------------------


@pytest.mark.parametrize("collection", ["categories", "products"])
def test_anonymous_may_pull_global_collections(api, product, collection):
    page = pull(api, collection)

    assert page["collection"] == collection
    assert len(page["upserts"]) == 1


def test_pull_favourites_needs_authentication(api, user, product):
    Favourite.objects.create(user=user, product=product)

    response = api.get(pull_url("favourites"))

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert isinstance(body["detail"], str)
    assert body["detail"]


def test_pull_favourites_shows_only_the_callers_own(user_api, user, other_user, category):
    mine = Favourite.objects.create(user=user, product=make_product(category))
    shared = make_product(category)
    also_mine = Favourite.objects.create(user=user, product=shared)
    Favourite.objects.create(user=other_user, product=shared)
    Favourite.objects.create(user=other_user, product=make_product(category))

    pages, _ = pull_all(user_api, "favourites")

    assert sorted(upserted_ids(pages)) == sorted([str(mine.id), str(also_mine.id)])


def test_pull_favourites_hides_deletes_of_other_users_favourites(user_api, user, other_user, category):
    Favourite.objects.create(user=user, product=make_product(category))
    theirs = Favourite.objects.create(user=other_user, product=make_product(category))
    cursor = pull(user_api, "favourites")["cursor"]

    theirs.delete()
    page = pull(user_api, "favourites", cursor=cursor)

    assert page["deletes"] == []
    assert page["upserts"] == []


def test_pull_favourites_shows_deletes_of_own_favourites(user_api, user, product):
    favourite_id = str(Favourite.objects.create(user=user, product=product).id)
    cursor = pull(user_api, "favourites")["cursor"]

    Favourite.objects.filter(pk=favourite_id).delete()
    page = pull(user_api, "favourites", cursor=cursor)

    assert page["deletes"] == [favourite_id]


# --- Bad cursors, unknown collection --------------------------------------------------------


def test_pull_rejects_a_cursor_of_another_collection(api, product, category):
    products_cursor = pull(api, "products")["cursor"]

    response = api.get(pull_url("categories"), {"cursor": products_cursor})

    assert_error(response, 400, InvalidCursor.default_code)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"), id="tampered-signature"),
        pytest.param(lambda c: "x" + c, id="tampered-payload"),
        pytest.param(lambda c: "products.0.1", id="forged"),
        pytest.param(lambda c: "garbage", id="garbage"),
        pytest.param(lambda c: "", id="empty"),
        pytest.param(lambda c: c * 20, id="very-long"),
    ],
)
def test_pull_rejects_a_cursor_it_did_not_issue(api, product, spoil):
    cursor = pull(api, "products")["cursor"]

    response = api.get(pull_url("products"), {"cursor": spoil(cursor)})

    assert_error(response, 400, InvalidCursor.default_code)


def test_pull_unknown_collection_is_404(api):
    response = api.get(pull_url("widgets"))

    assert_error(response, 404, UnknownCollection.default_code)


# --- Reset after tombstones are purged --------------------------------------------------------


def _purge_by_command():
    call_command("purge_tombstones", "--days", "0", stdout=StringIO())


def _purge_by_service():
    tombstones_purge(older_than=timedelta(0))


def _history_with_purged_delete(client, category) -> tuple[list[Product], str, str]:
    """Three products kept and one deleted after a first pull: (kept, stale cursor, current cursor).

    The stale cursor is from before the delete, the current one from after it.
    """
    kept = [make_product(category) for _ in range(3)]
    doomed = make_product(category)
    stale_cursor = pull(client, "products")["cursor"]
    doomed.delete()
    _, current_cursor = pull_all(client, "products", cursor=stale_cursor)
    return kept, stale_cursor, current_cursor


@pytest.mark.parametrize("purge", [_purge_by_command, _purge_by_service], ids=["command", "service"])
def test_pull_resets_a_cursor_older_than_purged_tombstones(api, category, purge):
    kept, stale_cursor, _ = _history_with_purged_delete(api, category)

    purge()
    page = pull(api, "products", cursor=stale_cursor)

    assert page["reset"] is True
    assert page["deletes"] == []
    assert sorted(r["id"] for r in page["upserts"]) == sorted(str(p.id) for p in kept)
    assert page["has_more"] is False


def test_pull_does_not_reset_a_cursor_newer_than_purged_tombstones(api, category):
    _, _, current_cursor = _history_with_purged_delete(api, category)

    _purge_by_service()
    page = pull(api, "products", cursor=current_cursor)

    assert page["reset"] is False
    assert page["upserts"] == []
    assert page["deletes"] == []


def test_pull_reset_page_starts_from_the_beginning_and_its_cursors_lead_to_the_end(api, category):
    kept, stale_cursor, _ = _history_with_purged_delete(api, category)
    _purge_by_service()

    first = pull(api, "products", cursor=stale_cursor, limit=1)
    assert first["reset"] is True
    assert first["has_more"] is True
    rest, _ = pull_all(api, "products", cursor=first["cursor"], limit=1)

    assert [page["reset"] for page in rest] == [False] * len(rest)
    assert sorted(upserted_ids([first, *rest])) == sorted(str(p.id) for p in kept)


def test_pull_cursor_issued_by_a_reset_page_is_not_reset_again(api, category):
    _, stale_cursor, _ = _history_with_purged_delete(api, category)
    _purge_by_service()
    reset_page = pull(api, "products", cursor=stale_cursor)
    assert reset_page["reset"] is True

    page = pull(api, "products", cursor=reset_page["cursor"])

    assert page["reset"] is False
    assert page["upserts"] == []
    assert page["deletes"] == []


def test_pull_from_the_beginning_after_a_purge_gives_a_cursor_that_is_not_reset(api, category):
    kept, _, _ = _history_with_purged_delete(api, category)
    _purge_by_service()

    first = pull(api, "products")
    assert first["reset"] is False
    assert sorted(r["id"] for r in first["upserts"]) == sorted(str(p.id) for p in kept)

    page = pull(api, "products", cursor=first["cursor"])

    assert page["reset"] is False
    assert page["upserts"] == []


# --- Earlier releases' planned first downloads ------------------------------------------------------


def test_pull_ignores_the_parallel_hint_of_earlier_releases(api, category):
    for _ in range(4):
        make_product(category)

    page = pull(api, "products", limit=2, parallel="1")

    assert "parallel_cursors" not in page
    assert len(page["upserts"]) == 2
    assert page["has_more"] is True


def test_pull_does_not_read_a_range_cursor_of_an_earlier_release(api, category):
    """Earlier releases planned first downloads with range cursors (five signed parts). A client
    only ever stored ordinary cursors, which still work; a range cursor in flight is refused."""
    from django.core import signing

    from syncapi.cursor import _SALT
    from syncapi.selectors import sync_state_get

    make_product(category)
    epoch = sync_state_get().epoch
    range_cursor = signing.Signer(salt=_SALT, sep="~").sign(f"products.{epoch}.0.0.5")

    assert_error(api.get(pull_url("products"), {"cursor": range_cursor}), 400, InvalidCursor.default_code)


def test_pull_says_how_many_records_a_page_upserts_in_a_header(api, category):
    for _ in range(3):
        make_product(category)
    make_product(category, is_active=False)
    first = api.get(pull_url("products"), {"limit": 2})
    rest = api.get(pull_url("products"), {"limit": 5, "cursor": first.json()["cursor"]})

    assert first["Sync-Upserts"] == "2"
    assert rest["Sync-Upserts"] == str(len(rest.json()["upserts"])) == "1"
