"""Orders in the admin: every user's, with their lines, decided by staff (confirm, or reject with a reason)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalogue.models import Order, OrderLine
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:catalogue_order_changelist")


@pytest.fixture
def submitted(user, category):
    order = Order.objects.create(owner=user, customer="Hardware Hansen", status=Order.Status.SUBMITTED,
                                 total=Decimal("25.00"))  # fmt: skip
    OrderLine.objects.create(order=order, product=make_product(category), quantity=2, unit_price=Decimal("12.50"),
                             line_total=Decimal("25.00"))  # fmt: skip
    return order


@pytest.fixture
def draft(user, category):
    order = Order.objects.create(owner=user, customer="Café Nord")
    OrderLine.objects.create(order=order, product=make_product(category), quantity=1)
    return order


def act(client, action: str, orders, **extra):
    data = {"action": action, "_selected_action": [str(order.pk) for order in orders], **extra}
    return client.post(ORDERS, data, follow=True)


def test_the_order_list_shows_status_customer_owner_and_total_and_finds_by_customer(admin_client, submitted, draft):
    page = admin_client.get(ORDERS, {"q": "hansen"}).content.decode()

    assert "Hardware Hansen" in page
    assert "Café Nord" not in page
    assert "25.00" in page
    assert submitted.owner.username in page


def test_confirming_a_submitted_order_decides_it(admin_client, submitted):
    act(admin_client, "confirm", [submitted])

    submitted.refresh_from_db()
    assert submitted.status == Order.Status.CONFIRMED
    assert submitted.decided_at is not None


def test_rejecting_asks_a_reason_which_the_rep_will_see(admin_client, submitted):
    asked = act(admin_client, "reject", [submitted])
    assert "reason" in asked.content.decode().lower()
    submitted.refresh_from_db()
    assert submitted.status == Order.Status.SUBMITTED  # nothing before the reason

    act(admin_client, "reject", [submitted], apply="1", reason="Out of stock until March.")

    submitted.refresh_from_db()
    assert submitted.status == Order.Status.REJECTED
    assert submitted.decision_reason == "Out of stock until March."


def test_a_draft_among_the_selected_decides_none(admin_client, submitted, draft):
    response = act(admin_client, "confirm", [submitted, draft])

    assert "only submitted orders are decided" in response.content.decode()
    submitted.refresh_from_db()
    draft.refresh_from_db()
    assert (submitted.status, draft.status) == (Order.Status.SUBMITTED, Order.Status.DRAFT)


def test_lines_are_editable_on_a_draft_and_read_only_once_submitted(admin_client, submitted, draft):
    change = "admin:catalogue_order_change"
    draft_page = admin_client.get(reverse(change, args=[draft.pk])).content.decode()
    submitted_page = admin_client.get(reverse(change, args=[submitted.pk])).content.decode()

    assert 'name="lines-0-quantity"' in draft_page
    assert 'name="lines-0-quantity"' not in submitted_page
    assert "12.50" in submitted_page  # the unit price the server fixed
