"""A new release installs a new worker and the page offers "update available — reload"."""

import dataclasses

import pytest

import frontend.views
from tests.frontend.browser import poll, wait_until

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once


def test_a_new_release_offers_an_update_and_reloads_into_it(app, monkeypatch):
    old = app.locator("meta[name=release]").get_attribute("content")
    real = frontend.views.current_release
    monkeypatch.setattr(frontend.views, "current_release", lambda: dataclasses.replace(real(), id=f"{old[::-1]}"))

    app.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    button = app.locator("button#update-reload")
    button.wait_for(state="visible")
    assert app.locator("meta[name=release]").get_attribute("content") == old  # nothing mixed in meanwhile

    with app.expect_navigation():
        button.click()
    wait_until(app, poll("document.documentElement.dataset.ready === 'true'"))
    assert app.locator("meta[name=release]").get_attribute("content") == old[::-1]
    assert wait_until(app, "navigator.serviceWorker.ready.then((r) => !r.waiting)")
