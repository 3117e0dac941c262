"""The entry page, opened in real Chromium against the live server."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_entry_page_links_to_admin_and_api_docs(live_server, page):
    page.goto(live_server.url + "/")

    assert page.title() == "Catalogue"
    page.get_by_role("link", name="API documentation").click()
    page.wait_for_url("**/api/docs/")
    page.locator(".swagger-ui").wait_for()  # Swagger UI rendered from local assets only
