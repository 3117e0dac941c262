"""Atomic groups of mutations (an extension of POST /api/sync/push/): all or none, over HTTP."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry

from catalogue.models import Favourite, Product
from syncapi.errors import MESSAGES
from tests.conftest import make_product
from tests.syncapi.test_push import (
    PUSH_URL,
    fav_upsert,
    new_id,
    product_state,
    product_upsert,
    push,
    statuses,
    version_of,
)

pytestmark = pytest.mark.django_db


def grouped(group: str, *mutations: dict) -> list[dict]:
    return [{**mutation, "group": group} for mutation in mutations]


def test_a_group_whose_every_member_applies_is_applied(user_api, user, category):
    drill, saw = make_product(category), make_product(category)

    body = push(user_api, grouped("g1", fav_upsert(1, new_id(), drill), fav_upsert(2, new_id(), saw)))

    assert statuses(body) == ["applied", "applied"]
    assert Favourite.objects.filter(user=user).count() == 2


def test_one_rejected_member_leaves_the_whole_group_unapplied_and_says_which(user_api, user, category):
    drill = make_product(category)
    bad = {**fav_upsert(2, new_id(), drill), "data": {"product_id": "not-a-uuid"}}

    body = push(user_api, grouped("g1", fav_upsert(1, new_id(), drill), bad, fav_upsert(3, new_id(), drill)))

    first, offending, after = body["results"]
    assert offending["status"] == "rejected"
    assert offending["code"] == "invalid"
    for result in (first, after):
        assert result["status"] == "rejected"
        assert result["code"] == "group_failed"
        assert result["detail"] == MESSAGES["group_failed"]
    assert not Favourite.objects.filter(user=user).exists()
    assert not LogEntry.objects.exists()  # nothing in the history of a group that was not applied
    assert body["last_mutation_id"] == 3  # all answered: a retry is a duplicate


def test_a_failed_group_does_not_undo_the_mutations_around_it(user_api, user, category):
    drill, saw = make_product(category), make_product(category)
    bad = {**fav_upsert(3, new_id(), drill), "data": {"product_id": "not-a-uuid"}}

    group = grouped("g", fav_upsert(2, new_id(), saw), bad)
    body = push(user_api, [fav_upsert(1, new_id(), drill), *group, fav_upsert(4, new_id(), saw)])

    assert statuses(body) == ["applied", "rejected", "rejected", "applied"]
    assert Favourite.objects.filter(user=user).count() == 2  # the two outside the group


def test_a_conflicting_member_rolls_back_the_group_and_shows_the_server_record_as_it_stands(staff_api, category):
    product = make_product(category, name="Hammer", price=Decimal("12.50"), stock=5)
    seen = version_of(product)
    Product.objects.filter(pk=product.pk).update(price=Decimal("13.00"))  # changed on the server meanwhile
    before = product_state(product)

    body = push(
        staff_api,
        grouped(
            "edit",
            product_upsert(1, product, {"stock": 7}, seen, base={"stock": 5}),  # alone it would merge and apply
            product_upsert(2, product, {"price": "11.00"}, seen, base={"price": "12.50"}),  # a conflict
        ),
    )

    first, conflict = body["results"]
    assert first["code"] == "group_failed"
    assert conflict["status"] == "conflict"
    assert conflict["fields"] == ["price"]
    assert conflict["record"]["stock"] == 5  # the stock of the rolled-back first member is not in it
    assert product_state(product) == before


def test_a_group_sent_again_after_a_lost_answer_is_a_duplicate_as_a_whole(user_api, user, category):
    drill, saw = make_product(category), make_product(category)
    group = grouped("g1", fav_upsert(1, new_id(), drill), fav_upsert(2, new_id(), saw))
    push(user_api, group)

    again = push(user_api, group)

    assert statuses(again) == ["duplicate", "duplicate"]
    assert Favourite.objects.filter(user=user).count() == 2


def test_a_group_split_by_other_mutations_is_a_bad_request(user_api, category):
    drill = make_product(category)
    mutations = [
        {**fav_upsert(1, new_id(), drill), "group": "g"},
        fav_upsert(2, new_id(), drill),
        {**fav_upsert(3, new_id(), drill), "group": "g"},
    ]

    response = user_api.post(PUSH_URL, {"client_id": new_id(), "mutations": mutations}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_body"
    assert not Favourite.objects.exists()
