"""Open apps kept fresh: the server's cost of 200 apps left open, each checking for changes.

A fresh catalogue (10,000 products) is served by gunicorn on loopback, like
production (`common.serve`). Every simulated app is a signed-in device (its
own Bearer token) that has done its first download (it holds the latest
cursors) and is left open and visible. Each refreshes every `--interval`
seconds (the configuration's `foreground_refresh_seconds`, 30 by default),
the apps spread evenly over the interval, in one of two ways:

- **probe**: `POST /api/sync/changed/` with its cursors of the three
  collections, and a sync only if the answer names one (what the app does);
- **sync**: the sync it would run otherwise, `GET /api/sync/config/` and a
  pull of each collection from its cursor (4 requests).

Each way runs twice: with the catalogue unchanged (a shop's usual minute),
and with one staff device changing a product's price every `--change-every`
seconds (10: most refreshes then find a change and sync). Measured over
`--duration` seconds (60) each: the server's CPU (gunicorn's master and
workers, from /proc), as a share of one core, and the refreshes' latency.
The floor, measured the same way just before: every app fetches a 1.3 KB
static file at the same rate (WhiteNoise in the same gunicorn): what any
request costs, without the sync's view.

A push channel (server-sent events) is not measured: under gunicorn's
threads each open app would hold a thread for as long as it is open
(decision 0006).

    .venv/bin/python -m bench.open_apps --apps 200 --interval 30 --duration 60
"""

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass, replace

import aiohttp
import orjson

from bench import common
from bench.common import LABELS, Result
from bench.first_downloads import server_cpu_s, server_master
from bench.load import FLOOR_PATH, KEEPALIVE_S, TIMEOUT_S, Device, Tally, _devices, _prepare

COLLECTIONS = ("categories", "products", "favourites")


@dataclass(frozen=True)
class Config:
    products: int = 10_000
    apps: int = 200
    interval: float = 30.0
    duration: float = 60.0
    change_every: float = 10.0
    workers: int = 2
    threads: int = 8


QUICK = Config(products=300, apps=4, interval=1.0, duration=2.0, change_every=0.5)


async def _probe(device: Device) -> None:
    """What the app does: ask, and sync only if something changed."""
    body = orjson.dumps({"cursors": {c: device.cursors[c] for c in COLLECTIONS}})
    answer = await device.call("POST", "/api/sync/changed/", data=body, headers={"Content-Type": "application/json"})
    if answer is not None and orjson.loads(answer)["changed"]:
        await _sync(device)


async def _sync(device: Device) -> None:
    await device.call("GET", "/api/sync/config/")
    for collection in COLLECTIONS:
        await device.pull(collection, think=False)


async def _floor(device: Device) -> None:
    await device.call("GET", FLOOR_PATH)


WAYS = {"probe": _probe, "sync": _sync, "floor": _floor}


async def _app(device: Device, refresh, first_at: float, interval: float, deadline: float, timings: list) -> None:
    """One open app: a refresh at `first_at`, then every `interval`, until `deadline`."""
    at = first_at
    while at < deadline:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        started = time.perf_counter()
        await refresh(device)
        timings.append((time.perf_counter() - started) * 1000)
        at += interval


async def _changer(device: Device, shared, every: float | None, deadline: float) -> None:
    """The shop's staff: a price change every `every` seconds."""
    rng = random.Random(7)
    while every is not None and time.perf_counter() < deadline:
        product = shared.writer_products[rng.randrange(len(shared.writer_products))]
        price = "10.00" if product["price"] != "10.00" else "11.00"
        result = await device.push({"collection": "products", "op": "upsert", "record_id": product["id"],
                                    "base_version": product["version"], "data": {"price": price}})  # fmt: skip
        if result and result.get("record"):
            product.update(version=result["record"]["version"], price=price)
        await asyncio.sleep(min(every, max(0.0, deadline - time.perf_counter())))


