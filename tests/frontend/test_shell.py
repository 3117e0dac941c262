"""The app shell, its web app manifest and service worker, as production serves them, under the CSP.

Most tests run against `collectstatic` output made with the real storage
(fixtures `production_static`, `prod_server` in conftest.py), so the URLs
checked are the hashed ones a deployment serves.
"""

import io
import json
import posixpath
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from PIL import Image

from frontend.views import release_id
from tests.frontend.browser import ACTIVE, CONTROLLED, poll_async, sync, wait_until

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

STRICT_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "connect-src": {"'self'"},
    "worker-src": {"'self'"},
    "manifest-src": {"'self'"},
    "font-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
# Swagger UI's page (drf-spectacular) carries an inline <script> and <style>.
DOCS_POLICY = {
    **STRICT_POLICY,
    "script-src": {"'self'", "'unsafe-inline'"},
    "style-src": {"'self'", "'unsafe-inline'"},
}
# What Page.getInstallabilityErrors may still report while the worker has no handlers (sw-main.js absent).
SERVICE_WORKER_ERROR_IDS = {"no-matching-service-worker", "not-offline-capable", "warn-not-offline-capable"}

APP_JS = "frontend/js/app.js"
SW_MAIN_JS = "frontend/js/sw-main.js"


def parse_policy(header: str) -> dict[str, set[str]]:
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: set(sources) for name, *sources in directives}


def sw_globals(source: str) -> dict:
    """The values /sw.js assigns to self.RELEASE, self.PRECACHE and self.STATIC_URLS."""
    values = {}
    for name in ("RELEASE", "PRECACHE", "STATIC_URLS"):
        match = re.search(rf"^self\.{name} = (.*?);$", source, re.MULTILINE | re.DOTALL)
        assert match, f"/sw.js does not assign self.{name}"
        values[name] = json.loads(match.group(1))
    return values


def collected_paths(static_root) -> dict[str, str]:
    """The storage manifest written by collectstatic: {name: hashed name}."""
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


