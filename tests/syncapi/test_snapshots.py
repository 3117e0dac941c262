"""Snapshots: how they are built, when they are offered and rebuilt, and how their files are served."""

import dataclasses
import gzip
import hashlib
import io
from datetime import timedelta

import brotli
import pytest
from django.core.management import CommandError, call_command
from django.db.models import CharField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from catalogue.models import Product
from syncapi.errors import MESSAGES
from syncapi.models import Snapshot, SnapshotLock, SyncConfiguration, SyncState, Tombstone
from syncapi.registry import registry
from syncapi.services import tombstones_purge
from syncapi.snapshots import auto, files
from syncapi.snapshots.build import LeaseLost, snapshot_build, snapshots_refresh
from syncapi.snapshots.format import FORMAT, part_decode
from syncapi.snapshots.lease import Lease
from tests.conftest import build_snapshots, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_parts(settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_PART_RECORDS": 3}


def offer(api, collection: str = "products"):
    return api.get(f"/api/sync/snapshot/{collection}/")


def parts_of(api, manifest: dict) -> list[list[dict]]:
    return [part_decode(api.get(part["url"]).getvalue())[1] for part in manifest["parts"]]


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"code": code, "detail": MESSAGES[code]} | (
        {} if code != "range_not_satisfiable" else {"detail": response.json()["detail"]}
    )


# --- Building -----------------------------------------------------------------------------------


def test_a_snapshot_holds_every_visible_record_in_the_apps_list_order(api, category, small_parts):
    products = [make_product(category, name=name) for name in ["b drill", "A saw", "c hammer", "a saw", "D file"]]
    make_product(category, is_active=False)
    make_product(category).delete()
    top = max(Product.objects.values_list("version", flat=True))

    build_snapshots()
    manifest = offer(api).json()

    records = [record for part in parts_of(api, manifest) for record in part]
    first_page = api.get("/api/sync/pull/products/", {"limit": 100}).json()["upserts"]
    assert sorted(records, key=lambda r: r["id"]) == sorted(first_page, key=lambda r: r["id"])
    assert {r["id"] for r in records} == {str(p.pk) for p in products}
    keys = [(r["name"].lower(), r["sku"].lower(), r["id"]) for r in records]
    assert keys == sorted(keys)  # the app's list order: it merges parts without sorting them
    assert [part["records"] for part in manifest["parts"]] == [3, 2]
    assert (manifest["records"], manifest["format"], manifest["collection"]) == (5, FORMAT, "products")
    assert manifest["version"] == Tombstone.objects.get().version > top  # the delete came last


def test_the_offer_gives_a_cursor_from_which_pulls_bring_only_later_changes(api, category):
    kept, changed = make_product(category), make_product(category)
    build_snapshots()
    manifest = offer(api).json()
    changed.name = "Changed"
    changed.save()
    kept.delete()

    page = api.get("/api/sync/pull/products/", {"cursor": manifest["cursor"]}).json()

    assert [r["name"] for r in page["upserts"]] == ["Changed"]
    assert page["deletes"] == [str(kept.pk)] if kept.pk else page["deletes"]
    assert (page["reset"], page["has_more"]) == (False, False)
    assert offer(api)["Cache-Control"] == "no-cache"


def test_a_snapshot_of_an_empty_collection_has_no_parts(api):
    build_snapshots()

    manifest = offer(api).json()

    assert (manifest["records"], manifest["parts"]) == (0, [])
    assert api.get("/api/sync/pull/products/", {"cursor": manifest["cursor"]}).json()["upserts"] == []


def test_a_rebuild_compresses_only_the_parts_that_changed(api, category, small_parts, monkeypatch):
    for n in range(9):
        make_product(category, name=f"p{n}")
    build_snapshots()
    compressed = []
    original = files.compress
    monkeypatch.setattr(files, "compress", lambda data, coding: compressed.append(coding) or original(data, coding))
    last = Product.objects.get(name="p8")
    last.stock += 1
    last.save()

    build_snapshots(force=True)

    assert sorted(compressed) == ["br", "gzip"]  # the third part only
    current = Snapshot.objects.get(retired_at=None, collection="products")
    assert len({part["sha256"] for part in current.parts} - {part["sha256"] for part in Snapshot.objects.exclude(
        pk=current.pk).get(collection="products").parts}) == 1  # fmt: skip


