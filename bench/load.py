"""Load: 50 and 200 concurrent sync clients against gunicorn, beside a static-file floor.

A fresh catalogue (10,000 products) is served by gunicorn on loopback, like
production (DEBUG off, `common.serve`). One asyncio process simulates the
clients over one aiohttp session whose connector holds at most one connection
per client (plus one for the writer), so never more than that many requests
are in flight. Every simulated client is a signed-in device (its own Bearer
token; 20 users share the devices) that starts from the latest cursors, as a
replica that has done its first download, and then, until the time is up:

- pulls the products' changes since its cursor, following `has_more`;
- about one pass in 5 also pulls the categories, one in 10 its user's
  favourites (a user-scoped pull), and one in 20 pushes a favourite: it
  favourites its own product, then un-favourites it on its next push (new
  client_id per measurement, mutation ids 1, 2, …);
- thinks 0–100 ms (uniform, `--think-ms`) after every request, and before its
  first one, so the clients do not all start in the same millisecond.

Beside them one staff device (the writer) pushes a price change of one
product a few times a second (`--writes`, 5), so the delta pulls return
changes and the writers' lock (PostgreSQL: an advisory lock; SQLite: BEGIN
IMMEDIATE) is contended as in real use. It sends one request at a time, so
when pushes are slow it falls behind its schedule rather than piling up. The writer's requests count towards errors but
not towards the clients' latencies and rate.

The floor, measured in the same run with the same client pool, the same
think time and the same server just before each load measurement: every
client fetches a small static file (`sync/worker.js`, 1.3 KB, about the size
of a delta page) that WhiteNoise serves from inside the same gunicorn workers.
That is gunicorn, the WSGI handler, loopback and this client process at the
same concurrency, minus everything a sync request adds (routing, DRF, token
lookup, snapshot, queries, JSON). The cheapest Django view would still hit the
database (`/api/sync/config/` reads its row), so it would not be a floor.

Measured per request with `time.perf_counter` from send to the last body
byte; an error is any non-2xx answer, an exception or a timeout (10 s; a
failed request's time counts in the percentiles). requests/s counts 2xx
answers over the measurement's wall time. Each measurement is one run of
`--duration` seconds (30 s: a run holds thousands of requests, so its
percentiles are stable; `--runs` repeats floor and load alternately), after an
unrecorded warm-up of the load mix that opens connections and the workers'
database connections. The clients share the machine's cores with the server:
that costs the floor as much as the load.

Server: gunicorn gthread, 2 workers (one per core on the 2-core machine the
report is measured on) × 8 threads, so threads waiting on the database or the
writers' lock do not hold up the others (`--workers`, `--threads`).

    .venv/bin/python -m bench.load --clients 50 200 --duration 30 --db sqlite postgres
"""

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace

import aiohttp
import orjson

from bench import common
from bench.common import LABELS, Result

FLOOR_PATH = "/static/frontend/js/sync/worker.js"
FLOOR = "a 1.3 KB static file (WhiteNoise, same gunicorn, same clients and think time)"
USERS = 20  # the simulated devices belong to this many users
WRITER_PRODUCTS = 50  # the writer changes these products' prices in turn
TIMEOUT_S = 10
KEEPALIVE_S = 1.0  # below gunicorn's 2 s keep-alive, so the client never reuses a connection the server closed
CATEGORIES_EVERY, FAVOURITES_EVERY, PUSH_EVERY = 5, 10, 20  # about one pass in N does this too
GOAL_DB, GOAL_CLIENTS, GOAL_P99_MS = "postgres", 200, 250.0


@dataclass(frozen=True)
class Config:
    products: int = 10_000
    clients: tuple[int, ...] = (50, 200)
    duration: float = 30.0
    runs: int = 1
    think_ms: float = 100.0
    writes: float = 5.0  # price changes per second
    warmup: float = 3.0
    workers: int = 2
    threads: int = 8


QUICK = Config(products=500, clients=(5,), duration=2.0, warmup=0.5)


# --- Setup, in a Django process on the benchmark's database ----------------------------------


