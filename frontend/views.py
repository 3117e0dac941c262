"""The offline app: its shell at `/`, the web app manifest and the service worker.

A *release* is the set of static files under `frontend/` (icons, css, js) as
served right now. With the manifest storage (production, after
collectstatic) those are the hashed URLs, so a change to any file's content
is a new URL, a new release id, new `/sw.js` bytes and so a new service
worker. Without it (DEBUG, tests that skip collectstatic) the unhashed URLs
are served and the release id follows the files' contents.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.apps import StaticFilesConfig
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from frontend.modules import module_graph
from frontend.routes import APP_ROUTE_JS

FRONTEND_PREFIX = "frontend/"
JS_PREFIX = "frontend/js/"
APP_JS = "frontend/js/app.js"
SW_MAIN_JS = "frontend/js/sw-main.js"

APP_NAME = "Catalogue"
THEME_COLOR = "#0f766e"
BACKGROUND_COLOR = "#ffffff"


def release_id(fingerprints: Iterable[str]) -> str:
    """A short, order-independent id of a release: any change in `fingerprints` gives another id."""
    digest = hashlib.sha256("\n".join(sorted(fingerprints)).encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Release:
    id: str
    files: dict[str, str]  # static name ("frontend/js/app.js") -> URL served for it in this release

    @property
    def urls(self) -> list[str]:
        return sorted(self.files.values())

    def url(self, name: str) -> str:
        """The URL of a file of the release; a missing file gets its unhashed URL (a 404, not a 500)."""
        return self.files.get(name) or settings.STATIC_URL + name

    def graph_urls(self, name: str) -> list[str]:
        """The URLs of module `name`'s whole import graph in this release, dependencies first, `name` last."""
        return [self.files[module] for module in module_graph(name, self.id) if module in self.files]

    @property
    def js_modules(self) -> dict[str, str]:
        """`{"engine": url, "views/list": url, ...}` for every module under frontend/js/."""
        return {
            name.removeprefix(JS_PREFIX).removesuffix(".js"): url
            for name, url in sorted(self.files.items())
            if name.startswith(JS_PREFIX) and name.endswith(".js")
        }


def current_release() -> Release:
    storage = staticfiles_storage
    if isinstance(storage, ManifestFilesMixin) and storage.hashed_files:
        # The manifest written by collectstatic: exactly what this deployment serves.
        # Its hashed URLs change with the files' contents, so they identify the release.
        names = [name for name in storage.hashed_files if name.startswith(FRONTEND_PREFIX)]
        files = {name: storage.url(name) for name in names}
        return Release(release_id(files.values()), files)
    # No manifest: the source files as the finders see them (first match wins,
    # as in collectstatic), fingerprinted by content.
    files: dict[str, str] = {}
    fingerprints = []
    for finder in finders.get_finders():
        for path, source in finder.list(StaticFilesConfig.ignore_patterns):
            name = path.replace("\\", "/")
            if not name.startswith(FRONTEND_PREFIX) or name in files:
                continue
            with source.open(path) as handle:
                content_hash = hashlib.sha256(handle.read()).hexdigest()
            files[name] = static(name)
            fingerprints.append(f"{files[name]} {content_hash}")
    return Release(release_id(fingerprints), files)


def _no_cache(response: HttpResponse) -> HttpResponse:
    # Each names the current release's hashed URLs: always revalidate.
    patch_cache_control(response, no_cache=True)
    return response


@require_safe
def shell(request: HttpRequest) -> HttpResponse:
    """The app shell: markup only; app.js fills it. Precached by the service worker.

    It names app.js's whole module graph (`modulepreload`), so that it
    downloads in one round rather than level by level.
    """
    release = current_release()
    context = {
        "release": release.id,
        "app_js": release.url(APP_JS),
        "preload": [url for url in release.graph_urls(APP_JS) if url != release.url(APP_JS)],
        "theme_color": THEME_COLOR,
        "title": APP_NAME,
    }
    return _no_cache(render(request, "frontend/shell.html", context))


@require_safe
def web_app_manifest(request: HttpRequest) -> HttpResponse:
    icon = "frontend/icons/{}.png"
    manifest = {
        "id": "/",
        "name": APP_NAME,
        "short_name": APP_NAME,
        "description": "The product catalogue, offline.",
        "start_url": reverse("frontend:shell"),
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static(icon.format("icon-192")), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static(icon.format("icon-512")), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static(icon.format("icon-maskable-512")),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return _no_cache(JsonResponse(manifest, content_type="application/manifest+json"))


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """`/sw.js`: the release's precache list and module URLs, then `import` of sw-main.js.

    It imports sw-main.js's whole module graph itself, so that the worker's
    modules download in one round rather than level by level.

    Served from `/` (not /static/) so that it may control scope `/`; never
    cached by HTTP, so the browser sees a new release at its next update check.
    """
    release = current_release()
    precache = [reverse("frontend:shell"), reverse("frontend:manifest"), *release.urls]
    context = {
        "release": json.dumps(release.id),
        "precache": json.dumps(precache, indent=2),
        "static_urls": json.dumps(release.js_modules, indent=2),
        "imports": [json.dumps(url) for url in release.graph_urls(SW_MAIN_JS)] if SW_MAIN_JS in release.files else [],
        "app_route": json.dumps(APP_ROUTE_JS),
    }
    response = render(request, "frontend/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return _no_cache(response)
