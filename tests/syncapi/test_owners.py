"""Records of each user: a record that leaves a user's view is deleted on their devices, and a
cursor of one user's records is no use to another (PROTOCOL.md: a record leaving a reader's view
is sent as a delete)."""

import pytest

from catalogue.models import Favourite
from syncapi.models import Tombstone
from tests.conftest import client_for
from tests.syncapi.test_pull import pull_all, upserted_ids

pytestmark = pytest.mark.django_db


def deleted_ids(pages: list[dict]) -> list[str]:
    return [record_id for page in pages for record_id in page["deletes"]]


@pytest.fixture
def carol(django_user_model):
    return django_user_model.objects.create_user("carol", password="carol-password-1")


def test_a_favourite_moved_to_another_user_is_deleted_on_the_first_users_devices(
    user_api, other_api, user, other_user, product
):
    favourite = Favourite.objects.create(user=user, product=product)
    _, alice_cursor = pull_all(user_api, "favourites")
    _, bob_cursor = pull_all(other_api, "favourites")

    favourite.user = other_user  # as staff do in the admin
    favourite.save()

    alice_pages, _ = pull_all(user_api, "favourites", cursor=alice_cursor)
    bob_pages, _ = pull_all(other_api, "favourites", cursor=bob_cursor)
    assert deleted_ids(alice_pages) == [str(favourite.pk)]
    assert upserted_ids(alice_pages) == []
    assert upserted_ids(bob_pages) == [str(favourite.pk)]
    assert deleted_ids(bob_pages) == []


def test_a_queryset_update_of_the_owner_deletes_for_each_previous_owner(user_api, user, other_user, product):
    favourite = Favourite.objects.create(user=user, product=product)
    _, cursor = pull_all(user_api, "favourites")

    Favourite.objects.filter(pk=favourite.pk).update(user=other_user)

    pages, _ = pull_all(user_api, "favourites", cursor=cursor)
    assert deleted_ids(pages) == [str(favourite.pk)]


def test_a_user_offline_through_two_moves_still_gets_the_delete(user_api, user, other_user, carol, product):
    favourite = Favourite.objects.create(user=user, product=product)
    _, alice_cursor = pull_all(user_api, "favourites")

    favourite.user = other_user
    favourite.save()
    favourite.user = carol
    favourite.save()

    pages, _ = pull_all(user_api, "favourites", cursor=alice_cursor)
    assert deleted_ids(pages) == [str(favourite.pk)]
    carols, _ = pull_all(client_for(carol), "favourites")
    assert upserted_ids(carols) == [str(favourite.pk)]


def test_a_favourite_moved_back_is_an_upsert_with_no_delete_after_it(user_api, user, other_user, product):
    favourite = Favourite.objects.create(user=user, product=product)
    _, cursor = pull_all(user_api, "favourites")
    favourite.user = other_user
    favourite.save()
    pages, cursor = pull_all(user_api, "favourites", cursor=cursor)
    assert deleted_ids(pages) == [str(favourite.pk)]

    favourite.user = user
    favourite.save()

    pages, _ = pull_all(user_api, "favourites", cursor=cursor)
    assert upserted_ids(pages) == [str(favourite.pk)]
    assert deleted_ids(pages) == []
    assert not Tombstone.objects.filter(record_id=str(favourite.pk), owner=str(user.pk)).exists()


def test_an_update_that_keeps_the_owner_deletes_nothing(user_api, user, product):
    favourite = Favourite.objects.create(user=user, product=product)
    _, cursor = pull_all(user_api, "favourites")

    favourite.save()

    pages, _ = pull_all(user_api, "favourites", cursor=cursor)
    assert upserted_ids(pages) == [str(favourite.pk)]
    assert deleted_ids(pages) == []
    assert not Tombstone.objects.exists()


def test_another_users_favourites_cursor_resets_to_their_own_favourites(
    user_api, other_api, user, other_user, product, category
):
    from tests.conftest import make_product

    Favourite.objects.create(user=user, product=product)
    bobs = Favourite.objects.create(user=other_user, product=make_product(category))
    _, alice_cursor = pull_all(user_api, "favourites")

    pages, _ = pull_all(other_api, "favourites", cursor=alice_cursor)

    assert pages[0]["reset"] is True
    assert upserted_ids(pages) == [str(bobs.pk)]


def test_a_users_own_favourites_cursor_does_not_reset(user_api, user, product):
    _, cursor = pull_all(user_api, "favourites")
    favourite = Favourite.objects.create(user=user, product=product)

    pages, _ = pull_all(user_api, "favourites", cursor=cursor)

    assert pages[0]["reset"] is False
    assert upserted_ids(pages) == [str(favourite.pk)]
