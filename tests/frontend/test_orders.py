"""Orders taken in the app (docs/orders.md): built and submitted offline, sent once, decided by staff."""

import pytest

from catalogue.models import Order, OrderLine, Product
from catalogue.services import orders_decide
from tests.frontend.browser import (
    idb_count,
    mark,
    open_app,
    poll,
    signed_in,
    sync,
    wait_for,
    wait_settled,
    wait_until,
)
from tests.frontend.test_faults import lose_first_push_answer

pytestmark = pytest.mark.once  # what the app does with its own queue; the server side runs on both databases

DRAFT_LINES = "document.querySelectorAll('#order-lines .order-line').length"


def history_shows(status: str) -> str:
    """A poll until the newest order of the history has the badge `status`."""
    return poll(f"document.querySelector('#order-history [data-order-status]')?.dataset.orderStatus === '{status}'")


def products(n: int) -> list[Product]:
    return list(Product.objects.filter(is_active=True).order_by("name")[:n])


def add_from_list(page, product) -> None:
    page.locator(f"li.product-row[data-id='{product.pk}'] button.add-to-order").click()


def add_from_detail(page, product, quantity: int) -> None:
    page.locator(f"li.product-row[data-id='{product.pk}'] button.row-open").click()
    page.fill("#detail-quantity", str(quantity))
    page.click("#detail-add-to-order")
    wait_until(page, poll("document.querySelector('[data-order-added]').textContent.startsWith('Added')"))
    page.keyboard.press("Escape")
    wait_until(page, poll("!document.getElementById('dialog').open"))


def open_orders(page) -> None:
    page.click("#orders-chip")
    page.locator("#orders").wait_for()


def build_order_of_three(page) -> list[Product]:
    """Three lines: two added from the list (one of them twice), one with a quantity from the detail."""
    first, second, third = products(3)
    add_from_list(page, first)
    add_from_list(page, first)
    add_from_list(page, second)
    add_from_detail(page, third, 4)
    wait_until(page, poll("document.querySelector('[data-order-lines]').textContent === '3'"))
    open_orders(page)
    page.fill("#order-customer", "Corner Shop")
    page.locator("#order-customer").press("Tab")
    wait_until(page, poll(f"{DRAFT_LINES} === 3"))
    return [first, second, third]


def submit(page) -> None:
    page.click("#order-submit")
    wait_until(page, history_shows("waiting"))


def assert_one_order_of_three(user, chosen) -> Order:
    order = Order.objects.get(owner=user)
    assert (order.status, order.customer) == ("submitted", "Corner Shop")
    lines = {line.product_id: line.quantity for line in OrderLine.objects.filter(order=order)}
    assert lines == {chosen[0].pk: 2, chosen[1].pk: 1, chosen[2].pk: 4}
    return order


@pytest.mark.parametrize("width", [390, 1280])
def test_an_order_built_and_submitted_offline_survives_a_reload_and_is_sent_once(
    app, context, prod_server, django_user_model, width
):
    app.set_viewport_size({"width": width, "height": 844})
    user = signed_in(app, django_user_model, "rita")
    context.set_offline(True)

    chosen = build_order_of_three(app)
    submit(app)
    assert not Order.objects.exists()
    unsent = idb_count(app, "outbox")
    assert unsent == 7  # the draft, its customer, three lines (one added twice), the submission
    wait_until(app, poll(f"document.querySelector('[data-pending-count]').textContent === '{unsent}'"))

    app.reload()  # offline: the service worker serves the shell
    wait_until(app, poll("document.documentElement.dataset.ready === 'true'"))
    assert int(app.inner_text("[data-pending-count]")) == unsent
    open_orders(app)
    entry = app.locator("#order-history .order-entry").first
    assert "Corner Shop" in entry.inner_text()
    assert "Waiting to send" in entry.inner_text()

    start = mark(app)
    context.set_offline(False)  # the pending Background Sync sends it by itself
    wait_for(app, start, "synccomplete", "orders")
    wait_settled(app)

    order = assert_one_order_of_three(user, chosen)
    assert order.total is not None
    assert idb_count(app, "outbox") == 0
    wait_until(app, history_shows("submitted"))


