"""First downloads: the server's cost per device when 50 devices start their first download at once.

A fresh catalogue of N products (10,000 and 100,000) is served by gunicorn on
loopback like production (`common.serve`: DEBUG off, snapshots built as
`make run` builds them, 2 workers × 4 threads, one worker per core), on
SQLite (or PostgreSQL, `--db`). D devices (50) start their first download in
the same instant. Each device is anonymous and has its own aiohttp session
whose connector holds at most 6 connections (a browser's per-host limit over
HTTP/1.1) and sends `Accept-Encoding: gzip, deflate, br` (what Chromium sends
on localhost and over HTTPS). Three scenarios, each one burst of D devices:

- **snapshot** (what the app does): the configuration and every offered
  snapshot's manifest (`GET /api/sync/snapshot/`) at once, then each global
  collection (categories, products) at once: its part files 4 in flight (the
  app's PARTS_IN_FLIGHT), then pull pages from the manifest's cursor until
  `has_more` is false (one empty page here: the catalogue does not change
  during the run);
- **pages** (a client that ignores the snapshot extension: what the server
  would pay without snapshots): the configuration, then each global collection
  pulled from no cursor with limit=5000, following cursors until `has_more` is
  false (answers above 1 KB are brotli-compressed on the fly);
- **floor**: the same part files, byte for byte (their `.json`, `.json.br` and
  `.json.gz`), copied into STATIC_ROOT before gunicorn starts and served by
  WhiteNoise from the same gunicorn to the same devices, 4 in flight per
  collection: the least a server can do to hand every device these bytes
  (gunicorn, WSGI, a file sent with sendfile), minus Django's routing, DRF,
  the manifest and the pulls. WhiteNoise answers with the `.br` sibling, as
  the part endpoint does (checked on every run).

Measured per burst:

- server CPU: utime + stime + cutime + cstime (/proc/<pid>/stat, clock ticks
  of 10 ms) summed over the gunicorn master and every process below it, read
  just before and just after the burst; divided by D. The database server's
  own CPU is not in it (SQLite runs inside the workers; PostgreSQL's backends
  are not gunicorn's children);
- latency of every request of the burst, from send to its last body byte
  (p50, p99), and the burst's wall time (all devices started → the last one
  done);
- bytes per device as on the wire: response bodies as received, not
  decompressed (`auto_decompress=False`).

The client process shares the machine's 2 cores with the server: that costs
every scenario alike, and it does not touch the server's CPU figure. Before the
rounds one device runs each scenario, unrecorded (it opens the workers'
database connections and warms the caches). Then `--rounds` rounds (3), the
scenarios' order reversed every other round. In the first round one device
of each burst keeps what it received and is checked after the burst: every
part came as br with the sha256 its manifest names, decodes (with the
project's own `part_decode`, in a Django process) to the manifest's record
counts and distinct ids, and the pull from the manifest's cursor is empty;
the pages' upserts (distinct ids) number the manifest's records; the floor's
files are the parts' bytes as on the wire. Any answer other than 2xx stops
the run, and so does a snapshot rebuilt during it (the manifests are read
again after the rounds): a background build's CPU would count as the
devices'.

The goal line divides the snapshot's CPU per device at the largest size by
that at the smallest (round i by round i): near 1 means the server does no
per-device work proportional to the catalogue. Met at ≤ 2× for a catalogue
10× larger (the pages' ratio, printed beside it, grows about 10×): parts are
files of 5,000 records each, so a download of 10× the records is 10× the part
requests, each a small constant of Django work; 2× leaves room for that and
for the machine's noise, not for work per record.

    .venv/bin/python -m bench.first_downloads --products 10000 100000 --devices 50 --rounds 3 --db sqlite
"""

import argparse
import asyncio
import gzip
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import brotli
import orjson

from bench import common
from bench.common import LABELS, Result

