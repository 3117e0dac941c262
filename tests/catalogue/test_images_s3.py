"""Product pictures' renditions in S3-compatible object storage, as the settings configure it for a CDN.

The storage is moto's standalone S3 server on loopback (see
tests/syncapi/test_snapshot_s3.py); the renditions go through Django's
storage API, so the same upload path writes there, public and immutable.
"""

import boto3
import pytest

from catalogue.models import Product
from project import settings as project_settings
from tests.catalogue.test_images import picture
from tests.conftest import make_product
from tests.syncapi.test_snapshot_s3 import CREDENTIALS, s3_endpoint  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

BUCKET = "catalogue-pictures"


@pytest.fixture
def images_in_s3(s3_endpoint, settings, monkeypatch):  # noqa: F811
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("PRODUCT_IMAGES_S3_BUCKET", BUCKET)
    monkeypatch.setenv("SYNC_SNAPSHOT_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("SYNC_SNAPSHOT_S3_REGION", "us-east-1")
    configured = project_settings._product_images()  # what a deployment with these variables gets
    configured["OPTIONS"] |= CREDENTIALS
    settings.STORAGES = {**settings.STORAGES, "product-images": configured}
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_renditions_are_written_to_object_storage_public_and_immutable(images_in_s3):
    product = make_product()
    product.image = picture()
    product.save()
    product = Product.objects.get(pk=product.pk)

    for name in (product.image_thumbnail, product.image_detail):
        key = f"product-images/{name}"
        head = images_in_s3.head_object(Bucket=BUCKET, Key=key)
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
        assert head["ContentType"] == "image/webp"
        grants = images_in_s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") and g["Permission"] == "READ"
                   for g in grants)  # fmt: skip
