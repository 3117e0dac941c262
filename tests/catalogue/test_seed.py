"""`manage.py seed_catalogue`: a deterministic demo catalogue written through the version triggers."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalogue import demo_images, images
from catalogue.demo_data import DEPARTMENTS
from catalogue.models import Category, Product
from tests.conftest import make_product

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_catalogue", stdout=out, **options)
    return out.getvalue()


def snapshot() -> set[tuple]:
    fields = ["id", "sku", "name", "description", "price", "stock", "is_active", "category_id"]
    return set(Product.objects.values_list(*fields))


def empty_catalogue() -> None:
    Product.objects.all().delete()
    Category.objects.all().delete()


def test_seed_creates_the_requested_counts_and_reports_them():
    output = seed(products=300, categories=25, seed=7)

    assert Product.objects.count() == 300
    assert Category.objects.count() == 25
    assert re.search(r"Seeded 25 categories and 300 products \(seed 7\) in \d+\.\d s\.", output)


def test_default_categories_are_departments_with_positioned_subcategories():
    seed(products=50)

    tops = list(Category.objects.filter(parent=None))
    children = list(Category.objects.exclude(parent=None).select_related("parent"))
    assert len(tops) + len(children) == 40
    assert {c.name for c in tops} == {d.name for d in DEPARTMENTS}
    assert all(child.parent.parent_id is None for child in children)
    for top in tops:
        positions = sorted(top.children.values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1))
    # Products sit in the leaves of the tree.
    assert not Product.objects.filter(category__in=tops).exists()


def test_more_categories_than_the_word_lists_hold_adds_a_third_level():
    seed(products=100, categories=60)

    assert Category.objects.count() == 60
    assert Category.objects.filter(parent__parent__isnull=False).count() == 20
    assert not Product.objects.filter(category__children__isnull=False).exists()


def test_zero_categories_seeds_uncategorised_products():
    seed(products=40, categories=0)

    assert Category.objects.count() == 0
    assert Product.objects.filter(category=None).count() == 40


def test_same_seed_gives_the_same_catalogue():
    seed(products=300, categories=30, seed=11)
    first = snapshot()
    first_categories = set(Category.objects.values_list("id", "name", "parent_id", "position"))
    empty_catalogue()

    seed(products=300, categories=30, seed=11)

    assert snapshot() == first
    assert set(Category.objects.values_list("id", "name", "parent_id", "position")) == first_categories


def test_another_seed_gives_another_catalogue():
    seed(products=300, seed=1)
    first_ids = set(Product.objects.values_list("id", flat=True))
    empty_catalogue()

    seed(products=300, seed=2)

    assert first_ids.isdisjoint(Product.objects.values_list("id", flat=True))


def test_seeded_rows_get_distinct_versions_from_the_triggers():
    seed(products=300, categories=20)

    for model in (Product, Category):
        versions = list(model.objects.values_list("version", flat=True))
        assert min(versions) > 0
        assert len(set(versions)) == len(versions)


def test_seeded_products_look_like_a_shop():
    seed(products=300)

    products = list(Product.objects.all())
    assert len({p.sku for p in products}) == 300
    assert all(re.fullmatch(r"[A-Z]{2}-[A-Z]{3}-\d{6}", p.sku) for p in products)
    assert all(p.price > 0 and p.price == p.price.quantize(Decimal("0.01")) for p in products)
    assert all(0 <= p.stock <= 500 for p in products)
    assert all(p.name and p.description.endswith(".") for p in products)
    assert any(p.stock == 0 for p in products)


def test_product_names_are_unique_so_a_rep_can_tell_two_products_apart():
    seed(products=3000)

    names = list(Product.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    assert any(name.endswith(" Pro") for name in names)  # a line's second model of one name


def test_a_small_share_of_products_is_inactive():
    seed(products=300)

    inactive = Product.objects.filter(is_active=False).count()
    assert 0 < inactive <= 15


def test_if_empty_does_nothing_when_products_exist():
    make_product()

    output = seed(products=50, if_empty=True)

    assert Product.objects.count() == 1
    assert Category.objects.count() == 0
    assert "nothing seeded" in output


def test_if_empty_seeds_an_empty_catalogue():
    seed(products=50, categories=10, if_empty=True)

    assert Product.objects.count() == 50
    assert Category.objects.count() == 10


def test_reseeding_the_same_seed_over_it_fails_without_writing_anything():
    seed(products=100, categories=10)
    before = snapshot()

    with pytest.raises(CommandError, match="--clear"):
        seed(products=100, categories=10)

    assert snapshot() == before
    assert Category.objects.count() == 10


def test_clear_replaces_the_catalogue():
    seed(products=100, categories=10, seed=3)
    make_product(sku="HAND-MADE-1")

    output = seed(products=80, categories=12, seed=3, clear=True)

    assert Product.objects.count() == 80
    assert Category.objects.count() == 12
    assert not Product.objects.filter(sku="HAND-MADE-1").exists()
    assert "Deleted 10 categories and 101 products." in output


def pictures() -> dict[str, tuple]:
    fields = ["image", "image_thumbnail", "image_detail", "image_width", "image_height"]
    return {row[0]: row[1:] for row in Product.objects.exclude(image_detail="").values_list("sku", *fields)}


def test_most_products_get_a_picture_of_their_subcategory_drawn_the_same_for_the_same_seed():
    seed(products=300, categories=25, seed=4)
    first = pictures()
    empty_catalogue()
    seed(products=300, categories=25, seed=4)

    assert pictures() == first
    assert 0.8 * 300 < len(first) < 300  # 90% by default: a real shop has products without one
    storage = images.image_storage()
    for _, thumbnail, detail, width, height in first.values():
        assert storage.exists(thumbnail)
        assert storage.exists(detail)
        assert (width, height) == (640, 640)
    # A subcategory has 8 drawings, shared by its products under the same URLs.
    by_sub = {}
    for sku, (_, _, detail, _, _) in first.items():
        by_sub.setdefault(sku.split("-")[1], set()).add(detail)
    assert all(1 <= len(details) <= demo_images.VARIANTS for details in by_sub.values())
    assert len({detail for details in by_sub.values() for detail in details}) > len(by_sub)


def test_pictures_can_be_left_out():
    seed(products=50, pictures=0)

    assert not Product.objects.exclude(image_detail="").exists()
    assert not Product.objects.exclude(image="").exists()


def test_a_picture_share_beyond_100_percent_is_refused():
    with pytest.raises(CommandError, match="--pictures"):
        call_command("seed_catalogue", "--products", "5", "--pictures", "101")
