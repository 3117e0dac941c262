"""Contract tests of GET /api/sync/config/ (PROTOCOL.md)."""

import pytest

from syncapi.models import SyncConfiguration
from syncapi.registry import registry

pytestmark = pytest.mark.django_db

CONFIG_URL = "/api/sync/config/"

# The example of PROTOCOL.md, which shows the defaults.
PROTOCOL_EXAMPLE = {
    "protocol": 1,
    "schema_version": 1,
    "sync_on_online": True,
    "sync_on_login": True,
    "sync_on_resume": True,
    "retry_on_error": True,
    "retry_interval_seconds": 30,
    "periodic_sync_minutes": 720,
    "page_size": 1000,
    "units": {
        "all": ["categories", "products", "favourites"],
        "catalogue": ["categories", "products"],
        "favourites": ["favourites"],
    },
    "collections": {
        "categories": {"scope": "global", "writable": "none", "conflict_policy": None},
        "products": {"scope": "global", "writable": "staff", "conflict_policy": "merge"},
        "favourites": {"scope": "user", "writable": "owner", "conflict_policy": "client_wins"},
    },
}
# Registered beyond the protocol's example (docs/orders.md): a client syncs them as any other.
ORDERS = {
    "units": {"orders": ["orders", "order_lines"]},
    "collections": {
        "orders": {"scope": "user", "writable": "owner", "conflict_policy": "server_wins"},
        "order_lines": {"scope": "user", "writable": "owner", "conflict_policy": "client_wins"},
    },
}
INTEGER_FIELDS = ["protocol", "schema_version", "retry_interval_seconds", "page_size"]
BOOLEAN_FIELDS = ["sync_on_online", "sync_on_login", "sync_on_resume", "retry_on_error"]


def get_config(client) -> dict:
    response = client.get(CONFIG_URL)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def update_configuration(**fields) -> None:
    config = SyncConfiguration.load()
    for name, value in fields.items():
        setattr(config, name, value)
    config.full_clean()
    config.save()


def test_config_has_every_protocol_field_with_its_type(api):
    config = get_config(api)

    assert set(PROTOCOL_EXAMPLE) <= set(config)
    for name in INTEGER_FIELDS:
        assert type(config[name]) is int, name
    for name in BOOLEAN_FIELDS:
        assert type(config[name]) is bool, name
    assert config["periodic_sync_minutes"] is None or type(config["periodic_sync_minutes"]) is int
    assert config["protocol"] == 1
    assert config["retry_interval_seconds"] > 0
    assert config["page_size"] > 0
    assert all(isinstance(names, list) for names in config["units"].values())
    for info in config["collections"].values():
        assert set(info) >= {"scope", "writable", "conflict_policy"}


def test_config_defaults_are_the_protocol_example(api):
    config = get_config(api)
    # Extra fields are allowed (the `snapshot` extension): the example's own ones must match.

    expected = {
        **PROTOCOL_EXAMPLE,
        "units": {
            **PROTOCOL_EXAMPLE["units"],
            "all": [*PROTOCOL_EXAMPLE["units"]["all"], *ORDERS["collections"]],
            **ORDERS["units"],
        },
        "collections": {**PROTOCOL_EXAMPLE["collections"], **ORDERS["collections"]},
    }
    config["collections"] = {
        name: {key: info[key] for key in expected["collections"][name]} for name, info in config["collections"].items()
    }

    assert {name: config[name] for name in PROTOCOL_EXAMPLE} == expected


def test_config_says_which_collections_a_client_may_start_from_a_snapshot(api):
    collections = get_config(api)["collections"]

    assert {name: info["snapshot"] for name, info in collections.items()} == {
        "categories": True,
        "products": True,
        "favourites": False,  # each user's own: no snapshot
        "orders": False,
        "order_lines": False,
    }


def test_config_lists_the_registered_collections_and_units(api):
    config = get_config(api)

    assert config["collections"] == {c.name: c.describe() for c in registry.collections()}
    assert config["units"] == registry.units()
    assert config["units"]["all"] == [c.name for c in registry.collections()]
    for names in config["units"].values():
        assert set(names) <= set(config["collections"])


def test_config_publishes_the_list_order_a_collection_is_registered_with(api):
    collections = get_config(api)["collections"]

    assert collections["products"]["order"] == ["name", "sku"]
    assert "order" not in collections["favourites"]


def test_config_says_which_pictures_to_keep_offline_and_where_they_are(api):
    config = get_config(api)

    assert (config["offline_images"], config["offline_images_mb"]) == ("viewed", 50)  # the defaults
    assert config["collections"]["products"]["image_fields"] == ["thumbnail_url", "image_url"]
    assert config["collections"]["favourites"]["keeps_images_of"] == {"field": "product_id", "collection": "products"}
    assert "image_fields" not in config["collections"]["orders"]


def test_config_tells_open_apps_how_often_to_check_for_changes(api):
    assert get_config(api)["foreground_refresh_seconds"] == 30  # the default

    update_configuration(foreground_refresh_seconds=None)
    assert get_config(api)["foreground_refresh_seconds"] is None


def test_config_is_readable_with_a_token(user_api):
    assert get_config(user_api)["protocol"] == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"sync_on_online": False},
        {"sync_on_login": False, "sync_on_resume": False, "retry_on_error": False},
        {"periodic_sync_minutes": None},
        {"periodic_sync_minutes": 15, "retry_interval_seconds": 120},
        {"schema_version": 2},
        {"page_size": 250},
        {"foreground_refresh_seconds": 10},
        {"offline_images": "all", "offline_images_mb": 200},
    ],
    ids=[
        "offline-start",
        "no-auto-start",
        "no-periodic-sync",
        "intervals",
        "schema-version",
        "page-size",
        "foreground-refresh",
        "offline-images",
    ],  # fmt: skip
)
def test_config_reflects_the_stored_configuration(api, changes):
    before = get_config(api)

    update_configuration(**changes)
    config = get_config(api)

    assert {name: config[name] for name in changes} == changes
    untouched = set(PROTOCOL_EXAMPLE) - set(changes)
    assert {name: config[name] for name in untouched} == {name: before[name] for name in untouched}
