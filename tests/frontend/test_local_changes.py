"""Changes made in the app: a merge conflict settled from the UI, and signing out wiping the device."""

from decimal import Decimal

from catalogue.models import Product
from syncapi.models import DeviceToken
from tests.frontend.browser import (
    edit_price,
    idb_count,
    idb_meta,
    mark,
    poll,
    signed_in,
    wait_for,
    wait_for_log,
    wait_for_pending_sync,
    wait_until,
)


def first_product() -> Product:
    return Product.objects.filter(is_active=True).order_by("name").first()


def test_merge_conflict_shows_both_values_and_keeping_mine_reaches_the_server(app, context, django_user_model):
    signed_in(app, django_user_model, "sam", is_staff=True)
    product = first_product()

    context.set_offline(True)
    edit_price(app, product, "99.99")
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 1"))
    app.keyboard.press("Escape")  # close the product
    wait_until(app, poll("!document.getElementById('dialog').open"))
    Product.objects.filter(pk=product.pk).update(price=Decimal("55.55"))  # someone else, meanwhile

    start = mark(app)
    context.set_offline(False)
    wait_for_log(app, "e.type === 'conflict'")
    dialog = app.locator("#conflict")
    dialog.wait_for()
    assert "99.99" in dialog.inner_text()
    assert "55.55" in dialog.inner_text()

    app.click("#keep-mine")
    wait_until(
        app,
        poll(f"window.__syncLog.slice({start}).some((e) => e.type === 'synccomplete' && e.detail.stats.applied > 0)"),
    )
    product.refresh_from_db()
    assert product.price == Decimal("99.99")


def test_signing_out_with_unsent_changes_warns_then_wipes_the_device(app, context, django_user_model):
    signed_in(app, django_user_model, "una")
    context.set_offline(True)
    app.locator(f"li.product-row[data-id='{first_product().pk}'] button.favourite").click()
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 1"))

    app.click("#sign-out")
    app.locator("#confirm-sign-out").click()  # "1 change has not been sent and will be lost"
    app.locator("#sign-in").wait_for()

    assert idb_meta(app, "auth") is None
    assert idb_count(app, "outbox") == 0
    assert idb_meta(app, "cursor:favourites") is None
    cached = app.evaluate(
        "caches.keys().then((names) => Promise.all(names.map((n) => caches.open(n).then((c) => c.keys()))))"
        ".then((lists) => lists.flat().map((r) => r.url))"
    )
    assert cached, "the release is cached"
    assert not [url for url in cached if "/api/" in url]


def test_signing_out_online_revokes_the_device_token(app, django_user_model):
    signed_in(app, django_user_model, "vera")
    assert DeviceToken.objects.filter(user__username="vera", revoked_at__isnull=True).count() == 1

    app.click("#sign-out")
    app.locator("#sign-in").wait_for()

    assert DeviceToken.objects.filter(user__username="vera", revoked_at__isnull=True).count() == 0
    assert idb_meta(app, "auth") is None


def test_signing_out_offline_wipes_at_once_and_revokes_the_token_when_back_online(app, context, django_user_model):
    signed_in(app, django_user_model, "wim")
    context.set_offline(True)
    app.click("#sign-out")
    app.locator("#sign-in").wait_for()
    assert idb_meta(app, "auth") is None  # the user's data left the device at once
    assert DeviceToken.objects.filter(user__username="wim", revoked_at__isnull=True).count() == 1
    wait_for_pending_sync(app)  # queued for the revocation

    start = mark(app)
    context.set_offline(False)
    wait_for(app, start, "synccomplete", "all")  # the pending Background Sync fires by itself

    assert DeviceToken.objects.filter(user__username="wim", revoked_at__isnull=True).count() == 0
    assert idb_meta(app, "revokeTokens") == []
