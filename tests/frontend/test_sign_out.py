"""Signing out while a sync runs: nothing fetched for the session that ended is stored after it.

The sync runs in the worker (Background Sync); its request is held by the test, answered by the
server while the token is still valid, and handed to the browser only after the sign-out.
"""

import time

import pytest
from playwright.sync_api import Error as PlaywrightError

from catalogue.models import Favourite, Product
from tests.frontend.browser import (
    idb_count,
    idb_meta,
    mark,
    sign_in,
    signed_in,
    wait_for,
    wait_for_log,
    wait_idle,
    wait_settled,
)

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

PULL_FAVOURITES = "**/api/sync/pull/favourites/**"
PUSH = "**/api/sync/push/"

STORED_FAVOURITES = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('offline-sync');
    open.onsuccess = () => {
        const range = IDBKeyRange.bound(['favourites', -Infinity], ['favourites', Infinity]);
        const request = open.result.transaction('segments').objectStore('segments').getAll(range);
        request.onsuccess = async () => {
            open.result.close();
            const texts = await Promise.all(
                request.result.map((s) => (typeof s.text === 'string' ? s.text : s.blob.text())));
            resolve(texts.flatMap((text) => JSON.parse(text).upserts.map((record) => record.id)));
        };
        request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
})"""

SHOWN_FAVOURITES = """window.offlineSync.replica.refresh()
    .then(() => window.offlineSync.replica.all('favourites').map((f) => f.id))"""

# A session ended the way no sign-out of the app does it: behind the sync lock's back.
END_SESSION_WITHOUT_THE_LOCK = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('offline-sync');
    open.onsuccess = () => {
        const tx = open.result.transaction(['meta', 'outbox'], 'readwrite');
        tx.objectStore('meta').delete('auth');
        tx.objectStore('outbox').clear();
        tx.oncomplete = () => { open.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
})"""


