"""Load: sync clients against gunicorn, in a closed loop and an open loop, beside a static-file floor.

A fresh catalogue (10,000 products) is served by gunicorn on loopback, like
production (DEBUG off, `common.serve_instances`), in one of these set-ups:

- SQLite: one instance; Django's cache in each process's memory, so every
  request reads its device token from the database.
- PostgreSQL + Redis, as production: Django's cache in Redis (the login
  throttles and the device-token cache, shared by every server process; a
  Redis database of the benchmark's own, `common.BENCH_REDIS_URL`, flushed
  before the server starts), served by one instance, then by two on ports of
  their own against the same database, Redis and snapshot storage, each
  client's requests alternating between them as behind a round-robin load
  balancer (`--instances`). The machine's worker processes (`--workers`, 2:
  one per core of the 2-core machine the report is measured on) are shared
  out over the instances: 1 instance of 2 workers, or 2 instances of 1 worker
  each, every worker with 8 threads (`--threads`), so the two set-ups have the
  same processes and threads and differ only in being separate servers.
  `--redis off` serves PostgreSQL without Redis, as before issue 20.

Every simulated client is a signed-in device (its own Bearer token, made
directly in the database; 20 users share the devices) that starts from the
latest cursors, as a replica that has done its first download. One asyncio
process simulates them all over one aiohttp session (keep-alive connections).

**Closed loop** (`--clients`, 50 and 200): the session's connector holds at
most one connection per client (plus one for the writer), so never more than
that many requests are in flight. Until the time is up, each client:

- pulls the products' changes since its cursor, following `has_more`;
- about one pass in 5 also pulls the categories, one in 10 its user's
  favourites (a user-scoped pull), and one in 20 pushes a favourite: it
  favourites its own product, then un-favourites it on its next push (new
  client_id per measurement, mutation ids 1, 2, …);
- thinks 0–100 ms (uniform, `--think-ms`) after every request, and before its
  first one, so the clients do not all start in the same millisecond.

Measured per request from send to the last body byte.

**Open loop** (`--devices` 5,000, each pulling every `--interval` 10 s: 500
requests a second offered, spread evenly, as issue 20 sets it), how devices
really behave: each device's first pull is due at a random moment of the
first interval, then one every interval, and each is started when due
whether or not earlier ones have finished (a device runs one sync at a time,
as the app does; 10 s apart, its pulls overlap only if the server stalls). A
device's pull is of the products from its cursor, following `has_more`
(one request while the catalogue changes less than a page in 10 s). Its
first request is timed from when it was due, so time the client or its
connection pool held it back counts as queueing; any further page from when
it is sent (right after the one before). The pool holds at most `OPEN_POOL`
(256) connections, 16 times the server's threads: a request that waits for
one would otherwise wait inside the server (the most requests in flight,
waiting ones included, is printed). The client itself falling behind shows
as its *send delay*: from a pull's due time to when its task starts running.

Each load measurement starts from a server in its steady state. First every
device makes its first pull, untimed, `PRIME_AT_ONCE` (64) at a time: its
token is read and cached, its `last_used_at` written, work a device does
once a minute (the token cache) or once in five minutes (`last_used_at`),
not every 10 s. Started on schedule instead, those 5,000 first pulls in one interval
cost more than the machine has and leave a queue that takes most of the
recorded time to drain, so the figure measured the start, not the steady
state (docs/decisions/0016). Then one interval of the schedule as warm-up,
not recorded, then `--open-duration` seconds (30: about 15,000 requests)
recorded; the tokens stay cached (60 s) within a measurement. The achieved
rate counts the recorded pulls' 2xx answers over the recorded span, or
until the last of them ended if later.

Beside both loops one staff device (the writer) pushes a price change of one
of 50 products in turn a few times a second (`--writes`, 5), so the delta
pulls return changes and the writers' lock (PostgreSQL: an advisory lock;
SQLite: BEGIN IMMEDIATE) is contended as in real use. It sends one request at
a time, so when pushes are slow it falls behind its schedule rather than
piling up. The writer's requests count towards errors but not towards the
clients' latencies and rate. The open loop is measured with the catalogue
unchanged (every pull finds nothing new) and with the writer at 5 changes a
second, when every device's sync brings the 50 products changed in the last
10 s (`--open-writes`).

The floors, measured in the same run on the same server just before each
load measurement: the same clients (closed loop: the same pool and think
time; open loop: the same schedule)
fetch a small static file (`sync/worker.js`, 1.3 KB, about the size of a
delta page) that WhiteNoise serves from inside the same gunicorn workers,
through the same instances. That is gunicorn, the WSGI handler, loopback and
this client process at the same concurrency, minus everything a sync request
adds (routing, DRF, token lookup, queries, JSON). The cheapest Django view
would still hit the database (`/api/sync/config/` reads its row), so it would
not be a floor.

An error is any non-2xx answer, an exception or a timeout (10 s; a failed
request's time counts in the percentiles). The closed loop's requests/s
counts 2xx answers over the measurement's wall time. Each closed-loop
measurement is one run of `--duration` seconds (30) after an unrecorded
warm-up of the load mix (`--warmup`, 3 s); `--runs` repeats floor and load
alternately. The clients share the machine's cores with the server: that
costs the floor as much as the load. Each open-loop measurement also prints
where the machine's CPU went (gunicorn, this database's PostgreSQL backends,
Redis, this client), as shares of one core.

    .venv/bin/python -m bench.load                                    # everything below, full size
    .venv/bin/python -m bench.load --db postgres --instances 2 --mode open
    .venv/bin/python -m bench.load --quick --db postgres              # a few seconds a set-up; numbers mean nothing
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from bench import common
from bench.common import LABELS, Result
from bench.first_downloads import CLOCK_TICK_S, server_cpu_s, server_master

FLOOR_PATH = "/static/frontend/js/sync/worker.js"
FLOOR = "a 1.3 KB static file (WhiteNoise, same gunicorn, same clients and think time)"
FLOOR_OPEN = "a 1.3 KB static file (WhiteNoise, same gunicorn, same schedule)"
USERS = 20  # the simulated devices belong to this many users
WRITER_PRODUCTS = 50  # the writer changes these products' prices in turn
TIMEOUT_S = 10
KEEPALIVE_S = 1.0  # below gunicorn's 2 s keep-alive, so the client never reuses a connection the server closed
OPEN_POOL = 256  # the open loop's most connections: 16 times the server's threads
PRIME_AT_ONCE = 64  # the open loop's first pulls (untimed) in flight at once
CATEGORIES_EVERY, FAVOURITES_EVERY, PUSH_EVERY = 5, 10, 20  # about one pass in N does this too
GOAL_DB, GOAL_CLIENTS, GOAL_P99_MS = "postgres", 200, 250.0
GOAL_OPEN_P99_MS = 100.0
MODES = ("closed", "open")


@dataclass(frozen=True)
class Config:
    products: int = 10_000
    clients: tuple[int, ...] = (50, 200)
    duration: float = 30.0
    runs: int = 1
    think_ms: float = 100.0
    writes: float = 5.0  # price changes per second
    warmup: float = 3.0
    workers: int = 2  # gunicorn worker processes on the machine, shared out over the instances
    threads: int = 8
    modes: tuple[str, ...] | None = None  # None: the report's, both with PostgreSQL, the closed loop with SQLite
    instances: tuple[int, ...] = (1, 2)  # PostgreSQL's set-ups; SQLite is served by one
    redis: bool | None = None  # Django's cache in Redis; None: with PostgreSQL, as production
    devices: int = 5000  # the open loop's
    interval: float = 10.0  # seconds between a device's pulls (open loop)
    open_duration: float = 30.0  # recorded, after one interval of warm-up
    open_writes: tuple[float, ...] = (0.0, 5.0)  # the open loop's writer, price changes/s: each measured


QUICK = Config(products=500, clients=(5,), duration=2.0, warmup=0.5, devices=40, interval=1.0, open_duration=2.0)


@dataclass(frozen=True)
class Setup:
    """How the catalogue is served: the database, Django's cache in Redis or not, and how many gunicorns."""

    db: str
    redis: bool
    instances: int = 1
    modes: tuple[str, ...] = MODES

    @property
    def label(self) -> str:
        """E.g. "SQLite", "PostgreSQL + Redis, 2 instances" (a plain one-instance set-up says only its database)."""
        label = LABELS[self.db] + (" + Redis" if self.redis else "")
        if self.redis or self.instances > 1:
            label += f", {self.instances} instance{'s' if self.instances > 1 else ''}"
        return label

    def workers(self, config: Config) -> int:
        """Each instance's share of the machine's worker processes (at least one)."""
        return max(1, config.workers // self.instances)


def setups(config: Config, dbs: tuple[str, ...]) -> list[Setup]:
    """The set-ups measured for `dbs`: PostgreSQL with each number of instances, SQLite with one."""
    return [
        Setup(db, config.redis if config.redis is not None else db == "postgres", instances,
              config.modes or (MODES if db == "postgres" else ("closed",)))
        for db in dbs
        for instances in (config.instances if db == "postgres" else (1,))
    ]  # fmt: skip


# --- Setup, in a Django process on the benchmark's database ----------------------------------


def _devices_worker(devices: int, staff: bool = False) -> dict:
    """Users and device tokens made directly (the login endpoint is throttled to 10 a minute), in one transaction."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from syncapi.tokens import token_create

    with transaction.atomic():
        users = [get_user_model().objects.create_user(f"load-{n}", password=None, is_staff=staff)
                 for n in range(USERS)]  # fmt: skip
        staff_user = get_user_model().objects.create_user("load-writer", password=None, is_staff=True)
        tokens = [token_create(user=users[n % USERS], device_name=f"load {n}")[0] for n in range(devices)]
        writer = token_create(user=staff_user, device_name="load writer")[0]
    return {"tokens": tokens, "writer": writer, "users": [user.pk for user in users]}


def _devices(url: str, devices: int, staff: bool = False) -> dict:
    """`devices` tokens (device n belongs to user n % USERS, staff if `staff`), the writer's, and the users' ids."""
    command = [sys.executable, "-m", "bench.load", "--devices-worker", str(devices), *(["--staff"] if staff else [])]
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
    late_ms: list[float] = field(default_factory=list)  # open loop: each sync's start after it was due
    in_flight: int = 0
    most_in_flight: int = 0
    last_done: float = 0.0  # perf_counter of the last answer
    upserts: int = 0  # records the pulls brought

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentiles(self) -> tuple[float, float, float]:
        """p50, p95, p99 in ms."""
        return percentiles(self.latencies_ms)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of `values` (numpy-free; one value is its own percentiles)."""
    values = values or [float("nan")]
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
    """One simulated client: a token, cursors, an outbox counter, and the tally its requests go to.

    `bases`: the servers' base URLs (the session's own if ""), taken in turn request by request from
    the `seed`-th, as a round-robin load balancer would.
    """

    def __init__(self, session, tally: Tally, token: str, cursors: dict, think_s: float = 0.0, seed: int = 0,
                 bases: tuple[str, ...] | list[str] = ("",)):  # fmt: skip
        self.session, self.tally, self.think_s = session, tally, think_s
        self.headers = {"Authorization": f"Bearer {token}"}
        self.cursors = dict(cursors)
        self.rng = random.Random(seed)
        self.client_id, self.mutation_id = str(uuid.uuid4()), 0
        self.bases, self.turn = tuple(bases), seed
        self.lock = asyncio.Lock()  # held for a sync: one at a time, as the app runs them

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think_s))

    def url(self, path: str) -> str:
        """`path` on the next server in turn."""
        self.turn += 1
        return self.bases[self.turn % len(self.bases)] + path

    async def call(self, method: str, path: str, headers: dict | None = None, *, since: float | None = None,
                   **kwargs) -> bytes | None:  # fmt: skip
        """One timed request (from `since`, a perf_counter, if given); its body if 2xx, else None (an error)."""
        tally, started = self.tally, time.perf_counter() if since is None else since
        tally.in_flight += 1
        tally.most_in_flight = max(tally.most_in_flight, tally.in_flight)
        try:
            async with self.session.request(
                method, self.url(path), headers={**self.headers, **(headers or {})}, **kwargs
            ) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.errors[type(exc).__name__] += 1
            return None
        finally:
            tally.in_flight -= 1
            tally.last_done = time.perf_counter()
            tally.latencies_ms.append((tally.last_done - started) * 1000)
        if not 200 <= status < 300:
            tally.errors[f"HTTP {status}"] += 1
            return None
        tally.ok += 1
        return body

    async def pull(self, collection: str, *, think: bool = True, limit: int | None = None,
                   since: float | None = None) -> list[dict]:  # fmt: skip
        """Pages of changes since this device's cursor until `has_more` is false; the upserts.

        `since`: when the first page's time starts (see `call`)."""
        upserts = []
        while True:
            params = {k: v for k, v in (("cursor", self.cursors.get(collection)), ("limit", limit)) if v is not None}
            body = await self.call("GET", f"/api/sync/pull/{collection}/", params=params, since=since)
            since = None
            if think:
                await self.think()
            if body is None:
                return upserts
            page = orjson.loads(body)
            upserts += page["upserts"]
            self.tally.upserts += len(page["upserts"])
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


