"""Faults during a sync in real Chromium: nothing is lost, nothing is downloaded twice."""

import io
import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

from django.core.management import call_command

from catalogue.models import Favourite, Product
from syncapi.models import SyncConfiguration
from syncapi.services import tombstones_purge
from tests.frontend.browser import (
    edit_price,
    hold_sync_lock,
    idb_count,
    idb_meta,
    local_products,
    log_events,
    mark,
    open_app,
    poll,
    poll_async,
    signed_in,
    since,
    sync,
    wait_for,
    wait_for_log,
    wait_for_pending_sync,
    wait_idle,
    wait_until,
)


def stored_products(page) -> tuple[str, list[str]]:
    """The products cursor and the JSON text of every stored products page, read from
    IndexedDB in one transaction (a sync may be storing pages meanwhile)."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('offline-sync');
            open.onsuccess = () => {
                const tx = open.result.transaction(['meta', 'segments']);
                const cursor = tx.objectStore('meta').get('cursor:products');
                const range = IDBKeyRange.bound(['products', 0], ['products', Infinity]);
                const pages = tx.objectStore('segments').getAll(range);
                tx.oncomplete = async () => {
                    open.result.close();
                    const texts = await Promise.all(pages.result.map((s) => s.text ?? s.blob.text()));
                    resolve([cursor.result, texts]);
                };
                tx.onerror = () => reject(tx.error);
            };
            open.onerror = () => reject(open.error);
        })"""
    )


def cursor_of(url: str) -> str | None:
    return parse_qs(urlparse(url).query).get("cursor", [None])[0]


def test_initial_sync_failing_on_page_k_resumes_at_page_k(context, prod_server, transactional_db):
    # No snapshot: three pages of products from the beginning, 5,000, 5,000 and the rest.
    call_command("seed_catalogue", products=12_000, categories=6, seed=7, verbosity=0)
    pulls, answered = [], []

    def server(route):
        """The real server, except that the second products page fails once with a 500."""
        pulls.append(route.request.url)
        if len(pulls) == 2:
            route.fulfill(status=500, body="boom")
            return
        response = route.fetch()
        answered.append(json.loads(response.body()))
        route.fulfill(response=response)

    context.route("**/api/sync/pull/products/**", server)
    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'syncerror'", timeout_ms=60_000)
    wait_for_log(page, "e.type === 'synccomplete'", timeout_ms=60_000)  # the retry, started by the browser

    assert log_events(page, "syncerror")[0]["code"] == "server"
    assert cursor_of(pulls[0]) is None
    assert cursor_of(pulls[1]) == answered[0]["cursor"]  # page 2 failed
    # The retry neither starts over nor fetches page 1 again: it resumes from the cursor
    # stored with page 1, and ends with the replica equal to the server.
    assert cursor_of(pulls[2]) == answered[0]["cursor"]
    assert all(cursor_of(url) is not None for url in pulls[1:])
    assert local_products(page) == Product.objects.filter(is_active=True).count()


def snapshot_manifest(client, collection: str = "products") -> dict:
    response = client.get(f"/api/sync/snapshot/{collection}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_first_download_cut_off_resumes_without_fetching_finished_parts_again(
    context, prod_server, catalogue, settings, client
):
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_PART_RECORDS": 10}
    call_command("build_snapshots", "--force", verbosity=0, stdout=io.StringIO())
    manifest = snapshot_manifest(client)
    assert len(manifest["parts"]) == 4
    cut = manifest["parts"][2]["url"]
    fetched = []

    def network(route):
        """The connection drops while the third part downloads (once)."""
        path = urlparse(route.request.url).path
        fetched.append(path)
        if path == cut and fetched.count(cut) == 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route("**/api/sync/snapshot/**", network)
    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'syncerror'", timeout_ms=30_000)
    wait_for_log(page, "e.type === 'synccomplete'", timeout_ms=30_000)  # the browser's retry

    assert log_events(page, "syncerror")[0]["code"] == "network"
    parts = [part["url"] for part in manifest["parts"]]
    # The manifest came with the others, beside the configuration; the retry resumed the same snapshot.
    assert [path for path in fetched if not path.endswith(".json")] == ["/api/sync/snapshot/"]
    assert [fetched.count(url) for url in parts] == [1, 1, 2, 1]
    assert local_products(page) == Product.objects.filter(is_active=True).count()
    assert idb_meta(page, "cursor:products")
    assert idb_meta(page, "snapshot:products") is None


