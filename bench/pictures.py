"""Product pictures in the PWA: a fast fling through the 100,000-product list, and what `all` fetches.

A seeded catalogue (90% of its products with a drawn picture) is served by
gunicorn like production (`common.serve`), behind nginx with TLS and HTTP/2
(`bench.https_front`, as a phone reaches a site) and the phone-link proxy
(`bench.shaped_link`, DevTools' "Fast 4G": 8.1 Mbit/s down, 165 ms round
trip), and opened in headless Chromium in a fresh profile at a phone's
viewport (390 × 844) once its first sync is done. In that page:

- **fling**: the list scrolled down `--speed` px a frame (by the page's own
  `requestAnimationFrame`, as a fling moves it) for `--seconds` s, the rows'
  thumbnails loading as they pass (each from the network the first time,
  then from the pictures kept). Measured: the frames dropped (an interval
  above 1.5 frames at 60 Hz counts the frames it skipped) and the longest
  main-thread task (PerformanceObserver `longtask`). Floor, alternately in
  the same page from the same place: the same fling with the thumbnails
  switched off (no picture asked for, their tiles hidden).
- **all**: the configuration set to `offline_images: all` (budget 500 MB)
  and the app's fetching ahead (`offlinePictures.keep()`) timed through the
  link, with the bytes it kept. Floor, in the same page: the same thumbnails
  fetched 12 at a time (as `keep()` fetches them), nothing kept.

The demo's pictures are drawings shared by the products of a subcategory (8
each), so `all` fetches every distinct thumbnail once (280 for the whole
catalogue): bytes per 1,000 products are shown as fetched, and as they
would be if every product had a picture of its own (the mean thumbnail's
bytes × the pictured products).

    .venv/bin/python -m bench.pictures --products 100000 --runs 3
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import urllib.parse

from bench import common
from bench.common import CHROMIUM, Result, print_results
from bench.https_front import BROWSER_ARGS, https_front
from bench.pwa_sync import ARGS
from bench.shaped_link import shaped_proxy

VIEWPORT = {"width": 390, "height": 844}
AHEAD_AT_ONCE = 12  # as frontend/static/frontend/js/sync/pictures.js fetches ahead

OBSERVE = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
}).observe({type: 'longtask', buffered: true});
"""

# The fling: `speed` px a frame for `seconds`, from the top; frames dropped and the longest task meanwhile.
FLING = """async ({speed, seconds, pictures}) => {
  const viewport = document.getElementById('product-viewport');
  document.documentElement.classList.toggle('bench-no-pictures', !pictures);
  viewport.scrollTop = 0;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const start = performance.now();
  const frames = [];
  await new Promise((resolve) => {
    let last = start;
    const step = (now) => {
      frames.push(now - last);
      last = now;
      viewport.scrollTop += speed;
      if (now - start < seconds * 1000) requestAnimationFrame(step); else resolve();
    };
    requestAnimationFrame(step);
  });
  const end = performance.now();
  const frame = 1000 / 60;
  const dropped = frames.slice(1).reduce((sum, ms) => sum + (ms > 1.5 * frame ? Math.round(ms / frame) - 1 : 0), 0);
  const tasks = window.__longTasks.filter(([at]) => at >= start && at <= end).map(([, ms]) => ms);
  return {dropped, frames: frames.length, longestTaskMs: Math.max(0, ...tasks), rows: viewport.scrollTop / 88};
}"""

# Row thumbnails off for the floor: their tiles hidden, and no picture asked for.
NO_PICTURES = """() => {
  const style = document.createElement('style');
  style.textContent = '.bench-no-pictures .row-thumb { visibility: hidden; }';
  document.head.append(style);
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
  Object.defineProperty(HTMLImageElement.prototype, 'src', {
    get() { return src.get.call(this); },
    set(url) {
      if (!document.documentElement.classList.contains('bench-no-pictures')) src.set.call(this, url);
    },
  });
}"""

# A sync brings the configuration (`all`), and the app fetches ahead after it: timed from the sync's
# end until the fetching is done (`keep()` runs after the app's own run), with what it kept.
KEEP_ALL = """async () => {
  const {syncEvents, triggerOfflineDataSync, pictures} = window.offlineSync;
  const before = await pictures.usage();
  await new Promise((resolve) => {
    syncEvents.addEventListener('synccomplete', resolve, {once: true});
    triggerOfflineDataSync('catalogue');
  });
  const started = performance.now();
  await pictures.keep();
  const ms = performance.now() - started;
  const after = await pictures.usage();
  return {ms, fetched: after.count - before.count, bytes: after.bytes - before.bytes};
}"""

# The first sync done: every active product in the replica.
SYNCED = """(active) => new Promise((resolve) => {
  const check = () => (window.offlineSync?.replica.size('products') === active ? resolve() : setTimeout(check, 100));
  check();
})"""

# The same thumbnails fetched as many at a time as the app fetches them (sync/pictures.js
# AHEAD_AT_ONCE), nothing kept (cache-busted: the worker has them now).
FETCH_FLOOR = """async ([urls, atOnce]) => {
  const started = performance.now();
  let next = 0, bytes = 0;
  const worker = async () => {
    while (next < urls.length) {
      const response = await fetch(urls[next++] + '?floor=' + Math.random(), {cache: 'no-store'});
      bytes += (await response.arrayBuffer()).byteLength;
    }
  };
  await Promise.all(Array.from({length: atOnce}, worker));
  return {ms: performance.now() - started, bytes};
}"""