async def _measure(session, shared: Shared, kind: str, clients: int, config: Config, duration: float,
                   bases: list[str]) -> list[Tally]:  # fmt: skip
    """One closed-loop measurement of `kind` ("load" or "floor"): the clients' tally and the writer's."""
    tally, writer_tally = Tally(), Tally()
    think_s = config.think_ms / 1000
    deadline = time.perf_counter() + duration
    tasks = []
    for slot in range(clients):
        device = Device(session, tally, shared.tokens[slot], shared.cursors, think_s, seed=slot, bases=bases)
        if kind == "floor":
            tasks.append(_floor_client(device, deadline))
        else:
            product_id = shared.product_ids[slot % len(shared.product_ids)]
            tasks.append(_sync_client(device, deadline, _favourite_id(slot), product_id))
    if kind == "load":
        writer = Device(session, writer_tally, shared.writer_token, {}, bases=bases)
        tasks.append(_writer(writer, shared, config.writes, deadline))
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    tally.elapsed_s = writer_tally.elapsed_s = time.perf_counter() - started
    return [tally, writer_tally]


async def _catch_up(session, shared: Shared, bases: list[str]) -> None:
    """Advance the shared cursors to now (untimed), so every measurement's clients start up to date."""
    device = Device(session, Tally(), shared.writer_token, shared.cursors, bases=bases)
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


