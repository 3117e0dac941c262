"""The app in WebKit and Firefox: one small driver over both engines' W3C WebDriver implementations.

Playwright drives Chromium only here (it cannot use Debian's WebKit or Firefox):

- WebKit is WebKitGTK's MiniBrowser (Debian's `webkit2gtk-driver` brings it and
  `WebKitWebDriver`), driven by Selenium's WebKitGTK driver on an Xvfb screen.
- Firefox is Debian's `firefox-esr`, headless, driven over Marionette by
  Mozilla's `marionette_driver`, which starts it on a fresh profile: no
  downloaded driver.

`Browser` gives the tests the few things they need from either: open a URL,
run a script (its promise awaited: W3C's Execute Script), wait until a
condition holds, click and type into elements found by CSS selector.
`WEBKIT_BROWSER`, `FIREFOX_PATH` and `WEBKIT_DRIVER` point elsewhere.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

MINIBROWSER = os.environ.get("WEBKIT_BROWSER") or min(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"), default="")
WEBKIT_DRIVER = os.environ.get("WEBKIT_DRIVER", "/usr/bin/WebKitWebDriver")
FIREFOX = os.environ.get("FIREFOX_PATH", "/usr/bin/firefox-esr")

# Firefox on a test profile: no first-run pages, no update or telemetry traffic this network refuses.
FIREFOX_PREFS = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "extensions.update.enabled": False,
    # navigator.storage.persist() asks the user in Firefox: answered "not now" without a prompt.
    "dom.storageManager.prompt.testing": True,
    "dom.storageManager.prompt.testing.allow": False,
}

ENGINES = ("webkit", "firefox")

# The page checks CONDITION until it holds or `arguments[0]` ms have passed, within one script run
# (shorter than the drivers' script timeout): {value, error} of the last check.
WAIT_FOR = """return new Promise((resolve) => {
    const deadline = Date.now() + arguments[0];
    const check = async () => {
        let value = null, error = null;
        try { value = await (CONDITION); } catch (e) { error = String(e); }
        if (value || Date.now() >= deadline) resolve({ value, error });
        else setTimeout(check, 25);
    };
    check();
});"""
WAIT_SCRIPT_MS = 25_000

# Where the page is and what it says, for a failure's message.
SHOWN = "[location.href, document.title, (document.body?.innerText ?? '').slice(0, 300)]"


class Browser:
    """One engine's session, through the W3C WebDriver calls both implement."""

    def __init__(self, name: str, driver, *, navigate, find, run, delete_site_data=None):
        self.name, self.driver = name, driver
        self._navigate, self._find, self._run = navigate, find, run
        self._delete_site_data = delete_site_data

    def delete_site_data(self, host: str) -> None:
        """Delete everything `host`'s sites keep (storage, caches, workers), as an eviction does.
        Firefox only: WebKitGTK's driver has no way to."""
        if self._delete_site_data is None:
            raise NotImplementedError(f"{self.name} cannot delete a site's data here")
        self._delete_site_data(host)

    def open(self, url: str) -> None:
        self._navigate(url)

    def reload(self) -> None:
        """Load the page's URL again, as a user does (a driver's refresh may bypass the service worker)."""
        self.open(self.value("location.href"))

    def run(self, script: str, *args):
        """Run `script` (a function body; `arguments` holds `args`) in the page; a promise it returns is awaited."""
        return self._run(script, list(args))

    def value(self, expression: str):
        """The value of a JS expression in the page (a promise: its result)."""
        return self.run(f"return ({expression});")

    def wait_for(self, condition: str, timeout_s: float = 20, what: str = ""):
        """Wait until the JS expression `condition` (a promise allowed) is truthy; its value.

        The page checks it every 25 ms until it holds or the deadline passes; a check cut off by a
        navigation (a reload) is started again in the new document.
        """
        deadline = time.monotonic() + timeout_s
        seen = None
        while (left_ms := (deadline - time.monotonic()) * 1000) > 0:
            try:
                outcome = self.run(WAIT_FOR.replace("CONDITION", condition), min(left_ms, WAIT_SCRIPT_MS))
            except Exception as error:  # a page between two documents cannot run scripts
                seen = error
                continue
            if outcome["value"]:
                return outcome["value"]
            seen = outcome["error"] or repr(outcome["value"])
        raise AssertionError(f"{self.name}: timed out waiting for {what or condition} ({seen}); {self._shown()}")

    def _shown(self) -> str:
        """What the page shows, for a failure's message."""
        try:
            return "the page: " + repr(self.value(SHOWN))
        except Exception as error:
            return f"the page cannot be read ({error})"

    def click(self, selector: str) -> None:
        """Click the element `selector` finds, once there is one (a list may be rendering).

        The click is dispatched to the element itself: a notice that appears between finding it and
        clicking (the server just stopped) moves the page, and a click at its former place would land
        on another element.
        """
        self.wait_for(f"document.querySelector({js(selector)}) !== null", what=selector)
        self.run("document.querySelector(arguments[0]).click();", selector)

    def type(self, selector: str, text: str) -> None:
        element = self._find(selector)
        element.clear()
        element.send_keys(text)

    def texts(self, selector: str) -> list[str]:
        return self.run(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim());", selector
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _xvfb():
    """A virtual screen for MiniBrowser (WebKitGTK has no headless mode of its own here): Xvfb picks a
    free display and writes its number to a pipe once it accepts clients."""
    ready, ready_w = os.pipe()
    screen = subprocess.Popen(
        ["Xvfb", "-displayfd", str(ready_w), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(ready_w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(ready_w)
    try:
        with os.fdopen(ready) as announced:
            number = announced.readline().strip()  # empty if Xvfb exited instead
        if not number:
            raise RuntimeError(f"Xvfb did not start (exit status {screen.wait()})")
        yield f":{number}"
    finally:
        screen.terminate()
        screen.wait()


@contextmanager
def webkit():
    """MiniBrowser, driven by WebKitWebDriver through Selenium. In automation mode its website data
    is ephemeral: every session starts with none, as a fresh profile does."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    with _xvfb() as display:
        options = Options()
        options.binary_location = MINIBROWSER
        options.add_argument("--automation")
        options.add_argument("--enable-write-console-messages-to-stdout=true")
        # WEBKIT_LOG=<file>: the driver's and the browser's output, pages' console messages included.
        service = Service(
            executable_path=WEBKIT_DRIVER,
            env={**os.environ, "DISPLAY": display},
            log_output=os.environ.get("WEBKIT_LOG", subprocess.DEVNULL),
        )
        driver = webdriver.WebKitGTK(options=options, service=service)
        try:
            driver.set_script_timeout(30)
            yield Browser(
                "webkit",
                driver,
                navigate=driver.get,
                find=lambda selector: driver.find_element(By.CSS_SELECTOR, selector),
                run=lambda script, args: driver.execute_script(script, *args),
            )
        finally:
            driver.quit()


@contextmanager
def firefox():
    """Firefox ESR, headless, started by marionette_driver on a fresh profile and driven over Marionette."""
    from marionette_driver.marionette import Marionette

    os.environ["MOZ_HEADLESS"] = "1"
    logs = tempfile.mkdtemp(prefix="firefox-")
    driver = Marionette(
        bin=FIREFOX,
        port=_free_port(),
        prefs=FIREFOX_PREFS,
        startup_timeout=60,
        gecko_log=os.path.join(logs, "gecko.log"),  # the browser's own output, not the test's
    )
    try:
        driver.start_session()
        driver.timeout.script = 30
        yield Browser(
            "firefox",
            driver,
            navigate=driver.navigate,
            find=lambda selector: driver.find_element("css selector", selector),
            # Run in the page's own global (no sandbox): the app's objects are read as the page sees them.
            run=lambda script, args: driver.execute_script(script, script_args=args, sandbox=None),
            delete_site_data=lambda host: _firefox_delete_site_data(driver, host),
        )
    finally:
        driver.cleanup()
        shutil.rmtree(logs, ignore_errors=True)


# Firefox's own service for "Clear cookies and site data", in the browser's privileged context.
FIREFOX_CLEAR_HOST = """return new Promise((resolve) => {
    Services.clearData.deleteDataFromHost(arguments[0], true, Ci.nsIClearDataService.CLEAR_ALL, resolve);
});"""


def _firefox_delete_site_data(driver, host: str) -> None:
    with driver.using_context(driver.CONTEXT_CHROME):
        failed = driver.execute_script(FIREFOX_CLEAR_HOST, script_args=[host])
    if failed:
        raise RuntimeError(f"Firefox could not delete every kind of data of {host} (flags {failed:#x})")


def launch(name: str):
    return {"webkit": webkit, "firefox": firefox}[name]()


def js(value) -> str:
    """A Python value as a JS literal."""
    return json.dumps(value)
