"""Snapshot files in S3-compatible object storage, through django-storages, as several servers share them.

The storage is a real S3 endpoint on loopback: moto's standalone server
(`python -m moto.server`), which speaks the S3 protocol over HTTP; no
S3-compatible server ships in Debian's or PyPI's packages otherwise. The
server side of snapshots only uses Django's storage API, so the same build,
serving and pruning run against it as against the disk.
"""

import sys

import boto3
import brotli
import pytest

from bench.common import free_port, running
from syncapi.snapshots.format import part_decode
from tests.conftest import build_snapshots, make_product

pytestmark = pytest.mark.django_db

BUCKET = "catalogue-snapshots"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], url, "moto's S3 server"):
        yield url


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "sync-snapshots": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "location": "sync-snapshots",
                "file_overwrite": True,
                "default_acl": None,
                **CREDENTIALS,
            },  # fmt: skip
        },
    }
    yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def stored_keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_snapshots_are_built_into_served_from_and_pruned_in_object_storage(api, category, s3_storage, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_PART_RECORDS": 2}
    products = [make_product(category, name=f"p{n}") for n in range(3)]
    build_snapshots()
    manifest = api.get("/api/sync/snapshot/products/").json()

    records = []
    for part in manifest["parts"]:
        response = api.get(part["url"], HTTP_ACCEPT_ENCODING="br")
        assert response["Content-Encoding"] == "br"
        records += part_decode(brotli.decompress(response.getvalue()))[1]
    assert sorted(r["id"] for r in records) == sorted(str(p.pk) for p in products)
    first = manifest["parts"][0]["sha256"]
    assert {f"sync-snapshots/products/{first}.json{s}" for s in ("", ".br", ".gz")} <= stored_keys(s3_storage)

    ranged = api.get(manifest["parts"][0]["url"], HTTP_RANGE="bytes=0-9")
    assert (ranged.status_code, len(ranged.content)) == (206, 10)

    products[2].delete()  # the second part changes; the retired one's files go at once
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_KEEP_RETIRED_HOURS": 0}
    build_snapshots(force=True)
    current = api.get("/api/sync/snapshot/products/").json()
    keys = stored_keys(s3_storage)
    listed = {part["sha256"] for part in current["parts"]}
    assert {key.split("/")[-1].split(".")[0] for key in keys if key.startswith("sync-snapshots/products/")} == listed
