"""The first sync over a phone's link: the PWA in headless Chromium behind DevTools' "Fast 4G".

A fresh catalogue (100,000 products by default) is served like production
(gunicorn, DEBUG off, collected static files, snapshots built at set-up as
`make run` builds them), and every byte between the browser and the server
goes through `bench.shaped_link`: one shared link of 8.1 Mbit/s down,
1.35 Mbit/s up and 165 ms round trip, for the page and its service worker
alike. Two ways in, on the same server:

- HTTPS with HTTP/2 through nginx (`bench.https_front`), as a phone reaches
  a deployed site (a service worker needs HTTPS there): the goal's case;
- plain HTTP/1.1 straight to gunicorn, as the first download was first tried
  through DevTools' throttling on localhost: the browser's six connections
  per host make the app's ~30 files and the sync's requests queue.

A device opens the app in a fresh profile of a browser driven over the
DevTools protocol with nothing attached but its page (`bench.cdp`), once the
browser has finished starting. Measured:

- wall time from navigation (the page's `performance.timeOrigin`) to the
  first sync's `synccomplete` (the app shell, its modules, the service
  worker, the configuration, the snapshot's parts and the delta after them);
- bytes the browser received through the link meanwhile (HTTP headers and
  bodies, as sent: compressed where they were).

The floor, in the same run: another fresh browser profile fetches the same
snapshot parts (the same URLs, so the same compressed bytes, four at a time
as the app fetches them) through the same link, from a page already loaded:
time from the first request to the last byte, and the bytes received. It is
what the snapshot costs on that link with no app around it.

    .venv/bin/python -m bench.phone_link --products 100000 --runs 3
"""

import argparse
import asyncio
import json
import urllib.parse

from bench.cdp import Chromium
from bench.common import CHROMIUM, LABELS, Result, print_results, serve
from bench.https_front import BROWSER_ARGS, https_front
from bench.shaped_link import FAST_4G, Link, shaped_proxy

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", *BROWSER_ARGS]  # fmt: skip
WAYS = {"https": "HTTPS, HTTP/2 (nginx)", "http": "plain HTTP/1.1 to gunicorn"}
GOAL_SECONDS, GOAL_BYTES = 5.0, 4_000_000

OBSERVE = """
window.__completions = [];
new BroadcastChannel('offline-sync').addEventListener('message', ({data}) => {
  if (data.type === 'synccomplete' || data.type === 'syncerror') {
    window.__completions.push({type: data.type, at: performance.now(), detail: data.detail});
  }
});
"""

FIRST_SYNC = """() => new Promise((resolve, reject) => {
  const check = () => {
    const done = window.__completions.find((c) => c.detail.unit === 'all');
    if (!done) { setTimeout(check, 5); return; }
    if (done.type !== 'synccomplete') { reject(new Error(JSON.stringify(done.detail))); return; }
    resolve({ms: done.at, upserts: done.detail.stats.upserts});
  };
  check();
})"""

PART_URLS = """async () => {
  const urls = [];
  for (const collection of ['categories', 'products']) {
    const manifest = await fetch(`/api/sync/snapshot/${collection}/`, {cache: 'no-store'}).then((r) => r.json());
    urls.push(...manifest.parts.map((part) => part.url));
  }
  return urls;
}"""

FETCH_PARTS = """async () => {
  const queue = [...URLS];
  const start = performance.now();
  const worker = async () => {
    for (let url = queue.shift(); url; url = queue.shift()) await (await fetch(url, {cache: 'no-store'})).arrayBuffer();
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return performance.now() - start;
}"""


async def first_sync(proxy, origin: str) -> dict:
    """A device's first visit through the link, to its first sync's completion."""
    async with Chromium(CHROMIUM, ARGS) as browser:
        page = await browser.new_page(init_script=OBSERVE)
        await browser.settled()
        proxy.reset_counters()
        await page.goto(origin + "/")
        done = await page.evaluate(FIRST_SYNC)
        return {"syncMs": done["ms"], "bytes": proxy.bytes_down, "upserts": done["upserts"],
                "connections": proxy.connections}  # fmt: skip


async def floor(proxy, origin: str) -> dict:
    """The same snapshot parts fetched through the same link, with no app (a fresh profile: no cache)."""
    async with Chromium(CHROMIUM, ARGS) as browser:
        page = await browser.new_page()
        await browser.settled()
        await page.goto(origin + "/api/sync/config/")
        urls = await page.evaluate(PART_URLS)
        proxy.reset_counters()
        elapsed = await page.evaluate(FETCH_PARTS.replace("URLS", json.dumps(urls)))
        return {"floorMs": elapsed, "floorBytes": proxy.bytes_down, "parts": len(urls)}


def measure(products: int, runs: int, db: str = "sqlite", link: Link = FAST_4G) -> dict[str, list[dict]]:
    """`runs` rounds, on one server, of a device's first sync and the floor, each way in (`WAYS`)."""
    measured = {way: [] for way in WAYS}
    with serve(products, db, name="phone", environment={"BEHIND_PROXY": "true"}) as (base, _):
        port = urllib.parse.urlsplit(base).port
        with https_front(port) as front, shaped_proxy("127.0.0.1", front.port, link) as tls, \
                shaped_proxy("127.0.0.1", port, link) as plain:  # fmt: skip
            ways = {"https": (tls, f"https://127.0.0.1:{tls.port}"), "http": (plain, plain.url)}
            for _ in range(runs):
                for way, (proxy, origin) in ways.items():
                    run = asyncio.run(first_sync(proxy, origin)) | asyncio.run(floor(proxy, origin))
                    measured[way].append(run)
    return measured


def results_for(products: int, measured: dict[str, list[dict]], db: str) -> list[Result]:
    out = []
    for way, runs in measured.items():
        link = f"Fast 4G (8.1 Mbit/s down, 1.35 up, 165 ms RTT), {WAYS[way]}, {products:,} products, {LABELS[db]}"
        goal = products >= 100_000 and way == "https"
        wall = Result(
            bench="PWA first sync over a phone link", case=f"{link}: navigation → first sync complete", unit="s",
            samples=[r["syncMs"] / 1000 for r in runs], floor_samples=[r["floorMs"] / 1000 for r in runs],
            floor="a plain fetch of the same snapshot parts through the same link",
            goal=f"≤ {GOAL_SECONDS:g} s" if goal else "",
        )  # fmt: skip
        received = Result(
            bench="PWA first sync over a phone link", case=f"{link}: bytes received by the browser", unit="MB",
            samples=[r["bytes"] / 1e6 for r in runs], floor_samples=[r["floorBytes"] / 1e6 for r in runs],
            floor="the same snapshot parts alone, as sent (compressed)",
            goal=f"≤ {GOAL_BYTES / 1e6:g} MB" if goal else "",
        )  # fmt: skip
        if goal:
            wall.met = wall.median <= GOAL_SECONDS
            received.met = received.median * 1e6 <= GOAL_BYTES
        out += [wall, received]
    return out


def collect(quick: bool = False, dbs: tuple[str, ...] = ("sqlite",)) -> list[Result]:
    """On the first of `dbs` only: the link, not the database, decides this one."""
    products, runs = (300, 1) if quick else (100_000, 3)
    return results_for(products, measure(products, runs, dbs[0]), dbs[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    measured = measure(args.products, args.runs, args.db)
    for way, runs in measured.items():
        for run in runs:
            print(f"  {way}: {run}")
    print_results(results_for(args.products, measured, args.db), with_bench=False)


if __name__ == "__main__":
    main()
