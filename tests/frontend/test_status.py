"""The status area in real Chromium: the sync progress bar."""

import pytest
from django.core.management import call_command

from catalogue.models import Product
from tests.frontend.browser import local_products, open_app, poll, wait_for_log, wait_until

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

PROGRESS = """() => {
    const bar = document.querySelector('#sync-progress');
    const label = document.querySelector('.progress-label');
    return {hidden: bar.hidden, value: bar.value, max: bar.max, label: label.textContent, labelHidden: label.hidden};
}"""


def test_the_progress_bar_shows_the_records_received_during_a_sync_then_hides(context, prod_server, transactional_db):
    # Two products pages: the first, then one that the test holds until it has looked at the bar.
    call_command("seed_catalogue", products=7_000, categories=6, seed=9, verbosity=0)
    held = []

    def server(route):
        if "cursor=" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    context.route("**/api/sync/pull/products/**", server)
    page = open_app(context.new_page(), prod_server.url)
    wait_until(page, poll("document.querySelector('#sync-progress')?.value >= 5000"))  # the first products page

    shown = page.evaluate(PROGRESS)
    assert not shown["hidden"]
    assert not shown["labelHidden"]
    assert shown["label"] == f"Syncing… {int(shown['value'])} records"  # the first page and the categories
    assert shown["value"] < Product.objects.filter(is_active=True).count()  # not all of them yet
    assert held  # the second page is asked for and waits

    for route in held:
        route.continue_()
    context.unroute("**/api/sync/pull/products/**")
    wait_for_log(page, "e.type === 'synccomplete'", timeout_ms=60_000)
    ended = page.evaluate(PROGRESS)
    assert ended["hidden"]
    assert ended["labelHidden"]
    assert local_products(page) == Product.objects.filter(is_active=True).count()
