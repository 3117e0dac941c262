"""The sync engine in real Chromium: background sync, offline use, the queue, tabs, the fallback."""

import io
import json
from urllib.parse import parse_qs, urlparse

from django.core.management import call_command
from django.db.models import F

from catalogue.models import Favourite, Product
from tests.frontend.browser import (
    configure,
    fence,
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
    wait_settled,
    wait_until,
)


def fetched_cursor(page, url: str) -> str:
    """The cursor a pull answers (fetched again: the same cursor answers the same next cursor)."""
    return page.evaluate("(url) => fetch(url).then((r) => r.json()).then((body) => body.cursor)", url)


def visible_products() -> int:
    return Product.objects.filter(is_active=True).count()


def listed_products(page) -> list[str]:
    """The ids of the app's product list, in order, once the replica has read what was stored."""
    return page.evaluate(
        """async () => {
            const catalogue = window.offlineSync.catalogue;
            await catalogue.refresh();
            return catalogue.search().map((p) => p.id);
        }"""
    )


def expected_order() -> list[str]:
    """Visible products by name, then SKU (case-insensitive), then id."""
    products = Product.objects.filter(is_active=True)
    return [str(p.pk) for p in sorted(products, key=lambda p: (f"{p.name.lower()}\0{p.sku.lower()}", str(p.pk)))]


def test_first_sync_fills_the_replica_with_whole_pages(app):
    assert local_products(app) == visible_products()
    assert idb_meta(app, "cursor:products")
    # Stored as pages, not as one record per product.
    assert idb_count(app, "segments") < 10


def cursor_of(url: str) -> str | None:
    return parse_qs(urlparse(url).query).get("cursor", [None])[0]


def test_a_large_first_download_comes_as_the_snapshots_parts_then_pages_from_its_cursor(
    context, prod_server, transactional_db
):
    call_command("seed_catalogue", products=12_000, categories=6, seed=5, verbosity=0)
    call_command("build_snapshots", verbosity=0, stdout=io.StringIO())
    changed = Product.objects.filter(is_active=True).order_by("sku").first()
    changed.name = "Changed after the snapshot"
    changed.save()
    requests = []
    context.on("request", lambda r: requests.append(r.url) if "/api/sync/" in r.url else None)

    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'", timeout_ms=60_000)

    manifest = page.evaluate("fetch('/api/sync/snapshot/products/').then((r) => r.json())")
    parts = [url for url in requests if urlparse(url).path.startswith("/api/sync/snapshot/products/") and
             url.endswith(".json")]  # fmt: skip
    pulls = [url for url in requests if "/api/sync/pull/products/" in url]
    assert sorted(urlparse(url).path for url in parts) == sorted(part["url"] for part in manifest["parts"])
    assert len(parts) == 3  # 11,760 visible products in parts of 5,000
    assert cursor_of(pulls[0]) == manifest["cursor"]  # then ordinary pages from the snapshot's version
    assert local_products(page) == visible_products()
    assert idb_meta(page, "seq:products") == len(parts) + len(pulls)
    assert idb_count(page, "segments") == len(parts) + len(pulls) + idb_meta(page, "seq:categories")
    assert idb_meta(page, "cursor:products") == fetched_cursor(page, pulls[-1])
    assert idb_meta(page, "snapshot:products") is None  # the download is done
    assert listed_products(page) == expected_order()
    assert page.evaluate(f"window.offlineSync.catalogue.product('{changed.pk}').name") == changed.name


def test_a_first_download_without_a_snapshot_pulls_pages_from_the_beginning(context, prod_server, transactional_db):
    call_command("seed_catalogue", products=6_000, categories=6, seed=5, verbosity=0)  # no snapshot built
    requests = []
    context.on("request", lambda r: requests.append(r.url) if "/api/sync/" in r.url else None)

    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'", timeout_ms=60_000)

    pulls = [url for url in requests if "/api/sync/pull/products/" in url]
    assert any(urlparse(url).path == "/api/sync/snapshot/" for url in requests)  # asked: none offered
    assert cursor_of(pulls[0]) is None
    assert len(pulls) == 2  # pages of 5,000
    assert local_products(page) == visible_products()
    assert listed_products(page) == expected_order()


