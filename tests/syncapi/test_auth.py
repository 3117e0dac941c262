"""Contract tests of the device-token authentication (PROTOCOL.md, "Authentication")."""

import io
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from catalogue.models import Favourite
from syncapi import tokens
from syncapi.conf import sync_settings
from syncapi.errors import MESSAGES, InvalidCredentials, InvalidToken
from syncapi.models import DeviceToken
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LOGIN_URL = "/api/auth/login/"
LOGOUT_URL = "/api/auth/logout/"
ME_URL = "/api/auth/me/"
PUSH_URL = "/api/sync/push/"
ALICE = {"username": "alice", "password": "alice-password-1"}


def login(api, credentials: dict):
    return api.post(LOGIN_URL, credentials, format="json")


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def logged_in_token(api, credentials: dict = ALICE) -> str:
    response = login(api, credentials)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def assert_unauthorized(response, code: str) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]


def favourite_push(product) -> dict:
    return {
        "client_id": str(uuid.uuid4()),
        "mutations": [
            {
                "id": 1,
                "collection": "favourites",
                "op": "upsert",
                "record_id": str(uuid.uuid4()),
                "data": {"product_id": str(product.id)},
            }
        ],
    }


def move_clock(monkeypatch, delta: timedelta) -> None:
    now = time.time() + delta.total_seconds()
    monkeypatch.setattr(tokens, "timer", lambda: now)


# --- Login --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "credentials", "is_staff"),
    [
        ("user", ALICE, False),
        ("staff", {"username": "stella", "password": "stella-password-1"}, True),
    ],
)
def test_login_returns_a_token_and_the_user(api, request, who, credentials, is_staff):
    account = request.getfixturevalue(who)

    response = login(api, credentials)

    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body["token"], str)
    assert body["token"]
    assert body["user"] == {"id": account.pk, "username": credentials["username"], "is_staff": is_staff}
    assert DeviceToken.objects.filter(user=account).count() == 1
    me = bearer(body["token"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == credentials["username"]


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong-password"},
        {"username": "nobody", "password": "alice-password-1"},
        {"username": "ALICE", "password": "alice-password-1"},
    ],
    ids=["wrong-password", "unknown-user", "wrong-case"],
)
def test_login_with_wrong_credentials_is_invalid_credentials(api, user, credentials):
    response = login(api, credentials)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == InvalidCredentials.default_code
    assert body["detail"] == MESSAGES["invalid_credentials"]
    assert "token" not in body
    assert not DeviceToken.objects.exists()


def test_login_of_an_inactive_user_is_invalid_credentials(api, user):
    user.is_active = False
    user.save()

    response = login(api, ALICE)

    assert response.status_code == 400
    assert response.json()["code"] == InvalidCredentials.default_code
    assert not DeviceToken.objects.exists()


def test_login_gives_every_device_its_own_token(api, user):
    first = logged_in_token(api)
    second = logged_in_token(api)

    assert first != second
    assert DeviceToken.objects.filter(user=user).count() == 2
    assert bearer(first).get(ME_URL).status_code == 200
    assert bearer(second).get(ME_URL).status_code == 200


def test_login_is_throttled(api, user):
    for _ in range(5):
        assert login(api, {"username": "alice", "password": "wrong"}).status_code == 400

    response = login(api, ALICE)

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert isinstance(body["detail"], str)
    assert int(response["Retry-After"]) > 0
    assert not DeviceToken.objects.exists()


# --- Who am I -------------------------------------------------------------------------------


def test_me_with_a_token_returns_the_current_user(user_api, user):
    response = user_api.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {"id": user.pk, "username": "alice", "is_staff": False}


def test_me_without_a_token_is_not_authenticated(api):
    assert_unauthorized(api.get(ME_URL), "not_authenticated")


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer ", "Bearer a b", "Bearer " + "x" * 300, "bearer not-a-token"],
    ids=["garbage", "empty", "two-parts", "long", "lowercase-keyword"],
)
def test_me_with_a_garbage_bearer_token_is_unauthorized(api, user, header):
    api.credentials(HTTP_AUTHORIZATION=header)

    response = api.get(ME_URL)

    assert_unauthorized(response, InvalidToken.default_code)


