"""The app's own paths (frontend/static/frontend/js/routes.js makes and reads them).

Each is answered with the shell, by Django here and, offline, by the service
worker, which gets this pattern in `/sw.js`.
"""

# A product, a category or the favourites; "/" is the shell's own path.
APP_PATHS = r"(?:favourites|products/[^/]+|categories/[^/]+)/"

# The same, as a JavaScript regular expression source for a URL's pathname ("/" included).
APP_ROUTE_JS = rf"^/(?:{APP_PATHS})?$"
