"""Changes that arrive through sync are in the admin's history of their record, with their user and device."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.urls import reverse
from rest_framework.test import APIClient

from catalogue.models import Favourite
from syncapi.tokens import token_create
from tests.conftest import make_product

pytestmark = pytest.mark.django_db


def device_client(user, device_name: str) -> APIClient:
    raw, _ = token_create(user=user, device_name=device_name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def push(client, *mutations: dict) -> list[dict]:
    body = {"client_id": str(uuid.uuid4()), "mutations": [{"id": n, **m} for n, m in enumerate(mutations, start=1)]}
    response = client.post("/api/sync/push/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def history(obj) -> list[LogEntry]:
    return list(LogEntry.objects.filter(object_id=str(obj.pk)).order_by("action_time", "pk"))


def test_a_price_changed_in_the_field_is_in_the_products_history_with_who_and_where(
    django_user_model, category, admin_client
):
    staff = django_user_model.objects.create_user("sam", password="sam-password-1", is_staff=True)
    product = make_product(category, price=Decimal("10.00"))
    product.refresh_from_db()  # its version, set by the database
    field = device_client(staff, "Chrome on Android")

    [result] = push(field, {"collection": "products", "op": "upsert", "record_id": str(product.pk),
                            "base_version": product.version, "data": {"price": "12.00"}})  # fmt: skip
    assert result["status"] == "applied"

    [entry] = history(product)
    assert (entry.user, entry.action_flag) == (staff, CHANGE)
    assert entry.get_change_message() == "Changed price through sync from Chrome on Android."
    page = admin_client.get(reverse("admin:catalogue_product_history", args=[product.pk])).content.decode()
    assert "Changed price through sync from Chrome on Android." in page


def test_a_rejected_or_conflicting_change_leaves_no_history(django_user_model, category):
    staff = django_user_model.objects.create_user("sam", password="sam-password-1", is_staff=True)
    product = make_product(category)
    product.refresh_from_db()
    field = device_client(staff, "phone")

    [refused] = push(field, {"collection": "products", "op": "upsert", "record_id": str(product.pk),
                             "base_version": product.version, "data": {"stock": -1}})  # fmt: skip
    [conflict] = push(field, {"collection": "products", "op": "upsert", "record_id": str(product.pk),
                              "base_version": product.version - 1, "data": {"price": "1.00"}})  # fmt: skip

    assert (refused["status"], conflict["status"]) == ("rejected", "conflict")
    assert history(product) == []


def test_a_favourite_added_and_removed_from_a_device_is_in_its_history(user, category):
    product = make_product(category)
    phone = device_client(user, "Safari on iPhone")
    favourite_id = str(uuid.uuid4())

    push(
        phone,
        {
            "collection": "favourites",
            "op": "upsert",
            "record_id": favourite_id,
            "data": {"product_id": str(product.pk)},
        },
    )
    favourite = Favourite.objects.get(pk=favourite_id)
    push(
        phone,
        {"collection": "favourites", "op": "delete", "record_id": favourite_id, "base_version": favourite.version},
    )

    assert [(e.action_flag, e.user, e.get_change_message()) for e in history(favourite)] == [
        (ADDITION, user, "Added through sync from Safari on iPhone."),
        (DELETION, user, "Deleted through sync from Safari on iPhone."),
    ]
