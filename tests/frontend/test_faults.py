"""Faults during a sync in real Chromium: nothing is lost, nothing is downloaded twice."""

import json
from urllib.parse import parse_qs, urlparse

from django.core.management import call_command

from catalogue.models import Product
from tests.frontend.browser import local_products, log_events, open_app, wait_for_log


def cursor_of(url: str) -> str | None:
    return parse_qs(urlparse(url).query).get("cursor", [None])[0]


def test_initial_sync_failing_on_page_k_resumes_at_page_k(context, prod_server, transactional_db):
    # Three pages of products: the first (5,000), a planned range (5,000), the tail (2,000).
    call_command("seed_catalogue", products=12_000, categories=6, seed=7, verbosity=0)
    pulls, first_page = [], {}

    def server(route):
        """The real server, except that the second products page fails once with a 500."""
        pulls.append(route.request.url)
        if len(pulls) == 2:
            route.fulfill(status=500, body="boom")
            return
        response = route.fetch()
        if len(pulls) == 1:
            first_page.update(json.loads(response.body()))
        route.fulfill(response=response)

    context.route("**/api/sync/pull/products/**", server)
    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'syncerror'", timeout_ms=60_000)
    wait_for_log(page, "e.type === 'synccomplete'", timeout_ms=60_000)  # the retry, started by the browser

    assert log_events(page, "syncerror")[0]["code"] == "server"
    assert cursor_of(pulls[0]) is None
    planned = first_page["parallel_cursors"]
    assert cursor_of(pulls[1]) == planned[0]  # page 2 failed
    retry = [url for url in pulls[2:] if cursor_of(url) not in planned]
    # The retry neither starts over nor fetches page 1 again: it resumes from the cursor
    # stored with page 1, and ends with the replica equal to the server.
    assert retry
    assert cursor_of(retry[0]) == first_page["cursor"]
    assert all(cursor_of(url) is not None for url in retry)
    assert local_products(page) == Product.objects.filter(is_active=True).count()