def _session(pool: int) -> aiohttp.ClientSession:
    """A session of at most `pool` keep-alive connections, to any of the servers (full URLs)."""
    connector = aiohttp.TCPConnector(limit=pool, keepalive_timeout=KEEPALIVE_S)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))


async def _measure_clients(bases: list[str], shared: Shared, clients: int, config: Config) -> list[dict]:
    """Warm-up, then `runs` × (floor, load) with one pool of `clients` connections: per run, the tallies."""
    async with _session(clients + 1) as session:
        await _catch_up(session, shared, bases)
        await _measure(session, shared, "load", clients, config, config.warmup, bases)
        runs = []
        for _ in range(config.runs):
            [floor, _] = await _measure(session, shared, "floor", clients, config, config.duration, bases)
            await _catch_up(session, shared, bases)
            [load, writer] = await _measure(session, shared, "load", clients, config, config.duration, bases)
            runs.append({"floor": floor, "load": load, "writer": writer})
        return runs


# --- The open loop ----------------------------------------------------------------------------


def timetable(devices: int, interval: float, span: float, seed: int = 0) -> list[tuple[float, int]]:
    """(seconds from the start, device) of every sync due within `span`, in time order: each device's first
    at a random moment of the first `interval`, then one every `interval`."""
    rng = random.Random(seed)
    due = []
    for slot in range(devices):
        at = rng.uniform(0, interval)
        while at < span:
            due.append((at, slot))
            at += interval
    return sorted(due)