SCENARIOS = ("snapshot", "pages", "floor")
TITLES = {"snapshot": "snapshot", "pages": "pages (client ignoring snapshots)", "floor": "floor"}
FLOOR = "the same part files served as static files (WhiteNoise, same gunicorn)"
FLOOR_DIR = "floor"  # under STATIC_ROOT, so served at /static/floor/<collection>/<sha256>.json
ACCEPT_ENCODING = "gzip, deflate, br"  # Chromium's, on localhost and over HTTPS
CONNECTIONS = 6  # per device: a browser's per-host limit over HTTP/1.1
PARTS_IN_FLIGHT = 4  # per collection, as the app (frontend/static/frontend/js/engine.js)
PAGE_LIMIT = 5000
TIMEOUT_S = 300  # per request: a pages burst queues hundreds of requests on 8 threads
KEEPALIVE_S = 1.0  # below gunicorn's 2 s keep-alive, so a device never reuses a connection the server closed
PAUSE_S = 0.5  # between bursts, so one burst's closing connections are not the next one's cost
GOAL_RATIO = 2.0  # snapshot CPU per device, largest ÷ smallest catalogue (see the module docstring)
CLOCK_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Config:
    products: tuple[int, ...] = (10_000, 100_000)
    devices: int = 50
    rounds: int = 3
    workers: int = 2
    threads: int = 4


QUICK = Config(products=(300, 600), devices=5, rounds=1)


class BenchError(RuntimeError):
    """The run measured something other than correct first downloads."""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


# --- The server's CPU, from /proc ---------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3, the state, first); None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _children() -> dict[int, list[int]]:
    """Every process's children, by parent pid."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def server_master(base: str) -> int:
    """The pid of the gunicorn master listening at `base`: a child of this process bound to its port."""
    bind = f"127.0.0.1:{base.rsplit(':', 1)[1]}".encode()
    for pid in _children().get(os.getpid(), []):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"gunicorn" in argv and bind in argv:
            return pid
    raise BenchError(f"no gunicorn master bound to {bind.decode()} among this process's children")


def server_cpu_s(master: int) -> float:
    """CPU-seconds used so far by `master` and every process below it, including reaped children's."""
    tree, pending, ticks = _children(), [master], 0
    while pending:
        pid = pending.pop()
        pending += tree.get(pid, [])
        if (fields := _stat(pid)) is not None:
            ticks += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime (fields 14-17)
    return ticks * CLOCK_TICK_S


# --- One simulated device ------------------------------------------------------------------------


@dataclass
class Received:
    """One answer a checked device kept, as on the wire."""

    kind: str  # "config", "manifest", "part", "pull" or "floor"
    collection: str
    path: str
    coding: str  # its Content-Encoding, "identity" if none
    body: bytes


class Device:
    """A browser-like client: its own connections (at most 6), Chromium's Accept-Encoding; bodies counted as
    received on the wire (aiohttp does not decompress them)."""

    def __init__(self, base: str, keep: bool = False):
        connector = aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=KEEPALIVE_S)
        self.session = aiohttp.ClientSession(base, connector=connector, auto_decompress=False,
                                             headers={"Accept-Encoding": ACCEPT_ENCODING},
                                             timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))  # fmt: skip
        self.keep = keep
        self.latencies_ms: list[float] = []
        self.bytes = 0
        self.kept: list[Received] = []

    async def get(self, kind: str, collection: str, path: str, params: dict | None = None) -> bytes:
        """One timed GET; its body decoded from its Content-Encoding. Anything but 2xx stops the run."""
        started = time.perf_counter()
        try:
            async with self.session.get(path, params=params) as response:
                body = await response.read()
                status, coding = response.status, response.headers.get("Content-Encoding", "identity")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BenchError(f"GET {_where(path, params)} failed: {type(exc).__name__} {exc}") from exc
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.bytes += len(body)
        if not 200 <= status < 300:
            raise BenchError(f"GET {_where(path, params)} answered HTTP {status}: {_excerpt(body, coding)}")
        if self.keep:
            self.kept.append(Received(kind, collection, path, coding, body))
        return body if kind in ("part", "floor") else _decoded(body, coding)  # parts are not read by the bench

    async def close(self) -> None:
        await self.session.close()


