"""What a signed-out visitor meets when they do something that needs an account."""

import pytest

from catalogue.models import Favourite, Product
from tests.frontend.browser import idb_count, poll, wait_until

pytestmark = pytest.mark.once


def test_starring_while_signed_out_asks_to_sign_in_and_stars_once_signed_in(app, django_user_model):
    user = django_user_model.objects.create_user("rita", password="rita-password-1")
    product = Product.objects.filter(is_active=True).order_by("name").first()
    star = app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite")

    star.click()
    dialog = app.locator("#login-form")
    dialog.wait_for()
    assert "Sign in to keep favourites" in dialog.inner_text()
    assert idb_count(app, "outbox") == 0  # nothing queued that no one could send

    app.fill("#username", "rita")
    app.fill("#password", "rita-password-1")
    app.click("#login-submit")
    wait_until(
        app,
        poll(
            f"document.querySelector(\"li.product-row[data-id='{product.pk}'] button.favourite\")"
            ".getAttribute('aria-pressed') === 'true'"
        ),
    )
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 0"))  # sent
    assert list(Favourite.objects.filter(user=user).values_list("product_id", flat=True)) == [product.pk]


def test_cancelling_the_sign_in_leaves_the_product_unstarred(app):
    product = Product.objects.filter(is_active=True).order_by("name").first()
    star = app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite")

    star.click()
    app.locator("#login-form").wait_for()
    app.keyboard.press("Escape")
    wait_until(app, poll("!document.getElementById('dialog').open"))
    assert idb_count(app, "outbox") == 0
    assert star.get_attribute("aria-pressed") == "false"
    assert not Favourite.objects.exists()