def _devices_worker(devices: int) -> dict:
    """Users and device tokens made directly (the login endpoint is throttled to 10 a minute)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from syncapi.tokens import token_create

    users = [get_user_model().objects.create_user(f"load-{n}", password=None) for n in range(USERS)]
    staff = get_user_model().objects.create_user("load-writer", password=None, is_staff=True)
    tokens = [token_create(user=users[n % USERS], device_name=f"load {n}")[0] for n in range(devices)]
    return {"tokens": tokens, "writer": token_create(user=staff, device_name="load writer")[0]}


def _devices(url: str, devices: int) -> dict:
    command = [sys.executable, "-m", "bench.load", "--devices-worker", str(devices)]
    out = subprocess.run(command, cwd=common.ROOT, env=common.django_env(url), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"making users and tokens failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- Measuring, in the client process ---------------------------------------------------------


@dataclass
class Tally:
    """What one measurement saw: the time of every request, the 2xx count, and what failed."""

    latencies_ms: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter = field(default_factory=Counter)  # "HTTP 503", "TimeoutError", ... -> count
    pushes: Counter = field(default_factory=Counter)  # mutation result status -> count
    elapsed_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentiles(self) -> tuple[float, float, float]:
        """p50, p95, p99 in ms (numpy-free; a measurement of one request is its own percentiles)."""
        values = self.latencies_ms or [float("nan")]
        if len(values) == 1:
            return values[0], values[0], values[0]
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return cuts[49], cuts[94], cuts[98]


@dataclass
class Shared:
    """What the clients of one server start from and the writer keeps between measurements."""

    cursors: dict[str, str | None]  # the latest cursor of each global collection
    product_ids: list[str]
    writer_products: list[dict]  # id, version and price of the products the writer changes
    tokens: list[str]
    writer_token: str
    writer_client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    writer_mutations: int = 0


class Device:
    """One simulated client: a token, cursors, an outbox counter, and the tally its requests go to."""

    def __init__(self, session, tally: Tally, token: str, cursors: dict, think_s: float = 0.0, seed: int = 0):
        self.session, self.tally, self.think_s = session, tally, think_s
        self.headers = {"Authorization": f"Bearer {token}"}
        self.cursors = dict(cursors)
        self.rng = random.Random(seed)
        self.client_id, self.mutation_id = str(uuid.uuid4()), 0

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think_s))

    async def call(self, method: str, path: str, headers: dict | None = None, **kwargs) -> bytes | None:
        """One timed request; its body if the answer was 2xx, else None (counted as an error)."""
        started = time.perf_counter()
        try:
            async with self.session.request(
                method, path, headers={**self.headers, **(headers or {})}, **kwargs
            ) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            self.tally.errors[type(exc).__name__] += 1
            return None
        self.tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        if not 200 <= status < 300:
            self.tally.errors[f"HTTP {status}"] += 1
            return None
        self.tally.ok += 1
        return body

    async def pull(self, collection: str, *, think: bool = True, limit: int | None = None) -> list[dict]:
        """Pages of changes since this device's cursor until `has_more` is false; the upserts."""
        upserts = []
        while True:
            params = {k: v for k, v in (("cursor", self.cursors.get(collection)), ("limit", limit)) if v is not None}
            body = await self.call("GET", f"/api/sync/pull/{collection}/", params=params)
            if think:
                await self.think()
            if body is None:
                return upserts
            page = orjson.loads(body)
            upserts += page["upserts"]
            self.cursors[collection] = page["cursor"]
            if not page["has_more"]:
                return upserts

    async def push(self, mutation: dict, client_id: str | None = None, mutation_id: int | None = None) -> dict | None:
        """One mutation pushed; its result. Outcomes other than `applied` are tallied, not errors."""
        if mutation_id is None:
            self.mutation_id += 1
            mutation_id = self.mutation_id
        payload = {"client_id": client_id or self.client_id, "mutations": [{"id": mutation_id, **mutation}]}
        body = await self.call("POST", "/api/sync/push/", data=orjson.dumps(payload),
                               headers={"Content-Type": "application/json"})  # fmt: skip
        if body is None:
            return None
        [result] = orjson.loads(body)["results"]
        self.tally.pushes[result["status"]] += 1
        return result


async def _sync_client(device: Device, deadline: float, favourite_id: str, product_id: str) -> None:
    """A replica kept fresh by delta pulls, with an occasional favourite toggled (see the module docstring)."""
    favourited = False
    await device.think()
    while time.perf_counter() < deadline:
        await device.pull("products")
        if device.rng.random() < 1 / CATEGORIES_EVERY and time.perf_counter() < deadline:
            await device.pull("categories")
        if device.rng.random() < 1 / FAVOURITES_EVERY and time.perf_counter() < deadline:
            await device.pull("favourites")
        if device.rng.random() < 1 / PUSH_EVERY and time.perf_counter() < deadline:
            data = {} if favourited else {"data": {"product_id": product_id}}
            # client_wins: base_version does not matter, and the record id is this device's own.
            mutation = {"collection": "favourites", "op": "delete" if favourited else "upsert",
                        "record_id": favourite_id, "base_version": None, **data}  # fmt: skip
            await device.push(mutation)
            await device.think()
            favourited = not favourited


async def _floor_client(device: Device, deadline: float) -> None:
    await device.think()
    while time.perf_counter() < deadline:
        await device.call("GET", FLOOR_PATH)
        await device.think()


