"""On an iPhone, where no browser offers an install prompt, the app explains how to add it to the
home screen: once, until dismissed. Chromium stands in for Safari by its user agent."""

import pytest

from tests.frontend.browser import SYNC_LOG_SCRIPT, open_app, poll, wait_until
from tests.frontend.conftest import ARGS, CHROMIUM, close

pytestmark = pytest.mark.once  # the client's own behaviour, whatever the server's database

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.5 Mobile/15E148 Safari/604.1"
)
HINT = "#home-screen-hint"


@pytest.fixture
def iphone(playwright_instance, tmp_path, prod_server, catalogue):
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=ARGS,
        user_agent=IPHONE_SAFARI,
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    context.add_init_script(SYNC_LOG_SCRIPT)
    yield context.pages[0]
    close(context)


def test_safari_on_an_iphone_shows_how_to_add_the_app_to_the_home_screen_until_dismissed(iphone, prod_server):
    open_app(iphone, prod_server.url)
    hint = iphone.locator(HINT)
    hint.wait_for(state="visible")
    assert "Add to Home Screen" in hint.inner_text()

    iphone.click("#dismiss-home-screen-hint")
    assert hint.count() == 0
    iphone.reload()
    wait_until(iphone, poll("document.documentElement.dataset.ready === 'true'"))
    assert iphone.locator(HINT).count() == 0


def test_the_app_started_from_the_home_screen_shows_no_hint(iphone, prod_server):
    iphone.add_init_script("Object.defineProperty(Navigator.prototype, 'standalone', { get: () => true });")
    open_app(iphone, prod_server.url)

    assert iphone.locator("#status").is_visible()
    assert iphone.locator(HINT).count() == 0


def test_browsers_with_an_install_prompt_show_no_hint(app):
    assert app.locator(HINT).count() == 0
