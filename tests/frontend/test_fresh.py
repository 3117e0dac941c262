"""An app left open stays fresh: it asks the server whether anything changed, and syncs only then."""

from decimal import Decimal

import pytest

from catalogue.models import Product
from tests.frontend.browser import configure, mark, poll, since, wait_for, wait_settled, wait_until

pytestmark = pytest.mark.once  # the client's timer; the server's answer is tested on both databases


def is_probe(request) -> bool:
    return "/api/sync/changed/" in request.url


def test_an_open_app_shows_a_price_changed_on_the_server_without_a_touch(app):
    product = Product.objects.filter(is_active=True).order_by("name").first()
    configure(app, foreground_refresh_seconds=1)  # the configuration arrives with a sync
    wait_settled(app)

    start = mark(app)
    for _ in range(2):
        with app.expect_request(is_probe, timeout=10_000):
            pass
    assert since(app, start, "syncstart") == []  # nothing changed: asked, never synced

    Product.objects.filter(pk=product.pk).update(price=Decimal("77.70"))
    price = f"document.querySelector(\"li.product-row[data-id='{product.pk}'] .row-price\").textContent"
    wait_until(app, poll(f"{price}.includes('77.70')"), 15_000)
    wait_for(app, start, "synccomplete", "all")  # by an automatic sync


def test_no_refresh_when_the_configuration_switches_it_off(app):
    configure(app, foreground_refresh_seconds=None)
    wait_settled(app)
    requests = []
    app.on("request", lambda request: requests.append(request.url) if is_probe(request) else None)
    configure(app, foreground_refresh_seconds=None)  # a sync's round trip later, still none asked
    wait_settled(app)
    assert requests == []