def test_retired_snapshots_and_their_files_go_after_the_keep_period(api, category, small_parts, settings):
    products = [make_product(category, name=f"p{n}") for n in range(6)]
    build_snapshots()
    old = Snapshot.objects.get(collection="products")
    products[5].delete()  # the second part changes, the first stays
    build_snapshots(force=True)
    storage = files.snapshot_storage()
    old_only = [p["sha256"] for p in old.parts if p["sha256"] not in {q["sha256"] for q in Snapshot.objects.get(
        collection="products", retired_at=None).parts}]  # fmt: skip
    assert len(old_only) == 1
    assert storage.exists(files.part_path("products", old_only[0], "br"))  # kept for devices downloading it

    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_KEEP_RETIRED_HOURS": 0}
    build_snapshots(force=True)

    assert not Snapshot.objects.filter(pk=old.pk).exists()
    assert not any(storage.exists(files.part_path("products", old_only[0], c)) for c in ("identity", "br", "gzip"))
    for part in Snapshot.objects.get(collection="products", retired_at=None).parts:
        assert storage.exists(files.part_path("products", part["sha256"], "br"))


def test_build_snapshots_command_says_what_it_built(category):
    make_product(category)
    out = io.StringIO()

    call_command("build_snapshots", stdout=out)
    call_command("build_snapshots", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("categories: 1 record(s)")
    assert lines[1].startswith("products: 1 record(s)")
    assert lines[1].endswith("(none).")
    assert lines[2] == "Every snapshot is current; nothing built."


# --- When a snapshot is offered, and when a new one is due --------------------------------------


def test_no_snapshot_is_offered_before_one_is_built(api, category):
    make_product(category)

    assert_error(offer(api), 404, "no_snapshot")


@pytest.mark.django_db(transaction=True)
def test_a_request_that_finds_none_starts_a_build_in_the_background(api, category, settings):
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_AUTO_BUILD": True}
    make_product(category)

    assert_error(offer(api), 404, "no_snapshot")  # answered at once
    assert auto.wait(timeout=60)

    assert offer(api).json()["records"] == 1


def test_collections_of_each_user_have_no_snapshot(api, user_api):
    build_snapshots()

    assert_error(offer(user_api, "favourites"), 404, "no_snapshot")
    assert_error(offer(api, "nothing"), 404, "unknown_collection")


def _new_field(monkeypatch):
    products = registry.get("products")
    fields = {**products.fields, "sku_again": "sku"}
    monkeypatch.setitem(registry._collections, "products", dataclasses.replace(products, fields=fields))


def _new_media_url(monkeypatch):
    """What a deploy that changes PRODUCT_IMAGES_URL does to the registration's computed `image_url`."""
    products = registry.get("products")
    url = Concat(Value("/cdn/media/images/"), "image_detail", output_field=CharField())
    fields = {**products.fields, "image_url": url}
    monkeypatch.setitem(registry._collections, "products", dataclasses.replace(products, fields=fields))


def _schema_bump(monkeypatch):
    SyncConfiguration.objects.update_or_create(pk=1, defaults={"schema_version": 2})


def _new_epoch(monkeypatch):
    SyncState.objects.filter(pk=1).update(epoch="restored")


def _purged_past_it(monkeypatch):
    SyncState.objects.filter(pk=1).update(purged_through=10**9)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_new_field, "fingerprint"),
        (_new_media_url, "fingerprint"),
        (_schema_bump, "schema_version"),
        (_new_epoch, "epoch"),
        (_purged_past_it, "purged"),
    ],
    ids=["field-added", "media-url", "schema-version", "epoch", "purged"],
)
def test_a_snapshot_that_is_not_what_a_first_pull_reads_now_is_not_offered(api, category, monkeypatch, change, reason):
    make_product(category)
    build_snapshots()
    started = []
    monkeypatch.setattr(auto, "build_soon", lambda: started.append(1))

    change(monkeypatch)

    assert_error(offer(api), 404, "no_snapshot")
    assert started  # a new one is due
    assert [b.reason for b in build_snapshots() if b.collection == "products"] == [reason]
    assert offer(api).status_code == 200