async def open_loop(due: list[tuple[float, int]], sync, start: float) -> None:
    """`sync(slot, at)` started at each (offset, slot) of `due`, at `at` = `start` + offset (a perf_counter),
    whether or not earlier ones have ended; returns once all have."""
    tasks = []
    for offset, slot in due:
        at = start + offset
        if (wait := at - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(sync(slot, at)))
    await asyncio.gather(*tasks)


async def _open_pull(device: Device, due: float) -> None:
    """A device's pull: the products from its cursor."""
    await device.pull("products", think=False, since=due)


async def _open_floor(device: Device, due: float) -> None:
    """The same schedule as `_open_pull`, the static file instead of the pull."""
    await device.call("GET", FLOOR_PATH, since=due)


async def _prime(devices: list[Device]) -> None:
    """Every device's first pull, untimed, `PRIME_AT_ONCE` at a time (see the module's docstring)."""
    tally, gate = Tally(), asyncio.Semaphore(PRIME_AT_ONCE)

    async def first(device: Device) -> None:
        async with gate:
            device.tally = tally
            await device.pull("products", think=False)

    await asyncio.gather(*(first(device) for device in devices))
    common.expect(tally.error_count == 0, f"priming the open loop's devices failed: {dict(tally.errors)}")


class Window:
    """Which tally a sync due at a time counts in: the warm-up's (not reported) or the recorded one's."""

    def __init__(self, warmup: float, duration: float):
        self.warmup, self.duration = warmup, duration
        self.start = 0.0  # the schedule's, once it runs
        self.warming, self.recorded = Tally(), Tally()

    def tally(self, due: float) -> Tally:
        return self.warming if due < self.start + self.warmup else self.recorded

    def close(self) -> Tally:
        """The recorded tally, its span: the recorded time, or until its last answer if later."""
        recorded = self.recorded
        recorded.elapsed_s = max(self.duration, recorded.last_done - self.start - self.warmup)
        return recorded


