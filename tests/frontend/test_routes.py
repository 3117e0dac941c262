"""The app has URLs: Back and Forward move through it, and a shared link opens, offline too."""

import pytest

from catalogue.models import Category, Product
from tests.frontend.browser import poll, wait_until

pytestmark = pytest.mark.once  # the client's history and the worker's cache, whatever the database

DIALOG_OPEN = "document.getElementById('dialog').open"


def path(page) -> str:
    return page.evaluate("location.pathname + location.search")


def first_product() -> Product:
    return Product.objects.filter(is_active=True).order_by("name").first()


@pytest.mark.parametrize("width", [390, 1280])
def test_back_closes_a_product_and_forward_opens_it_again(app, width):
    app.set_viewport_size({"width": width, "height": 844})
    product = first_product()

    app.locator(f"li.product-row[data-id='{product.pk}'] button.row-open").click()
    app.locator("#detail-title").wait_for()
    assert path(app) == f"/products/{product.pk}/"

    app.go_back()
    wait_until(app, poll(f"!{DIALOG_OPEN}"))
    assert path(app) == "/"
    assert app.url.startswith("http://127.0.0.1")  # still in the app, not about:blank

    app.go_forward()
    wait_until(app, poll(DIALOG_OPEN))
    assert app.locator("#detail-title").inner_text() == product.name

    app.keyboard.press("Escape")  # closing it goes back to the list's entry
    wait_until(app, poll(f"!{DIALOG_OPEN} && location.pathname === '/'"))


def test_a_category_and_a_search_have_a_url_that_a_reload_keeps(app):
    category = Category.objects.filter(parent=None).order_by("position").first()
    app.set_viewport_size({"width": 1280, "height": 844})
    app.locator(f"button.category[data-category='{category.pk}']").click()
    wait_until(app, poll(f"location.pathname === '/categories/{category.pk}/'"))
    app.fill("#search", "a")
    wait_until(app, poll("location.search === '?q=a'"))

    app.reload()
    wait_until(app, poll("document.documentElement.dataset.ready === 'true'"))
    assert app.input_value("#search") == "a"
    current = app.locator("button.category[aria-current='true']")
    assert current.get_attribute("data-category") == str(category.pk)

    app.go_back()  # a search as typed replaces its entry: Back leaves the category for the list
    wait_until(app, poll("location.pathname === '/' && location.search === ''"))
    assert app.input_value("#search") == ""


def test_a_link_to_a_product_opens_it_offline(app, context, prod_server):
    product = first_product()
    context.set_offline(True)
    page = context.new_page()
    page.goto(f"{prod_server.url}/products/{product.pk}/")  # answered by the service worker: offline
    wait_until(page, poll("document.documentElement.dataset.ready === 'true'"))
    wait_until(page, poll(DIALOG_OPEN))
    assert page.locator("#detail-title").inner_text() == product.name
    page.keyboard.press("Escape")
    wait_until(page, poll(f"!{DIALOG_OPEN} && location.pathname === '/'"))
