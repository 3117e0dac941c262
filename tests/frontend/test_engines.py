"""A rep's journeys in WebKit (the engine of every iPhone browser) and Firefox, neither of which has
Background Sync: the app syncs from the page there, and its automatic starts retry by timer.

The server is really stopped for "offline" (these drivers cannot cut a page's network), and started
again on the same port. See tests/frontend/engines.py for how each engine is driven.
"""

import dataclasses

import pytest

import frontend.views
from catalogue.models import Favourite, Product
from syncapi.models import DeviceToken, SyncConfiguration
from tests.frontend import engines
from tests.frontend.browser import DAY_MS, FEATURES, aged_outbox
from tests.frontend.conftest import serve_production

# The client's behaviour in each engine, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

READY = "document.documentElement.dataset.ready === 'true'"
# The status shows when the last sync completed: a first sync completes once the worker has cached the
# release, so the app also starts offline from then on (its records may be in before that).
SYNCED = "document.querySelector('time[data-last-sync]')?.dateTime"


def replica_size(collection: str, test: str = "(n) => n") -> str:
    """A promise of `test` applied to how many records of `collection` the app's replica holds."""
    return (
        "window.offlineSync.replica.refresh()"
        f".then(() => window.offlineSync.replica.size({engines.js(collection)})).then({test})"
    )


class Server:
    """The production-like live server, which a test can stop and start again on the same port.

    Each server of a run has a port of its own, so each test's app has an origin of its own (its
    storage, service worker and locks) in a browser the module's tests share.
    """

    used_ports: set[int] = set()

    def __init__(self):
        self.live = serve_production()
        while self.live.thread.port in self.used_ports:  # a port freed by an earlier test, given again
            self.live.stop()
            self.live = serve_production()
        self.port = self.live.thread.port
        self.used_ports.add(self.port)
        self.url = self.live.url

    def stop(self):
        self.live.stop()

    def start(self):
        self.live = serve_production(self.port)


@pytest.fixture
def server(production_static, transactional_db):
    from django.test import modify_settings

    with modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"}):
        server = Server()
        yield server
        server.live.stop()


@pytest.fixture(scope="module", params=engines.ENGINES)
def browser(request):
    """One session per engine for the module's tests (each test opens the app on an origin of its own)."""
    with engines.launch(request.param) as browser:
        yield browser


@pytest.fixture
def app(browser, server, catalogue):
    """The app open and its first sync completed: the replica holds every active product, the release is cached."""
    SyncConfiguration.objects.update_or_create(pk=1, defaults={"retry_interval_seconds": 1})
    open_synced(browser, server.url)
    return browser


def open_synced(browser, url: str) -> None:
    """Open the app at `url` and wait for its first sync to complete with every active product."""
    browser.open(url + "/")
    browser.wait_for(READY, what="the first render")
    browser.wait_for(SYNCED, what="the first sync completed")
    wait_for_products(browser, Product.objects.filter(is_active=True).count())


def wait_for_products(browser, count: int):
    browser.wait_for(replica_size("products", f"(n) => n === {count}"), what=f"{count} products")


def search(browser, text: str, product) -> None:
    browser.type("#search", text)
    browser.wait_for(
        f"document.querySelectorAll('li.product-row').length === 1"
        f" && document.querySelector('li.product-row').dataset.id === {engines.js(str(product.pk))}",
        what=f"{product.sku} alone in the list",
    )


def outbox_count(test: str) -> str:
    """A promise of `test` applied to how many changes wait in the app's outbox (read from IndexedDB)."""
    return f"""new Promise((resolve, reject) => {{
        const open = indexedDB.open('offline-sync');
        open.onsuccess = () => {{
            const request = open.result.transaction('outbox').objectStore('outbox').count();
            request.onsuccess = () => {{ open.result.close(); resolve(request.result); }};
            request.onerror = () => reject(request.error);
        }};
        open.onerror = () => reject(open.error);
    }}).then({test})"""


def sign_in(browser, django_user_model, username: str):
    """A user signed in through the app (its token stored: the login's promise resolved)."""
    user = django_user_model.objects.create_user(username, password=f"{username}-password-1")
    browser.run(
        "return window.offlineSync.session.login(arguments[0], arguments[1]).then(() => true);",
        username,
        f"{username}-password-1",
    )
    return user


def test_first_sync_then_search_and_a_reload_with_the_server_stopped(app, server):
    product = Product.objects.filter(is_active=True).order_by("name").first()
    app.wait_for("navigator.serviceWorker.controller !== null", what="the worker's control")
    search(app, product.sku, product)

    server.stop()
    app.reload()
    app.wait_for(READY, what="the first render, offline")
    search(app, product.sku, product)
    assert product.name in app.texts(f"li.product-row[data-id='{product.pk}'] .row-name")[0]


def test_a_change_made_while_the_server_is_unreachable_is_sent_once_it_is_back(app, server, django_user_model):
    user = sign_in(app, django_user_model, "rita")
    product = Product.objects.filter(is_active=True).order_by("name").first()

    server.stop()
    app.click(f"li.product-row[data-id='{product.pk}'] button.favourite")
    app.wait_for(outbox_count("(n) => n === 1"), what="the change queued")
    assert not Favourite.objects.exists()

    server.start()  # nothing else is done: the app retries by itself (retry_on_error, every second here)
    app.wait_for(outbox_count("(n) => n === 0"), timeout_s=30, what="the change sent")
    assert list(Favourite.objects.values_list("user", "product")) == [(user.pk, product.pk)]