async def _timed_sync(window: Window, device: Device, sync, due: float) -> None:
    """`sync(device, due)` under the device's lock, counted in the tally of its due time; the send delay noted."""
    tally = window.tally(due)
    tally.late_ms.append((time.perf_counter() - due) * 1000)
    async with device.lock:
        device.tally = tally
        await sync(device, due)


async def _open_run(session, shared: Shared, config: Config, bases: list[str], writes: float | None,
                    meter: "Meter") -> dict:  # fmt: skip
    """One open-loop measurement, the floor's if `writes` is None, else the load's with the writer making `writes`
    price changes a second: the recorded tally, the writer's, and the CPU shares."""
    devices = [Device(session, Tally(), shared.tokens[slot], shared.cursors, seed=slot, bases=bases)
               for slot in range(config.devices)]  # fmt: skip
    if writes is not None:
        await _prime(devices)
    window, writer_tally = Window(config.interval, config.open_duration), Tally()
    sync = _open_floor if writes is None else _open_pull
    due = timetable(config.devices, config.interval, config.interval + config.open_duration)

    async def started(slot: int, at: float) -> None:
        await _timed_sync(window, devices[slot], sync, at)

    async def around() -> dict:
        """The writer for the whole schedule, and the CPU used over the recorded span."""
        deadline = window.start + config.interval + config.open_duration
        writer = Device(session, writer_tally, shared.writer_token, {}, bases=bases)
        writing = asyncio.create_task(_writer(writer, shared, writes or 0, deadline))
        await asyncio.sleep(config.interval)
        before = meter.sample()
        await asyncio.sleep(config.open_duration)
        cpu = meter.shares(before, meter.sample())
        await writing
        return cpu

    window.start = time.perf_counter()
    cpu, _ = await asyncio.gather(around(), open_loop(due, started, window.start))
    return {"tally": window.close(), "writer": writer_tally, "cpu": cpu}


async def _measure_open(bases: list[str], shared: Shared, config: Config, meter: "Meter") -> dict[float, list[dict]]:
    """`runs` × (the floor, then the load with each of `open_writes`) through one pool of `OPEN_POOL` connections:
    {writes: per run, the tallies and CPU shares of the load and of that run's floor}."""
    measured = {writes: [] for writes in config.open_writes}
    async with _session(OPEN_POOL) as session:
        for _ in range(config.runs):
            await _catch_up(session, shared, bases)
            floor = await _open_run(session, shared, config, bases, None, meter)
            for writes in config.open_writes:
                await _catch_up(session, shared, bases)
                load = await _open_run(session, shared, config, bases, writes, meter)
                measured[writes].append({"floor": floor["tally"], "floor_cpu": floor["cpu"], "load": load["tally"],
                                         "writer": load["writer"], "cpu": load["cpu"]})  # fmt: skip
    return measured


# --- Where the CPU goes -----------------------------------------------------------------------


def _cpu_s_of(marker: bytes) -> dict[int, float]:
    """CPU-seconds so far of each process whose command line holds `marker`."""
    used = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[int(entry.name)] = sum(int(v) for v in fields[11:13]) * CLOCK_TICK_S  # utime, stime
    return used


