"""Storage the browser may delete: the app asks to keep it, says whether it is kept, downloads again
what was evicted, and warns when unsent changes have waited long in a browser tab."""

import pytest

from catalogue.models import Product
from tests.frontend.browser import (
    DAY_MS,
    FEATURES,
    aged_outbox,
    edit_price,
    local_products,
    open_app,
    poll,
    signed_in,
    sync,
    wait_for_log,
    wait_until,
)

pytestmark = pytest.mark.once  # the client's own storage, whatever the server's database

STORAGE_CHIP = "#storage-chip"


def active_products() -> int:
    return Product.objects.filter(is_active=True).count()


def clear_site_data(context, page, origin: str, types: str) -> None:
    """Delete the site's stored data of `types` (comma-separated), as the browser does when it evicts it."""
    context.new_cdp_session(page).send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": types})


def test_a_site_whose_storage_was_deleted_between_two_visits_downloads_again(app, context, prod_server):
    app.goto("about:blank")
    clear_site_data(context, app, prod_server.url, "all")  # IndexedDB, caches, the worker: everything

    open_app(app, prod_server.url)
    wait_for_log(app, "e.type === 'synccomplete'")

    assert local_products(app) == active_products()
    assert app.locator("#sync-error").is_hidden()


# Resolves once this origin's IndexedDB opens again: Chromium deletes a site's databases (one backing
# store per origin) after Storage.clearDataForOrigin has answered, and an open meanwhile fails.
INDEXEDDB_USABLE = """new Promise((resolve) => {
    const attempt = () => {
        const open = indexedDB.open('test-probe');
        open.onsuccess = () => { open.result.close(); indexedDB.deleteDatabase('test-probe'); resolve(true); };
        open.onerror = () => setTimeout(attempt, 25);
    };
    attempt();
})"""


def test_a_replica_deleted_while_the_app_is_open_is_downloaded_again_by_the_next_sync(app, context, prod_server):
    clear_site_data(context, app, prod_server.url, "indexeddb")
    wait_until(app, INDEXEDDB_USABLE)

    sync(app, "all")

    assert local_products(app) == active_products()
    assert app.locator("#sync-error").is_hidden()


def test_the_status_says_whether_the_browser_keeps_the_apps_data(context, prod_server, catalogue):
    page = context.pages[0]
    open_app(page, prod_server.url)
    chip = page.locator(STORAGE_CHIP)
    chip.wait_for(state="visible")
    assert chip.inner_text() == "Data may be cleared"  # Chromium grants it to installed or engaging sites only

    context.new_cdp_session(page).send(
        "Browser.grantPermissions", {"origin": prod_server.url, "permissions": ["durableStorage"]}
    )
    page.reload()
    wait_until(page, poll(f"document.querySelector('{STORAGE_CHIP}').textContent === 'Data kept'"))


def test_unsent_changes_older_than_a_day_in_a_browser_tab_are_flagged_in_the_outbox(app, context, django_user_model):
    signed_in(app, django_user_model, "tess", is_staff=True)
    product = Product.objects.filter(is_active=True).order_by("name").first()
    context.set_offline(True)
    edit_price(app, product, "12.34")
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 1"))
    app.keyboard.press("Escape")

    app.click("#outbox-chip")
    app.locator("#outbox li.outbox-entry").first.wait_for()
    assert app.locator("#outbox-at-risk").is_hidden()  # queued a moment ago
    app.keyboard.press("Escape")

    app.evaluate(aged_outbox(DAY_MS + 60_000))
    app.click("#outbox-chip")
    app.locator("#outbox-at-risk").wait_for(state="visible")
    assert "more than a day" in app.locator("#outbox-at-risk").inner_text()


def test_chromium_offers_what_the_support_table_says(app):
    assert app.evaluate(FEATURES) == {
        "backgroundSync": True,
        "periodicSync": True,
        "installPrompt": True,
        "webLocks": True,
        "persist": True,
        "serviceWorker": True,
    }
