"""Every write path bumps the change version; every delete leaves a tombstone.

PROTOCOL.md: "Every write path bumps versions: model save()/delete(),
QuerySet.update() and delete(), bulk create/update, admin actions, data imports
and management commands. A write path that does not is a bug."

Each test records the highest version in use before the write (over every
synced table and the tombstones) and checks that the write produced versions
above it, so a reader holding a cursor from before the write cannot miss it.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Max
from django.urls import reverse

from catalogue.models import Category, Favourite, Product
from catalogue.services import products_set_active
from syncapi.models import SyncState, Tombstone
from syncapi.registry import registry
from syncapi.selectors import changes_since
from syncapi.services import sync_state_ensure, tombstones_purge
from tests.conftest import make_product

pytestmark = pytest.mark.django_db


def max_version() -> int:
    """The highest version held by any synced row or tombstone."""
    versions = [c.model._default_manager.aggregate(v=Max("version"))["v"] or 0 for c in registry.collections()]
    versions.append(Tombstone.objects.aggregate(v=Max("version"))["v"] or 0)
    return max(versions)


def all_versions() -> list[int]:
    """Every version in use: synced rows of every collection, then tombstones."""
    versions = []
    for collection in registry.collections():
        versions += collection.model._default_manager.values_list("version", flat=True)
    versions += Tombstone.objects.values_list("version", flat=True)
    return versions


def versions_of(model, pks) -> dict:
    return dict(model._default_manager.filter(pk__in=pks).values_list("pk", "version"))


def tombstone(collection: str, pk) -> Tombstone:
    return Tombstone.objects.get(collection=collection, record_id=str(pk))


def db_pk(model, pk):
    """`pk` as the database stores it (raw SQL does not adapt UUIDs on SQLite)."""
    return model._meta.pk.get_db_prep_value(pk, connection)


def assert_distinct_and_above(versions, floor: int) -> None:
    versions = list(versions)
    assert versions
    assert all(v > floor for v in versions), (versions, floor)
    assert len(set(versions)) == len(versions), versions


# --- model save() and delete() ----------------------------------------------------------


def test_save_create_assigns_a_version_above_all_previous(category):
    before = max_version()
    assert before > 0  # the category fixture already took a version

    product = make_product(category)

    product.refresh_from_db()
    assert product.version > before


def test_save_update_bumps_version(product):
    before = max_version()

    product.name = "Renamed"
    product.save()

    product.refresh_from_db()
    assert product.version > before


def test_save_with_update_fields_bumps_version(product):
    before = max_version()

    product.stock = 99
    product.save(update_fields=["stock"])

    product.refresh_from_db()
    assert product.version > before


def test_save_of_a_stale_instance_still_bumps_version(product):
    """The in-memory version is stale after the first save; the trigger ignores it."""
    product.name = "First"
    product.save()
    first = Product.objects.get(pk=product.pk).version

    product.name = "Second"
    product.save()  # still carries the version it was loaded with

    product.refresh_from_db()
    assert product.version > first


def test_instance_delete_leaves_a_tombstone_with_a_new_version(product):
    pk = product.pk
    before = max_version()

    product.delete()

    stone = tombstone("products", pk)
    assert stone.record_id == str(pk)
    assert "-" in stone.record_id  # the wire form of the UUID, with hyphens
    assert stone.owner == ""  # a global collection: no owner
    assert stone.version > before


# --- QuerySet.update() and delete() -----------------------------------------------------


def test_queryset_update_bumps_version(category):
    products = [make_product(category) for _ in range(3)]
    untouched = make_product(category)
    untouched_version = Product.objects.get(pk=untouched.pk).version
    before = max_version()

    updated = Product.objects.filter(pk__in=[p.pk for p in products]).update(stock=F("stock") + 1)

    assert updated == 3
    assert_distinct_and_above(versions_of(Product, [p.pk for p in products]).values(), before)
    assert Product.objects.get(pk=untouched.pk).version == untouched_version


def test_queryset_delete_leaves_one_tombstone_per_row(category):
    products = [make_product(category) for _ in range(3)]
    kept = make_product(category)
    before = max_version()

    Product.objects.filter(pk__in=[p.pk for p in products]).delete()

    stones = Tombstone.objects.filter(collection="products")
    assert sorted(stones.values_list("record_id", flat=True)) == sorted(str(p.pk) for p in products)
    assert_distinct_and_above(stones.values_list("version", flat=True), before)
    assert Product.objects.filter(pk=kept.pk).exists()


# --- bulk writes ------------------------------------------------------------------------


def test_bulk_create_assigns_versions(category):
    before = max_version()

    Product.objects.bulk_create(
        [Product(sku=f"BULK-{i}", name=f"Bulk {i}", price=Decimal("1.00"), category=category) for i in range(4)]
    )

    versions = Product.objects.filter(sku__startswith="BULK-").values_list("version", flat=True)
    assert len(versions) == 4
    assert_distinct_and_above(versions, before)


def test_bulk_create_upsert_bumps_version_of_existing_rows(category):
    """A data import written as INSERT ... ON CONFLICT DO UPDATE."""
    existing = make_product(category, sku="IMPORT-1")
    before = max_version()

    Product.objects.bulk_create(
        [
            Product(sku="IMPORT-1", name="Imported again", price=Decimal("2.00")),
            Product(sku="IMPORT-2", name="Imported new", price=Decimal("3.00")),
        ],
        update_conflicts=True,
        unique_fields=["sku"],
        update_fields=["name", "price"],
    )

    rows = dict(Product.objects.filter(sku__startswith="IMPORT-").values_list("sku", "version"))
    assert Product.objects.get(sku="IMPORT-1").pk == existing.pk
    assert Product.objects.get(sku="IMPORT-1").name == "Imported again"
    assert_distinct_and_above(rows.values(), before)


def test_bulk_update_bumps_versions(category):
    products = [make_product(category) for _ in range(3)]
    before = max_version()

    for i, product in enumerate(products):
        product.price = Decimal(f"{i + 5}.00")
    Product.objects.bulk_update(products, ["price"])

    assert_distinct_and_above(versions_of(Product, [p.pk for p in products]).values(), before)


def test_loaddata_import_bumps_version_whatever_version_the_file_holds(product, tmp_path):
    """Fixture imports save raw rows, including a `version` value; the database assigns its own."""
    fixture = tmp_path / "products.json"
    fields = {
        "sku": product.sku,
        "name": "Loaded",
        "description": "",
        "price": "7.00",
        "currency": "EUR",
        "stock": 1,
        "category": None,
        "image": "",
        "is_active": True,
        "updated_at": "2020-01-01T00:00:00Z",
        "version": 1,
    }
    fixture.write_text(json.dumps([{"model": "catalogue.product", "pk": str(product.pk), "fields": fields}]))
    before = max_version()

    call_command("loaddata", str(fixture), verbosity=0)

    product.refresh_from_db()
    assert product.name == "Loaded"
    assert product.version > before


# --- cascades ---------------------------------------------------------------------------


def test_cascade_delete_of_a_category_tombstones_its_subtree_and_bumps_its_products():
    root = Category.objects.create(name="Root")
    child = Category.objects.create(name="Child", parent=root)
    grandchild = Category.objects.create(name="Grandchild", parent=child)
    other = Category.objects.create(name="Other")
    in_root, in_grandchild = make_product(root), make_product(grandchild)
    elsewhere = make_product(other)
    elsewhere_version = Product.objects.get(pk=elsewhere.pk).version
    subtree = [str(c.pk) for c in (root, child, grandchild)]
    before = max_version()

    root.delete()

    stones = Tombstone.objects.filter(collection="categories")
    assert sorted(stones.values_list("record_id", flat=True)) == sorted(subtree)
    assert_distinct_and_above(stones.values_list("version", flat=True), before)
    orphans = Product.objects.filter(pk__in=[in_root.pk, in_grandchild.pk])
    assert list(orphans.values_list("category_id", flat=True)) == [None, None]
    assert_distinct_and_above(orphans.values_list("version", flat=True), before)
    assert Product.objects.get(pk=elsewhere.pk).version == elsewhere_version
    assert Category.objects.filter(pk=other.pk).exists()


def test_product_delete_cascades_to_favourites_with_tombstones(product, user):
    favourite = Favourite.objects.create(user=user, product=product)
    product_pk = product.pk
    before = max_version()

    product.delete()

    stone = tombstone("favourites", favourite.pk)
    assert stone.owner == str(user.pk)
    assert stone.version > before
    assert tombstone("products", product_pk).version > before


# --- services and admin actions ---------------------------------------------------------


def test_products_set_active_bumps_versions_of_changed_products(category):
    active = [make_product(category) for _ in range(2)]
    already_inactive = make_product(category, is_active=False)
    idle_version = Product.objects.get(pk=already_inactive.pk).version
    before = max_version()

    changed = products_set_active(products=Product.objects.all(), active=False)

    assert changed == 2
    assert_distinct_and_above(versions_of(Product, [p.pk for p in active]).values(), before)
    assert Product.objects.get(pk=already_inactive.pk).version == idle_version  # no change, no version

    before = max_version()
    products_set_active(products=Product.objects.filter(pk=active[0].pk), active=True)

    assert Product.objects.get(pk=active[0].pk).version > before


@pytest.mark.parametrize(
    ("action", "start_active", "end_active"), [("deactivate", True, False), ("activate", False, True)]
)
def test_admin_activation_actions_bump_versions(admin_client, category, action, start_active, end_active):
    products = [make_product(category, is_active=start_active) for _ in range(2)]
    before = max_version()

    response = admin_client.post(
        reverse("admin:catalogue_product_changelist"),
        {"action": action, "_selected_action": [str(p.pk) for p in products]},
    )

    assert response.status_code == 302
    rows = Product.objects.filter(pk__in=[p.pk for p in products])
    assert set(rows.values_list("is_active", flat=True)) == {end_active}
    assert_distinct_and_above(rows.values_list("version", flat=True), before)


def test_admin_change_form_save_bumps_version(admin_client, product):
    before = max_version()

    response = admin_client.post(
        reverse("admin:catalogue_product_change", args=[product.pk]),
        {
            "sku": product.sku,
            "name": "Edited in admin",
            "description": "",
            "price": "3.00",
            "currency": "EUR",
            "stock": 4,
            "category": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    product.refresh_from_db()
    assert product.name == "Edited in admin"
    assert product.version > before


# --- raw SQL ----------------------------------------------------------------------------


def test_raw_sql_update_bumps_version(product):
    before = max_version()

    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Product._meta.db_table}" SET stock = stock + 1 WHERE id = %s', [db_pk(Product, product.pk)]
        )

    product.refresh_from_db()
    assert product.stock == 4
    assert product.version > before


def test_raw_sql_delete_leaves_a_tombstone(product):
    before = max_version()

    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{Product._meta.db_table}" WHERE id = %s', [db_pk(Product, product.pk)])

    assert tombstone("products", product.pk).version > before


# --- tombstones -------------------------------------------------------------------------


def test_favourite_delete_records_the_owner_in_the_tombstone(product, user, other_user):
    mine = Favourite.objects.create(user=user, product=product)
    theirs = Favourite.objects.create(user=other_user, product=product)
    mine_pk = mine.pk
    before = max_version()

    mine.delete()
    Favourite.objects.filter(pk=theirs.pk).delete()

    assert tombstone("favourites", mine_pk).owner == str(user.pk)
    assert tombstone("favourites", theirs.pk).owner == str(other_user.pk)
    assert_distinct_and_above(Tombstone.objects.values_list("version", flat=True), before)


def test_recreating_a_deleted_record_removes_its_tombstone(product):
    products = registry.get("products")
    pk = product.pk
    cursor = changes_since(collection=products, cursor=None, limit=100).cursor
    product.delete()
    deleted_at_version = tombstone("products", pk).version

    recreated = make_product(id=pk)

    assert not Tombstone.objects.filter(collection="products", record_id=str(pk)).exists()
    recreated.refresh_from_db()
    assert recreated.version > deleted_at_version
    page = changes_since(collection=products, cursor=cursor, limit=100)
    assert [str(r["id"]) for r in page.upserts] == [str(pk)]
    assert page.deletes == []  # never both an upsert and a delete of one record


def test_versions_are_unique_across_synced_tables_and_tombstones(category, user):
    child = Category.objects.create(name="Child", parent=category)
    products = [make_product(child) for _ in range(4)]
    Product.objects.bulk_create([Product(sku=f"MIX-{i}", name="Mix", price=Decimal("1.00")) for i in range(3)])
    Favourite.objects.create(user=user, product=products[0])
    Favourite.objects.create(user=user, product=products[1])
    Product.objects.filter(pk=products[2].pk).update(stock=50)
    products_set_active(products=Product.objects.filter(sku__startswith="MIX-"), active=False)
    gone = products[1].pk
    products[1].delete()  # cascades to a favourite
    Product.objects.filter(sku="MIX-0").delete()
    child.delete()  # tombstone + SET_NULL on the remaining products
    make_product(id=gone)  # re-created: its tombstone goes

    versions = all_versions()

    assert len(versions) == len(set(versions))
    assert Tombstone.objects.count() >= 3


def test_tombstones_purge_deletes_tombstones_and_raises_the_horizon(category):
    products = [make_product(category) for _ in range(3)]
    for product in products:
        product.delete()
    newest = Tombstone.objects.aggregate(v=Max("version"))["v"]
    assert SyncState.objects.get(pk=1).purged_through < newest

    purged = tombstones_purge(older_than=timedelta(0))

    assert purged == 3
    assert not Tombstone.objects.exists()
    assert SyncState.objects.get(pk=1).purged_through == newest


def test_tombstones_purge_keeps_tombstones_within_retention(product):
    pk = product.pk
    product.delete()
    horizon = SyncState.objects.get(pk=1).purged_through

    assert tombstones_purge(older_than=timedelta(days=1)) == 0

    assert Tombstone.objects.filter(record_id=str(pk)).exists()
    assert SyncState.objects.get(pk=1).purged_through == horizon


# --- a database emptied and started anew (a new epoch) ------------------------------------


def test_a_new_epoch_drops_tombstones_left_by_flush_so_a_delta_sync_misses_no_new_row(category):
    """`flush` empties tables in no fixed order. Here the worst one: the tombstones first, then the
    data, whose delete triggers write new tombstones, then the state row, which restarts
    SQLite's count below them. A device that reads them would pass the versions new rows take."""
    for _ in range(3):
        make_product(category)
    Tombstone.objects.all().delete()
    Product.objects.all().delete()
    Category.objects.all().delete()
    SyncState.objects.all().delete()

    sync_state_ensure()

    assert not Tombstone.objects.exists()
    products = registry.get("products")
    fresh = changes_since(collection=products, cursor=None, limit=100)
    caught_up = changes_since(collection=products, cursor=fresh.cursor, limit=100)
    new = make_product(Category.objects.create(name="New", position=1))
    assert [r["id"] for r in changes_since(collection=products, cursor=caught_up.cursor, limit=100).upserts] == [
        str(new.pk)
    ]


