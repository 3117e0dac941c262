"""The outbox, visible: unsent changes listed with their state, discarded, conflicts counted and marked."""

from decimal import Decimal

import pytest

from catalogue.models import Product
from tests.frontend.browser import edit_price, mark, poll, signed_in, wait_for, wait_for_log, wait_until

pytestmark = pytest.mark.once  # what the client shows of its own queue, whatever the database

DIALOG_CLOSED = "!document.getElementById('dialog').open"


def first_product() -> Product:
    return Product.objects.filter(is_active=True).order_by("name").first()


def close_dialog(page) -> None:
    page.keyboard.press("Escape")
    wait_until(page, poll(DIALOG_CLOSED))


def edited_offline(page, context, django_user_model, width: int, price: str) -> Product:
    """Staff signed in at `width` px changed the first product's price offline: one unsent change."""
    page.set_viewport_size({"width": width, "height": 844})
    signed_in(page, django_user_model, "sam", is_staff=True)
    product = first_product()
    context.set_offline(True)
    edit_price(page, product, price)
    wait_until(page, poll("window.offlineSync.replica.pendingCount() === 1"))
    close_dialog(page)
    return product


@pytest.mark.parametrize("width", [390, 1280])
def test_the_unsent_chip_lists_a_waiting_change_which_can_be_discarded(app, context, django_user_model, width):
    product = edited_offline(app, context, django_user_model, width, "12.34")

    app.click("#outbox-chip")
    entry = app.locator("#outbox .outbox-entry[data-state='waiting']")
    entry.wait_for()
    assert product.name in entry.inner_text()
    assert "12.34" in entry.inner_text()
    assert "Waiting" in entry.inner_text()

    entry.get_by_role("button", name="Discard").first.click()
    wait_until(app, poll("document.querySelector('[data-outbox-message]').textContent === 'Change discarded.'"))
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 0"))
    assert app.locator("#outbox .outbox-entry").count() == 0
    close_dialog(app)
    wait_until(app, poll(f"document.querySelector(\"li.product-row[data-id='{product.pk}'] .badge-pending\").hidden"))

    start = mark(app)
    context.set_offline(False)
    wait_for(app, start, "synccomplete", "all")
    product.refresh_from_db()
    assert product.price != Decimal("12.34")  # discarded: never sent


def test_a_conflict_waiting_for_a_decision_is_counted_marked_on_its_row_and_reviewed_from_the_outbox(
    app, context, django_user_model
):
    product = edited_offline(app, context, django_user_model, 390, "99.99")
    Product.objects.filter(pk=product.pk).update(price=Decimal("55.55"))  # someone else, meanwhile

    context.set_offline(False)
    wait_for_log(app, "e.type === 'conflict'")
    app.locator("#conflict").wait_for()
    app.get_by_role("button", name="Decide later").click()
    wait_until(app, poll(DIALOG_CLOSED))

    wait_until(app, poll("document.querySelector('[data-conflict-count]').textContent === '1'"))
    assert "1 to decide" in app.locator("#outbox-chip").inner_text()
    row = app.locator(f"li.product-row[data-id='{product.pk}']")
    wait_until(app, poll(f"document.querySelector(\"li.product-row[data-id='{product.pk}']\").dataset.waiting"))
    assert row.locator(".badge-conflict").inner_text() == "Conflict"

    app.click("#outbox-chip")
    entry = app.locator("#outbox .outbox-entry[data-state='conflict']")
    entry.wait_for()
    assert product.name in entry.inner_text()
    entry.get_by_role("button", name="Review").click()
    app.locator("#conflict").wait_for()
    app.click("#keep-server")
    wait_until(app, poll("document.querySelector('[data-conflict-count]').textContent === '0'"))
    wait_until(app, poll(f"!document.querySelector(\"li.product-row[data-id='{product.pk}']\").dataset.waiting"))


def test_the_saved_message_follows_the_change_until_the_server_has_it(app, django_user_model):
    signed_in(app, django_user_model, "sam", is_staff=True)
    product = first_product()

    edit_price(app, product, "23.45")  # online: sent by the sync the save triggers
    status = "document.querySelector('[data-edit-status]').textContent"
    wait_until(app, poll(f"{status} === 'Saved and sent to the server.'"))
    product.refresh_from_db()
    assert product.price == Decimal("23.45")
