"""Real headless Chromium (Debian's package) driven by Playwright, against a live server.

`playwright install` cannot download browsers here: the browser is the system
Chromium, `CHROMIUM_PATH` overrides it (see ../shared/design/BROWSER-TESTING.md).
"""

import io
import os

import pytest
from django.core.management import call_command
from playwright.sync_api import sync_playwright

from bench import static_cache
from tests.frontend.browser import SYNC_LOG_SCRIPT, open_app, wait_for_log

# Playwright's sync API runs an event loop in this thread; Django's ORM calls
# made by test code beside it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def close(context) -> None:
    """Close a context whose test may have left route handlers running (a background sync can
    still be pulling): their late errors ("Fetch response has been disposed") are dropped here
    instead of surfacing at the next test's first Playwright call."""
    context.unroute_all(behavior="ignoreErrors")
    context.close()


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser_context(playwright_instance, tmp_path):
    """A persistent context on a fresh profile (off-the-record contexts keep IndexedDB in memory)."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS
    )
    yield context
    close(context)


@pytest.fixture
def page(browser_context):
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


# --- The release as production serves it: collectstatic with the real storage, WhiteNoise in front.

PRODUCTION_STORAGE = "frontend.storage.StaticStorage"


def production_static_settings(static_root):
    """Settings of a deployment whose static files were collected into `static_root`."""
    from django.conf import settings

    return {
        "STATIC_ROOT": str(static_root),
        "STORAGES": {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}},
        "WHITENOISE_USE_FINDERS": False,  # serve STATIC_ROOT only, as in production
        "WHITENOISE_AUTOREFRESH": False,  # scan it once, when the middleware starts
    }


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """STATIC_ROOT after `collectstatic` with the production storage (hashed names, rewritten imports),
    copied from the collection of the same static files if the benchmarks or another run made it."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(**production_static_settings(root)):
        static_cache.collect(root)
    return root


@pytest.fixture
def production_static(collected_static):
    """This test runs with the collected static files and the manifest storage."""
    from django.test import override_settings

    with override_settings(**production_static_settings(collected_static)):
        yield collected_static


@pytest.fixture
def prod_server(production_static, transactional_db):
    """A live server like production: WhiteNoise serves the collected, hashed files.

    pytest-django's `live_server` answers /static/ itself from the finders
    (unhashed source files), so this one passes every request to Django's
    middleware instead. It starts inside the settings override, so WhiteNoise
    reads the collected STATIC_ROOT when its middleware is created.
    """
    from django.test import modify_settings

    with modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"}):
        server = serve_production()
        yield server
        server.stop()


def _stoppable_server_class():
    """Django's live server, whose stop really cuts its clients off and frees its port at once.

    Django's closes only its listening socket: a browser keeps using its kept-alive
    connections, answered by their handler threads. This one shuts them down too, and
    binds with SO_REUSEADDR, which the connections it accepted inherit, so that its port
    can be listened on again while they are in TIME_WAIT.
    """
    import socket

    from django.test.testcases import ThreadedWSGIServer

    class StoppableServer(ThreadedWSGIServer):
        def __init__(self, *args, allow_reuse_address=False, **kwargs):
            self.open_connections = set()
            super().__init__(*args, allow_reuse_address=True, **kwargs)

        def process_request(self, request, client_address):
            self.open_connections.add(request)
            super().process_request(request, client_address)

        def shutdown_request(self, request):
            self.open_connections.discard(request)
            super().shutdown_request(request)

        def server_close(self):
            super().server_close()
            for connection in list(self.open_connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:  # already closed by its client
                    pass

    return StoppableServer


def serve_production(port: int = 0):
    """A started live server on `port` (0: any free one) passing every request to Django's middleware."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(f"127.0.0.1:{port}", start=False)
    server.thread.static_handler = lambda app: app
    server.thread.server_class = _stoppable_server_class()  # serve_production(its port) after stop()
    server.start()
    return server


# --- The app with demo data, in a browser profile of its own.

# Chromium retries a failed Background Sync after 5 minutes by default; these make it 2 s.
FAST_RETRY_ARGS = [
    "--force-fieldtrials=BackgroundSync/Test",
    "--force-fieldtrial-params=BackgroundSync.Test:initial_retry_delay_sec/2/retry_delay_factor/1/max_sync_attempts/3",
]


@pytest.fixture
def context(playwright_instance, tmp_path, prod_server):
    """A browser profile of its own; closed before the server stops, so no request is cut off."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=[*ARGS, *FAST_RETRY_ARGS]
    )
    context.add_init_script(SYNC_LOG_SCRIPT)
    yield context
    close(context)


@pytest.fixture
def app(context, prod_server, catalogue):
    """The app open and synced once (its start is a resume, which syncs); no uncaught page error allowed."""
    page = context.pages[0] if context.pages else context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    open_app(page, prod_server.url)
    wait_for_log(page, "e.type === 'synccomplete'")
    yield page
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def catalogue(transactional_db):
    """A demo catalogue and its snapshots, as `make run` sets them up."""
    call_command("seed_catalogue", products=40, categories=6, seed=3, verbosity=0)
    call_command("build_snapshots", verbosity=0, stdout=io.StringIO())
