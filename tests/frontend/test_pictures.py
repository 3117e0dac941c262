"""Product pictures offline: kept as the server's configuration says, within its budget, replaced
with the product's picture, and the first thing to go when the disk is full."""

import io
import json
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalogue import images
from catalogue.models import Favourite, Product
from tests.conftest import make_product
from tests.frontend.browser import (
    configure,
    idb_count,
    mark,
    poll,
    poll_async,
    signed_in,
    sync,
    wait_for,
    wait_idle,
    wait_until,
)

# The client's behaviour, which the server's database does not change: the SQLite run only.
pytestmark = pytest.mark.once

CACHED = "(async () => (await (await caches.open('offline-pictures')).keys()).map((r) => new URL(r.url).pathname))()"


def cached(page) -> list[str]:
    return page.evaluate(CACHED)


# Whether the picture at a URL is kept: its response cached and its entry (size, last use) recorded.
# `keep` caches the response first and records it after, so a test that went on (offline, another
# page) once the response was cached would cut the keeping short. The entry is under the full URL.
KEPT = """(async (url) => {
  const cached = (await (await caches.open('offline-pictures')).match(url)) !== undefined;
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('offline-sync-pictures');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  try {
    if (!cached || !db.objectStoreNames.contains('pictures')) return false;
    const store = db.transaction('pictures').objectStore('pictures');
    const key = (name) => new Promise((resolve, reject) => {
      const get = store.getKey(name);
      get.onsuccess = () => resolve(get.result);
      get.onerror = () => reject(get.error);
    });
    return (await key(new URL(url, location.href).href)) !== undefined;
  } finally {
    db.close();
  }
})"""


def wait_cached(page, url: str, present: bool = True):
    """Wait until the picture at `url` is kept (`present`), or until its response is gone."""
    if present:
        condition = f"await {KEPT}({url!r})"
    else:
        condition = f"(await (await caches.open('offline-pictures')).match({url!r})) === undefined"
    wait_until(page, poll_async(condition))


def detail_shows(page, width: int) -> None:
    """Wait until the product's page shows a picture `width` pixels wide (not the placeholder)."""
    image = "document.querySelector('.detail-image')"
    wait_until(page, poll(f"{image}?.complete && {image}.naturalWidth === {width}"))


def noise_picture(seed: int, size=(640, 480)) -> SimpleUploadedFile:
    """A picture that compresses badly, so a few of them fill a budget of 1 MB."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile(f"noise-{seed}.png", buffer.getvalue(), content_type="image/png")


def give_picture(product: Product, seed: int) -> Product:
    product.image = noise_picture(seed)
    product.save()
    return product


def test_a_picture_viewed_online_shows_after_an_offline_reload(app, context, prod_server):
    product = Product.objects.filter(is_active=True).exclude(image_detail="").order_by("name").last()
    app.goto(f"{prod_server.url}/products/{product.pk}/")
    detail_shows(app, product.image_width)
    wait_cached(app, f"/media/images/{product.image_detail}")

    context.set_offline(True)
    app.reload()
    detail_shows(app, product.image_width)


def test_a_picture_neither_kept_nor_reachable_shows_the_placeholder_offline(app, context, prod_server):
    configure(app, offline_images="none")
    product = Product.objects.filter(is_active=True).exclude(image_detail="").order_by("name").last()
    context.set_offline(True)
    app.goto(f"{prod_server.url}/products/{product.pk}/")
    image = "document.querySelector('.detail-image')"
    # The worker answers with the placeholder (an SVG tile), not an error: no broken picture.
    wait_until(app, poll(f"{image}?.complete && {image}.naturalWidth > 0"))
    assert app.evaluate(f"{image}.naturalWidth") == 64  # the placeholder's
    wait_until(app, poll_async(f"(async () => (await {CACHED}).length === 0)()"))  # none kept


def test_with_favourites_a_favourites_picture_is_kept_without_being_viewed(
    app, context, django_user_model, prod_server
):
    user = signed_in(app, django_user_model, "fay")
    product = Product.objects.filter(is_active=True).exclude(image_detail="").order_by("name").last()
    Favourite.objects.create(user=user, product=product)
    configure(app, offline_images="favourites")
    sync(app, "favourites")

    wait_cached(app, f"/media/images/{product.image_detail}")
    wait_cached(app, f"/media/images/{product.image_thumbnail}")
    context.set_offline(True)
    app.goto(f"{prod_server.url}/products/{product.pk}/")
    detail_shows(app, product.image_width)


def stored_noise(seed: int, px: int = 256) -> str:
    """A rendition stored as an upload's would be, of noise: about 45 KB, so 40 fill more than 1 MB."""
    rng = random.Random(seed)
    name = f"{seed:016x}-160.webp"
    images._store(Image.frombytes("RGB", (px, px), rng.randbytes(px * px * 3)), name)
    return name


