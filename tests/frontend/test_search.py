"""Search as a rep types it, at a phone's width and a desktop's: every word, any order, typos, marks."""

from decimal import Decimal

import pytest

from catalogue.models import Category, Product
from tests.frontend.browser import poll, sync, wait_until

pytestmark = pytest.mark.once  # the client's own behaviour over what it synced

NAMES = {
    "drill": "Kestrel brushless drill driver 18V",
    "bank": "Voltix magnetic power bank 20000 mAh",
    "glasses": "Optiq anti-fog safety glasses tinted",
    "creme": "Café crème Senseo pads",
    "stand": "Drill stand for Kestrel drills",
}


@pytest.fixture
def products(app):
    category = Category.objects.order_by("name").first()
    made = {
        key: Product.objects.create(
            sku=f"QA-{key.upper()}-{n:03d}", name=name, price=Decimal("9.99"), stock=3, category=category
        )
        for n, (key, name) in enumerate(NAMES.items())
    }
    sync(app, "catalogue")
    return made


def names_for(page, query: str) -> list[str]:
    """The names listed for `query`, of the products made here (the demo catalogue has its own drills)."""
    page.fill("#search", query)
    wait_until(page, poll(f"document.querySelector('.result-summary').textContent.includes({query.strip()!r})"))
    return [name for name in page.locator("li.product-row .row-name").all_inner_texts() if name in NAMES.values()]


@pytest.mark.parametrize("width", [390, 1280])
def test_search_finds_every_word_in_any_order_forgives_a_typo_and_marks_matches(app, products, width):
    app.set_viewport_size({"width": width, "height": 844})

    assert names_for(app, "kestrel drill") == [NAMES["drill"], NAMES["stand"]]  # the name starting with it first
    assert names_for(app, "drill kestrel") == [NAMES["stand"], NAMES["drill"]]
    assert names_for(app, "powerbank") == [NAMES["bank"]]
    assert names_for(app, "glases") == [NAMES["glasses"]]
    assert names_for(app, "CAFE creme") == [NAMES["creme"]]
    assert names_for(app, "qa-bank") == [NAMES["bank"]]

    names_for(app, "kestrel dri")
    row = app.locator(f"li.product-row[data-id='{products['drill'].pk}']")
    assert row.locator(".row-name mark").all_inner_texts() == ["Kestrel", "dri", "dri"]