def test_a_snapshot_with_many_changes_since_is_still_offered_while_a_new_one_is_due(
    api, category, settings, monkeypatch
):
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_REBUILD_CHANGES": 3}
    products = [make_product(category) for _ in range(3)]
    build_snapshots()
    started = []
    monkeypatch.setattr(auto, "build_soon", lambda: started.append(1))
    products[0].save()
    products[1].delete()

    assert offer(api).status_code == 200
    assert not started  # two changes

    products[2].save()
    assert offer(api).status_code == 200
    assert started
    assert [b.reason for b in build_snapshots() if b.collection == "products"] == ["changes"]


def test_an_old_snapshot_is_still_offered_while_a_new_one_is_due(api, category, monkeypatch):
    make_product(category)
    build_snapshots()
    Snapshot.objects.update(created_at=timezone.now() - timedelta(hours=25))
    started = []
    monkeypatch.setattr(auto, "build_soon", lambda: started.append(1))

    assert offer(api).status_code == 200
    assert started
    assert {b.reason for b in build_snapshots()} == {"age"}


def test_a_purge_keeps_the_deletes_a_device_starting_from_an_offered_snapshot_needs(api, category):
    early, late = make_product(category), make_product(category)
    early.delete()
    build_snapshots()
    manifest = offer(api).json()
    late_id = str(late.pk)
    late.delete()  # after the snapshot

    assert tombstones_purge(older_than=timedelta(0)) == 1  # the early delete only
    page = api.get("/api/sync/pull/products/", {"cursor": manifest["cursor"]}).json()
    assert (page["reset"], page["deletes"]) == (False, [late_id])

    build_snapshots(force=True)
    assert tombstones_purge(older_than=timedelta(0)) == 1  # now past every offered snapshot


# --- One builder at a time ----------------------------------------------------------------------


def test_one_builder_holds_the_lease_until_it_releases_it_or_it_expires():
    first, second = Lease(), Lease()

    assert first.take()
    assert not second.take()
    assert snapshots_refresh() is None
    with pytest.raises(CommandError, match="Another process is building"):
        call_command("build_snapshots", stdout=io.StringIO())

    SnapshotLock.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # its builder died
    assert second.take()
    assert not first.renew()
    second.release()
    assert first.take()


def test_a_builder_that_lost_its_lease_publishes_nothing(category):
    make_product(category)
    lease = Lease()
    assert lease.take()
    SnapshotLock.objects.update(holder="another", expires_at=timezone.now() + timedelta(minutes=5))

    with pytest.raises(LeaseLost):
        snapshot_build(collection=registry.get("products"), lease=lease)
    assert not Snapshot.objects.exists()


# --- Serving the files --------------------------------------------------------------------------


@pytest.fixture
def part(api, category):
    for _ in range(20):
        make_product(category)
    build_snapshots()
    return offer(api).json()["parts"][0]


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, deflate", "gzip"),
        (None, "identity"),
        ("br;q=0, gzip;q=0", "identity"),
    ],
)
def test_a_part_comes_in_the_coding_the_client_prefers(api, part, accept, coding):
    headers = {"HTTP_ACCEPT_ENCODING": accept} if accept else {}

    response = api.get(part["url"], **headers)

    body = response.getvalue()
    decoded = {"br": brotli.decompress, "gzip": gzip.decompress, "identity": bytes}[coding](body)
    assert response.status_code == 200
    assert response.get("Content-Encoding") == (None if coding == "identity" else coding)
    assert int(response["Content-Length"]) == len(body) == part["encoded"][coding]
    assert hashlib.sha256(decoded).hexdigest() == part["sha256"]
    assert len(decoded) == part["bytes"]
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in response["Vary"]
    assert response["ETag"] == f'"{part["sha256"]}.{coding}"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == f'inline; filename="{part["sha256"]}.json"'  # saved, it is JSON