def test_with_all_thumbnails_are_fetched_ahead_and_stop_at_the_budget(app):
    for seed in range(40):
        name = stored_noise(seed)
        make_product(image=f"products/noise-{seed}.png", image_thumbnail=name, image_detail=name, image_width=256,
                     image_height=256)  # fmt: skip
    names = {p.image_thumbnail for p in Product.objects.filter(is_active=True).exclude(image_thumbnail="")}
    thumbnails = {f"/media/images/{name}" for name in names}
    sizes = [images.image_storage().size(name) for name in names]
    assert sum(sizes) > 1024 * 1024  # more than the budget: fetching must stop

    configure(app, offline_images="all", offline_images_mb=1)
    outcome = app.evaluate("window.offlineSync.pictures.keep()")

    usage = app.evaluate("window.offlineSync.pictures.usage()")
    assert outcome["full"] is True
    assert usage["bytes"] <= 1024 * 1024
    assert usage["bytes"] > 1024 * 1024 - 2 * max(sizes)  # it filled the budget, then stopped
    assert thumbnails & set(cached(app))
    assert not thumbnails <= set(cached(app))


# Each cached picture's full URL (the worker keys its entries by it), and how many entries the budget counts.
PICTURES_KEPT = """(async () => {
    const urls = (await (await caches.open('offline-pictures')).keys()).map((request) => request.url);
    const { count } = await window.offlineSync.pictures.usage();
    const everyOneRecorded = (await Promise.all(urls.map((url) => KEPT_FN(url)))).every(Boolean);
    return { responses: urls.length, entries: count, everyOneRecorded };
})()"""


def test_a_picture_shown_in_the_list_and_fetched_ahead_is_kept_and_counted_once(app):
    for seed in range(6):
        name = stored_noise(seed)
        make_product(name=f"ZZZ noise {seed}", image=f"products/noise-{seed}.png", image_thumbnail=name,
                     image_detail=name, image_width=256, image_height=256)  # fmt: skip
    configure(app, offline_images="all")  # last by name: not in the rows shown, so fetched ahead
    kept = PICTURES_KEPT.replace("KEPT_FN", KEPT)

    # Fetched ahead by the page (after the sync configure ran, or by this call), through the worker,
    # which keeps what it fetches too; the page's keeping is over when this returns, the worker's may not be.
    app.evaluate("window.offlineSync.pictures.keep()")
    state = wait_until(app, poll_async(f"((k) => k.everyOneRecorded && k.responses >= 6 && k)(await {kept})"))

    assert state["entries"] == state["responses"]


def test_a_picture_replaced_in_the_admin_reaches_the_device_and_the_old_one_is_forgotten(app, prod_server):
    product = give_picture(Product.objects.filter(is_active=True).order_by("name").first(), seed=1)
    sync(app, "catalogue")
    app.goto(f"{prod_server.url}/products/{product.pk}/")
    detail_shows(app, 640)
    old = f"/media/images/{product.image_detail}"
    wait_cached(app, old)

    give_picture(product, seed=2)
    new = f"/media/images/{product.image_detail}"
    sync(app, "catalogue")

    wait_until(app, poll(f"document.querySelector('.detail-image')?.getAttribute('src') === {new!r}"))
    detail_shows(app, 640)
    wait_cached(app, new)
    wait_cached(app, old, present=False)


FULL_ONCE = """() => {
    self.__put = self.__put ?? IDBObjectStore.prototype.put;
    let full = true;
    IDBObjectStore.prototype.put = function (...args) {
        if (this.name === 'segments' && full) {
            full = false;
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return self.__put.apply(this, args);
    };
}"""
RESTORE = "() => { IDBObjectStore.prototype.put = self.__put; }"


