"""One table of error codes (syncapi.errors.MESSAGES): every code the API answers with, in a 4xx
body or in a rejected mutation's result, comes with that table's message."""

import uuid

import pytest

from syncapi.errors import MESSAGES

pytestmark = pytest.mark.django_db


def test_a_method_not_allowed_answers_its_code_and_message(api):
    response = api.post("/api/sync/config/", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "detail": MESSAGES["method_not_allowed"]}


def test_a_body_that_is_not_json_answers_unsupported_media_type(user_api):
    response = user_api.post("/api/auth/login/", "username=a", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json() == {"code": "unsupported_media_type", "detail": MESSAGES["unsupported_media_type"]}


def test_a_throttled_login_answers_the_tables_message_with_the_wait(api, user):
    for _ in range(5):
        api.post("/api/auth/login/", {"username": "alice", "password": "wrong"}, format="json")

    response = api.post("/api/auth/login/", {"username": "alice", "password": "wrong"}, format="json")

    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert response.json() == {"code": "throttled", "detail": MESSAGES["throttled"].format(wait=wait)}


@pytest.mark.parametrize(
    ("mutation", "code"),
    [
        ({"collection": "nothing", "op": "upsert", "record_id": "x", "data": {}}, "unknown_collection"),
        ({"collection": "products", "op": "upsert", "record_id": str(uuid.uuid4()), "data": {}}, "forbidden"),
        ({"collection": "favourites", "op": "upsert", "record_id": "not-a-uuid", "data": {}}, "invalid"),
    ],
)
def test_a_rejected_mutation_carries_the_tables_message(user_api, mutation, code):
    body = {"client_id": str(uuid.uuid4()), "mutations": [{"id": 1, "base_version": None, **mutation}]}

    [result] = user_api.post("/api/sync/push/", body, format="json").json()["results"]

    assert (result["status"], result["code"], result["detail"]) == ("rejected", code, MESSAGES[code])
