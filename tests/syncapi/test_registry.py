"""Registering a collection (syncapi.registry): every mistake fails loudly, at startup, saying what."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F

from catalogue.models import Favourite, Product
from catalogue.serializers import FavouriteWriteSerializer
from syncapi.registry import SyncRegistry

FAVOURITES = {"fields": {"product_id": "product_id"}, "scope": "user", "owner_field": "user"}
WRITABLE = {"writable": "owner", "conflict_policy": "client_wins", "write_serializer": FavouriteWriteSerializer}


@pytest.mark.parametrize(
    ("name", "model", "options", "message"),
    [
        ("Things", Product, {}, "names are lowercase letters"),
        ("9things", Product, {}, "names are lowercase letters"),
        ("x" * 65, Product, {}, "names are lowercase letters"),
        ("users", User, {}, "must inherit syncapi.models.SyncedModel"),
        ("things", Product, {"scope": "team"}, "scope must be one of"),
        ("things", Product, {"writable": "anyone"}, "writable must be one of"),
        ("things", Favourite, {"fields": {}, "scope": "user"}, "needs owner_field"),
        ("things", Product, {"writable": "owner", "conflict_policy": "client_wins"}, 'needs scope="user"'),
        ("things", Favourite, {**FAVOURITES, **WRITABLE, "conflict_policy": None}, "conflict_policy must be one of"),
        (
            "things",
            Favourite,
            {**FAVOURITES, **WRITABLE, "conflict_policy": "newest"},
            "conflict_policy must be one of",
        ),
        ("things", Favourite, {**FAVOURITES, **WRITABLE, "write_serializer": None}, "needs write_serializer"),
        ("things", Product, {"fields": {"id": "id"}}, r"\['id'\] are added by syncapi"),
        ("things", Product, {"fields": {"version": "version"}}, r"\['version'\] are added by syncapi"),
        ("things", Product, {"fields": {"title": "title"}}, "maps to 'title', not a column"),
        ("things", Product, {"fields": {"category": "category"}}, "maps to 'category', not a column"),
        ("things", Product, {"fields": {"name": "name"}, "order": "name"}, "order must be a sequence of wire field"),
        ("things", Product, {"fields": {"name": "name"}, "order": [len]}, "order must be a sequence of wire field"),
        ("things", Product, {"fields": {"name": "name"}, "order": ["title"]}, r"order names \['title'\], not fields"),
        ("things", Favourite, {**FAVOURITES, "owner_field": "owner"}, "owner_field 'owner' does not exist"),
        ("things", Product, {"fields": {"name": "name"}, "image_fields": ["photo"]}, r"image_fields names \['photo'\]"),
        ("things", Product, {"fields": {"name": "name"}, "image_fields": "name"}, "image_fields must be a sequence"),
        ("things", Favourite, {**FAVOURITES, "keeps_images_of": ("product", "products")}, "keeps_images_of is"),
    ],
)
def test_a_mistake_in_a_registration_is_refused_with_its_reason(name, model, options, message):
    options = {"fields": {}, **options}

    with pytest.raises(ImproperlyConfigured, match=message):
        SyncRegistry().register(name, model, **options)


def test_a_correct_registration_is_accepted_with_an_expression_field():
    collection = SyncRegistry().register("things", Product, fields={"name": "name", "twice": F("stock") * 2})

    assert collection.name == "things"
    assert not collection.is_user_scoped


def test_keeping_the_images_of_an_unknown_collection_is_refused():
    registry = SyncRegistry()
    registry.register("things", Favourite, **FAVOURITES, keeps_images_of=("product_id", "products"))

    with pytest.raises(ImproperlyConfigured, match="'things' keeps images of an unknown collection"):
        registry.units()


def test_a_name_registered_twice_is_refused():
    registry = SyncRegistry()
    registry.register("things", Product, fields={})

    with pytest.raises(ImproperlyConfigured, match="'things' is registered twice"):
        registry.register("things", Favourite, **FAVOURITES)


def test_a_model_registered_twice_is_refused():
    registry = SyncRegistry()
    registry.register("things", Product, fields={})

    with pytest.raises(ImproperlyConfigured, match="Product is already registered"):
        registry.register("stuff", Product, fields={})


def test_the_unit_all_is_built_in():
    with pytest.raises(ImproperlyConfigured, match='The unit "all" is built in'):
        SyncRegistry().register_unit("all", [])


def test_a_unit_naming_an_unknown_collection_is_refused_when_read():
    registry = SyncRegistry()
    registry.register("things", Product, fields={})
    registry.register_unit("shelf", ["things", "stuff"])

    with pytest.raises(ImproperlyConfigured, match=r"'shelf' names unknown collections \['stuff'\]"):
        registry.units()


def test_units_hold_the_built_in_all_then_the_registered_ones():
    registry = SyncRegistry()
    registry.register("things", Product, fields={})
    registry.register("likes", Favourite, **FAVOURITES)
    registry.register_unit("shelf", ["things"])

    assert registry.units() == {"all": ["things", "likes"], "shelf": ["things"]}


def test_an_order_is_published_and_sorts_rows_by_lower_cased_text_then_id():
    things = SyncRegistry().register("things", Product, fields={"name": "name", "stock": "stock"}, order=["name"])
    rows = [("c", 1, "drill", 5), ("b", 1, "Drill", 7), ("a", 1, None, 9), ("d", 1, "anvil", 1)]

    assert things.describe()["order"] == ["name"]

    ordered = sorted(rows, key=things.order_key(("id", "version", "name", "stock")))

    assert ordered == [rows[2], rows[3], rows[1], rows[0]]
    assert "order" not in SyncRegistry().register("stuff", Product, fields={}).describe()