def test_a_lost_push_answer_is_retried_and_leaves_one_order(app, context, django_user_model):
    user = signed_in(app, django_user_model, "rita")
    context.set_offline(True)
    chosen = build_order_of_three(app)
    submit(app)
    pushes = lose_first_push_answer(context)

    start = mark(app)
    context.set_offline(False)
    wait_until(app, poll(f"window.__syncLog.slice({start}).some((e) => e.type === 'synccomplete')"))
    wait_settled(app)

    (sent, applied), *_ = pushes
    assert all(m.get("group") for m in sent["mutations"])  # the order travels as one group
    assert {r["status"] for r in applied["results"]} == {"applied"}
    assert len(pushes) >= 2
    assert_one_order_of_three(user, chosen)
    assert OrderLine.objects.count() == 3
    assert idb_count(app, "outbox") == 0


def test_an_order_refused_for_a_product_withdrawn_meanwhile_goes_back_to_draft_without_it(
    app, context, django_user_model
):
    user = signed_in(app, django_user_model, "rita")
    context.set_offline(True)
    chosen = build_order_of_three(app)
    submit(app)
    Product.objects.filter(pk=chosen[1].pk).update(is_active=False)  # withdrawn while the rep was offline

    start = mark(app)
    context.set_offline(False)
    wait_for(app, start, "synccomplete", "orders")
    wait_settled(app)

    assert not Order.objects.exists()  # all or none: no half order
    refused = app.locator("#orders-refused .order-entry")
    refused.wait_for()
    assert "no longer sold" in refused.inner_text()
    refused.get_by_role("button", name="Back to draft").click()
    wait_until(app, poll(f"{DRAFT_LINES} === 2"))
    assert app.input_value("#order-customer") == "Corner Shop"

    app.click("#order-submit")
    wait_settled(app)
    sync(app, "orders")
    order = Order.objects.get(owner=user)
    assert order.status == "submitted"
    assert set(order.lines.values_list("product_id", flat=True)) == {chosen[0].pk, chosen[2].pk}


def test_a_decision_and_a_new_price_reach_the_order_history(app, django_user_model):
    user = signed_in(app, django_user_model, "rita")
    first = products(1)[0]
    add_from_list(app, first)
    wait_until(app, poll("document.querySelector('[data-order-lines]').textContent === '1'"))
    Product.objects.filter(pk=first.pk).update(price=first.price + 1)  # after the app quoted it
    open_orders(app)
    wait_until(app, poll(f"{DRAFT_LINES} === 1"))
    app.click("#order-submit")
    wait_settled(app)
    sync(app, "orders")

    orders_decide(orders=Order.objects.filter(owner=user), confirm=False, reason="Closed for stocktaking")
    sync(app, "orders")

    entry = app.locator("#order-history .order-entry").first
    wait_until(app, history_shows("rejected"))
    text = entry.inner_text()
    assert "Rejected" in text
    assert "Reason: Closed for stocktaking" in text
    assert "1 line repriced" in text


def test_two_tabs_building_one_order_make_one_draft(app, context, prod_server, django_user_model):
    user = signed_in(app, django_user_model, "rita")
    second = open_app(context.new_page(), prod_server.url)
    first_product, other_product = products(2)
    add_from_list(app, first_product)
    wait_settled(app)
    sync(second, "orders")
    add_from_list(second, other_product)
    wait_settled(second)
    sync(app, "orders")

    wait_until(app, poll("document.querySelector('[data-order-lines]').textContent === '2'"))
    order = Order.objects.get(owner=user)
    assert order.status == "draft"
    assert set(order.lines.values_list("product_id", flat=True)) == {first_product.pk, other_product.pk}


def test_discarding_the_orders_units_pending_sync_keeps_the_order_queued(app, context, django_user_model):
    user = signed_in(app, django_user_model, "rita")
    context.set_offline(True)
    add_from_list(app, products(1)[0])
    wait_until(app, poll("document.querySelector('[data-order-lines]').textContent === '1'"))
    app.evaluate("window.offlineSync.triggerOfflineDataSync('catalogue', {discardPendingUnits: true})")

    start = mark(app)
    context.set_offline(False)
    wait_for(app, start, "synccomplete", "catalogue")
    wait_settled(app)

    assert Order.objects.get(owner=user).lines.count() == 1  # sent with the push of whatever unit syncs
    assert idb_count(app, "outbox") == 0