def test_pages_stored_undecoded_are_counted_with_or_without_the_servers_count(app, context):
    """A large page is stored as the server sent it, a Blob: its counts come from the
    `Sync-Upserts` header and the page's last 64 KB. Without the header (another server), or
    when the end holds more deletes than that, the engine reads the page whole."""
    configure(app, page_size=5000)
    wait_settled(app)  # no automatic sync left to take the new products before the one asserted on
    category = Product.objects.first().category
    Product.objects.bulk_create(
        [Product(sku=f"BULK-{n:04}", name=f"Bulk {n}", price="1.00", stock=1, category=category) for n in range(3000)]
    )
    assert sync(app, "catalogue")["stats"]["upserts"] == 3000  # about 1.2 MB, with the header

    bulk = Product.objects.filter(sku__startswith="BULK-")
    bulk.filter(sku__lt="BULK-2000").delete()  # 2,000 ids: about 80 KB of deletes at the page's end
    bulk.update(price=F("price") + 1)
    stats = sync(app, "catalogue")["stats"]
    assert (stats["upserts"], stats["deletes"]) == (1000, 2000)

    def without_count(route):
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "sync-upserts"}
        route.fulfill(response=response, headers=headers)

    context.route("**/api/sync/pull/products/**", without_count)
    bulk.update(price=F("price") + 1)
    assert sync(app, "catalogue")["stats"]["upserts"] == 1000  # a large page
    for product in Product.objects.exclude(sku__startswith="BULK-")[:3]:
        product.price += 1
        product.save()
    assert sync(app, "catalogue")["stats"]["upserts"] == 3  # a small one, kept as text
    assert local_products(app) == visible_products()
    assert listed_products(app) == expected_order()


def test_the_product_list_stays_sorted_through_renames_deletes_and_deactivations(app):
    assert listed_products(app) == expected_order()
    products = list(Product.objects.filter(is_active=True).order_by("sku"))
    renames = {0: "aaa first of all", 1: "Ärmel last but one", 2: "zzz last", 3: products[4].name.upper()}
    for index, name in renames.items():
        products[index].name = name  # the last one ties with another product's name: the SKU decides
        products[index].save()
    for product in products[5:8]:
        product.delete()
    for product in products[8:10]:
        product.is_active = False
        product.save()
    for n in range(3):
        Product.objects.create(
            sku=f"NEW-{n}", name=f"New product {n}", price="1.00", stock=1, category=products[0].category
        )

    sync(app, "catalogue")
    assert listed_products(app) == expected_order()


def test_pages_not_in_the_lists_order_are_sorted_by_the_app(context, prod_server, catalogue):
    """This server sends a page's products in the list's order, which spares the app sorting them;
    another may not (the protocol does not promise an order within a page)."""

    def reversed_upserts(route):
        response = route.fetch()
        page = json.loads(response.text())
        page["upserts"].reverse()
        body = json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        route.fulfill(response=response, body=body, headers={**headers, "content-length": str(len(body))})

    context.route("**/api/sync/pull/products/**", reversed_upserts)
    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'")

    assert listed_products(page) == expected_order()
    for product in Product.objects.filter(is_active=True).order_by("sku")[:3]:
        product.name = f"Renamed {product.sku}"
        product.save()
    sync(page, "catalogue")  # a delta page, reversed too
    assert listed_products(page) == expected_order()


def test_worker_runs_a_triggered_sync(app):
    detail = sync(app, "catalogue")
    assert detail["unit"] == "catalogue"
    starts = [e for e in log_events(app, "syncstart") if e["unit"] == "catalogue"]
    assert starts[-1]["context"] == "worker"


# --- background sync, offline -------------------------------------------------------------


def test_offline_reload_shows_products_and_search_works(app, context):
    product = Product.objects.filter(is_active=True).order_by("name").first()
    context.set_offline(True)
    app.reload()
    wait_until(
        app,
        "new Promise((r) => { const c = () => document.documentElement.dataset.ready === 'true'"
        " ? r(true) : setTimeout(c, 25); c(); })",
    )

    assert app.locator("li.product-row").first.is_visible()
    app.fill("#search", product.sku)
    wait_until(app, poll("document.querySelectorAll('li.product-row').length === 1"))
    assert product.name in app.locator(f"li.product-row[data-id='{product.pk}']").inner_text()


def test_favourite_toggled_offline_reaches_the_server_when_back_online(app, context, django_user_model):
    user = signed_in(app, django_user_model, "olga")  # sync_on_login
    product = Product.objects.filter(is_active=True).order_by("name").first()

    context.set_offline(True)
    app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite").click()
    wait_for_pending_sync(app)
    assert idb_count(app, "outbox") == 1
    assert not Favourite.objects.exists()

    start = mark(app)
    context.set_offline(False)  # the pending Background Sync fires by itself
    done = wait_for(app, start, "synccomplete", "favourites")

    assert done["stats"]["applied"] == 1
    assert [e["context"] for e in since(app, start, "syncstart", "favourites")] == ["worker"]
    assert Favourite.objects.filter(user=user, product=product).exists()
    assert idb_count(app, "outbox") == 0


