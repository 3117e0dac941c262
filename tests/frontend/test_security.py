"""What the browser keeps: authenticated API answers never land in Cache Storage."""

from tests.frontend.browser import sign_in, sync, wait_for

CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  return urls;
}"""


def test_worker_never_caches_api_answers_of_a_signed_in_sync(app, django_user_model):
    django_user_model.objects.create_user("ida", password="ida-password-1")
    start = sign_in(app, "ida", "ida-password-1")
    wait_for(app, start, "synccomplete", "all")
    sync(app, "all")

    urls = app.evaluate(CACHED_URLS)

    assert urls  # the release's files are cached: the check looks at a real cache
    assert [url for url in urls if "/api/" in url] == []
