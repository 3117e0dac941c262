"""Helpers for driving the app in Chromium: waiting on conditions under the app's CSP.

Playwright's `wait_for_function` evaluates its predicate with eval(), which
the page's Content-Security-Policy refuses; these helpers wait on promises
evaluated as ordinary page functions instead, always within a deadline.
"""

import json

from syncapi.models import SyncConfiguration

# Installed before the page's scripts: records every sync event of every
# context (the page's own engine, other tabs, the worker) from the channel.
SYNC_LOG_SCRIPT = """
window.__syncLog = [];
new BroadcastChannel('offline-sync').addEventListener('message', ({data}) => {
  window.__syncLog.push({type: data.type, detail: data.detail});
});
"""

CONTROLLED = """new Promise((resolve) => navigator.serviceWorker.controller
    ? resolve(true)
    : navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), {once: true}))"""
ACTIVE = "navigator.serviceWorker.ready.then((registration) => Boolean(registration.active))"


def wait_until(page, promise: str, timeout_ms: int = 15_000):
    """Wait for a JS promise (an expression) to resolve, within a deadline; returns its value."""
    return page.evaluate(
        f"""Promise.race([
            ({promise}),
            new Promise((_, reject) => setTimeout(() => reject(new Error("timed out: " + {json.dumps(promise)})),
                                                  {timeout_ms})),
        ])"""
    )


def poll(condition_js: str, interval_ms: int = 25) -> str:
    """A promise expression resolving with `condition_js` (an expression) once it is truthy."""
    return f"""new Promise((resolve) => {{
        const check = () => {{
            const value = ({condition_js});
            value ? resolve(value) : setTimeout(check, {interval_ms});
        }};
        check();
    }})"""


def wait_for_log(page, condition_js: str, timeout_ms: int = 15_000):
    """Wait until some sync event `e` in the log satisfies `condition_js` (an expression of `e`)."""
    return wait_until(page, poll(f"window.__syncLog.find((e) => {condition_js})"), timeout_ms)


def log_events(page, type_: str) -> list[dict]:
    return page.evaluate(f"window.__syncLog.filter((e) => e.type === {json.dumps(type_)}).map((e) => e.detail)")


def open_app(page, base_url: str, *, controlled: bool = True):
    """Load the app and wait for its first render (and, by default, for the worker to control it)."""
    page.goto(base_url + "/")
    wait_until(page, poll("document.documentElement.dataset.ready === 'true'"))
    if controlled:
        wait_until(page, CONTROLLED)
    return page


def sync(page, unit: str = "all", *, timeout_ms: int = 20_000) -> dict:
    """Trigger a background sync of `unit` and wait for it to complete; returns its `synccomplete` detail."""
    name = json.dumps(unit)
    done = poll(f"window.__syncLog.slice(start).find((e) => e.type === 'synccomplete' && e.detail.unit === {name})")
    return wait_until(
        page,
        f"""(async () => {{
            const start = window.__syncLog.length;
            await window.offlineSync.triggerOfflineDataSync({name});
            return {done};
        }})().then((e) => e.detail)""",
        timeout_ms,
    )


def idb_meta(page, key: str):
    """A value of the app's `meta` store, read straight from IndexedDB."""
    return page.evaluate(
        """(key) => new Promise((resolve, reject) => {
            const open = indexedDB.open('offline-sync');
            open.onsuccess = () => {
                const request = open.result.transaction('meta').objectStore('meta').get(key);
                request.onsuccess = () => { open.result.close(); resolve(request.result ?? null); };
                request.onerror = () => reject(request.error);
            };
            open.onerror = () => reject(open.error);
        })""",
        key,
    )


def idb_count(page, store: str) -> int:
    return page.evaluate(
        """(store) => new Promise((resolve, reject) => {
            const open = indexedDB.open('offline-sync');
            open.onsuccess = () => {
                const request = open.result.transaction(store).objectStore(store).count();
                request.onsuccess = () => { open.result.close(); resolve(request.result); };
                request.onerror = () => reject(request.error);
            };
            open.onerror = () => reject(open.error);
        })""",
        store,
    )


def local_products(page) -> int:
    """How many products the app's replica holds (after reading what is stored)."""
    return page.evaluate("window.offlineSync.replica.refresh().then(() => window.offlineSync.replica.size('products'))")


def mark(page) -> int:
    """The position in the sync log from which later events count."""
    return page.evaluate("window.__syncLog.length")


def since(page, start: int, type_: str, unit: str | None = None) -> list[dict]:
    events = page.evaluate("(start) => window.__syncLog.slice(start)", start)
    return [e["detail"] for e in events if e["type"] == type_ and (unit is None or e["detail"]["unit"] == unit)]