def test_discard_pending_units_leaves_only_the_new_unit(app, context):
    wait_idle(app)
    context.set_offline(True)
    app.evaluate("window.offlineSync.triggerOfflineDataSync('catalogue')")
    app.evaluate("window.offlineSync.triggerOfflineDataSync('favourites')")
    assert idb_meta(app, "unitQueue") == ["catalogue", "favourites"]

    app.evaluate("window.offlineSync.triggerOfflineDataSync('all', {discardPendingUnits: true})")
    assert idb_meta(app, "unitQueue") == ["all"]

    start = mark(app)
    context.set_offline(False)
    wait_for(app, start, "synccomplete", "all")
    wait_idle(app)  # the unit leaves the queue after its synccomplete, before the lock is released
    assert {e["unit"] for e in since(app, start, "syncstart")} == {"all"}
    assert idb_meta(app, "unitQueue") == []


def test_a_unit_already_queued_is_not_queued_twice(app, context):
    wait_idle(app)
    context.set_offline(True)
    for _ in range(3):
        app.evaluate("window.offlineSync.triggerOfflineDataSync('catalogue')")
    assert idb_meta(app, "unitQueue") == ["catalogue"]


def test_two_tabs_triggering_at_once_run_one_sync(app, context, prod_server):
    second = open_app(context.new_page(), prod_server.url)
    wait_for_log(second, "e.type === 'synccomplete'")
    # Hold the sync lock while both tabs trigger, so both requests really overlap.
    hold_sync_lock(app)
    start = mark(app)
    app.evaluate("window.offlineSync.triggerOfflineDataSync('catalogue')")
    second.evaluate("window.offlineSync.triggerOfflineDataSync('catalogue')")
    app.evaluate("window.__release()")

    starts = fence(app, start)
    assert [e["unit"] for e in starts].count("catalogue") == 1
    # The other tab heard the same single sync.
    assert [e["unit"] for e in since(second, 0, "syncstart")].count("catalogue") >= 1


def test_without_background_sync_the_page_runs_the_sync(context, prod_server, catalogue):
    context.add_init_script("delete window.SyncManager;")
    page = open_app(context.new_page(), prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'")

    start = mark(page)
    sync(page, "catalogue")
    assert [e["context"] for e in since(page, start, "syncstart", "catalogue")] == ["page"]
    assert local_products(page) == visible_products()


def test_user_timing_measures_each_stage_in_the_context_that_ran_it(app, context):
    sync(app, "catalogue")
    worker = context.service_workers[0]
    names = worker.evaluate("performance.getEntriesByType('measure').map((m) => m.name)")
    assert "offline-sync:catalogue" in names
    assert {"offline-sync:catalogue:config", "offline-sync:catalogue:pull:products"} <= set(names)


IDB_QUEUE = """new Promise((resolve) => {
    const open = indexedDB.open('offline-sync');
    open.onsuccess = () => {
        const request = open.result.transaction('meta').objectStore('meta').get('unitQueue');
        request.onsuccess = () => { open.result.close(); resolve(request.result ?? []); };
    };
})"""


def test_a_change_made_while_its_unit_runs_is_sent_by_a_sync_after_it(app, context, django_user_model):
    user = signed_in(app, django_user_model, "rita")
    wait_idle(app)
    held = []

    def hold_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)  # answered below, once the change is made

    context.route("**/api/sync/pull/favourites/**", hold_first)
    start = mark(app)
    app.evaluate("window.offlineSync.triggerOfflineDataSync('favourites')")
    wait_for_log(
        app, f"window.__syncLog.indexOf(e) >= {start} && e.type === 'syncstart' && e.detail.unit === 'favourites'"
    )
    for _ in range(400):  # the worker's pull is on its way: wait until it reached the route
        if held:
            break
        app.evaluate("new Promise((resolve) => setTimeout(resolve, 10))")
    assert held, "the favourites pull never started"

    product = Product.objects.filter(is_active=True).order_by("name").first()
    app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite").click()  # its push stage is past
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 1"))
    # The running unit does not count as waiting: the change's sync queues behind it.
    wait_until(app, poll_async(f"(await {IDB_QUEUE}).length === 2"))
    held[0].continue_()

    done = f"window.__syncLog.slice({start}).some((e) => e.type === 'synccomplete' && e.detail.stats.applied === 1)"
    wait_until(app, poll(done))
    assert Favourite.objects.filter(user=user, product=product).exists()