def _where(path: str, params: dict | None) -> str:
    return path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _excerpt(body: bytes, coding: str) -> str:
    """The start of an error's body, for the message."""
    try:
        body = _decoded(body, coding)
    except (brotli.error, OSError, EOFError, BenchError):
        pass  # an undecodable body is shown raw: the message is about the status
    return repr(body[:300])


def _decoded(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.decompress(body)
    if coding == "gzip":
        return gzip.decompress(body)
    _expect(coding == "identity", f"unexpected Content-Encoding {coding!r}")
    return body


def _page_tail(page: bytes) -> dict:
    """`cursor` and `has_more` of a pull page without parsing its upserts: the answer's keys are in the
    order collection, upserts, deletes, cursor, has_more, reset, so the last `"cursor":` is the page's."""
    at = page.rfind(b',"cursor":')
    return orjson.loads(b"{" + page[at + 1 :]) if at >= 0 else orjson.loads(page)


async def _pull(device: Device, collection: str, cursor: str | None) -> None:
    """Pages of `collection` from `cursor` (None: from scratch) until `has_more` is false."""
    while True:
        params = {"limit": str(PAGE_LIMIT), **({"cursor": cursor} if cursor is not None else {})}
        tail = _page_tail(await device.get("pull", collection, f"/api/sync/pull/{collection}/", params))
        cursor = tail["cursor"]
        if not tail["has_more"]:
            return


async def _files(device: Device, kind: str, collection: str, paths: list[str]) -> None:
    """`paths` fetched PARTS_IN_FLIGHT at a time, each next one as soon as one is done (as the app)."""
    waiting = list(paths)

    async def one_at_a_time():
        while waiting:
            await device.get(kind, collection, waiting.pop(0))

    await asyncio.gather(*(one_at_a_time() for _ in range(PARTS_IN_FLIGHT)))


def _global(config: dict) -> list[str]:
    return [name for name, c in config["collections"].items() if c.get("scope") != "user"]


async def _from_snapshot(device: Device, collection: str, manifest: dict | None) -> None:
    cursor = None
    if manifest is not None:
        await _files(device, "part", collection, [part["url"] for part in manifest["parts"]])
        cursor = manifest["cursor"]
    await _pull(device, collection, cursor)


async def download_snapshot(device: Device, site: "Site") -> None:
    """Scenario 1, as the app: the configuration and every offered snapshot (`GET /api/sync/snapshot/`)
    at once, then every global collection at once from its snapshot."""
    config, offered = await asyncio.gather(device.get("config", "", "/api/sync/config/"),
                                           device.get("manifest", "", "/api/sync/snapshot/"))  # fmt: skip
    snapshots = orjson.loads(offered)["snapshots"]
    await asyncio.gather(*(_from_snapshot(device, name, snapshots.get(name)) for name in _global(orjson.loads(config))))


async def download_pages(device: Device, site: "Site") -> None:
    """Scenario 2: config, then every global collection at once, paged from no cursor."""
    config = orjson.loads(await device.get("config", "", "/api/sync/config/"))
    await asyncio.gather(*(_pull(device, name, None) for name in _global(config)))


async def download_floor(device: Device, site: "Site") -> None:
    """Scenario 3: the same part files as static files, every collection at once."""
    await asyncio.gather(*(_files(device, "floor", name, paths) for name, paths in site.floor_paths().items()))


DOWNLOADS = {"snapshot": download_snapshot, "pages": download_pages, "floor": download_floor}


# --- The site, a burst, a size --------------------------------------------------------------------


@dataclass
class Site:
    """One served catalogue: where it is, its gunicorn master, and its snapshots' manifests."""

    base: str
    database_url: str
    master: int
    manifests: dict[str, dict] = field(default_factory=dict)  # global collection -> manifest
    snapshot_parts: dict[str, bytes] = field(default_factory=dict)  # sha256 -> a part as the checked device got it

    def floor_paths(self) -> dict[str, list[str]]:
        return {name: [f"/static/{FLOOR_DIR}/{name}/{part['sha256']}.json" for part in m["parts"]]
                for name, m in self.manifests.items()}  # fmt: skip


def copy_parts_to_static(env: dict, static_root: Path) -> None:
    """`serve`'s before_start: every snapshot part file (all codings) into STATIC_ROOT/floor/, before
    gunicorn starts, since WhiteNoise lists STATIC_ROOT (and each file's .br/.gz siblings) at start-up."""
    source = Path(env["SYNC_SNAPSHOT_DIR"])
    for path in source.glob("*/*.json*"):
        target = static_root / FLOOR_DIR / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())


