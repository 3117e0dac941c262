"""Devices have human names ("Chrome on Android") and a last-seen time in the admin; the raw user agent
stays in the detail for support."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from syncapi.devices import UNKNOWN_DEVICE, device_display_name, device_label
from syncapi.models import DeviceToken
from syncapi.tokens import token_create

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)

DEVICES = reverse("admin:syncapi_devicetoken_changelist")


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (CHROME_ANDROID, "Chrome on Android"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_MAC, "Safari on macOS"),
        ("curl/8.5.0", "curl"),
        ("", UNKNOWN_DEVICE),
        ("   ", UNKNOWN_DEVICE),
        ("definitely not a browser", UNKNOWN_DEVICE),
    ],
    ids=["chrome-android", "safari-iphone", "firefox-windows", "safari-mac", "curl", "empty", "blank", "unknown"],
)
def test_device_label_names_the_browser_and_the_system(user_agent, label):
    assert device_label(user_agent) == label


def test_a_name_the_client_gave_wins_over_its_user_agent():
    assert device_display_name(device_name="Sam's Android phone", user_agent=CHROME_ANDROID) == "Sam's Android phone"


def test_a_user_agent_sent_as_the_name_is_named_from_the_user_agent():
    """The app sends `navigator.userAgent` as its device name."""
    assert device_display_name(device_name=CHROME_ANDROID[:200], user_agent="") == "Chrome on Android"
    assert device_display_name(device_name=CHROME_ANDROID[:200], user_agent=CHROME_ANDROID) == "Chrome on Android"
    assert device_display_name(device_name="", user_agent=SAFARI_IPHONE) == "Safari on iPhone"


@pytest.mark.django_db
def test_login_keeps_the_user_agent_of_the_device(api, user):
    api.credentials(HTTP_USER_AGENT=FIREFOX_WINDOWS)

    response = api.post(
        "/api/auth/login/",
        {"username": "alice", "password": "alice-password-1", "device_name": "Till 2"},
        format="json",
    )

    assert response.status_code == 200, response.content
    token = DeviceToken.objects.get(user=user)
    assert (token.device_name, token.user_agent, token.label) == ("Till 2", FIREFOX_WINDOWS, "Till 2")


@pytest.mark.django_db
def test_the_admin_lists_devices_by_human_name_with_last_seen(admin_client, user):
    _, phone = token_create(user=user, device_name=CHROME_ANDROID[:200], user_agent=CHROME_ANDROID)
    DeviceToken.objects.filter(pk=phone.pk).update(last_used_at=timezone.now() - timedelta(hours=3))

    page = admin_client.get(DEVICES).content.decode()

    assert "Chrome on Android" in page
    assert "3\xa0hours ago" in page
    assert f'title="{CHROME_ANDROID}"' in page  # the raw user agent, in the name's tooltip


@pytest.mark.django_db
def test_the_device_detail_shows_the_raw_user_agent_for_support(admin_client, user):
    _, phone = token_create(user=user, device_name="", user_agent=SAFARI_IPHONE)

    page = admin_client.get(reverse("admin:syncapi_devicetoken_change", args=[phone.pk])).content.decode()

    assert "Safari on iPhone" in page
    assert SAFARI_IPHONE in page


@pytest.mark.django_db
def test_a_change_pushed_from_a_device_is_in_the_history_under_its_human_name(django_user_model, product):
    staff = django_user_model.objects.create_user("sam", password="sam-password-1", is_staff=True)
    raw, _ = token_create(user=staff, device_name=CHROME_ANDROID[:200], user_agent=CHROME_ANDROID)
    field = APIClient()
    field.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    product.refresh_from_db()

    response = field.post("/api/sync/push/", {"client_id": "6f1c2a4e-1b7d-4c1e-9a55-0d3f7b1e2c11", "mutations": [
        {"id": 1, "collection": "products", "op": "upsert", "record_id": str(product.pk),
         "base_version": product.version, "data": {"price": "13.00"}},
    ]}, format="json")  # fmt: skip

    assert response.status_code == 200, response.content
    [entry] = LogEntry.objects.filter(object_id=str(product.pk))
    assert entry.get_change_message() == "Changed price through sync from Chrome on Android."


@pytest.mark.django_db
def test_a_change_from_a_device_nothing_names_is_in_the_history_without_a_name(django_user_model, product):
    staff = django_user_model.objects.create_user("sam", password="sam-password-1", is_staff=True)
    raw, _ = token_create(user=staff)
    field = APIClient()
    field.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    product.refresh_from_db()

    response = field.post("/api/sync/push/", {"client_id": "6f1c2a4e-1b7d-4c1e-9a55-0d3f7b1e2c12", "mutations": [
        {"id": 1, "collection": "products", "op": "upsert", "record_id": str(product.pk),
         "base_version": product.version, "data": {"stock": 9}},
    ]}, format="json")  # fmt: skip

    assert response.status_code == 200, response.content
    [entry] = LogEntry.objects.filter(object_id=str(product.pk))
    assert entry.get_change_message() == "Changed stock through sync."