def test_a_new_epoch_keeps_new_versions_above_the_rows_that_remain():
    product = make_product(Category.objects.create(name="Kept", position=1))
    before = max_version()
    epoch = SyncState.objects.get(pk=1).epoch
    SyncState.objects.all().delete()  # the state row alone, as a partial flush would

    sync_state_ensure()

    assert SyncState.objects.get(pk=1).epoch not in ("", epoch)
    product.save()
    product.refresh_from_db()
    assert product.version > before


# --- what a puller sees -----------------------------------------------------------------


def test_pull_returns_an_update_made_after_the_previous_cursor(category):
    products = registry.get("products")
    first, second = make_product(category), make_product(category)
    page = changes_since(collection=products, cursor=None, limit=100)
    assert {str(r["id"]) for r in page.upserts} == {str(first.pk), str(second.pk)}
    assert not page.has_more

    Product.objects.filter(pk=second.pk).update(price=Decimal("99.00"))

    page = changes_since(collection=products, cursor=page.cursor, limit=100)
    assert [(str(r["id"]), Decimal(str(r["price"]))) for r in page.upserts] == [(str(second.pk), Decimal("99.00"))]
    assert page.upserts[0]["version"] == Product.objects.get(pk=second.pk).version
    assert page.deletes == []
    assert not page.reset


def test_pull_delivers_a_deactivated_product_as_a_delete(category):
    products = registry.get("products")
    kept, hidden = make_product(category), make_product(category)
    page = changes_since(collection=products, cursor=None, limit=100)

    products_set_active(products=Product.objects.filter(pk=hidden.pk), active=False)

    page = changes_since(collection=products, cursor=page.cursor, limit=100)
    assert page.upserts == []
    assert page.deletes == [str(hidden.pk)]
    assert Product.objects.filter(pk=kept.pk, is_active=True).exists()


def test_pull_delivers_a_deleted_product_as_a_delete(category):
    products = registry.get("products")
    doomed = make_product(category)
    doomed_pk = doomed.pk
    page = changes_since(collection=products, cursor=None, limit=100)

    doomed.delete()

    page = changes_since(collection=products, cursor=page.cursor, limit=100)
    assert page.upserts == []
    assert page.deletes == [str(doomed_pk)]