def _toggled(price: str) -> str:
    """The price one cent off, alternately up and down (so it never drifts, nor goes below zero)."""
    cents = round(float(price) * 100)
    cents += 1 if cents % 2 == 0 else -1
    return f"{cents // 100}.{cents % 100:02d}"


async def _writer(device: Device, shared: Shared, per_second: float, deadline: float) -> None:
    """A staff device changing one product's price `per_second` times a second, on a fixed schedule."""
    if not per_second or not shared.writer_products:
        return
    next_at = time.perf_counter()
    while time.perf_counter() < deadline:
        product = shared.writer_products[shared.writer_mutations % len(shared.writer_products)]
        shared.writer_mutations += 1
        mutation = {"collection": "products", "op": "upsert", "record_id": product["id"],
                    "base_version": product["version"], "data": {"price": _toggled(product["price"])},
                    "base": {"price": product["price"]}}  # fmt: skip
        result = await device.push(mutation, client_id=shared.writer_client_id, mutation_id=shared.writer_mutations)
        if result is not None and result.get("record"):
            product.update(version=result["record"]["version"], price=result["record"]["price"])
        next_at += 1 / per_second
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


def _favourite_id(slot: int) -> str:
    """The record id of device `slot`'s favourite: stable, so a later measurement's device reuses it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-load-favourite-{slot}"))


async def _measure(session, shared: Shared, kind: str, clients: int, config: Config, duration: float) -> list[Tally]:
    """One measurement of `kind` ("load" or "floor"): the clients' tally and the writer's."""
    tally, writer_tally = Tally(), Tally()
    think_s = config.think_ms / 1000
    deadline = time.perf_counter() + duration
    tasks = []
    for slot in range(clients):
        device = Device(session, tally, shared.tokens[slot], shared.cursors, think_s, seed=slot)
        if kind == "floor":
            tasks.append(_floor_client(device, deadline))
        else:
            product_id = shared.product_ids[slot % len(shared.product_ids)]
            tasks.append(_sync_client(device, deadline, _favourite_id(slot), product_id))
    if kind == "load":
        tasks.append(_writer(Device(session, writer_tally, shared.writer_token, {}), shared, config.writes, deadline))
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    tally.elapsed_s = writer_tally.elapsed_s = time.perf_counter() - started
    return [tally, writer_tally]


async def _catch_up(session, shared: Shared) -> None:
    """Advance the shared cursors to now (untimed), so every measurement's clients start up to date."""
    device = Device(session, Tally(), shared.writer_token, shared.cursors)
    for collection in ("products", "categories"):
        await device.pull(collection, think=False, limit=5000)
    shared.cursors = device.cursors


async def _prepare(base: str, devices: dict) -> Shared:
    """The first download, once: the latest cursors, the product ids, and the writer's products."""
    async with aiohttp.ClientSession(base) as session:
        device = Device(session, Tally(), devices["writer"], {})
        products = await device.pull("products", think=False, limit=5000)
        await device.pull("categories", think=False, limit=5000)
        if device.tally.errors:
            raise RuntimeError(f"the first download failed: {dict(device.tally.errors)}")
    writer_products = [{k: p[k] for k in ("id", "version", "price")} for p in products[:WRITER_PRODUCTS]]
    return Shared(cursors=device.cursors, product_ids=[p["id"] for p in products], writer_products=writer_products,
                  tokens=devices["tokens"], writer_token=devices["writer"])  # fmt: skip


async def _measure_clients(base: str, shared: Shared, clients: int, config: Config) -> list[dict]:
    """Warm-up, then `runs` × (floor, load) with one pool of `clients` connections: per run, the tallies."""
    connector = aiohttp.TCPConnector(limit=clients + 1, keepalive_timeout=KEEPALIVE_S)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:
        await _catch_up(session, shared)
        await _measure(session, shared, "load", clients, config, config.warmup)
        runs = []
        for _ in range(config.runs):
            [floor, _] = await _measure(session, shared, "floor", clients, config, config.duration)
            await _catch_up(session, shared)
            [load, writer] = await _measure(session, shared, "load", clients, config, config.duration)
            runs.append({"floor": floor, "load": load, "writer": writer})
        return runs


def measure(db: str, config: Config) -> dict[int, list[dict]]:
    """A fresh server on `db`, loaded with each number of clients in turn: {clients: per-run tallies}."""
    with common.serve(config.products, db, workers=config.workers, threads=config.threads, name="load") as (base, url):
        shared = asyncio.run(_prepare(base, _devices(url, max(config.clients))))
        return {n: asyncio.run(_measure_clients(base, shared, n, config)) for n in config.clients}


# --- Report -----------------------------------------------------------------------------------


