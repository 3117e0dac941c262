"""Product pictures: renditions made on upload, checked uploads, immutable content-addressed URLs."""

import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from catalogue import images
from catalogue.models import Product
from tests.conftest import make_product

pytestmark = pytest.mark.django_db


def picture(size=(1200, 900), colour=(200, 40, 40), kind="JPEG", name="photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


def _form(product: Product, **changes) -> dict:
    data = {"sku": product.sku, "name": product.name, "description": "", "price": "9.50", "currency": "EUR",
            "stock": "3", "category": "", "is_active": "on"}  # fmt: skip
    return {**data, **changes}


def upload(admin_client, product: Product, **changes):
    url = reverse("admin:catalogue_product_change", args=[product.pk])
    return admin_client.post(url, _form(product, **changes))


def pulled(api, product: Product) -> dict:
    page = api.get("/api/sync/pull/products/", {"limit": 5000}).json()
    return next(record for record in page["upserts"] if record["id"] == str(product.pk))


def fetched(client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_an_upload_in_the_admin_makes_a_thumbnail_and_a_detail_image_devices_get(admin_client, api):
    product = make_product()
    response = upload(admin_client, product, image=picture(size=(1200, 900)))
    assert response.status_code == 302, response.content

    record = pulled(api, product)
    assert (record["image_width"], record["image_height"]) == (640, 480)
    detail, thumbnail = fetched(admin_client, record["image_url"]), fetched(admin_client, record["thumbnail_url"])
    assert (detail.format, detail.size) == ("WEBP", (640, 480))
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (160, 120))
    assert record["image_url"].startswith("/media/images/")


def test_a_product_without_a_picture_has_no_image_fields(api):
    record = pulled(api, make_product())
    assert [record[field] for field in ("image_url", "thumbnail_url", "image_width", "image_height")] == [None] * 4


def test_a_small_picture_is_not_enlarged(admin_client, api):
    product = make_product()
    upload(admin_client, product, image=picture(size=(300, 200)))
    record = pulled(api, product)
    assert (record["image_width"], record["image_height"]) == (300, 200)
    assert fetched(admin_client, record["thumbnail_url"]).size == (160, 107)


def test_a_new_picture_gets_new_urls_and_the_old_ones_keep_their_bytes(admin_client, api):
    product = make_product()
    upload(admin_client, product, image=picture(colour=(200, 40, 40)))
    first = pulled(api, product)
    old_bytes = b"".join(admin_client.get(first["image_url"]).streaming_content)

    upload(admin_client, product, image=picture(colour=(40, 40, 200)))
    second = pulled(api, product)

    assert second["image_url"] != first["image_url"]
    assert second["thumbnail_url"] != first["thumbnail_url"]
    assert second["version"] > first["version"]
    # A device that cached the old URL keeps a consistent picture: its bytes never change.
    assert b"".join(admin_client.get(first["image_url"]).streaming_content) == old_bytes


def test_the_same_picture_gets_the_same_urls(admin_client, api):
    one, two = make_product(), make_product()
    upload(admin_client, one, image=picture())
    upload(admin_client, two, image=picture(name="copy.png"))
    assert pulled(api, one)["image_url"] == pulled(api, two)["image_url"]


def test_removing_the_picture_clears_the_image_fields(admin_client, api):
    product = make_product()
    upload(admin_client, product, image=picture())
    upload(admin_client, product, **{"image-clear": "on"})
    record = pulled(api, product)
    assert (record["image_url"], record["thumbnail_url"], record["image_width"]) == (None, None, None)


@pytest.mark.parametrize(
    ("upload_", "message"),
    [
        (SimpleUploadedFile("photo.jpg", b"not a picture at all", content_type="image/jpeg"), "not"),
        (picture(kind="BMP", name="photo.png"), "BMP pictures are not accepted; use JPEG, PNG, WebP or GIF."),
        (picture(kind="TIFF", name="photo.jpg"), "TIFF pictures are not accepted; use JPEG, PNG, WebP or GIF."),
    ],
    ids=["text named .jpg", "BMP named .png", "TIFF named .jpg"],
)
def test_a_file_that_is_not_an_accepted_picture_is_refused_whatever_its_name(admin_client, upload_, message):
    product = make_product()
    response = upload(admin_client, product, image=upload_)
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors["image"]
    assert any(message in error for error in errors), errors
    product.refresh_from_db()
    assert (product.image.name, product.image_detail) == ("", "")


def test_too_many_pixels_are_refused_before_decoding(admin_client, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 1_000_000)
    product = make_product()
    response = upload(admin_client, product, image=picture(size=(1200, 900)))
    assert response.context["adminform"].form.errors["image"] == [
        "This picture is 1200 × 900 pixels; at most 1 megapixels are accepted."
    ]


def test_a_file_too_large_is_refused_before_it_is_decoded(admin_client, monkeypatch):
    monkeypatch.setattr(images, "MAX_BYTES", 1024 * 1024)
    product = make_product()
    big = SimpleUploadedFile("photo.jpg", b"\xff" * (2 * 1024 * 1024), content_type="image/jpeg")
    response = upload(admin_client, product, image=big)
    assert response.context["adminform"].form.errors["image"] == ["This file is 2.0 MB; a picture may be at most 1 MB."]


def test_a_picture_is_stored_under_its_real_format_not_its_name(admin_client):
    product = make_product()
    upload(admin_client, product, image=picture(kind="PNG", name="photo.jpg"))
    product.refresh_from_db()
    assert product.image.name.endswith(".png")
    assert product.image_detail


def test_an_unknown_rendition_is_a_404_with_a_code(client):
    response = client.get("/media/images/" + "0" * 16 + "-640.webp")
    assert response.status_code == 404
    assert response.json()["code"] == "image_not_found"


def test_the_admin_list_shows_thumbnails_and_filters_by_picture(admin_client):
    with_picture, without = make_product(name="Pictured"), make_product(name="Plain")
    upload(admin_client, with_picture, image=picture())
    with_picture.refresh_from_db()
    url = reverse("admin:catalogue_product_changelist")

    page = admin_client.get(url).content.decode()
    assert f'src="/media/images/{with_picture.image_thumbnail}"' in page

    having = admin_client.get(url, {"picture": "yes"}).content.decode()
    lacking = admin_client.get(url, {"picture": "no"}).content.decode()
    assert with_picture.sku in having
    assert without.sku not in having
    assert without.sku in lacking
    assert with_picture.sku not in lacking


def test_the_product_form_previews_the_picture_devices_get(admin_client):
    product = make_product()
    upload(admin_client, product, image=picture())
    product.refresh_from_db()
    page = admin_client.get(reverse("admin:catalogue_product_change", args=[product.pk])).content.decode()
    assert f'src="/media/images/{product.image_detail}"' in page
    assert "640 × 480 px" in page
    assert "catalogue/image-preview.js" in page


def _age(name: str, days: float) -> None:
    path = images.image_storage().path(name)
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def replaced_picture(admin_client) -> tuple[list[str], list[str]]:
    """A product's first picture replaced by a second: the first's renditions, then the second's."""
    product = make_product()
    upload(admin_client, product, image=picture(colour=(200, 40, 40)))
    product.refresh_from_db()
    replaced = [product.image_thumbnail, product.image_detail]
    upload(admin_client, product, image=picture(colour=(40, 40, 200)))
    product.refresh_from_db()
    return replaced, [product.image_thumbnail, product.image_detail]


def test_purging_deletes_old_renditions_no_product_shows_and_keeps_the_rest(admin_client):
    replaced, shown = replaced_picture(admin_client)
    for name in replaced + shown:
        _age(name, days=31)

    out = io.StringIO()
    call_command("purge_product_images", stdout=out)

    storage = images.image_storage()
    assert [storage.exists(name) for name in replaced] == [False, False]
    assert [storage.exists(name) for name in shown] == [True, True]
    assert "Deleted 2 rendition(s)" in out.getvalue()


def test_purging_keeps_unused_renditions_younger_than_the_retention(admin_client):
    replaced, _ = replaced_picture(admin_client)
    _age(replaced[0], days=29)  # a device may still ask for them: a snapshot, a replaced picture

    call_command("purge_product_images", stdout=io.StringIO())

    assert all(images.image_storage().exists(name) for name in replaced)