class Meter:
    """CPU used by the servers (gunicorn), this database's PostgreSQL backends, Redis, and this client."""

    def __init__(self, bases: list[str], url: str):
        self.masters = [server_master(base) for base in bases]
        name = url.rsplit("/", 1)[1]
        self.postgres = f" {name} ".encode() if url.startswith("postgres") else None

    def sample(self) -> dict:
        return {
            "at": time.perf_counter(),
            "gunicorn": sum(server_cpu_s(master) for master in self.masters),
            "PostgreSQL": _cpu_s_of(self.postgres) if self.postgres else {},
            "Redis": _cpu_s_of(b"redis-server"),
            "client": time.process_time(),
        }

    @staticmethod
    def shares(before: dict, after: dict) -> dict[str, float]:
        """Each part's CPU between two samples as a share of one core (a process that ended meanwhile is lost)."""
        seconds = after["at"] - before["at"]

        def used(part: str) -> float:
            if isinstance(after[part], dict):
                return sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items())
            return after[part] - before[part]

        return {part: used(part) / seconds for part in ("gunicorn", "PostgreSQL", "Redis", "client")}


def measure(setup: Setup, config: Config) -> dict:
    """A fresh server of `setup`, loaded in each mode: {"closed": {clients: runs}, "open": runs}."""
    redis_url = common.BENCH_REDIS_URL if setup.redis else ""
    # A database of this run's own: another run of the benchmark (a test's) drops its fixed-name one at start.
    serving = common.serve_instances(config.products, setup.db, instances=setup.instances,
                                     name=f"load_{os.getpid()}",
                                     workers=setup.workers(config), threads=config.threads,
                                     redis_url=redis_url)  # fmt: skip
    with serving as (bases, url):
        opened = "open" in setup.modes
        shared = asyncio.run(_prepare(bases[0], _devices(url, max(*config.clients, config.devices if opened else 0))))
        measured = {}
        if "closed" in setup.modes:
            measured["closed"] = {n: asyncio.run(_measure_clients(bases, shared, n, config)) for n in config.clients}
        if opened:
            measured["open"] = asyncio.run(_measure_open(bases, shared, config, Meter(bases, url)))
        return measured


# --- Report -----------------------------------------------------------------------------------


def _note(setup: Setup, config: Config) -> str:
    return (f"gunicorn {setup.instances} × {setup.workers(config)} workers × {config.threads} threads; "
            f"{config.products:,} products")  # fmt: skip


def _writer_label(writes: float) -> str:
    return f"{writes:g} price changes/s" if writes else "catalogue unchanged"


def closed_results(setup: Setup, clients: int, runs: list[dict], config: Config) -> list[Result]:
    """The closed loop's three report lines of one set-up and client count: p99, requests/s, errors."""
    case = f"{clients} clients, {setup.label}"
    goal = setup.db == GOAL_DB and setup.redis and clients == GOAL_CLIENTS
    note = (f"closed loop, {config.duration:g} s per run, {len(runs)} run(s); think 0–{config.think_ms:g} ms; "
            f"writer {config.writes:g} price changes/s; " + _note(setup, config))  # fmt: skip
    return _loop_lines(case, runs, GOAL_P99_MS if goal else None, bench="Load", floor=FLOOR, note=note)


def _loop_lines(case: str, runs: list[dict], goal_ms: float | None, **fields) -> list[Result]:
    """p99, requests/s and errors of one loop's runs beside their floors; `goal_ms`: the p99 goal, if any
    (then 0 errors is one too). `fields`: the lines' bench, floor and note."""
    p99 = [r["load"].percentiles()[2] for r in runs]
    errors = [r["load"].error_count + r["writer"].error_count for r in runs]
    goal = goal_ms is not None
    return [
        Result(case=f"{case} — p99", unit="ms", samples=p99, floor_samples=[r["floor"].percentiles()[2] for r in runs],
               goal=f"≤ {goal_ms:g} ms" if goal else "", met=statistics.median(p99) <= goal_ms if goal else None,
               **fields),
        Result(case=f"{case} — requests/s", unit="req/s", samples=[r["load"].rate for r in runs],
               floor_samples=[r["floor"].rate for r in runs], higher_is_better=True, **fields),
        Result(case=f"{case} — errors", unit="errors", samples=[float(e) for e in errors],
               floor_samples=[float(r["floor"].error_count) for r in runs], goal="0" if goal else "",
               met=max(errors) == 0 if goal else None, **fields),
    ]  # fmt: skip


