"""The Django admin as staff use it: edits made there bump versions, so clients pull them."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from catalogue.models import NEGATIVE_STOCK, Category, Product
from syncapi.models import RecordAlias, SyncConfiguration
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("admin:catalogue_product_changelist")


def version_of(obj) -> int:
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


def run_action(client, action: str, products: list[Product]):
    return client.post(PRODUCTS, {"action": action, "_selected_action": [str(p.pk) for p in products]})


def test_product_changelist_loads(admin_client, category):
    product = make_product(category)

    response = admin_client.get(PRODUCTS)

    assert response.status_code == 200
    assert product.sku in response.content.decode()


def test_product_search_by_sku_finds_only_that_product(admin_client, category):
    wanted = make_product(category, sku="HW-DRL-004213")
    make_product(category, sku="HM-CKW-120001")

    response = admin_client.get(PRODUCTS, {"q": "DRL-0042"})

    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [wanted.pk]


def edit_in_list(admin_client, product, *, price: str, stock: str):
    """Save one row of the product list's editable price and stock columns."""
    form = {"TOTAL_FORMS": "1", "INITIAL_FORMS": "1", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}
    row = {"id": str(product.pk), "price": price, "stock": stock}
    data = {f"form-{k}": v for k, v in form.items()} | {f"form-0-{k}": v for k, v in row.items()}
    return admin_client.post(PRODUCTS, {**data, "_save": "Save"})


def test_list_editable_price_change_bumps_version(admin_client, category):
    product = make_product(category, price=Decimal("12.50"), stock=3)
    other = make_product(category)
    before, other_before = version_of(product), version_of(other)

    response = edit_in_list(admin_client, product, price="19.99", stock="42")

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.stock) == (Decimal("19.99"), 42)
    assert product.version > before
    assert version_of(other) == other_before