def results(db: str, clients: int, runs: list[dict], config: Config) -> list[Result]:
    """The three report lines of one database and client count: p99, requests/s, errors."""
    case = f"{clients} clients, {LABELS[db]}"
    goal = db == GOAL_DB and clients == GOAL_CLIENTS
    note = (f"{config.duration:g} s per run, {len(runs)} run(s); think 0–{config.think_ms:g} ms; "
            f"gunicorn {config.workers} workers × {config.threads} threads; {config.products:,} products; "
            f"writer {config.writes:g} price changes/s")  # fmt: skip
    p99 = [r["load"].percentiles()[2] for r in runs]
    errors = [r["load"].error_count + r["writer"].error_count for r in runs]
    common_fields = {"bench": "Load", "floor": FLOOR, "note": note}
    return [
        Result(case=f"{case} — p99", unit="ms", samples=p99, floor_samples=[r["floor"].percentiles()[2] for r in runs],
               goal=f"≤ {GOAL_P99_MS:g} ms" if goal else "",
               met=statistics.median(p99) <= GOAL_P99_MS if goal else None, **common_fields),
        Result(case=f"{case} — requests/s", unit="req/s", samples=[r["load"].rate for r in runs],
               floor_samples=[r["floor"].rate for r in runs], higher_is_better=True, **common_fields),
        Result(case=f"{case} — errors", unit="errors", samples=[float(e) for e in errors],
               floor_samples=[float(r["floor"].error_count) for r in runs], goal="0" if goal else "",
               met=max(errors) == 0 if goal else None, **common_fields),
    ]  # fmt: skip


def collect(quick: bool = False, dbs: tuple[str, ...] = common.DATABASES) -> list[Result]:
    config = QUICK if quick else Config()
    return [line for db in dbs for clients, runs in measure(db, config).items()
            for line in results(db, clients, runs, config)]  # fmt: skip


def _print_rows(db: str, measured: dict[int, list[dict]]) -> None:
    """One table row per client count (medians over runs), then what each run pushed and what failed."""
    median = statistics.median
    for clients, runs in measured.items():
        load, floor = [r["load"] for r in runs], [r["floor"] for r in runs]
        p50, p95, p99 = (median([t.percentiles()[i] for t in load]) for i in range(3))
        errors = max(r["load"].error_count + r["writer"].error_count for r in runs)
        floor_rate, floor_p99 = median([t.rate for t in floor]), median([t.percentiles()[2] for t in floor])
        print(f"{db:<10}{clients:>8} {median([t.rate for t in load]):>9,.0f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}"
              f" {errors:>7} {floor_rate:>12,.0f} {floor_p99:>13.1f}")  # fmt: skip
        for n, run in enumerate(runs, start=1):
            failed = {**run["load"].errors, **{f"writer {k}": v for k, v in run["writer"].errors.items()},
                      **{f"floor {k}": v for k, v in run["floor"].errors.items()}}  # fmt: skip
            print(f"{'':<10}run {n}: {run['load'].ok:,} requests ({run['floor'].ok:,} floor),"
                  f" push results {dict(run['load'].pushes)}, writer {dict(run['writer'].pushes)}"
                  + (f", failed {failed}" if failed else ""))  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Config()
    parser.add_argument("--clients", type=int, nargs="+", default=list(defaults.clients))
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds per measurement")
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument("--products", type=int, default=defaults.products)
    parser.add_argument("--think-ms", type=float, default=defaults.think_ms, help="most think time per request")
    parser.add_argument("--writes", type=float, default=defaults.writes, help="price changes per second")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="seconds, not recorded")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="gunicorn threads per worker")
    parser.add_argument("--db", nargs="+", choices=common.DATABASES, default=list(common.DATABASES))
    parser.add_argument("--devices-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.devices_worker is not None:
        print(json.dumps(_devices_worker(args.devices_worker)))
        return

    config = replace(defaults, clients=tuple(args.clients), duration=args.duration, runs=args.runs,
                     products=args.products, think_ms=args.think_ms, writes=args.writes, warmup=args.warmup,
                     workers=args.workers, threads=args.threads)  # fmt: skip
    print(
        f"Load, {config.products:,} products, gunicorn {config.workers} workers × {config.threads} threads,"
        f" think 0–{config.think_ms:g} ms, {config.duration:g} s per measurement, {config.runs} run(s) (median)"
    )
    print(f"{'database':<10}{'clients':>8} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
          f" {'floor req/s':>12} {'floor p99 ms':>13}")  # fmt: skip
    for db in args.db:
        _print_rows(db, measure(db, config))
    print(f"floor: {FLOOR}. Goal at {GOAL_CLIENTS} clients on {LABELS[GOAL_DB]}: p99 ≤ {GOAL_P99_MS:g} ms, 0 errors.")


if __name__ == "__main__":
    main()