def test_a_change_waiting_leaves_once_the_server_answers_whatever_the_retry_backoff(app, server, django_user_model):
    user = sign_in(app, django_user_model, "tess")
    SyncConfiguration.objects.filter(pk=1).update(retry_interval_seconds=3600, foreground_refresh_seconds=1)
    app.run("return window.offlineSync.offlineDataSync('all').then(() => true);")  # the app adopts them
    product = Product.objects.filter(is_active=True).order_by("name").first()

    server.stop()
    app.click(f"li.product-row[data-id='{product.pk}'] button.favourite")
    app.wait_for(outbox_count("(n) => n === 1"), what="the change queued")

    server.start()  # the retry timer waits an hour; the foreground refresh finds the server answering
    app.wait_for(outbox_count("(n) => n === 0"), what="the change sent")
    assert list(Favourite.objects.values_list("user", "product")) == [(user.pk, product.pk)]


def test_signing_out_wipes_the_users_data_from_the_device(app, server, django_user_model):
    user = sign_in(app, django_user_model, "sami")
    product = Product.objects.filter(is_active=True).order_by("name").first()
    Favourite.objects.create(user=user, product=product)
    app.run("return window.offlineSync.offlineDataSync('favourites').then(() => true);")
    app.wait_for(replica_size("favourites", "(n) => n === 1"), what="the favourite stored")

    app.run("return window.offlineSync.session.logout().then(() => true);")

    assert app.value(replica_size("favourites", "(n) => n ?? 0")) == 0
    assert "auth" not in app.value(IDB_META_KEYS)
    assert not DeviceToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    app.reload()
    app.wait_for(READY, what="the first render after signing out")
    assert app.value(replica_size("favourites", "(n) => n ?? 0")) == 0


AT_RISK = "document.getElementById('outbox-at-risk')"


def test_a_change_unsent_for_more_than_a_day_in_a_browser_tab_is_flagged_in_the_outbox(app, server, django_user_model):
    sign_in(app, django_user_model, "ugo")
    product = Product.objects.filter(is_active=True).order_by("name").first()
    server.stop()
    app.click(f"li.product-row[data-id='{product.pk}'] button.favourite")
    app.wait_for(outbox_count("(n) => n === 1"), what="the change queued")

    app.click("#outbox-chip")
    app.wait_for("document.querySelector('#outbox li.outbox-entry') !== null", what="the change listed")
    assert app.value(f"{AT_RISK}.hidden") is True  # queued a moment ago
    app.click("#outbox button.btn-close")
    app.wait_for("document.querySelector('#outbox') === null", what="the outbox closed")  # its `close` event ran

    app.value(aged_outbox(DAY_MS + 60_000))
    app.click("#outbox-chip")
    app.wait_for(f"{AT_RISK}?.checkVisibility?.()", what="the warning")
    assert "more than a day" in app.value(f"{AT_RISK}.textContent")


# What the site keeps, read from one of its pages outside the app (the admin's: no worker there).
KEPT = """Promise.all([
    indexedDB.databases().then((found) => found.map((database) => database.name)),
    navigator.serviceWorker.getRegistrations().then((found) => found.length),
    caches.keys(),
])"""


@pytest.mark.parametrize("browser", ["firefox"], indirect=True)  # WebKitGTK's driver cannot delete site data
def test_a_site_whose_data_was_deleted_between_two_visits_downloads_again(app, server):
    app.open("about:blank")
    app.delete_site_data("127.0.0.1")
    app.open(server.url + "/admin/login/")
    assert app.value(KEPT) == [[], 0, []]  # the replica, the worker and the cached release: gone

    open_synced(app, server.url)
    assert app.value("document.getElementById('sync-error').hidden") is True


IDB_META_KEYS = """new Promise((resolve, reject) => {
    const open = indexedDB.open('offline-sync');
    open.onsuccess = () => {
        const request = open.result.transaction('meta').objectStore('meta').getAllKeys();
        request.onsuccess = () => { open.result.close(); resolve(request.result.map(String)); };
        request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
})"""


def test_a_new_release_prompts_an_update_and_reloads_into_it(app, monkeypatch):
    old = app.value("document.querySelector('meta[name=release]').content")
    real = frontend.views.current_release
    monkeypatch.setattr(frontend.views, "current_release", lambda: dataclasses.replace(real(), id=old[::-1]))

    app.run("return navigator.serviceWorker.getRegistration().then((r) => r.update()).then(() => true);")
    app.wait_for("document.querySelector('button#update-reload')?.checkVisibility?.()", what="the update prompt")
    app.click("button#update-reload")
    app.wait_for(f"document.querySelector('meta[name=release]')?.content === {engines.js(old[::-1])}", what="reload")
    app.wait_for(READY, what="the first render of the new release")


# What FEATURES finds in each engine, as docs/browser-support.md tables it.
EXPECTED = {
    "webkit": {"backgroundSync": False, "periodicSync": False, "installPrompt": False, "webLocks": True,
               "persist": False, "serviceWorker": True},
    "firefox": {"backgroundSync": False, "periodicSync": False, "installPrompt": False, "webLocks": True,
                "persist": True, "serviceWorker": True},
}  # fmt: skip


# What the status area says of the app's storage: WebKit (WebKitGTK here) has no StorageManager.persist(),
# Firefox asks the user (answered "not now" by the test profile), so neither keeps it yet.
STORAGE_SHOWN = {"webkit": None, "firefox": "Data may be cleared"}


def test_the_engine_offers_what_the_support_table_says_and_the_status_shows_its_storage(app):
    assert app.value(FEATURES) == EXPECTED[app.name]
    chip = "document.getElementById('storage-chip')"
    assert app.value(f"{chip}.hidden ? null : {chip}.textContent") == STORAGE_SHOWN[app.name]