def test_a_part_the_client_holds_is_answered_not_modified(api, part):
    etag = f'"{part["sha256"]}.br"'

    response = api.get(part["url"], HTTP_ACCEPT_ENCODING="br", HTTP_IF_NONE_MATCH=f'"other", {etag}')

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert api.get(part["url"], HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-50", -50, None), ("bytes=10-99999999", 10, None)],
)
def test_a_byte_range_of_a_part_as_encoded(api, part, header, first, last):
    whole = api.get(part["url"], HTTP_ACCEPT_ENCODING="br").getvalue()

    response = api.get(part["url"], HTTP_ACCEPT_ENCODING="br", HTTP_RANGE=header)

    expected = whole[first : None if last is None else last + 1]
    start = first if first >= 0 else len(whole) + first
    assert response.status_code == 206
    assert response.content == expected
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(whole)}"
    assert response["Content-Encoding"] == "br"


def test_a_range_that_no_longer_matches_or_cannot_be_read_as_one_gets_the_whole_part(api, part):
    whole = api.get(part["url"]).getvalue()

    stale = api.get(part["url"], HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"another"')
    several = api.get(part["url"], HTTP_RANGE="bytes=0-9,20-29")

    assert stale.status_code == several.status_code == 200
    assert stale.getvalue() == several.getvalue() == whole


def test_a_range_past_the_end_is_refused_with_the_size(api, part):
    response = api.get(part["url"], HTTP_RANGE=f"bytes={part['bytes']}-")

    assert response.status_code == 416
    assert response.json()["code"] == "range_not_satisfiable"
    assert str(part["bytes"]) in response.json()["detail"]
    assert response["Content-Range"] == f"bytes */{part['bytes']}"


@pytest.mark.parametrize("digest", ["0" * 64, "not-a-digest", "A" * 64])
def test_a_part_that_is_not_stored_is_not_found(api, part, digest):
    url = part["url"].replace(part["sha256"], digest)

    assert_error(api.get(url), 404, "snapshot_part_not_found")


def test_a_part_is_read_with_head_and_refuses_other_methods(api, part):
    assert api.head(part["url"]).status_code == 200
    response = api.post(part["url"])
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_never_passes_a_change_that_commits_after_it_is_read(api, category, monkeypatch):
    """A writer has drawn a version but not committed while the snapshot is read: the snapshot
    lacks the change, so its cursor must stay below that version for the change to come as a delta."""
    import threading
    from contextlib import contextmanager

    from django.db import connections, transaction

    from syncapi.snapshots import build

    product = make_product(category)
    written, commit, done = threading.Event(), threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                Product.objects.filter(pk=product.pk).update(name="Committed late")
                written.set()
                commit.wait(timeout=30)
        finally:
            connections.close_all()
            done.set()

    real_read_snapshot = build.read_snapshot

    @contextmanager
    def read_while_writing(alias):
        threading.Thread(target=writer).start()
        assert written.wait(timeout=30)
        with real_read_snapshot(alias) as own:
            yield own
        commit.set()  # the writer commits once the snapshot is read, before it is published
        assert done.wait(timeout=30)

    monkeypatch.setattr(build, "read_snapshot", read_while_writing)
    lease = Lease()
    assert lease.take()
    snapshot_build(collection=registry.get("products"), lease=lease)
    lease.release()
    manifest = offer(api).json()

    assert [r["name"] for part in parts_of(api, manifest) for r in part] == [product.name]
    page = api.get("/api/sync/pull/products/", {"cursor": manifest["cursor"]}).json()
    assert [r["name"] for r in page["upserts"]] == ["Committed late"]