def test_a_snapshot_replaced_and_deleted_during_a_download_is_started_over_from_the_new_one(
    context, prod_server, catalogue, settings, client
):
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_PART_RECORDS": 10, "SNAPSHOT_KEEP_RETIRED_HOURS": 0}
    call_command("build_snapshots", "--force", verbosity=0, stdout=io.StringIO())
    old = snapshot_manifest(client)
    renamed = Product.objects.filter(is_active=True).order_by("sku").first()
    fetched = []

    def server(route):
        """While the second part of the first snapshot is asked for, the catalogue changes and a
        new snapshot replaces the old one, whose files are deleted at once."""
        path = urlparse(route.request.url).path
        fetched.append(path)
        if path == old["parts"][1]["url"] and fetched.count(path) == 1:
            renamed.name = "Renamed while downloading"
            renamed.save()
            call_command("build_snapshots", "--force", verbosity=0, stdout=io.StringIO())
        route.continue_()

    context.route("**/api/sync/snapshot/**", server)
    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'", timeout_ms=30_000)

    new = snapshot_manifest(client)
    # The old manifest with the others, beside the configuration; then the new one, asked on its own.
    assert [path for path in fetched if not path.endswith(".json")] == [
        "/api/sync/snapshot/",
        "/api/sync/snapshot/products/",
    ]
    assert all(part["url"] in fetched for part in new["parts"])
    assert not log_events(page, "syncerror")
    assert local_products(page) == Product.objects.filter(is_active=True).count()
    assert page.evaluate(f"window.offlineSync.catalogue.product('{renamed.pk}').name") == renamed.name


def test_a_damaged_snapshot_part_is_not_stored(context, prod_server, catalogue, settings, client):
    settings.SYNCAPI = {**settings.SYNCAPI, "SNAPSHOT_PART_RECORDS": 10}
    call_command("build_snapshots", "--force", verbosity=0, stdout=io.StringIO())
    damaged = snapshot_manifest(client)["parts"][1]["url"]

    def server(route):
        """The second part arrives with one byte changed (a faulty cache or proxy)."""
        if urlparse(route.request.url).path != damaged:
            route.continue_()
            return
        body = bytearray(route.fetch().body())
        body[-3] = ord("0") if body[-3] != ord("0") else ord("1")
        route.fulfill(status=200, body=bytes(body), content_type="application/json")

    context.route("**/api/sync/snapshot/products/**", server)
    page = open_app(context.new_page(), prod_server.url)
    error = wait_for_log(page, "e.type === 'syncerror'", timeout_ms=30_000)["detail"]

    assert error["code"] == "invalid_response"
    assert "damaged" in error["details"]["detail"]
    assert idb_meta(page, "cursor:products") is None  # the download is not complete
    stored = idb_meta(page, "snapshot:products")["done"]
    assert damaged.rsplit("/", 1)[1].removesuffix(".json") not in stored


def lose_first_push_answer(context) -> list[tuple[dict, dict]]:
    """Route pushes to the real server; the first is applied there, but its answer never arrives.

    Returns the list that collects (request body, server answer) of every push.
    """
    pushes = []

    def server(route):
        response = route.fetch()
        pushes.append((json.loads(route.request.post_data), json.loads(response.body())))
        if len(pushes) == 1:
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    context.route("**/api/sync/push/", server)
    return pushes