def test_product_change_form_refuses_negative_stock(admin_client, category):
    product = make_product(category, stock=3)
    before = version_of(product)
    data = {"sku": product.sku, "name": product.name, "description": "", "price": "12.50", "currency": "EUR"}

    response = admin_client.post(
        reverse("admin:catalogue_product_change", args=[product.pk]),
        {**data, "stock": "-2", "category": str(category.pk), "is_active": "on", "_save": "Save"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors == {"stock": [NEGATIVE_STOCK]}
    assert NEGATIVE_STOCK in response.content.decode()
    product.refresh_from_db()
    assert product.stock == 3
    assert version_of(product) == before


def test_list_editable_refuses_negative_stock(admin_client, category):
    product = make_product(category, stock=3)

    response = edit_in_list(admin_client, product, price="12.50", stock="-1")

    assert response.status_code == 200
    assert response.context["cl"].formset.errors == [{"stock": [NEGATIVE_STOCK]}]
    product.refresh_from_db()
    assert product.stock == 3


@pytest.mark.parametrize(("action", "active_before"), [("deactivate", True), ("activate", False)])
def test_activation_actions_switch_is_active_and_bump_versions(admin_client, category, action, active_before):
    products = [make_product(category, is_active=active_before), make_product(category, is_active=active_before)]
    before = [version_of(p) for p in products]

    response = run_action(admin_client, action, products)

    assert response.status_code == 302
    for product, old in zip(products, before, strict=True):
        product.refresh_from_db()
        assert product.is_active is (not active_before)
        assert product.version > old


def test_deactivate_action_leaves_already_inactive_products_untouched(admin_client, category):
    inactive = make_product(category, is_active=False)
    before = version_of(inactive)

    run_action(admin_client, "deactivate", [inactive])

    assert version_of(inactive) == before


def test_category_changelist_loads(admin_client):
    parent = Category.objects.create(name="Garden & Outdoor", position=1)
    Category.objects.create(name="Watering", parent=parent, position=1)

    response = admin_client.get(reverse("admin:catalogue_category_changelist"))

    assert response.status_code == 200
    assert {c.name for c in response.context["cl"].result_list} == {"Garden & Outdoor", "Watering"}


def test_sync_configuration_list_opens_the_single_row(admin_client):
    response = admin_client.get("/admin/syncapi/syncconfiguration/")

    assert response.status_code == 302
    assert response.url == reverse("admin:syncapi_syncconfiguration_change", args=[1])
    assert admin_client.get(response.url).status_code == 200
    assert SyncConfiguration.objects.count() == 1


def test_sync_configuration_saves_unchecked_sync_on_online(admin_client):
    url = reverse("admin:syncapi_syncconfiguration_change", args=[1])
    assert SyncConfiguration.load().sync_on_online is True

    response = admin_client.post(
        url,
        {
            # sync_on_online left out: an unchecked checkbox is not submitted.
            "sync_on_login": "on",
            "sync_on_resume": "on",
            "retry_on_error": "on",
            "retry_interval_seconds": "30",
            "periodic_sync_minutes": "720",
            "foreground_refresh_seconds": "45",
            "page_size": "1000",
            "schema_version": "1",
            "offline_images": "favourites",
            "offline_images_mb": "120",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    config = SyncConfiguration.objects.get(pk=1)
    assert config.sync_on_online is False
    assert (config.sync_on_login, config.sync_on_resume, config.retry_on_error) == (True, True, True)
    assert config.foreground_refresh_seconds == 45
    assert (config.offline_images, config.offline_images_mb) == ("favourites", 120)


def test_record_alias_admin_lists_aliases_read_only(admin_client, admin_user):
    RecordAlias.objects.create(collection="favourites", alias_id="mine", record_id="the-server-id", owner=admin_user)

    response = admin_client.get(reverse("admin:syncapi_recordalias_changelist"))

    assert response.status_code == 200
    assert "the-server-id" in response.content.decode()
    assert admin_client.get(reverse("admin:syncapi_recordalias_add")).status_code == 403


def listed_skus(client, **params) -> set[str]:
    response = client.get(PRODUCTS, params)
    assert response.status_code == 200
    return {p.sku for p in response.context["cl"].result_list}


def test_the_stock_filter_lists_products_out_of_stock_or_in_it(admin_client, category):
    make_product(category, sku="EMPTY-1", stock=0)
    make_product(category, sku="FULL-1", stock=4)

    assert listed_skus(admin_client, stock="out") == {"EMPTY-1"}
    assert listed_skus(admin_client, stock="in") == {"FULL-1"}


def test_the_category_filter_is_the_tree_and_a_category_includes_the_ones_below(admin_client):
    tools = Category.objects.create(name="Tools", position=1)
    drills = Category.objects.create(name="Drills", parent=tools, position=1)
    garden = Category.objects.create(name="Garden", position=2)
    make_product(tools, sku="T-1")
    make_product(drills, sku="D-1")
    make_product(garden, sku="G-1")

    assert listed_skus(admin_client, category=str(tools.pk)) == {"T-1", "D-1"}
    assert listed_skus(admin_client, category=str(drills.pk)) == {"D-1"}
    [choices] = [f for f in admin_client.get(PRODUCTS).context["cl"].filter_specs if f.title == "category"]
    assert [label for _, label in choices.lookup_choices] == ["Tools", "\u2003Drills", "Garden"]


def test_a_long_name_is_cut_on_the_list_and_whole_in_its_tooltip(admin_client, category):
    name = "Anker magnetic power bank 20000 mAh with a very long specification that would wrap"
    make_product(category, name=name)

    page = admin_client.get(PRODUCTS).content.decode()

    assert f'class="product-name" title="{name}"' in page


@pytest.mark.parametrize("model", ["tombstone", "syncclient", "recordalias"])
def test_protocol_internals_are_for_superusers_only(client, admin_client, django_user_model, model):
    staff = django_user_model.objects.create_user("shop", password="shop-password-1", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="syncapi"))
    client.force_login(staff)
    url = reverse(f"admin:syncapi_{model}_changelist")

    assert client.get(url).status_code == 403
    assert f"/admin/syncapi/{model}/" not in client.get(reverse("admin:index")).content.decode()
    assert admin_client.get(url).status_code == 200


def test_the_price_action_asks_how_then_changes_every_selected_price(admin_client, category):
    cheap = make_product(category, price=Decimal("10.00"))
    dear = make_product(category, price=Decimal("21.40"))
    before = version_of(dear)

    asked = run_action(admin_client, "change_prices", [cheap, dear])
    assert asked.status_code == 200
    assert "Change the price of 2 selected products." in asked.content.decode()

    selected = [str(cheap.pk), str(dear.pk)]
    form = {"action": "change_prices", "_selected_action": selected, "apply": "1", "how": "percent", "value": "10"}
    applied = admin_client.post(PRODUCTS, {**form, "rounding": "99"})
    assert applied.status_code == 302
    prices = dict(Product.objects.filter(pk__in=[cheap.pk, dear.pk]).values_list("pk", "price"))
    assert (prices[cheap.pk], prices[dear.pk]) == (Decimal("10.99"), Decimal("23.99"))  # 11.00 and 23.54, to .99
    assert version_of(dear) > before  # devices pull the new prices


def test_a_price_change_that_would_go_below_zero_changes_nothing(admin_client, category):
    cheap = make_product(category, price=Decimal("3.00"))
    dear = make_product(category, price=Decimal("30.00"))

    selected = [str(cheap.pk), str(dear.pk)]
    form = {"action": "change_prices", "_selected_action": selected, "apply": "1", "how": "amount", "value": "-5"}
    response = admin_client.post(PRODUCTS, {**form, "rounding": "cent"}, follow=True)

    assert "No price changed" in response.content.decode()
    assert sorted(Product.objects.values_list("price", flat=True)) == [Decimal("3.00"), Decimal("30.00")]