def test_a_full_disk_evicts_pictures_and_keeps_the_data_and_the_outbox(app, context, django_user_model, prod_server):
    signed_in(app, django_user_model, "quinn")
    product = Product.objects.filter(is_active=True).exclude(image_detail="").order_by("name").last()
    app.goto(f"{prod_server.url}/products/{product.pk}/")
    detail_shows(app, product.image_width)
    wait_cached(app, f"/media/images/{product.image_detail}")
    wait_idle(app)
    context.set_offline(True)
    app.locator("#detail-favourite").click()
    wait_until(app, poll("window.offlineSync.replica.pendingCount() === 1"))
    # Nothing on screen shows a picture now, so none is asked for (and kept) again after the sync.
    app.keyboard.press("Escape")
    app.fill("#search", "no product is called this")
    wait_until(app, poll("document.querySelectorAll('li.product-row').length === 0"))
    Product.objects.filter(pk=product.pk).update(stock=4321)  # the next sync stores a page

    worker = context.service_workers[0]
    for where in (worker, app):  # the sync runs in the worker, or in the page if it comes first
        where.evaluate(FULL_ONCE)
    start = mark(app)
    context.set_offline(False)
    wait_for(app, start, "synccomplete", "all")
    for where in (worker, app):
        where.evaluate(RESTORE)

    assert cached(app) == []  # the pictures made room
    assert app.evaluate("window.offlineSync.pictures.usage()")["count"] == 0
    assert Favourite.objects.filter(product=product).exists()  # the outbox was sent, not evicted
    assert idb_count(app, "outbox") == 0
    wait_until(app, poll(f"window.offlineSync.replica.get('products', {str(product.pk)!r})?.stock === 4321"))


FORGET_ALL = """async () => {
    await caches.delete('offline-pictures');
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open('offline-sync-pictures');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    await new Promise((resolve, reject) => {
        const tx = db.transaction(['pictures', 'state'], 'readwrite');
        tx.objectStore('pictures').clear();
        tx.objectStore('state').clear();
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
    });
    db.close();
}"""


def wait_all_cached(page, urls: set[str]):
    wanted = json.dumps(sorted(urls))
    wait_until(page, poll_async(f"(async () => {{ const kept = await {CACHED}; "
                                f"return {wanted}.every((url) => kept.includes(url)); }})()"))  # fmt: skip


def test_with_all_fetching_ahead_waits_while_offline_and_resumes_online(app, context):
    thumbnails = {
        f"/media/images/{p.image_thumbnail}" for p in Product.objects.filter(is_active=True) if p.image_thumbnail
    }
    configure(app, offline_images="all", offline_images_mb=50)
    wait_all_cached(app, thumbnails)  # the app fetched every thumbnail ahead after the sync
    app.evaluate("window.offlineSync.pictures.keep()")  # and its run is over (runs go one after another)

    context.set_offline(True)
    app.evaluate(FORGET_ALL)  # as on a device where nothing was kept yet
    outcome = app.evaluate("window.offlineSync.pictures.keep()")
    assert outcome["fetched"] == 0  # offline: it waits
    assert cached(app) == []

    context.set_offline(False)  # the `online` event resumes it
    wait_all_cached(app, thumbnails)


def test_with_all_nothing_is_fetched_ahead_when_the_connection_asks_to_save_data(app, context):
    configure(app, offline_images="all", offline_images_mb=50)
    app.evaluate("Object.defineProperty(navigator, 'connection', {value: {saveData: true}, configurable: true})")
    assert app.evaluate("window.offlineSync.pictures.keep()") is None


def test_signing_out_deletes_the_pictures_kept(app, django_user_model, prod_server):
    signed_in(app, django_user_model, "sid")
    product = Product.objects.filter(is_active=True).exclude(image_detail="").order_by("name").last()
    app.goto(f"{prod_server.url}/products/{product.pk}/")
    detail_shows(app, product.image_width)
    wait_cached(app, f"/media/images/{product.image_detail}")
    app.keyboard.press("Escape")
    app.fill("#search", "no product is called this")  # no picture on screen asked for again

    app.click("#sign-out")
    app.locator("#sign-in").wait_for()

    wait_until(app, poll_async(f"(async () => (await {CACHED}).length === 0)()"))
    assert app.evaluate("window.offlineSync.pictures.usage()")["count"] == 0