def test_a_push_whose_response_is_lost_is_retried_and_applied_once(app, context, django_user_model):
    signed_in(app, django_user_model, "pat", is_staff=True)
    product = Product.objects.filter(is_active=True).order_by("name").first()
    pushes = lose_first_push_answer(context)
    start = mark(app)
    edit_price(app, product, "42.42")

    assert wait_for(app, start, "syncerror", "catalogue")["code"] == "network"
    wait_until(app, poll(f"window.__syncLog.slice({start}).some((e) => e.type === 'synccomplete')"))
    (sent, applied), (resent, answered) = pushes
    assert [m["id"] for m in resent["mutations"]] == [m["id"] for m in sent["mutations"]]  # the same ids
    assert [r["status"] for r in applied["results"]] == ["applied"]
    assert [r["status"] for r in answered["results"]] == ["duplicate"]
    product.refresh_from_db()
    assert product.price == Decimal("42.42")
    assert product.version == applied["results"][0]["record"]["version"]  # written once, not again
    assert idb_count(app, "outbox") == 0


PENDING_SYNCS = """navigator.locks.query().then(
    ({pending}) => pending.filter((lock) => lock.name === 'offline-sync').length)"""


def test_a_lost_push_response_with_two_tabs_and_the_worker_racing_is_applied_once(
    app, context, prod_server, django_user_model
):
    signed_in(app, django_user_model, "pat", is_staff=True)
    second = open_app(context.new_page(), prod_server.url)
    wait_idle(app)
    product = Product.objects.filter(is_active=True).order_by("name").first()
    pushes = lose_first_push_answer(context)
    # The second tab holds the sync lock while all three contexts line up for it.
    hold_sync_lock(second)
    edit_price(app, product, "42.42")  # queues the change and triggers a Background Sync: the worker waits for the lock
    wait_until(app, poll_async(f"(await {PENDING_SYNCS}) === 1"))
    app.evaluate("window.__race = [window.offlineSync.offlineDataSync('all').then(() => 'ok', (e) => e.code)]")
    second.evaluate("window.__race = [window.offlineSync.offlineDataSync('all').then(() => 'ok', (e) => e.code)]")
    wait_until(app, poll_async(f"(await {PENDING_SYNCS}) === 3"))
    second.evaluate("window.__release()")

    outcomes = [page.evaluate("Promise.all(window.__race)")[0] for page in (app, second)]
    wait_idle(app)
    wait_until(app, poll("window.__syncLog.some((e) => e.type === 'syncerror' && e.detail.code === 'network')"))
    mutation_id = pushes[0][0]["mutations"][0]["id"]
    carrying = [(sent, answer) for sent, answer in pushes if mutation_id in [m["id"] for m in sent["mutations"]]]
    assert len(carrying) >= 2, "the change was sent again after its answer was lost"
    results = [next(r for r in answer["results"] if r["id"] == mutation_id) for _, answer in carrying]
    assert [r["status"] for r in results] == ["applied"] + ["duplicate"] * (len(carrying) - 1)
    assert sorted(outcomes).count("network") <= 1  # at most one context lost the answer; the others completed
    product.refresh_from_db()
    assert product.price == Decimal("42.42")
    assert product.version == results[0]["record"]["version"]  # written once, never again
    assert idb_count(app, "outbox") == 0
    assert local_product_price(second, product.pk) == "42.42"


def local_product_price(page, product_id) -> str:
    return page.evaluate("(id) => window.offlineSync.catalogue.product(id).price", str(product_id))


