"""What the browser keeps: authenticated API answers never land in Cache Storage."""

import pytest

from tests.frontend.browser import signed_in, sync

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  return urls;
}"""


def test_worker_never_caches_api_answers_of_a_signed_in_sync(app, django_user_model):
    signed_in(app, django_user_model, "ida")
    sync(app, "all")

    urls = app.evaluate(CACHED_URLS)

    assert urls  # the release's files are cached: the check looks at a real cache
    assert [url for url in urls if "/api/" in url] == []