def open_results(setup: Setup, writes: float, runs: list[dict], config: Config) -> list[Result]:
    """The open loop's report lines of one set-up and writer: p99, achieved requests/s, errors, the send delay."""
    case = f"{config.devices:,} devices pulling every {config.interval:g} s, {_writer_label(writes)}, {setup.label}"
    goal = setup.db == GOAL_DB and setup.redis
    note = (f"open loop, {config.devices / config.interval:,.0f} pulls/s offered, {config.open_duration:g} s recorded "
            f"after every device's first pull and {config.interval:g} s of warm-up, {len(runs)} run(s); "
            + _note(setup, config))  # fmt: skip
    common_fields = {"bench": "Load", "floor": FLOOR_OPEN, "note": note}
    return [
        *_loop_lines(case, runs, GOAL_OPEN_P99_MS if goal else None, **common_fields),
        Result(case=f"{case} — send delay, p99", unit="ms", samples=[percentiles(r["load"].late_ms)[2] for r in runs],
               floor_samples=[percentiles(r["floor"].late_ms)[2] for r in runs], **common_fields),
    ]  # fmt: skip


def results(setup: Setup, measured: dict, config: Config) -> list[Result]:
    """Every report line of one set-up's measurements."""
    lines = [line for clients, runs in measured.get("closed", {}).items()
             for line in closed_results(setup, clients, runs, config)]  # fmt: skip
    return lines + [line for writes, runs in measured.get("open", {}).items()
                    for line in open_results(setup, writes, runs, config)]  # fmt: skip


def collect(quick: bool = False, dbs: tuple[str, ...] = common.DATABASES) -> list[Result]:
    """SQLite: the closed loop, one instance. PostgreSQL + Redis: both loops, with one and with two instances."""
    config = QUICK if quick else Config()
    return [line for setup in setups(config, dbs) for line in results(setup, measure(setup, config), config)]


def _print_closed(setup: Setup, measured: dict[int, list[dict]]) -> None:
    """One table row per client count (medians over runs), then what each run pushed and what failed."""
    median = statistics.median
    for clients, runs in measured.items():
        load, floor = [r["load"] for r in runs], [r["floor"] for r in runs]
        p50, p95, p99 = (median([t.percentiles()[i] for t in load]) for i in range(3))
        errors = max(r["load"].error_count + r["writer"].error_count for r in runs)
        floor_rate, floor_p99 = median([t.rate for t in floor]), median([t.percentiles()[2] for t in floor])
        print(f"{setup.label:<32}{clients:>8} {median([t.rate for t in load]):>9,.0f} {p50:>8.1f} {p95:>8.1f}"
              f" {p99:>8.1f} {errors:>7} {floor_rate:>12,.0f} {floor_p99:>13.1f}")  # fmt: skip
        for n, run in enumerate(runs, start=1):
            print(f"{'':<32}run {n}: {run['load'].ok:,} requests ({run['floor'].ok:,} floor),"
                  f" push results {dict(run['load'].pushes)}, writer {dict(run['writer'].pushes)}"
                  + _failed(run))  # fmt: skip


def _failed(run: dict) -> str:
    """What failed in a run (", failed {...}"), or nothing."""
    failed = {**run["load"].errors, **{f"writer {k}": v for k, v in run["writer"].errors.items()},
              **{f"floor {k}": v for k, v in run["floor"].errors.items()}}  # fmt: skip
    return f", failed {failed}" if failed else ""


def _print_open(setup: Setup, measured: dict[float, list[dict]]) -> None:
    """Each open-loop measurement: latencies, rate, the client's delay, most requests in flight, where the CPU went."""
    first = next(iter(measured.values()))
    floors = [("floor", n, run["floor"], run["floor_cpu"], "") for n, run in enumerate(first, 1)]
    loads = [(_writer_label(writes), n, run["load"], run["cpu"], f"    writer {dict(run['writer'].pushes)}"
              + _failed(run)) for writes, runs in measured.items() for n, run in enumerate(runs, 1)]  # fmt: skip
    for kind, n, tally, cpu, more in floors + loads:
        p50, p95, p99 = tally.percentiles()
        late = percentiles(tally.late_ms)
        print(f"{setup.label}, open loop, run {n}, {kind}: {tally.rate:,.0f} req/s ({tally.ok:,} answers),"
              f" p50/p95/p99 {p50:.1f}/{p95:.1f}/{p99:.1f} ms, send delay p50/p99 {late[0]:.1f}/{late[2]:.1f} ms,"
              f" in flight at most {tally.most_in_flight} (pool {OPEN_POOL}),"
              f" {tally.upserts / max(1, tally.ok):.1f} records an answer")  # fmt: skip
        print("    CPU, cores: " + ", ".join(f"{part} {share:.2f}" for part, share in cpu.items()))
        if more:
            print(more)