def test_worker_stopped_mid_sync_never_leaves_the_cursor_ahead_of_the_stored_pages(
    context, prod_server, transactional_db
):
    # The worker syncs once it is active (a first visit's page syncs itself): the app has synced
    # an empty catalogue, then 12,000 products arrive and the worker pulls them, 1,000 a page.
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    versions = []
    cdp.on("ServiceWorker.workerVersionUpdated", lambda event: versions.extend(event["versions"]))
    cdp.send("ServiceWorker.enable")
    open_app(page, prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'")
    wait_idle(page)
    call_command("seed_catalogue", products=12_000, categories=6, seed=8, verbosity=0)
    held, first_page = [], {}

    def server(route):
        """The real server, except that page 2 hangs until the test lets it go."""
        if first_page:
            held.append(route)
            return
        response = route.fetch()
        first_page.update(json.loads(response.body()))
        route.fulfill(response=response)

    context.route("**/api/sync/pull/products/**", server)
    start = mark(page)
    page.evaluate("window.offlineSync.triggerOfflineDataSync('all')")
    wait_until(
        page,
        poll(f"window.__syncLog.slice({start}).some((e) => e.type === 'syncprogress' "
             "&& e.detail.collection === 'products')"),
    )  # fmt: skip
    assert held  # page 2 was asked for and hangs
    assert since(page, start, "syncstart")[0]["context"] == "worker"

    running = [v["versionId"] for v in versions if v["runningStatus"] == "running"]
    cdp.send("ServiceWorker.stopWorker", {"versionId": running[-1]})
    page.close()
    for route in held:
        route.abort("connectionreset")
    context.unroute("**/api/sync/pull/products/**")

    # What the stopped worker left behind (the browser may already be retrying the sync), read
    # by a page of the origin that runs no app code: the cursor is exactly as far as the pages
    # stored with it, never ahead of them.
    probe = context.new_page()
    probe.goto(prod_server.url + "/manifest.webmanifest")
    cursor, texts = stored_products(probe)
    # Each page is stored as it came, its own cursor included: the last one stored must be the
    # one the replica resumes from.
    assert cursor == json.loads(texts[-1])["cursor"]
    probe.close()

    app = open_app(context.new_page(), prod_server.url)  # starting the app again syncs (on resume)
    wait_for_log(app, "e.type === 'synccomplete'", timeout_ms=60_000)
    assert local_products(app) == Product.objects.filter(is_active=True).count()


def favourite_offline(app, context, product) -> None:
    """Favourite `product` with the network off: one unsent change in the outbox."""
    context.set_offline(True)
    app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite").click()
    wait_for_pending_sync(app)
    assert idb_count(app, "outbox") == 1


def record_pulls(context, collection: str) -> list[dict]:
    """Every page of `collection` the app pulls from now on, as the server answered it."""
    pages = []

    def server(route):
        response = route.fetch()
        pages.append({"url": route.request.url, **json.loads(response.body())})
        route.fulfill(response=response)

    context.route(f"**/api/sync/pull/{collection}/**", server)
    return pages


def test_schema_version_change_replaces_the_replica_and_keeps_unsent_changes(app, context, django_user_model):
    user = signed_in(app, django_user_model, "vera")
    product = Product.objects.filter(is_active=True).order_by("name").first()
    favourite_offline(app, context, product)
    SyncConfiguration.objects.update_or_create(pk=1, defaults={"schema_version": 2})
    pages = record_pulls(context, "products")

    start = mark(app)
    context.set_offline(False)  # the pending Background Sync fires by itself
    wait_for(app, start, "synccomplete", "favourites")
    sync(app, "all")

    assert Favourite.objects.filter(user=user, product=product).exists()  # the unsent change was kept and sent
    assert cursor_of(pages[0]["url"]) is None  # products downloaded again from the beginning
    assert idb_meta(app, "schemaVersion") == 2
    assert local_products(app) == Product.objects.filter(is_active=True).count()
    assert idb_count(app, "outbox") == 0


def test_offline_longer_than_the_tombstone_retention_resets_and_keeps_unsent_changes(app, context, django_user_model):
    user = signed_in(app, django_user_model, "wim")
    product, doomed = Product.objects.filter(is_active=True).order_by("name")[:2]
    favourite_offline(app, context, product)
    doomed.delete()  # while the device is away ...
    # ... a newer snapshot is built (a purge keeps what devices starting from an offered one need),
    # and the tombstone is gone before the device comes back.
    call_command("build_snapshots", "--force", verbosity=0, stdout=io.StringIO())
    assert tombstones_purge(older_than=timedelta(0)) == 1
    pages = record_pulls(context, "products")

    start = mark(app)
    context.set_offline(False)
    wait_for(app, start, "synccomplete", "favourites")
    sync(app, "all")

    assert pages[0]["reset"] is True
    assert Favourite.objects.filter(user=user, product=product).exists()
    assert app.evaluate("(id) => window.offlineSync.catalogue.product(id) === undefined", str(doomed.pk))
    assert local_products(app) == Product.objects.filter(is_active=True).count()
    assert idb_count(app, "outbox") == 0
