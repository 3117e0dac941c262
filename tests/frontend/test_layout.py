"""What a rep reads on a phone and a desktop: whole names, SKU and badges, a compact header, sorting."""

from decimal import Decimal

import pytest

from catalogue.models import Category, Product
from tests.frontend.browser import edit_price, poll, signed_in, sync, wait_until

pytestmark = pytest.mark.once  # how the client lays out what it synced, whatever the database

LONG_NAME = "Voltra magnetic power bank 20000 mAh with USB-C PD 20W"
CLIPPED = """(selector) => [...document.querySelectorAll(selector)].filter((el) =>
    el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1).map((el) => el.className)"""


def long_named_product() -> Product:
    category = Category.objects.order_by("name").first()
    return Product.objects.create(
        sku="PB-20000-USBC", name=LONG_NAME, price=Decimal("39.99"), stock=12, category=category, currency="EUR"
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_a_row_shows_the_whole_name_sku_stock_and_price_beside_a_not_yet_sent_badge(
    app, context, django_user_model, width
):
    app.set_viewport_size({"width": width, "height": 844})
    product = long_named_product()
    signed_in(app, django_user_model, "sam", is_staff=True)  # signing in syncs the new product
    row = app.locator(f"li.product-row[data-id='{product.pk}']")
    app.fill("#search", "voltra")
    row.wait_for()
    context.set_offline(True)
    edit_price(app, product, "35.00")
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 1"))
    app.keyboard.press("Escape")
    wait_until(app, poll("!document.getElementById('dialog').open"))

    wait_until(app, poll(f"!document.querySelector(\"li.product-row[data-id='{product.pk}'] .badge-pending\").hidden"))
    parts = [".row-name", ".row-sku", ".row-stock", ".row-price", ".badge-pending"]
    clipped = app.evaluate(CLIPPED, ", ".join(f"li.product-row[data-id='{product.pk}'] {part}" for part in parts))
    assert clipped == []  # nothing cut: not the name (two lines on a phone), not the SKU ("H…")
    box = row.bounding_box()
    for part in parts:
        inside = row.locator(part).bounding_box()
        assert box["x"] <= inside["x"], part
        assert inside["x"] + inside["width"] <= box["x"] + box["width"], part
        assert box["y"] <= inside["y"], part
        assert inside["y"] + inside["height"] <= box["y"] + box["height"], part


def test_the_phone_header_is_two_rows_with_the_actions_beside_the_title(app, context, django_user_model):
    app.set_viewport_size({"width": 390, "height": 844})
    signed_in(app, django_user_model, "sam")
    context.set_offline(True)  # the longest state: Offline, last sync, unsent, the user
    wait_until(app, poll("document.querySelector('[data-online]').textContent === 'Offline'"))

    header = app.locator("#header").bounding_box()
    assert header["height"] <= 100  # was three rows, a sixth of the screen and more
    title = app.locator("#app-title").bounding_box()
    buttons = [app.locator(f"#{id_}").bounding_box() for id_ in ("sync-now", "sign-out")]
    assert title["x"] + title["width"] <= buttons[0]["x"]
    assert all(box["y"] < title["y"] + title["height"] for box in buttons)  # on the title's row
    assert buttons[-1]["x"] + buttons[-1]["width"] <= 390
    assert app.get_by_role("button", name="Sync now").is_visible()  # an icon on a phone, named for everyone


@pytest.mark.parametrize("width", [390, 1280])
def test_the_list_sorts_by_price_filters_to_stock_and_keeps_both_in_its_url(app, width):
    app.set_viewport_size({"width": width, "height": 844})
    cheapest = Product.objects.filter(is_active=True).order_by("price").first()
    Product.objects.filter(pk=cheapest.pk).update(stock=0)
    sync(app, "catalogue")

    app.select_option("#sort", "price")
    wait_until(app, poll("location.search.includes('sort=price')"))
    prices = app.evaluate(
        "[...document.querySelectorAll('li.product-row')].sort((a, b) => a.ariaPosInSet - b.ariaPosInSet)"
        ".map((li) => window.offlineSync.catalogue.product(li.dataset.id).price)"
    )
    assert [Decimal(p) for p in prices] == sorted(Decimal(p) for p in prices)
    assert prices[0] == str(cheapest.price)

    app.check("#in-stock")
    wait_until(app, poll(f"!document.querySelector(\"li.product-row[data-id='{cheapest.pk}']\")"))
    in_stock = Product.objects.filter(is_active=True, stock__gt=0).count()
    wait_until(app, poll(f"document.querySelector('[data-result-count]').textContent === '{in_stock}'"))

    app.reload()  # a link to this list shows it sorted and filtered
    wait_until(app, poll("document.documentElement.dataset.ready === 'true'"))
    assert app.locator("#sort").input_value() == "price"
    assert app.locator("#in-stock").is_checked()
    assert app.locator("[data-result-count]").inner_text() == str(in_stock)