# --- Logout, expiry, storage ----------------------------------------------------------------


def test_logout_revokes_the_token_for_me_and_push(api, user, product):
    raw = logged_in_token(api)
    other_device = logged_in_token(api)
    client = bearer(raw)

    response = client.post(LOGOUT_URL)
    assert response.status_code == 200

    assert_unauthorized(client.get(ME_URL), InvalidToken.default_code)
    assert_unauthorized(client.post(PUSH_URL, favourite_push(product), format="json"), InvalidToken.default_code)
    assert not Favourite.objects.exists()
    assert DeviceToken.objects.filter(user=user, revoked_at__isnull=False).count() == 1
    assert bearer(other_device).get(ME_URL).status_code == 200


def test_logout_without_a_token_is_not_authenticated(api):
    assert_unauthorized(api.post(LOGOUT_URL), "not_authenticated")


def test_expired_token_is_unauthorized(api, user, product, monkeypatch):
    raw = logged_in_token(api)
    client = bearer(raw)
    ttl = timedelta(days=sync_settings.TOKEN_TTL_DAYS)

    move_clock(monkeypatch, ttl - timedelta(hours=1))
    assert client.get(ME_URL).status_code == 200

    move_clock(monkeypatch, ttl + timedelta(minutes=1))
    assert_unauthorized(client.get(ME_URL), InvalidToken.default_code)
    assert_unauthorized(client.post(PUSH_URL, favourite_push(product), format="json"), InvalidToken.default_code)
    assert not Favourite.objects.exists()


def test_tokens_are_stored_hashed(api, user):
    raw = logged_in_token(api)

    rows = list(DeviceToken.objects.values())
    assert len(rows) == 1
    for value in rows[0].values():
        assert raw not in str(value)


# --- Revocation when the account changes ----------------------------------------------------

PULL_URL = "/api/sync/pull/favourites/"
NEW_PASSWORD = "a-new-passphrase-7"


def change_with_set_password(user, monkeypatch) -> None:
    user.set_password(NEW_PASSWORD)
    user.save()


def change_with_changepassword_command(user, monkeypatch) -> None:
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)
    call_command("changepassword", user.get_username(), stdout=io.StringIO())


def change_in_the_admin(user, monkeypatch) -> None:
    admin = get_user_model().objects.create_superuser("root", password="root-password-1")
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content


@pytest.mark.parametrize(
    "change",
    [change_with_set_password, change_with_changepassword_command, change_in_the_admin],
    ids=["set_password", "changepassword", "admin"],
)
def test_a_password_change_revokes_every_device_token_of_the_user(user, other_user, change, monkeypatch):
    phone, laptop, bobs_phone = client_for(user), client_for(user), client_for(other_user)
    assert phone.get(PULL_URL).status_code == 200

    change(user, monkeypatch)

    assert_unauthorized(phone.get(PULL_URL), InvalidToken.default_code)
    assert_unauthorized(laptop.get(PULL_URL), InvalidToken.default_code)
    assert not DeviceToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert bobs_phone.get(PULL_URL).status_code == 200
    # The new password signs in again.
    fresh = logged_in_token(APIClient(), {"username": "alice", "password": NEW_PASSWORD})
    assert bearer(fresh).get(PULL_URL).status_code == 200


@pytest.mark.parametrize(
    "save",
    [lambda user: user.save(), lambda user: user.save(update_fields=["is_active"])],
    ids=["save", "save-is_active-only"],
)
def test_deactivating_a_user_revokes_their_device_tokens_for_good(user, other_user, save):
    phone, bobs_phone = client_for(user), client_for(other_user)

    user.is_active = False
    save(user)
    assert_unauthorized(phone.get(PULL_URL), InvalidToken.default_code)

    # Active again, the user signs in anew: the old device tokens stay revoked.
    user.is_active = True
    user.save()
    assert_unauthorized(phone.get(PULL_URL), InvalidToken.default_code)
    assert bobs_phone.get(PULL_URL).status_code == 200


def test_saving_a_user_without_changing_the_password_keeps_their_tokens(user):
    phone = client_for(user)

    user.first_name = "Alice"
    user.save()
    user.save(update_fields=["last_login"])

    assert phone.get(PULL_URL).status_code == 200