def wait_for(page, start: int, type_: str, unit: str, timeout_ms: int = 20_000) -> dict:
    """Wait for an event of `type_` for `unit` logged after `start`."""
    return wait_until(
        page,
        f"""new Promise((resolve) => {{
            const check = () => {{
                const hit = window.__syncLog.slice({start}).find(
                    (e) => e.type === {type_!r} && e.detail.unit === {unit!r});
                hit ? resolve(hit.detail) : setTimeout(check, 25);
            }};
            check();
        }})""",
        timeout_ms,
    )


def fence(page, start: int) -> list[dict]:
    """Run a `favourites` sync after whatever is queued, then return the `syncstart`s since `start`.

    Units run one after another, so anything queued before the fence has run by then.
    """
    sync(page, "favourites")
    return since(page, start, "syncstart")


def sync_tags(page) -> list[str]:
    return page.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())")


def wait_for_pending_sync(page):
    """Wait until a Background Sync registration waits for the network."""
    return wait_until(
        page,
        """new Promise((resolve) => {
            const check = async () => {
                const tags = await (await navigator.serviceWorker.ready).sync.getTags();
                tags.includes('offline-sync') ? resolve(tags) : setTimeout(check, 25);
            };
            check();
        })""",
    )


def configure(page, **fields):
    """Change the server's sync configuration and let the app receive it (config comes with each sync)."""
    SyncConfiguration.objects.update_or_create(pk=1, defaults=fields)
    sync(page, "catalogue")


def sign_in(page, username: str, password: str):
    start = mark(page)
    page.evaluate("([u, p]) => window.offlineSync.session.login(u, p)", [username, password])
    return start


def signed_in(page, django_user_model, username: str, *, is_staff: bool = False):
    """A new user signed in through the app, once the sync that signing in starts is complete."""
    user = django_user_model.objects.create_user(username, password=f"{username}-password-1", is_staff=is_staff)
    wait_for(page, sign_in(page, username, f"{username}-password-1"), "synccomplete", "all")
    return user


def edit_price(page, product, price: str) -> None:
    """Change a product's price through the staff form (the change is queued, then synced)."""
    page.locator(f"li.product-row[data-id='{product.pk}'] button.row-open").click()
    page.fill("#edit-price", price)
    page.click("#save-product")


def hold_sync_lock(page):
    """Take the sync Web Lock in `page` until `window.__release()` is called there."""
    page.evaluate("""new Promise((held) => navigator.locks.request('offline-sync',
        () => { held(); return new Promise((release) => { window.__release = release; }); }))""")


def wait_idle(page):
    """Wait until no sync runs in any context (the Web Lock is free)."""
    return wait_until(
        page,
        poll_async("(await navigator.locks.query()).held.every((lock) => lock.name !== 'offline-sync')"),
    )


def wait_settled(page):
    """Wait until no sync runs and none is queued (an automatic start may still be pending after a sync)."""
    queue_empty = """await new Promise((resolve, reject) => {
        const open = indexedDB.open('offline-sync');
        open.onsuccess = () => {
            const request = open.result.transaction('meta').objectStore('meta').get('unitQueue');
            request.onsuccess = () => { open.result.close(); resolve(!(request.result ?? []).length); };
            request.onerror = () => reject(request.error);
        };
        open.onerror = () => reject(open.error);
    })"""
    lock_free = "(await navigator.locks.query()).held.every((lock) => lock.name !== 'offline-sync')"
    return wait_until(page, poll_async(f"({queue_empty}) && {lock_free}"))


def poll_async(condition_js: str, interval_ms: int = 25) -> str:
    """Like `poll`, for a condition that needs `await`."""
    return f"""new Promise((resolve) => {{
        const check = async () => {{
            const value = {condition_js};
            value ? resolve(value) : setTimeout(check, {interval_ms});
        }};
        check();
    }})"""


# What an engine offers the app, the columns of docs/browser-support.md (checked per engine by
# test_engines.py, and for Chromium by test_storage_kept.py).
FEATURES = """({
    backgroundSync: 'SyncManager' in window,
    periodicSync: 'PeriodicSyncManager' in window,
    installPrompt: 'onbeforeinstallprompt' in window,
    webLocks: Boolean(navigator.locks?.request),
    persist: Boolean(navigator.storage?.persist),
    serviceWorker: 'serviceWorker' in navigator,
})"""


def aged_outbox(age_ms: int) -> str:
    """A promise that makes every change in the app's outbox `age_ms` older, as if queued that long ago."""
    return f"""new Promise((resolve, reject) => {{
        const open = indexedDB.open('offline-sync');
        open.onsuccess = () => {{
            const tx = open.result.transaction('outbox', 'readwrite');
            const store = tx.objectStore('outbox');
            store.getAll().onsuccess = ({{ target }}) => {{
                for (const change of target.result) store.put({{ ...change, queuedAt: Date.now() - {age_ms} }});
            }};
            tx.oncomplete = () => {{ open.result.close(); resolve(true); }};
            tx.onerror = () => reject(tx.error);
        }};
        open.onerror = () => reject(open.error);
    }})"""


DAY_MS = 24 * 60 * 60 * 1000