async def _prepare(base: str, database_url: str) -> Site:
    """The manifests of every global collection (untimed), and a check that the floor is served as br."""
    site = Site(base, database_url, server_master(base))
    device = Device(base)
    try:
        config = orjson.loads(await device.get("config", "", "/api/sync/config/"))
        for name in _global(config):
            _expect(config["collections"][name].get("snapshot"), f"{name}: the server offers no snapshot")
            site.manifests[name] = orjson.loads(await device.get("manifest", name, f"/api/sync/snapshot/{name}/"))
        path = next(p for paths in site.floor_paths().values() for p in paths)
        async with device.session.get(path) as response:
            coding = response.headers.get("Content-Encoding")
        _expect(coding == "br", f"WhiteNoise answered {path} with Content-Encoding {coding!r}, not br")
    finally:
        await device.close()
    return site


@dataclass
class Burst:
    """What one burst of devices cost the server and saw."""

    scenario: str
    devices: int
    cpu_s: float
    wall_s: float
    latencies_ms: list[float]
    bytes: list[int]  # per device

    @property
    def cpu_ms_per_device(self) -> float:
        return self.cpu_s * 1000 / self.devices

    @property
    def mb_per_device(self) -> float:
        return statistics.mean(self.bytes) / 1e6

    def percentile(self, p: int) -> float:
        """The p-th percentile of the burst's request latencies, in ms."""
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


async def burst(site: Site, scenario: str, devices: int, check: bool = False) -> Burst:
    """`devices` devices doing `scenario` from the same instant; with `check`, the first one's answers verified."""
    clients = [Device(site.base, keep=check and n == 0) for n in range(devices)]
    await asyncio.sleep(PAUSE_S)
    cpu_before, started = server_cpu_s(site.master), time.perf_counter()
    try:
        await asyncio.gather(*(DOWNLOADS[scenario](device, site) for device in clients))
        wall_s, cpu_after = time.perf_counter() - started, server_cpu_s(site.master)
    finally:
        await asyncio.gather(*(device.close() for device in clients))
    if check:
        CHECKS[scenario](site, clients[0].kept)
    latencies = [ms for device in clients for ms in device.latencies_ms]
    return Burst(scenario, devices, cpu_after - cpu_before, wall_s, latencies, [device.bytes for device in clients])


async def _rounds(site: Site, config: Config) -> dict[str, list[Burst]]:
    """One unrecorded device per scenario, then `rounds` × every scenario, the order reversed every other round."""
    for scenario in SCENARIOS:
        await burst(site, scenario, 1)
    measured: dict[str, list[Burst]] = {scenario: [] for scenario in SCENARIOS}
    for n in range(config.rounds):
        for scenario in SCENARIOS if n % 2 == 0 else reversed(SCENARIOS):
            measured[scenario].append(await burst(site, scenario, config.devices, check=n == 0))
    return measured


async def _measure_site(base: str, url: str, config: Config) -> tuple[Site, dict[str, list[Burst]]]:
    site = await _prepare(base, url)
    measured = await _rounds(site, config)
    after = await _prepare(base, url)
    _expect(after.manifests == site.manifests, "a snapshot was rebuilt during the run: the build's CPU would "
            "count as the devices'")  # fmt: skip
    return site, measured