class Held:
    """Requests matching `pattern` (the worker's too), each answered by the server at once, while
    its token is valid, and the answer handed to the browser only on `release()`."""

    def __init__(self, context, pattern: str):
        self.context = context
        self.pattern = pattern
        self.answers = []
        self.failed = []
        context.route(pattern, self._hold)
        context.on("requestfailed", lambda request: self.failed.append(request))

    def _hold(self, route):
        self.answers.append((route, route.fetch()))

    def wait(self, page, timeout_s: float = 15):
        """Wait until a request is held (route handlers run inside Playwright calls: this pumps them)."""
        assert self._pump_until(page, lambda: self.answers, timeout_s), f"no request to {self.pattern} was made"

    def aborted(self, page, timeout_s: float = 10) -> bool:
        """Whether the browser gives up every held request (the app aborted it) within `timeout_s`."""
        return self._pump_until(page, lambda: all(r.request in self.failed for r, _ in self.answers), timeout_s)

    @staticmethod
    def _pump_until(page, condition, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                return False
            page.wait_for_timeout(10)
        return True

    def release(self):
        for route, response in self.answers:
            try:
                route.fulfill(response=response)
            except PlaywrightError:
                pass  # the app aborted the request meanwhile: nothing to hand over
        # Only now: unrouting first would send the held requests on to the server.
        self.context.unroute(self.pattern, self._hold)


def ended(page, start: int, unit: str) -> dict:
    """The first `synccomplete` or `syncerror` of `unit` logged after `start`, once there is one."""
    return wait_for_log(
        page,
        f"window.__syncLog.indexOf(e) >= {start} && ['synccomplete', 'syncerror'].includes(e.type)"
        f" && e.detail.unit === {unit!r}",
    )


def favourite(user, product) -> str:
    return str(Favourite.objects.create(user=user, product=product).pk)


def products(count: int) -> list[Product]:
    return list(Product.objects.filter(is_active=True).order_by("name")[:count])


def test_a_pull_answered_before_signing_out_is_not_stored_after_it(app, context, django_user_model):
    first, second = products(2)
    alice = django_user_model.objects.create_user("alice", password="alice-password-1")
    bob = django_user_model.objects.create_user("bob", password="bob-password-1")
    alices = favourite(alice, first)
    bobs = favourite(bob, second)
    wait_settled(app)
    held = Held(context, PULL_FAVOURITES)

    sign_in(app, "alice", "alice-password-1")  # its sync runs in the worker
    held.wait(app)  # the page of Alice's favourite is on its way
    app.click("#sign-out")
    app.locator("#sign-in").wait_for()  # not held up by the sync: it was stopped
    cut_short = held.aborted(app)
    held.release()
    wait_idle(app)

    assert app.evaluate(STORED_FAVOURITES) == []
    assert idb_meta(app, "cursor:favourites") is None
    assert app.evaluate(SHOWN_FAVOURITES) == []
    wait_for_log(app, "e.type === 'syncerror' && e.detail.code === 'session_ended'")
    assert cut_short, "the sync's request was left to finish"

    wait_for(app, sign_in(app, "bob", "bob-password-1"), "synccomplete", "all")
    assert app.evaluate(STORED_FAVOURITES) == [bobs]
    assert app.evaluate(SHOWN_FAVOURITES) == [bobs]
    assert alices not in app.evaluate(STORED_FAVOURITES)


def test_a_push_answered_before_signing_out_is_not_recorded_after_it(app, context, django_user_model):
    signed_in(app, django_user_model, "carol")
    wait_settled(app)
    product = products(1)[0]
    held = Held(context, PUSH)

    app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite").click()  # pushed by the worker
    held.wait(app)  # the server has applied it; its answer holds Carol's new favourite
    app.click("#sign-out")
    app.locator("#confirm-sign-out").click()  # "1 change has not been sent and will be lost"
    app.locator("#sign-in").wait_for()
    cut_short = held.aborted(app)  # a push is made by outbox.js: aborted through its session's token
    held.release()
    wait_idle(app)

    assert Favourite.objects.filter(user__username="carol", product=product).exists()
    assert app.evaluate(STORED_FAVOURITES) == []
    assert app.evaluate(SHOWN_FAVOURITES) == []
    assert idb_count(app, "outbox") == 0
    assert idb_meta(app, "conflicts") is None
    assert cut_short, "the push was left to finish"


def test_the_worker_stores_no_page_for_a_session_that_ended_meanwhile(app, context, django_user_model):
    """The last line of defence, in the worker: a pulled page is stored only if its session is still
    the signed-in one, checked in the transaction that would store it."""
    dora = django_user_model.objects.create_user("dora", password="dora-password-1")
    favourite(dora, products(1)[0])
    wait_settled(app)
    held = Held(context, PULL_FAVOURITES)

    start = sign_in(app, "dora", "dora-password-1")
    held.wait(app)
    app.evaluate(END_SESSION_WITHOUT_THE_LOCK)
    held.release()
    end = ended(app, start, "all")

    assert app.evaluate(STORED_FAVOURITES) == []
    assert idb_meta(app, "cursor:favourites") is None
    assert (end["type"], end["detail"].get("code")) == ("syncerror", "session_ended")


def test_the_worker_records_no_push_answer_for_a_session_that_ended_meanwhile(app, context, django_user_model):
    """The same for a push's answer: recorded only while the mutations it answers are still queued."""
    signed_in(app, django_user_model, "emil")
    wait_settled(app)
    product = products(1)[0]
    held = Held(context, PUSH)

    start = mark(app)
    app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite").click()
    held.wait(app)
    app.evaluate(END_SESSION_WITHOUT_THE_LOCK)
    held.release()
    end = ended(app, start, "favourites")

    assert app.evaluate(STORED_FAVOURITES) == []
    assert idb_meta(app, "conflicts") is None
    assert (end["type"], end["detail"].get("code")) == ("syncerror", "session_ended")