def _set_configuration(database_url: str, **fields) -> None:
    common.manage(common.django_env(database_url), "shell", "-c",
                  "from syncapi.models import SyncConfiguration as C; "
                  f"C.objects.update_or_create(pk=1, defaults={fields!r})")  # fmt: skip


def _active_products(database_url: str) -> int:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from catalogue.models import Product; print(Product.objects.filter(is_active=True).count())"],
        cwd=common.ROOT, env=common.django_env(database_url), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip().splitlines()[-1])


def _thumbnails(page) -> list[str]:
    return page.evaluate("""() => [...new Set(window.offlineSync.replica.all('products')
        .map((p) => p.thumbnail_url).filter(Boolean))]""")


def run_once(playwright, base: str, database_url: str, active: int, *, speed: int, seconds: float) -> dict:
    """One device: its first sync, flings with and without thumbnails in turn, then `all`."""
    with tempfile.TemporaryDirectory(prefix="bench-pictures-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=[*ARGS, *BROWSER_ARGS], viewport=VIEWPORT
        )
        try:
            context.add_init_script(OBSERVE)
            page = context.new_page()
            page.goto(base + "/")
            page.evaluate(SYNCED, active)
            page.evaluate(NO_PICTURES)
            result = {"fling": [], "floor": []}
            for pictures in (True, False, True, False):
                measured = page.evaluate(FLING, {"speed": speed, "seconds": seconds, "pictures": pictures})
                result["fling" if pictures else "floor"].append(measured)
            products = page.evaluate("window.offlineSync.replica.size('products')")
            _set_configuration(database_url, offline_images="all", offline_images_mb=500)
            thumbnails = _thumbnails(page)
            result["all"] = page.evaluate(KEEP_ALL)
            result["all_floor"] = page.evaluate(FETCH_FLOOR, [thumbnails, AHEAD_AT_ONCE])
            result["products"], result["thumbnails"] = products, len(thumbnails)
            return result
        finally:
            context.close()
            _set_configuration(database_url, offline_images="viewed", offline_images_mb=50)


def measure(products: int, runs: int, *, speed: int, seconds: float) -> list[dict]:
    from playwright.sync_api import sync_playwright

    with common.serve(products, name="pictures", environment={"BEHIND_PROXY": "true"}) as (base, url):
        active = _active_products(url)
        port = urllib.parse.urlsplit(base).port
        with https_front(port) as front, shaped_proxy("127.0.0.1", front.port) as proxy, \
                sync_playwright() as playwright:  # fmt: skip
            origin = f"https://127.0.0.1:{proxy.port}"
            return [run_once(playwright, origin, url, active, speed=speed, seconds=seconds) for _ in range(runs)]


def results_for(runs: list[dict], *, speed: int) -> list[Result]:
    size = f"{runs[0]['products']:,} products"
    fling = lambda key: [statistics.median(f[key] for f in run["fling"]) for run in runs]  # noqa: E731
    floor = lambda key: [statistics.median(f[key] for f in run["floor"]) for run in runs]  # noqa: E731
    bytes_ = [run["all"]["bytes"] for run in runs]
    per_thumbnail = [run["all"]["bytes"] / max(1, run["all"]["fetched"]) for run in runs]
    pictured = 0.9
    return [
        Result(bench="Pictures", case=f"{size}: frames dropped in a {speed} px/frame fling, thumbnails on",
               unit="frames", samples=fling("dropped"), floor_samples=floor("dropped"),
               floor="the same fling, thumbnails off",
               note=f"of {statistics.median(fling('frames')):.0f} frames, {statistics.median(fling('rows')):.0f} rows"),
        Result(bench="Pictures", case=f"{size}: longest main-thread task in that fling (0: none of 50 ms)", unit="ms",
               samples=fling("longestTaskMs"), floor_samples=floor("longestTaskMs"),
               floor="the same fling, thumbnails off", goal="≤ 50 ms",
               met=statistics.median(fling("longestTaskMs")) <= 50),
        Result(bench="Pictures", case=f"{size}: `all` fetches the distinct thumbnails ahead, Fast 4G", unit="ms",
               samples=[run["all"]["ms"] for run in runs], floor_samples=[run["all_floor"]["ms"] for run in runs],
               floor=f"the same thumbnails fetched {AHEAD_AT_ONCE} at a time, nothing kept",
               note=f"{runs[0]['thumbnails']} distinct thumbnails"),
        Result(bench="Pictures", case="`all`: bytes per 1,000 products (demo: drawings shared)", unit="bytes",
               samples=[b / (run["products"] / 1000) for b, run in zip(bytes_, runs, strict=True)]),
        Result(bench="Pictures", case="`all`: bytes per 1,000 products if each had a picture of its own",
               unit="bytes", samples=[t * 1000 * pictured for t in per_thumbnail],
               note="mean thumbnail × 900 pictured products"),
    ]  # fmt: skip


def collect(quick: bool = False, dbs: tuple[str, ...] = ()) -> list[Result]:
    """The client's side (the database plays no part: SQLite only)."""
    products, runs, seconds = (300, 1, 1.0) if quick else (100_000, 3, 4.0)
    return results_for(measure(products, runs, speed=120, seconds=seconds), speed=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--speed", type=int, default=120, help="px a frame (120: about 80 rows a second)")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    runs = measure(args.products, args.runs, speed=args.speed, seconds=args.seconds)
    print(f"Pictures, {args.runs} runs (median, range), phone viewport 390 × 844, HTTPS (HTTP/2), Fast 4G")
    results = results_for(runs, speed=args.speed)
    print_results(results, with_bench=False)
    for result in results:
        if result.note:
            print(f"{result.case}: {result.note}")


if __name__ == "__main__":
    main()