def _arguments() -> argparse.Namespace:
    """The command line; `--quick` starts from the QUICK sizes, which the other options then override."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--quick", action="store_true", help="tiny sizes, to check that it runs")
    defaults = QUICK if pre.parse_known_args()[0].quick else Config()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[pre])
    parser.add_argument("--mode", nargs="+", choices=MODES, default=defaults.modes,
                        help="default: both with PostgreSQL, the closed loop with SQLite")  # fmt: skip
    parser.add_argument("--clients", type=int, nargs="+", default=list(defaults.clients), help="closed loop")
    parser.add_argument("--duration", type=float, default=defaults.duration, help="closed loop: seconds recorded")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="closed loop: seconds, not recorded")
    parser.add_argument("--think-ms", type=float, default=defaults.think_ms, help="closed loop: most think time")
    parser.add_argument("--devices", type=int, default=defaults.devices, help="open loop")
    parser.add_argument("--interval", type=float, default=defaults.interval, help="open loop: seconds between pulls")
    parser.add_argument("--open-duration", type=float, default=defaults.open_duration,
                        help="open loop: seconds recorded, after priming and one interval of warm-up")  # fmt: skip
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument("--products", type=int, default=defaults.products)
    parser.add_argument("--writes", type=float, default=defaults.writes, help="closed loop: price changes per second")
    parser.add_argument("--open-writes", type=float, nargs="+", default=list(defaults.open_writes),
                        help="open loop: price changes per second, each measured (0: none)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=defaults.workers, help="gunicorn workers, over the instances")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="gunicorn threads per worker")
    parser.add_argument("--instances", type=int, nargs="+", choices=(1, 2), default=list(defaults.instances),
                        help="PostgreSQL: gunicorn instances (SQLite: one)")  # fmt: skip
    parser.add_argument("--redis", choices=("on", "off"), help="Django's cache in Redis (default: with PostgreSQL)")
    parser.add_argument("--db", nargs="+", choices=common.DATABASES, default=list(common.DATABASES))
    parser.add_argument("--devices-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--staff", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main():
    args = _arguments()
    if args.devices_worker is not None:
        print(json.dumps(_devices_worker(args.devices_worker, staff=args.staff)))
        return
    config = Config(products=args.products, clients=tuple(args.clients), duration=args.duration, runs=args.runs,
                    think_ms=args.think_ms, writes=args.writes, warmup=args.warmup, workers=args.workers,
                    threads=args.threads, modes=args.mode and tuple(args.mode), instances=tuple(args.instances),
                    redis=None if args.redis is None else args.redis == "on", devices=args.devices,
                    interval=args.interval, open_duration=args.open_duration,
                    open_writes=tuple(args.open_writes))  # fmt: skip
    print(f"Load, {config.products:,} products, {config.workers} gunicorn workers × {config.threads} threads shared"
          f" out over the instances; closed loop: think 0–{config.think_ms:g} ms, {config.duration:g} s per"
          f" measurement; open loop: {config.devices:,} devices every {config.interval:g} s, {config.open_duration:g} s"
          f" recorded; {config.runs} run(s) (median)")  # fmt: skip
    lines = []
    for setup in setups(config, tuple(args.db)):
        measured = measure(setup, config)
        if "closed" in measured:
            print(f"{'set-up':<32}{'clients':>8} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
                  f" {'floor req/s':>12} {'floor p99 ms':>13}")  # fmt: skip
            _print_closed(setup, measured["closed"])
        if "open" in measured:
            _print_open(setup, measured["open"])
        lines += results(setup, measured, config)
    common.print_results(lines, with_bench=False, width=max(len(line.case) for line in lines))
    print(f"Goals on {LABELS[GOAL_DB]} + Redis: closed loop, {GOAL_CLIENTS} clients: p99 ≤ {GOAL_P99_MS:g} ms;"
          f" open loop: p99 ≤ {GOAL_OPEN_P99_MS:g} ms; 0 errors.")  # fmt: skip


if __name__ == "__main__":
    main()
