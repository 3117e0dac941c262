"""Automatic sync starts follow the server's configuration: each switch really turns its trigger on or off."""

import time

import pytest

from tests.frontend.browser import (
    configure,
    fence,
    local_products,
    mark,
    open_app,
    sign_in,
    since,
    sync,
    sync_tags,
    wait_for,
    wait_for_log,
    wait_until,
)

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

PERIODIC = "offline-sync-periodic"


@pytest.mark.parametrize("enabled", [True, False])
def test_sync_on_online_switch(app, context, enabled):
    configure(app, sync_on_online=enabled)
    context.set_offline(True)
    start = mark(app)
    context.set_offline(False)

    units = [e["unit"] for e in fence(app, start)]
    assert ("all" in units) is enabled


@pytest.mark.parametrize("enabled", [True, False])
def test_sync_on_resume_switch(app, enabled):
    configure(app, sync_on_resume=enabled)
    start = mark(app)
    app.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the app is shown again

    units = [e["unit"] for e in fence(app, start)]
    assert ("all" in units) is enabled


@pytest.mark.parametrize("enabled", [True, False])
def test_sync_on_login_switch(app, django_user_model, enabled):
    django_user_model.objects.create_user("lena", password="lena-password-1")
    configure(app, sync_on_login=enabled)
    start = sign_in(app, "lena", "lena-password-1")

    units = [e["unit"] for e in fence(app, start)]
    assert ("all" in units) is enabled


def fail_next_pulls(context, count: int) -> dict:
    """Make the next `count` pulls of products fail with a server error (the worker's fetches too)."""
    state = {"left": count}

    def handle(route):
        if state["left"] > 0:
            state["left"] -= 1
            route.fulfill(status=503, body="unavailable")
        else:
            route.continue_()

    context.route("**/api/sync/pull/products/**", handle)
    return state


def test_retry_on_error_retries_after_a_failing_server(app, context):
    configure(app, retry_on_error=True, retry_interval_seconds=1)
    failing = fail_next_pulls(context, 1)
    start = mark(app)
    app.evaluate("window.offlineSync.triggerOfflineDataSync('catalogue')")

    error = wait_for(app, start, "syncerror", "catalogue")
    assert error["code"] == "server"
    assert error["willRetry"] is True
    wait_for(app, start, "synccomplete", "catalogue")  # retried by itself, nobody triggered it again
    assert failing["left"] == 0
    assert local_products(app) > 0


def test_retry_on_error_off_does_not_retry(app, context):
    configure(app, retry_on_error=False, retry_interval_seconds=1)
    fail_next_pulls(context, 1)
    start = mark(app)
    app.evaluate("window.offlineSync.triggerOfflineDataSync('catalogue')")

    error = wait_for(app, start, "syncerror", "catalogue")
    assert error["willRetry"] is False
    wait_until(app, "navigator.serviceWorker.ready")
    # The worker settled the failed sync instead of handing it back to the browser for a retry.
    assert sync_tags(app) == []
    assert [e["unit"] for e in since(app, start, "syncstart")] == ["catalogue"]


def periodic_tags(page) -> list[str]:
    return page.evaluate("navigator.serviceWorker.ready.then((r) => r.periodicSync.getTags())")


@pytest.fixture
def periodic_allowed(context, prod_server):
    """Grant the Periodic Background Sync permission, as an installed app gets it."""
    page = context.pages[0] if context.pages else context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Browser.grantPermissions", {"origin": prod_server.url, "permissions": ["periodicBackgroundSync"]})
    return cdp


def test_periodic_sync_registers_and_runs_in_the_worker(context, prod_server, catalogue, periodic_allowed):
    from syncapi.models import SyncConfiguration

    SyncConfiguration.objects.update_or_create(pk=1, defaults={"periodic_sync_minutes": 60})
    page = open_app(context.pages[0], prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'")
    wait_until(
        page,
        "navigator.serviceWorker.ready.then(async (r) => {"
        " for (;;) { if ((await r.periodicSync.getTags()).includes('offline-sync-periodic')) return true;"
        " await new Promise((ok) => setTimeout(ok, 25)); } })",
    )

    regs = []
    periodic_allowed.on("ServiceWorker.workerRegistrationUpdated", lambda ev: regs.extend(ev["registrations"]))
    periodic_allowed.send("ServiceWorker.enable")
    registration_id = None
    deadline = time.monotonic() + 15
    while registration_id is None:  # CDP events arrive inside Playwright calls: keep making them until it came
        assert time.monotonic() < deadline, "no ServiceWorker.workerRegistrationUpdated event"
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        registration_id = next((r["registrationId"] for r in regs if not r["isDeleted"]), None)
    start = mark(page)
    periodic_allowed.send(
        "ServiceWorker.dispatchPeriodicSyncEvent",
        {"origin": prod_server.url, "registrationId": registration_id, "tag": PERIODIC},
    )
    wait_for(page, start, "synccomplete", "all")
    assert [e["context"] for e in since(page, start, "syncstart", "all")] == ["worker"]


def test_periodic_sync_turned_off_unregisters(context, prod_server, catalogue, periodic_allowed):
    page = open_app(context.pages[0], prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'")
    assert PERIODIC in periodic_tags(page)  # the default configuration: every 720 minutes

    configure(page, periodic_sync_minutes=None)
    sync(page, "catalogue")
    assert periodic_tags(page) == []