def measure(db: str, products: int, config: Config) -> tuple[Site, dict[str, list[Burst]]]:
    """A fresh catalogue of `products` on `db`, with the floor's files: its manifests and every burst."""
    with common.serve(products, db, workers=config.workers, threads=config.threads, name="first_downloads",
                      before_start=copy_parts_to_static) as (base, url):  # fmt: skip
        return asyncio.run(_measure_site(base, url, config))


# --- Checks of one device's answers ---------------------------------------------------------------


def _decode_worker(directory: str) -> dict:
    """In a Django process: every part file under `directory` (<collection>/<sha256>, identity bytes) decoded by
    the project's own `part_decode` (it needs the app registry, and the format is its to change)."""
    import django

    django.setup()
    from syncapi.snapshots.format import part_decode

    parts, ids = {}, {}
    for path in sorted(Path(directory).glob("*/*")):
        collection, records = part_decode(path.read_bytes())
        parts[f"{path.parent.name}/{path.name}"] = [collection, len(records)]
        ids.setdefault(path.parent.name, set()).update(record["id"] for record in records)
    return {"parts": parts, "distinct": {name: len(found) for name, found in ids.items()}}


def decode_parts(database_url: str, parts: dict[str, dict[str, bytes]]) -> dict:
    """{collection: {sha256: identity bytes}} decoded in a Django process: {"parts": {"<collection>/<sha256>":
    [collection, records]}, "distinct": {collection: distinct ids}}."""
    with tempfile.TemporaryDirectory(prefix="bench-first-downloads-parts-") as scratch:
        for collection, files in parts.items():
            (Path(scratch) / collection).mkdir()
            for digest, data in files.items():
                (Path(scratch) / collection / digest).write_bytes(data)
        command = [sys.executable, "-m", "bench.first_downloads", "--decode-parts", scratch]
        out = subprocess.run(command, cwd=common.ROOT, env=common.django_env(database_url), capture_output=True,
                             text=True)  # fmt: skip
    if out.returncode:
        raise BenchError(f"decoding the parts with syncapi.snapshots.format.part_decode failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _check_files(site: Site, kept: list[Received], kind: str) -> dict[str, dict[str, bytes]]:
    """Every part of every manifest received once, br-encoded, with the part's sha256: {collection: {sha256: raw}}."""
    raw = {}
    for name, manifest in site.manifests.items():
        received = [r for r in kept if r.kind == kind and r.collection == name]
        _expect(len(received) == len(manifest["parts"]), f"{kind} {name}: {len(received)} files, "
                f"{len(manifest['parts'])} parts")  # fmt: skip
        by_digest = {r.path.rsplit("/", 1)[1].split(".", 1)[0]: r for r in received}
        raw[name] = {}
        for part in manifest["parts"]:
            _expect(part["sha256"] in by_digest, f"{kind} {name}: part {part['sha256']} not received")
            r = by_digest[part["sha256"]]
            _expect(r.coding == "br", f"{r.path} came as {r.coding}, not br")
            _expect(hashlib.sha256(_decoded(r.body, r.coding)).hexdigest() == part["sha256"],
                    f"{r.path}: not the part's bytes")  # fmt: skip
            raw[name][part["sha256"]] = r.body
    return raw


def _pulled(kept: list[Received], collection: str) -> tuple[list, int, int]:
    """(upserted ids, deletes, pages) of the pull pages a device received for `collection`."""
    pages = [orjson.loads(_decoded(r.body, r.coding)) for r in kept if r.kind == "pull" and r.collection == collection]
    return [u["id"] for page in pages for u in page["upserts"]], sum(len(p["deletes"]) for p in pages), len(pages)


def check_snapshot(site: Site, kept: list[Received]) -> None:
    site.snapshot_parts = _check_files(site, kept, "part")
    identity = {name: {digest: brotli.decompress(body) for digest, body in files.items()}
                for name, files in site.snapshot_parts.items()}  # fmt: skip
    decoded = decode_parts(site.database_url, identity)
    for name, manifest in site.manifests.items():
        for part in manifest["parts"]:
            found = decoded["parts"][f"{name}/{part['sha256']}"]
            _expect(found == [name, part["records"]], f"snapshot {name}: part {part['sha256']} decodes to {found}, "
                    f"the manifest says {part['records']} records")  # fmt: skip
        distinct = decoded["distinct"].get(name, 0)
        _expect(distinct == manifest["records"], f"snapshot {name}: {distinct} distinct ids in the parts, "
                f"the manifest says {manifest['records']} records")  # fmt: skip
        ids, deletes, pages = _pulled(kept, name)
        _expect((len(ids), deletes) == (0, 0), f"snapshot {name}: the pull from the manifest's cursor brought "
                f"{len(ids)} upserts and {deletes} deletes on an unchanged catalogue")  # fmt: skip
        _expect(pages >= 1, f"snapshot {name}: no pull after the parts")


def check_pages(site: Site, kept: list[Received]) -> None:
    for name, manifest in site.manifests.items():
        ids, deletes, _ = _pulled(kept, name)
        _expect(len(ids) == len(set(ids)) == manifest["records"], f"pages {name}: {len(ids)} upserts "
                f"({len(set(ids))} distinct), the manifest says {manifest['records']} records")  # fmt: skip
    big = [r for r in kept if r.kind == "pull" and len(r.body) > 1024]
    _expect(all(r.coding == "br" for r in big), "a pull page above 1 KB did not come brotli-compressed")


def check_floor(site: Site, kept: list[Received]) -> None:
    raw = _check_files(site, kept, "floor")
    _expect(
        not site.snapshot_parts or raw == site.snapshot_parts,
        "the floor's bytes differ from the snapshot parts' on the wire",
    )


CHECKS = {"snapshot": check_snapshot, "pages": check_pages, "floor": check_floor}


# --- Report -------------------------------------------------------------------------------------


def bench_name(config: Config) -> str:
    return f"First downloads, {config.devices} devices at once"


def results(db: str, products: int, measured: dict[str, list[Burst]], config: Config) -> list[Result]:
    """The lines of one catalogue size: CPU, p99 and wall time per device and scenario, and bytes per device."""
    case = f"{products:,} products, {LABELS[db]}"
    floor = measured["floor"]
    note = (f"{len(floor)} round(s), scenarios alternating; gunicorn {config.workers} workers × {config.threads} "
            f"threads; {CONNECTIONS} connections per device, parts {PARTS_IN_FLIGHT} in flight")  # fmt: skip
    shared = {"bench": bench_name(config), "floor": FLOOR, "note": note}
    figures = (
        ("server CPU/device", "CPU-ms", lambda b: b.cpu_ms_per_device),
        ("p99 latency", "ms", lambda b: b.percentile(99)),
        ("burst wall time", "s", lambda b: b.wall_s),
        ("bytes/device", "MB", lambda b: b.mb_per_device),
    )
    return [Result(case=f"{case}: {label}, {TITLES[scenario]}", unit=unit,
                   samples=[value(b) for b in measured[scenario]], floor_samples=[value(b) for b in floor], **shared)
            for label, unit, value in figures for scenario in ("snapshot", "pages")]  # fmt: skip


def _growth(large: list[Burst], small: list[Burst]) -> list[float]:
    """CPU per device at the large size ÷ at the small one, round by round (a round of zero ticks skipped)."""
    return [a.cpu_s / b.cpu_s for a, b in zip(large, small, strict=False) if b.cpu_s > 0]


def growth_results(db: str, by_size: dict[int, dict[str, list[Burst]]], config: Config) -> list[Result]:
    """The goal line: the snapshot's CPU per device at the largest size ÷ at the smallest; the pages' beside it."""
    if len(by_size) < 2:
        return []
    small, large = min(by_size), max(by_size)
    floor = _growth(by_size[large]["floor"], by_size[small]["floor"])
    lines = []
    for scenario in ("snapshot", "pages"):
        samples = _growth(by_size[large][scenario], by_size[small][scenario])
        if not samples:
            continue
        goal = scenario == "snapshot"
        met = statistics.median(samples) <= GOAL_RATIO if goal else None
        lines.append(Result(
            bench=bench_name(config), unit="×", samples=samples, floor_samples=floor, met=met,
            case=f"{LABELS[db]}, {large:,} ÷ {small:,} products: CPU/device, {TITLES[scenario]}",
            floor=f"the same ratio for {FLOOR}",
            goal=f"≤ {GOAL_RATIO:g}× (no per-device work proportional to the catalogue)" if goal else "",
            note=f"round i of one size ÷ round i of the other; the catalogue is {large / small:g}× larger",
        ))  # fmt: skip
    return lines


def _print_details(db: str, products: int, site: Site, measured: dict[str, list[Burst]]) -> None:
    """One line per scenario (medians over rounds), and what one device downloaded."""
    median = statistics.median
    parts = sum(len(m["parts"]) for m in site.manifests.values())
    records = ", ".join(f"{m['records']:,} {name}" for name, m in site.manifests.items())
    print(f"\n{LABELS[db]}, {products:,} products ({records}; {parts} parts): checked ✓")
    print(f"{'scenario':<38}{'CPU-ms/device':>14}{'p50 ms':>9}{'p99 ms':>9}{'wall s':>8}{'MB/device':>10}"
          f"{'requests/device':>16}")  # fmt: skip
    for scenario, bursts in measured.items():
        per_device = median([len(b.latencies_ms) / b.devices for b in bursts])
        print(f"{TITLES[scenario]:<38}{median([b.cpu_ms_per_device for b in bursts]):>14,.1f}"
              f"{median([b.percentile(50) for b in bursts]):>9,.1f}{median([b.percentile(99) for b in bursts]):>9,.1f}"
              f"{median([b.wall_s for b in bursts]):>8,.2f}{median([b.mb_per_device for b in bursts]):>10,.2f}"
              f"{per_device:>16,.0f}")  # fmt: skip


def run(config: Config, dbs: tuple[str, ...], details: bool = False) -> list[Result]:
    lines = []
    for db in dbs:
        by_size = {}
        for products in config.products:
            site, by_size[products] = measure(db, products, config)
            if details:
                _print_details(db, products, site, by_size[products])
            lines += results(db, products, by_size[products], config)
        lines += growth_results(db, by_size, config)
    return lines


def collect(quick: bool = False, dbs: tuple[str, ...] = ("sqlite",)) -> list[Result]:
    return run(QUICK if quick else Config(), dbs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Config()
    parser.add_argument("--products", type=int, nargs="+", default=list(defaults.products), help="catalogue sizes")
    parser.add_argument("--devices", type=int, default=defaults.devices, help="devices starting at once")
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="bursts of each scenario")
    parser.add_argument("--db", nargs="+", choices=common.DATABASES, default=["sqlite"])
    parser.add_argument("--decode-parts", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.decode_parts:
        print(json.dumps(_decode_worker(args.decode_parts)))
        return
    if args.devices < 1 or args.rounds < 1:
        parser.error("--devices and --rounds must be at least 1")
    config = replace(defaults, products=tuple(sorted(set(args.products))), devices=args.devices, rounds=args.rounds)
    print(f"{bench_name(config)}: gunicorn {config.workers} workers × {config.threads} threads, {config.rounds} "
          f"round(s) of each scenario (medians), {CONNECTIONS} connections per device, Accept-Encoding "
          f"{ACCEPT_ENCODING}")  # fmt: skip
    found = run(config, tuple(args.db), details=True)
    print(f"\n{bench_name(config)} (floor: {FLOOR})")
    common.print_results(found, with_bench=False)


if __name__ == "__main__":
    main()