async def _measure(base: str, master: int, shared, way: str, change_every: float | None, config: Config) -> dict:
    """One way for `config.duration` seconds: server CPU-seconds, refresh latencies, failures."""
    connector = aiohttp.TCPConnector(limit=config.apps + 1, keepalive_timeout=KEEPALIVE_S)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as s:
        catch_up = Device(s, Tally(), shared.writer_token, {})
        for collection in COLLECTIONS[:2]:
            await catch_up.pull(collection, think=False, limit=5000)
        tally, timings = Tally(), []
        devices = [Device(s, tally, shared.tokens[n], catch_up.cursors) for n in range(config.apps)]
        for device in devices:  # its own favourites' cursor (user-scoped), untimed
            await device.pull("favourites", think=False)
        tally.latencies_ms.clear()
        tally.ok = 0
        cpu_before, started = server_cpu_s(master), time.perf_counter()
        deadline = started + config.duration
        tasks = [_app(d, WAYS[way], started + config.interval * n / config.apps, config.interval, deadline, timings)
                 for n, d in enumerate(devices)]  # fmt: skip
        if way != "floor":
            tasks.append(_changer(Device(s, Tally(), shared.writer_token, {}), shared, change_every, deadline))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        return {"cpuShare": (server_cpu_s(master) - cpu_before) / elapsed, "timingsMs": timings,
                "requests": tally.ok, "errors": dict(tally.errors), "elapsed": elapsed}  # fmt: skip


def regimes(config: Config) -> dict[str, float | None]:
    """The catalogue unchanged, and changed every `change_every` seconds: {label: seconds between changes}."""
    return {"catalogue unchanged": None, f"a price change every {config.change_every:g} s": config.change_every}


def measure(db: str, config: Config) -> dict[str, dict]:
    """{"floor": run, "<regime> / probe": run, "<regime> / sync": run, ...} on one fresh server."""
    with common.serve(config.products, db, workers=config.workers, threads=config.threads, name="open") as (base, url):
        master = server_master(base)
        shared = asyncio.run(_prepare(base, _devices(url, config.apps)))
        measured = {"floor": asyncio.run(_measure(base, master, shared, "floor", None, config))}
        for regime, every in regimes(config).items():
            for way in ("probe", "sync"):
                measured[f"{regime} / {way}"] = asyncio.run(_measure(base, master, shared, way, every, config))
        return measured


def _p99(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=100)[98] if len(timings) > 1 else timings[0]


def results(db: str, measured: dict[str, dict], config: Config) -> list[Result]:
    note = (f"{config.duration:g} s per way; gunicorn {config.workers} workers × {config.threads} threads; "
            f"{config.products:,} products")  # fmt: skip
    floor = measured["floor"]
    out = []
    for regime in regimes(config):
        case = f"{config.apps} open apps refreshing every {config.interval:g} s, {regime}, {LABELS[db]}"
        for way, label in (("probe", "POST /api/sync/changed/, a sync only on changes"),
                           ("sync", "a sync each time (config and three pulls)")):  # fmt: skip
            run = measured[f"{regime} / {way}"]
            share = Result(bench="Open apps", case=f"{case}: {label} — server CPU", unit="% of a core",
                           samples=[100 * run["cpuShare"]], floor_samples=[100 * floor["cpuShare"]],
                           floor="a 1.3 KB static file per refresh", note=note)  # fmt: skip
            latency = Result(bench="Open apps", case=f"{case}: {label} — a refresh's p99", unit="ms",
                             samples=[_p99(run["timingsMs"])], floor_samples=[_p99(floor["timingsMs"])],
                             floor="a 1.3 KB static file", note=note)  # fmt: skip
            out += [share, latency]
    return out


def collect(quick: bool = False, dbs: tuple[str, ...] = ("sqlite",)) -> list[Result]:
    """On the first of `dbs` only: the per-request cost, not the database's, is what differs."""
    config = QUICK if quick else Config()
    return results(dbs[0], measure(dbs[0], config), config)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Config()
    parser.add_argument("--apps", type=int, default=defaults.apps)
    parser.add_argument("--interval", type=float, default=defaults.interval, help="seconds between refreshes")
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds per way")
    parser.add_argument("--change-every", type=float, default=defaults.change_every, help="seconds between changes")
    parser.add_argument("--products", type=int, default=defaults.products)
    parser.add_argument("--db", choices=common.DATABASES, default="sqlite")
    args = parser.parse_args()
    config = replace(defaults, apps=args.apps, interval=args.interval, duration=args.duration,
                     change_every=args.change_every, products=args.products)  # fmt: skip
    measured = measure(args.db, config)
    for way, run in measured.items():
        print(
            f"  {way}: {run['requests']:,} requests, CPU {run['cpuShare']:.3f} of a core, "
            f"errors {run['errors'] or 'none'}"
        )
    common.print_results(results(args.db, measured, config), with_bench=False)


if __name__ == "__main__":
    main()
