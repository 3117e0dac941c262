{% autoescape off %}// The service worker of release {{ release }}, rendered by frontend.views.service_worker.
// Registered by the page as a module worker:
//   navigator.serviceWorker.register("/sw.js", {type: "module", scope: "/"})
//
// Import declarations are hoisted: sw-main.js (imported below) is evaluated
// BEFORE the assignments that follow run. sw-main.js reads these globals
// lazily, inside its event handlers, never at its top level. (A worker
// cannot use dynamic import(), so the static import is the only way in.)
// sw-main.js comes last, after every module it imports, directly or not:
// named here, they all download at once instead of level by level.

/** Id of this release: a new release is new bytes here, so a new worker. */
self.RELEASE = {{ release }};

/** Every URL of this release to cache at install: the shell, the manifest and each static file under frontend/. */
self.PRECACHE = {{ precache }};

/** The app's own paths (frontend/routes.py): a navigation to one is answered with the cached shell. */
self.APP_ROUTE = new RegExp({{ app_route }});

/** The (hashed) URL of each ES module under frontend/js/, keyed by its path there without ".js". */
self.STATIC_URLS = {{ static_urls }};
{% if imports %}{% for module in imports %}
import {{ module }};{% endfor %}
{% else %}
// frontend/js/sw-main.js is missing from this release: no handlers.
{% endif %}{% endautoescape %}