class Markup(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_code: list[str] = []  # text inside <script> and <style>
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = tag

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open in {"script", "style"} and data.strip():
            self.inline_code.append(data)

    def find(self, tag, **attrs) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def watch_csp(page) -> list[str]:
    """CSP violations on `page`: the console's reports and the page's securitypolicyviolation events."""
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return messages


def csp_violations(page, messages: list[str]) -> list[str]:
    return messages + page.evaluate("window.__cspViolations")


# --- The release id


def test_release_id_is_short_stable_and_changes_with_any_file():
    files = ["/static/frontend/js/app.1a2b3c.js", "/static/frontend/css/app.4d5e6f.css"]
    changed = ["/static/frontend/js/app.7a8b9c.js", "/static/frontend/css/app.4d5e6f.css"]

    assert re.fullmatch(r"[0-9a-f]{16}", release_id(files))
    assert release_id(files) == release_id(reversed(files))  # order-independent
    assert release_id(changed) != release_id(files)
    assert release_id([*files, "/static/frontend/js/new.0f0f0f.js"]) != release_id(files)


def test_without_manifest_the_release_follows_file_contents(client, settings, tmp_path):
    """DEBUG and tests serve unhashed files: a content change must still make a new worker."""
    probe = tmp_path / "frontend" / "js" / "probe.js"
    probe.parent.mkdir(parents=True)
    probe.write_text("export const answer = 41;\n")
    settings.STATICFILES_DIRS = [tmp_path]

    before = sw_globals(client.get("/sw.js").content.decode())
    probe.write_text("export const answer = 42;\n")
    after = sw_globals(client.get("/sw.js").content.decode())

    assert "/static/frontend/js/probe.js" in before["PRECACHE"]
    assert before["STATIC_URLS"]["probe"] == "/static/frontend/js/probe.js"
    assert after["PRECACHE"] == before["PRECACHE"]
    assert after["RELEASE"] != before["RELEASE"]


# --- /sw.js


def test_service_worker_precaches_exactly_the_hashed_files_of_the_release(client, production_static):
    paths = collected_paths(production_static)
    frontend = {name: hashed for name, hashed in paths.items() if name.startswith("frontend/")}
    hashed_urls = {settings.STATIC_URL + hashed for hashed in frontend.values()}

    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "text/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    found = sw_globals(source)
    precache = found["PRECACHE"]
    assert len(precache) == len(set(precache))
    assert set(precache) == {"/", "/manifest.webmanifest"} | hashed_urls
    assert all(hashed != name for name, hashed in frontend.items())  # every file under its hashed name
    assert {"frontend/css/app.css", "frontend/icons/icon-192.png", SW_MAIN_JS} <= set(frontend)
    assert found["STATIC_URLS"] == {
        name.removeprefix("frontend/js/").removesuffix(".js"): settings.STATIC_URL + hashed
        for name, hashed in frontend.items()
        if name.startswith("frontend/js/") and name.endswith(".js")
    }
    # The worker is the config plus static imports of sw-main.js's whole module graph, sw-main.js last.
    imports = re.findall(r'^import "([^"]+)";$', source, re.MULTILINE)
    assert imports[-1] == found["STATIC_URLS"]["sw-main"]
    assert len(imports) == len(set(imports))
    assert_whole_graph_in_order(production_static, imports)
    assert re.fullmatch(r"[0-9a-f]{16}", found["RELEASE"])


SPECIFIER = re.compile(r"""(?:\b(?:import|export)\b[\w\s{},*$]*?\bfrom\s*|\bimport\s*\(?\s*)['"]([./][^'"]*)['"]""")


# Static imports only: the module graph a module script or worker loads before it runs.
STATIC_SPECIFIER = re.compile(r"""(?:\b(?:import|export)\b[\w\s{},*$]*?\bfrom\s*|\bimport\s*)['"]([./][^'"]*)['"]""")


def imported_urls(static_root, url: str, specifier: re.Pattern = SPECIFIER) -> list[str]:
    """The URLs a collected module imports (its specifiers, resolved against its own URL)."""
    source = (static_root / url.removeprefix(settings.STATIC_URL)).read_text()
    return [posixpath.normpath(posixpath.join(posixpath.dirname(url), target)) for target in specifier.findall(source)]


def assert_whole_graph_in_order(static_root, urls: list[str]) -> None:
    """`urls` hold every module any of them imports, each after all it imports (the last is the root)."""
    for at, url in enumerate(urls):
        for dependency in imported_urls(static_root, url, STATIC_SPECIFIER):
            assert dependency in urls[:at], f"{url} imports {dependency}, not named before it"


def test_modules_import_only_files_the_worker_precaches(client, production_static):
    """collectstatic rewrote every relative import to a hashed name of the same release."""
    precache = set(sw_globals(client.get("/sw.js").content.decode())["PRECACHE"])
    modules = [url for url in precache if url.endswith(".js")]
    assert modules

    for url in modules:
        for resolved in imported_urls(production_static, url):
            assert resolved in precache, f"{url} imports {resolved}, which the worker does not precache"


def test_release_changes_with_the_collected_files(client, production_static):
    shell_release = Markup(client.get("/").content.decode()).find("meta", name="release")[0]["content"]
    found = sw_globals(client.get("/sw.js").content.decode())
    paths = collected_paths(production_static)
    hashed = [settings.STATIC_URL + paths[name] for name in paths if name.startswith("frontend/")]

    assert found["RELEASE"] == shell_release
    assert found["RELEASE"] == release_id(hashed)
    # A new content of any one file is a new hashed name, so a new release.
    changed = re.sub(r"\.[0-9a-f]{12}\.", ".000000000000.", hashed[0])
    assert changed != hashed[0]
    assert release_id([changed, *hashed[1:]]) != found["RELEASE"]


# --- The shell and the manifest


def test_shell_is_markup_only_with_one_module_its_preloaded_graph_and_one_stylesheet(client, production_static):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-cache"
    page = Markup(response.content.decode())
    assert page.inline_code == []
    assert page.find("style") == []
    assert not [attrs for _, attrs in page.tags if "style" in attrs or any(k.startswith("on") for k in attrs)]
    scripts = page.find("script")
    assert scripts == [{"type": "module", "src": scripts[0]["src"]}]
    stylesheets = page.find("link", rel="stylesheet")
    assert len(stylesheets) == 1
    paths = collected_paths(production_static)
    assert stylesheets[0]["href"] == settings.STATIC_URL + paths["frontend/css/app.css"]
    if APP_JS in paths:
        assert scripts[0]["src"] == settings.STATIC_URL + paths[APP_JS]
        # app.js's whole module graph is preloaded: it downloads in one round, not level by level.
        preloaded = [attrs["href"] for attrs in page.find("link", rel="modulepreload")]
        assert len(preloaded) == len(set(preloaded)) > 10
        assert_whole_graph_in_order(production_static, [*preloaded, scripts[0]["src"]])
    # Every asset from this origin, by path.
    urls = [attrs[key] for _, attrs in page.tags for key in ("src", "href") if attrs.get(key)]
    assert all(url.startswith("/") and not url.startswith("//") for url in urls)
    # Head and landmarks the UI fills.
    assert page.find("meta", name="viewport")
    assert page.find("meta", name="theme-color")
    assert page.find("link", rel="manifest", href="/manifest.webmanifest")
    assert page.find("link", rel="apple-touch-icon")
    assert page.find("div", id="app")
    assert page.find("header")
    assert page.find("div", id="status", role="status", **{"aria-live": "polite"})
    assert page.find("nav", id="categories", **{"aria-label": "Categories"})
    assert page.find("main", id="main")
    assert page.find("dialog", id="dialog")
    assert page.find("noscript")


def test_manifest_describes_an_installable_app_with_hashed_icons(client, production_static):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Catalogue"
    assert manifest["short_name"]
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["background_color"].startswith("#")
    assert manifest["theme_color"].startswith("#")
    icons = {(icon["sizes"], icon["purpose"]): icon for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    hashed_urls = {settings.STATIC_URL + hashed for hashed in collected_paths(production_static).values()}
    for (sizes, _), icon in icons.items():
        assert icon["src"] in hashed_urls
        served = client.get(icon["src"])
        assert served.status_code == 200
        image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
        assert (image.format, f"{image.width}x{image.height}") == ("PNG", sizes)


def test_the_shell_carries_what_ios_needs_to_add_the_app_to_the_home_screen(client, production_static):
    """Safari reads none of the manifest's icons: it needs its own touch icon (180 px), a status bar
    style, and the app marked as opening standalone, beside the manifest's `display`."""
    page = Markup(client.get("/").content.decode())

    def meta(name):
        return [attrs["content"] for attrs in page.find("meta", name=name)]

    assert meta("apple-mobile-web-app-capable") == meta("mobile-web-app-capable") == ["yes"]
    assert meta("apple-mobile-web-app-status-bar-style") in (["default"], ["black"], ["black-translucent"])
    assert meta("apple-mobile-web-app-title") == ["Catalogue"]
    [touch_icon] = page.find("link", rel="apple-touch-icon")
    assert (
        touch_icon["href"]
        == settings.STATIC_URL + collected_paths(production_static)["frontend/icons/apple-touch-icon.png"]
    )
    image = Image.open(io.BytesIO(b"".join(client.get(touch_icon["href"]).streaming_content)))
    assert (image.format, image.size) == ("PNG", (180, 180))
    assert image.convert("RGBA").getextrema()[3] == (255, 255)  # opaque: iOS fills transparency black
    assert client.get("/manifest.webmanifest").json()["display"] == "standalone"


@pytest.mark.parametrize("url", ["/favourites/", "/categories/c-1/", "/products/9f0e/?q=drill"])
def test_the_apps_own_paths_answer_with_the_shell(client, production_static, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.content == client.get("/").content


@pytest.mark.parametrize("url", ["/products/", "/products/a/b/", "/categories/"])
def test_other_paths_are_not_the_app(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/", "/manifest.webmanifest", "/sw.js"])
def test_app_responses_carry_the_strict_policy(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert parse_policy(response["Content-Security-Policy"]) == STRICT_POLICY


def test_only_the_api_docs_page_allows_inline_code(client, admin_client):
    assert parse_policy(client.get("/api/docs/")["Content-Security-Policy"]) == DOCS_POLICY
    assert parse_policy(client.get("/admin/login/")["Content-Security-Policy"]) == STRICT_POLICY
    assert parse_policy(admin_client.get("/admin/")["Content-Security-Policy"]) == STRICT_POLICY
    assert parse_policy(client.get("/api/sync/config/")["Content-Security-Policy"]) == STRICT_POLICY


# --- In Chromium


def test_shell_is_installable_in_chromium(prod_server, browser_context, page, production_static):
    paths = collected_paths(production_static)
    base = prod_server.url
    violations = watch_csp(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(base + "/")
    assert page.locator("meta[name=release]").get_attribute("content") == release_id(
        [settings.STATIC_URL + hashed for name, hashed in paths.items() if name.startswith("frontend/")]
    )
    cdp = browser_context.new_cdp_session(page)
    app_manifest = cdp.send("Page.getAppManifest")
    assert app_manifest["errors"] == []
    assert app_manifest["url"] == base + "/manifest.webmanifest"
    parsed = app_manifest["manifest"]
    assert (parsed["name"], parsed["startUrl"], parsed["scope"]) == ("Catalogue", base + "/", base + "/")
    manifest = json.loads(app_manifest["data"])
    for icon in manifest["icons"]:
        served = page.request.get(base + icon["src"])
        assert (served.status, served.headers["content-type"]) == (200, "image/png")

    if APP_JS not in paths:  # app.js registers the worker; until it exists, the test does
        page.evaluate("navigator.serviceWorker.register('/sw.js', {type: 'module', scope: '/'})")
    if SW_MAIN_JS in paths:
        wait_until(page, CONTROLLED)  # sw-main.js claims the page
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    else:  # a worker without handlers: only errors about the worker are acceptable
        wait_until(page, ACTIVE)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert {error["errorId"] for error in errors} <= SERVICE_WORKER_ERROR_IDS

    assert all(url.startswith(base + "/") for url in requested)
    assert csp_violations(page, violations) == []


CACHED_PATHS = """async () => {
    const urls = [];
    for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
}"""


def test_worker_precaches_the_release(prod_server, browser_context, page, production_static):
    paths = collected_paths(production_static)
    assert SW_MAIN_JS in paths, "sw-main.js is part of every release"
    page.goto(prod_server.url + "/")
    if APP_JS not in paths:
        page.evaluate("navigator.serviceWorker.register('/sw.js', {type: 'module', scope: '/'})")
    wait_until(page, CONTROLLED)

    # A device's first worker activates at once and caches the release beside the first sync.
    precache = sw_globals(page.request.get(prod_server.url + "/sw.js").text())["PRECACHE"]
    wait_until(page, poll_async(f"(await ({CACHED_PATHS})()).length >= {len(precache)}"))
    assert set(precache) <= set(page.evaluate(CACHED_PATHS))


def test_the_first_sync_completes_with_the_release_cached_and_a_restarted_worker_caches_what_is_missing(
    app, context, prod_server
):
    precache = sw_globals(app.request.get(prod_server.url + "/sw.js").text())["PRECACHE"]
    assert set(precache) <= set(app.evaluate(CACHED_PATHS))  # at the first synccomplete, without waiting

    stylesheet = next(url for url in precache if url.endswith(".css"))
    assert app.evaluate(
        "async (url) => (await Promise.all((await caches.keys()).map(async (n) => (await caches.open(n)).delete(url))))"
        ".some(Boolean)",
        stylesheet,
    )
    cdp = context.new_cdp_session(app)
    cdp.send("ServiceWorker.enable")
    cdp.send("ServiceWorker.stopAllWorkers")  # as the browser does with an idle worker

    sync(app, "all")

    assert stylesheet in app.evaluate(CACHED_PATHS)


def test_api_docs_render_in_chromium_under_the_csp(prod_server, page):
    violations = watch_csp(page)

    page.goto(prod_server.url + "/api/docs/")

    page.locator(".swagger-ui").wait_for()  # Swagger UI rendered from local assets only
    page.locator(".opblock").first.wait_for()  # the inline script loaded the schema
    assert csp_violations(page, violations) == []


def test_admin_works_in_chromium_under_the_strict_csp(prod_server, page, django_user_model, product):
    django_user_model.objects.create_superuser("root", password="root-password-1")
    violations = watch_csp(page)

    page.goto(prod_server.url + "/admin/login/")
    assert csp_violations(page, violations) == []
    page.fill("#id_username", "root")
    page.fill("#id_password", "root-password-1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    assert csp_violations(page, violations) == []
    page.goto(prod_server.url + "/admin/catalogue/product/")
    page.locator("#action-toggle").check()  # actions.js selects every row
    page.locator(".action-select:checked").first.wait_for()
    assert csp_violations(page, violations) == []
    page.goto(prod_server.url + "/admin/catalogue/product/add/")
    page.locator(".select2-container").first.wait_for()  # the autocomplete widget's script ran
    page.locator(".select2-selection").first.click()
    page.locator(".select2-results__option", has_text=product.category.name).wait_for()  # its fetch got an answer
    assert csp_violations(page, violations) == []
