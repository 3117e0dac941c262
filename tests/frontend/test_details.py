"""A product reads as a rep expects: prices in the reader's format, no internal fields."""

import pytest

from catalogue.models import Product
from tests.frontend.browser import poll, wait_until

pytestmark = pytest.mark.once  # how the client shows what it synced


@pytest.mark.parametrize("width", [390, 1280])
def test_prices_follow_the_locale_and_the_detail_shows_no_internal_version(app, width):
    app.set_viewport_size({"width": width, "height": 844})
    product = Product.objects.filter(is_active=True, currency="EUR").order_by("name").first()
    row = app.locator(f"li.product-row[data-id='{product.pk}']")

    expected = app.evaluate(
        "([price]) => new Intl.NumberFormat(navigator.language, {style: 'currency', currency: 'EUR'}).format(price)",
        [str(product.price)],
    )
    assert expected.startswith("€")  # the browser's locale here is en-US
    assert row.locator(".row-price").inner_text() == expected

    row.locator("button.row-open").click()
    wait_until(app, poll("document.getElementById('dialog').open"))
    detail = app.locator("#product-detail")
    assert detail.locator("[data-field='price']").inner_text() == expected
    assert "Version" not in detail.inner_text()
