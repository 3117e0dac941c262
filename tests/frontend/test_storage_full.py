"""A full disk: the sync stops with a clear error, nothing queued is lost, and it recovers.

The full disk is simulated in the service worker, where the sync runs: every
write of a pulled page throws the browser's QuotaExceededError, as IndexedDB
does when the origin's quota is used up.
"""

import pytest

from catalogue.models import Favourite, Product
from tests.frontend.browser import (
    idb_count,
    local_products,
    mark,
    poll,
    signed_in,
    wait_for,
    wait_for_log,
    wait_idle,
    wait_until,
)

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

FILL_DISK = """() => {
    self.__put = self.__put ?? IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
        if (this.name === 'segments') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return self.__put.apply(this, args);
    };
}"""
FREE_DISK = "() => { IDBObjectStore.prototype.put = self.__put; }"


def test_quota_exceeded_is_reported_keeps_the_outbox_and_recovers(app, context, django_user_model):
    user = signed_in(app, django_user_model, "quinn")
    wait_idle(app)
    product = Product.objects.filter(is_active=True).order_by("name").first()
    context.set_offline(True)
    app.locator(f"li.product-row[data-id='{product.pk}'] button.favourite").click()
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 1"))
    Product.objects.filter(pk__in=Product.objects.values("pk")[:5]).update(stock=999)  # a download waits

    worker = context.service_workers[0]
    worker.evaluate(FILL_DISK)
    start = mark(app)
    context.set_offline(False)
    error = wait_for_log(app, f"window.__syncLog.indexOf(e) >= {start} && e.type === 'syncerror'")["detail"]
    assert error["code"] == "quota_exceeded"
    assert "storage space" in error["message"]
    assert error["willRetry"] is False  # retrying cannot help until space is freed
    # Nothing queued is lost: still queued here, or already on the server.
    assert idb_count(app, "outbox") == 1 or Favourite.objects.filter(user=user, product=product).exists()

    worker.evaluate(FREE_DISK)  # space is back
    start = mark(app)
    app.evaluate("window.offlineSync.triggerOfflineDataSync('all')")
    wait_for(app, start, "synccomplete", "all")
    assert Favourite.objects.filter(user=user, product=product).exists()
    assert idb_count(app, "outbox") == 0
    assert local_products(app) == Product.objects.filter(is_active=True).count()
    changed = Product.objects.filter(stock=999).first()
    assert app.evaluate("(id) => window.offlineSync.catalogue.product(id)?.stock", str(changed.pk)) == 999
