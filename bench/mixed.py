"""Mixed: devices pulling and pushing while the admin changes prices in bulk; then every replica must equal the server.

A fresh catalogue (10,000 products) served as `bench.load` serves it:
PostgreSQL with Django's cache in Redis, one gunicorn instance of 2 workers ×
8 threads (`--instances 2`: two of 1 worker each, every device's requests
alternating between them). Every device belongs to one of 20 staff users (a
shop's staff: they may edit prices), each device with its own token, and
starts from a first download (products and categories shared by all, its
user's favourites), held as its replica. Then, in an open loop
(`bench.load.open_loop`: each device's first sync due at a random moment of
its first interval, then one every interval, started when due whatever
else is running, one sync at a time per device):

- **pullers** (`--pullers` 200, every `--pull-every` 2 s): a sync pulls the
  products from the device's cursor, following `has_more`, and about one
  time in 5 the categories, one in 10 its user's favourites, each page
  applied to its replica (upserts, deletes);
- **pushers** (`--pushers` 20, one per user, every `--push-every` 3 s): a
  sync is one push of three mutations, as the app sends its outbox: one of
  its three products favourited or un-favourited (as its replica says), and
  two price edits of random products, a cent off the price its replica holds
  (`base_version` and `base` from the replica: merge policy, so an edit
  whose price moved meanwhile comes back a conflict, tallied), then a pull
  of the products and its favourites, as the app does after a push;
- **the admin** (`--bulk-changes` 3 times, spread over the recorded span): the
  prices of all products of one category lowered by 5%, by the service the
  admin's "Change prices" action calls (`catalogue.services.products_change_prices`),
  in a Django process of its own on the same database.

Measured over `--duration` seconds (30) after `--warmup` (3 s, longer than
both intervals) not recorded. A pull's or a push's latency counts from when
its sync was due (the first request of a sync, so queueing shows; the pulls
after a push from when they are sent) to the last byte, as in `bench.load`'s
open loop; a bulk change's is the service call's own time in the admin's
process (its transaction, the writers' lock included).

Floors, measured in the same run on the same server before the load: for
pulls and pushes, the same schedule with every request a GET of a 1.3 KB
static file (WhiteNoise, same gunicorn; `bench.load`'s floor), by the
requests' kinds; for the bulk change, the same categories' prices raised by
5% on the idle server, by the same process (a static file is no
measure of a transaction of a few hundred rows).

Then every device syncs until `has_more` is false for each collection, and
its replica (products, categories, its user's favourites) must equal the
server's rows as read directly from the database in the admin's process
(the sync's own `record_values` of every row, the invisible left out), as
must a fresh device's download through the API: any difference stops the
benchmark with the devices and records that differ.

    .venv/bin/python -m bench.mixed                  # full size, about 2 minutes
    .venv/bin/python -m bench.mixed --quick --db sqlite
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

import orjson

from bench import common
from bench.common import Result, expect
from bench.load import (
    CATEGORIES_EVERY,
    FAVOURITES_EVERY,
    FLOOR_OPEN,
    FLOOR_PATH,
    OPEN_POOL,
    USERS,
    Device,
    Meter,
    Setup,
    Tally,
    Window,
    _devices,
    _session,
    _toggled,
    open_loop,
    percentiles,
    timetable,
)

COLLECTIONS = ("products", "categories", "favourites")
FAVOURITE_PRODUCTS = 3  # each pusher toggles its own products' favourites in turn
JSON = {"Content-Type": "application/json"}
EXTRA_PULLS = (("categories", CATEGORIES_EVERY), ("favourites", FAVOURITES_EVERY))  # a puller's, about one sync in N


@dataclass(frozen=True)
class Config:
    products: int = 10_000
    pullers: int = 200
    pull_every: float = 2.0
    pushers: int = 20
    push_every: float = 3.0
    price_edits: int = 2  # in each push, beside one favourite toggled
    bulk_changes: int = 3
    percent: int = 5  # each bulk change's
    duration: float = 30.0
    warmup: float = 3.0
    workers: int = 2  # on the machine, shared out over the instances as in bench.load
    threads: int = 8
    instances: int = 1
    redis: bool | None = None  # None: with PostgreSQL, as production


QUICK = Config(products=300, pullers=6, pull_every=0.5, pushers=3, push_every=0.7, bulk_changes=2, duration=3.0,
               warmup=1.0)  # fmt: skip


# --- The admin's process: bulk price changes and the rows as stored ---------------------------


def _admin_largest(count: int) -> list[int]:
    """The `count` categories with the most products."""
    from django.db.models import Count

    from catalogue.models import Category

    ranked = Category.objects.annotate(n=Count("products")).order_by("-n", "pk").values_list("pk", flat=True)
    return list(ranked[:count])


def _admin_change(category: int, percent: int) -> dict:
    """Every product of `category` by `percent`, as the admin action does: the call's seconds and rows changed."""
    from catalogue.models import Product
    from catalogue.services import products_change_prices

    started = time.perf_counter()
    changed = products_change_prices(products=Product.objects.filter(category_id=category), percent=Decimal(percent))
    return {"seconds": time.perf_counter() - started, "changed": changed}


def _rows(name: str, queryset) -> dict[str, dict]:
    """The records of `queryset` a device may see, as the sync writes them: {id: record}."""
    from syncapi.page_format import record_dict
    from syncapi.registry import registry
    from syncapi.serialization import fetch_rows, record_values

    collection = registry.get(name)
    flagged = collection.visible is not None
    rows = fetch_rows(record_values(collection, queryset))
    return {str(row[0]): record_dict(collection, row) for row in rows if not flagged or row[-1]}


def _admin_truth(users: list[int]) -> dict:
    """Every collection as stored: products, categories, and each user's favourites by user id."""
    from catalogue.models import Category, Favourite, Product

    return {
        "products": _rows("products", Product.objects.all()),
        "categories": _rows("categories", Category.objects.all()),
        "favourites": {str(user): _rows("favourites", Favourite.objects.filter(user_id=user)) for user in users},
    }


def _admin_worker() -> None:
    """Answer one JSON command a line on stdin ({"op": ..., "args": {...}}) with one JSON line on stdout."""
    import django

    django.setup()
    from syncapi.serialization import dumps

    ops = {"largest": _admin_largest, "change": _admin_change, "truth": _admin_truth}
    for line in sys.stdin:
        command = json.loads(line)
        sys.stdout.write(dumps(ops[command["op"]](**command["args"])).decode() + "\n")
        sys.stdout.flush()


class Admin:
    """The admin's Django process on the benchmark's database (`--admin-worker`), asked one thing at a time."""

    def __init__(self, url: str, redis_url: str):
        self.env = common.django_env(url, REDIS_URL=redis_url)

    async def __aenter__(self) -> "Admin":
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.mixed", "--admin-worker", cwd=common.ROOT, env=self.env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            limit=1 << 28,
        )  # fmt: skip
        return self

    async def __aexit__(self, *exc) -> None:
        self.process.stdin.close()
        await self.process.wait()

    async def ask(self, op: str, **args):
        self.process.stdin.write(orjson.dumps({"op": op, "args": args}) + b"\n")
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            error = await self.process.stderr.read()
            raise RuntimeError(f"the admin's process failed at {op}:\n{error.decode()[-3000:]}")
        return orjson.loads(line)


# --- Devices and their replicas ---------------------------------------------------------------


class Replica:
    """A device's copy of the collections: the first download (shared, never written) and what its pulls brought."""

    def __init__(self, base: dict[str, dict[str, dict]]):
        self.base = base
        self.changed: dict[str, dict[str, dict | None]] = {name: {} for name in base}  # None: deleted

    def apply(self, collection: str, page: dict) -> None:
        expect(not page["reset"], f"a {collection} page said reset: the server's history forked during the run")
        changed = self.changed[collection]
        changed.update((record["id"], record) for record in page["upserts"])
        changed.update((record_id, None) for record_id in page["deletes"])

    def get(self, collection: str, record_id: str) -> dict | None:
        changed = self.changed[collection]
        return changed[record_id] if record_id in changed else self.base[collection].get(record_id)

    def records(self, collection: str) -> dict[str, dict]:
        merged = {**self.base[collection], **self.changed[collection]}
        return {record_id: record for record_id, record in merged.items() if record is not None}

    def differences(self, collection: str, truth: dict[str, dict], moved: set[str]) -> list[str]:
        """Ids whose record here is not `truth`'s; `moved`: the ids where the first download is not."""
        return [i for i in moved | self.changed[collection].keys() if self.get(collection, i) != truth.get(i)]


@dataclass
class Member:
    """One simulated device: its HTTP client, replica and user; a pusher has its own products to favourite."""

    device: Device
    replica: Replica
    user: int  # 0 … USERS - 1
    favourite_products: list[str] = field(default_factory=list)  # a pusher's; empty for a puller

    @property
    def pusher(self) -> bool:
        return bool(self.favourite_products)


async def pull(member: Member, collection: str, since: float | None = None) -> None:
    """Pages of `collection` from the member's cursor into its replica until `has_more` is false (or one fails)."""
    device = member.device
    while True:
        cursor = device.cursors.get(collection)
        body = await device.call("GET", f"/api/sync/pull/{collection}/", params={"cursor": cursor} if cursor else {},
                                 since=since)  # fmt: skip
        since = None
        if body is None:
            return
        page = orjson.loads(body)
        member.replica.apply(collection, page)
        device.tally.upserts += len(page["upserts"])
        device.cursors[collection] = page["cursor"]
        if not page["has_more"]:
            return


def _favourite_toggle(member: Member) -> dict:
    """Favourite one of the pusher's products, or un-favourite it if its replica says it is one."""
    product = member.device.rng.choice(member.favourite_products)
    held = [r for r in member.replica.records("favourites").values() if r["product_id"] == product]
    if held:
        return {"collection": "favourites", "op": "delete", "record_id": held[0]["id"],
                "base_version": held[0]["version"]}  # fmt: skip
    return {"collection": "favourites", "op": "upsert", "record_id": str(uuid.uuid4()), "base_version": None,
            "data": {"product_id": product}}  # fmt: skip


def _price_edit(member: Member, product_id: str) -> dict:
    """A cent off the price the replica holds, from the version it holds (merge: a moved price is a conflict)."""
    record = member.replica.get("products", product_id)
    return {"collection": "products", "op": "upsert", "record_id": product_id, "base_version": record["version"],
            "data": {"price": _toggled(record["price"])}, "base": {"price": record["price"]}}  # fmt: skip


async def push(member: Member, product_ids: list[str], edits: int, since: float) -> None:
    """One push of a favourite toggled and `edits` price edits (mutation ids go on from the last push's)."""
    device = member.device
    mutations = [_favourite_toggle(member)]
    mutations += [_price_edit(member, product) for product in device.rng.sample(product_ids, edits)]
    for mutation in mutations:
        device.mutation_id += 1
        mutation["id"] = device.mutation_id
    body = orjson.dumps({"client_id": device.client_id, "mutations": mutations})
    answer = await device.call("POST", "/api/sync/push/", data=body, headers=JSON, since=since)
    if answer is not None:
        device.tally.pushes.update(result["status"] for result in orjson.loads(answer)["results"])


# --- One phase: the floor's or the load's ------------------------------------------------------


@dataclass
class Phase:
    """What the devices do in one measurement: the real syncs, or the floor's static file in their place."""

    floor: bool
    product_ids: list[str]
    price_edits: int
    windows: dict[str, Window]  # "pull", "push"

    async def sync(self, member: Member, due: float) -> None:
        """One sync of `member`, due at `due`, under its lock; its requests counted by kind."""
        kind = "push" if member.pusher else "pull"
        self.windows[kind].tally(due).late_ms.append((time.perf_counter() - due) * 1000)
        async with member.device.lock:
            if member.pusher:
                await self._push(member, due)
            else:
                await self._pull(member, due)

    async def _pull(self, member: Member, due: float) -> None:
        device = member.device
        device.tally = self.windows["pull"].tally(due)
        extra = [name for name, every in EXTRA_PULLS if device.rng.random() < 1 / every]
        for n, collection in enumerate(["products", *extra]):
            await self._get(member, collection, due if n == 0 else None)

    async def _push(self, member: Member, due: float) -> None:
        device = member.device
        device.tally = self.windows["push"].tally(due)
        if self.floor:
            await device.call("GET", FLOOR_PATH, since=due)
        else:
            await push(member, self.product_ids, self.price_edits, due)
        device.tally = self.windows["pull"].tally(due)
        for collection in ("products", "favourites"):
            await self._get(member, collection, None)

    async def _get(self, member: Member, collection: str, since: float | None) -> None:
        if self.floor:
            await member.device.call("GET", FLOOR_PATH, since=since)
        else:
            await pull(member, collection, since)


def _schedule(config: Config) -> list[tuple[float, int]]:
    """Every sync due in a phase: pullers are members 0 … pullers - 1, pushers the next."""
    span = config.warmup + config.duration
    pullers = timetable(config.pullers, config.pull_every, span, seed=1)
    pushers = [(at, config.pullers + slot) for at, slot in timetable(config.pushers, config.push_every, span, seed=2)]
    return sorted(pullers + pushers)


async def _bulk(admin: Admin | None, categories: list[int], start: float, config: Config) -> list[dict]:
    """The admin's bulk changes, spread over the recorded span (none in the floor's phase)."""
    done = []
    for n, category in enumerate(categories if admin else []):
        at = start + config.warmup + config.duration * (n + 0.5) / len(categories)
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        done.append(await admin.ask("change", category=category, percent=-config.percent))
    return done


async def _phase(members: list[Member], phase: Phase, config: Config, meter: Meter, admin: Admin | None,
                 categories: list[int]) -> dict:  # fmt: skip
    """One measurement: the tallies of pulls and pushes, the bulk changes, and the CPU over the recorded span."""
    start = time.perf_counter()
    for window in phase.windows.values():
        window.start = start

    async def started(slot: int, due: float) -> None:
        await phase.sync(members[slot], due)

    async def cpu() -> dict:
        await asyncio.sleep(config.warmup)
        before = meter.sample()
        await asyncio.sleep(config.duration)
        return meter.shares(before, meter.sample())

    shares, changes, _ = await asyncio.gather(cpu(), _bulk(admin, categories, start, config),
                                              open_loop(_schedule(config), started, start))  # fmt: skip
    return {**{kind: window.close() for kind, window in phase.windows.items()}, "bulk": changes, "cpu": shares}


def _phase_of(floor: bool, product_ids: list[str], config: Config) -> Phase:
    windows = {kind: Window(config.warmup, config.duration) for kind in ("pull", "push")}
    return Phase(floor=floor, product_ids=product_ids, price_edits=config.price_edits, windows=windows)


# --- The first download, the end, and the check -------------------------------------------------


async def _first_download(session, devices: dict, bases: list[str]) -> tuple[dict, dict, dict[int, dict]]:
    """Products and categories (shared), and the favourites of each user with a device: (records by collection,
    their cursors, {user: its favourites and cursor}). Device n is user n % USERS's."""
    device = Device(session, Tally(), devices["writer"], {}, bases=bases)
    base, cursors = {}, {}
    for collection in ("products", "categories"):
        base[collection] = {r["id"]: r for r in await device.pull(collection, think=False, limit=5000)}
        cursors[collection] = device.cursors[collection]
    expect(not device.tally.errors, f"the first download failed: {dict(device.tally.errors)}")
    users = {}
    for user in range(min(USERS, len(devices["tokens"]))):
        device = Device(session, Tally(), devices["tokens"][user], {}, bases=bases)
        favourites = {r["id"]: r for r in await device.pull("favourites", think=False, limit=5000)}
        users[user] = {"favourites": favourites, "cursor": device.cursors["favourites"]}
        expect(not device.tally.errors, f"a first download failed: {dict(device.tally.errors)}")
    return base, cursors, users


def _members(session, devices: dict, bases: list[str], first: tuple, config: Config) -> list[Member]:
    """The pullers, then the pushers (pusher k toggles products 3k … 3k + 2), each with its replica of the
    first download."""
    base, cursors, users = first
    product_ids = sorted(base["products"])
    members = []
    for slot in range(config.pullers + config.pushers):
        user, pusher = slot % USERS, slot - config.pullers
        replica = Replica({**base, "favourites": users[user]["favourites"]})
        device = Device(session, Tally(), devices["tokens"][slot], {**cursors, "favourites": users[user]["cursor"]},
                        seed=slot, bases=bases)  # fmt: skip
        own = product_ids[pusher * FAVOURITE_PRODUCTS : (pusher + 1) * FAVOURITE_PRODUCTS] if pusher >= 0 else []
        members.append(Member(device=device, replica=replica, user=user, favourite_products=own))
    return members


async def _catch_up(member: Member) -> None:
    """Sync every collection until `has_more` is false; nothing may fail now the load has stopped."""
    member.device.tally = Tally()
    for collection in COLLECTIONS:
        await pull(member, collection)
    expect(not member.device.tally.errors, f"a final sync failed: {dict(member.device.tally.errors)}")


def _moved(first: dict[str, dict], truth: dict[str, dict]) -> set[str]:
    """The ids whose record differs between the first download and the server now."""
    return {i for i in first.keys() | truth.keys() if first.get(i) != truth.get(i)}


def check(members: list[Member], truth: dict, users: list[int]) -> dict[str, int]:
    """Every replica equals the server's rows, or a RuntimeError names what differs. Returns what the load changed."""
    moved = {}  # (collection, id of a first download) -> the ids that moved since, computed once per download

    def rows_and_moved(member: Member, collection: str) -> tuple[dict, set[str]]:
        rows = truth["favourites"][str(users[member.user])] if collection == "favourites" else truth[collection]
        first = member.replica.base[collection]
        key = (collection, id(first), id(rows))
        if key not in moved:
            moved[key] = _moved(first, rows)
        return rows, moved[key]

    wrong = []
    for n, member in enumerate(members):
        for collection in COLLECTIONS:
            rows, ids = rows_and_moved(member, collection)
            for record_id in member.replica.differences(collection, rows, ids):
                held = member.replica.get(collection, record_id)
                wrong.append(f"device {n} ({'pusher' if member.pusher else 'puller'}), {collection} {record_id}: "
                             f"holds {held}, the server {rows.get(record_id)}")  # fmt: skip
    expect(not wrong, f"{len(wrong)} records differ from the server's once synced:\n" + "\n".join(wrong[:20]))
    first = members[0].replica.base["products"]
    return {"products changed": len(_moved(first, truth["products"])),
            "favourites held": sum(len(truth["favourites"][str(user)]) for user in users)}  # fmt: skip


async def _fresh(session, token: str, bases: list[str]) -> Member:
    """User 0's new device downloading everything through the API: another replica that must equal the server."""
    member = Member(Device(session, Tally(), token, {}, bases=bases), Replica({c: {} for c in COLLECTIONS}), user=0)
    await _catch_up(member)
    expect(bool(member.replica.changed["products"]), "a fresh device downloaded no products")
    return member


# --- Running it -------------------------------------------------------------------------------


async def _run(bases: list[str], url: str, redis_url: str, config: Config) -> dict:
    """Floor, load, then every device synced and checked against the server."""
    devices = _devices(url, config.pullers + config.pushers, staff=True)
    async with Admin(url, redis_url) as admin, _session(OPEN_POOL) as session:
        categories = await admin.ask("largest", count=config.bulk_changes)
        idle = [await admin.ask("change", category=c, percent=config.percent) for c in categories]
        first = await _first_download(session, devices, bases)
        members = _members(session, devices, bases, first, config)
        meter, product_ids = Meter(bases, url), sorted(first[0]["products"])
        floor = await _phase(members, _phase_of(True, product_ids, config), config, meter, None, categories)
        load = await _phase(members, _phase_of(False, product_ids, config), config, meter, admin, categories)
        for n in range(0, len(members), 50):
            await asyncio.gather(*(_catch_up(member) for member in members[n : n + 50]))
        members.append(await _fresh(session, devices["tokens"][0], bases))
        truth = await admin.ask("truth", users=devices["users"])
        changed = check(members, truth, devices["users"])
    return {"floor": floor, "load": load, "idle": idle, "changed": changed, "devices": len(members),
            "products": len(truth["products"])}  # fmt: skip


def setup_of(db: str, config: Config) -> Setup:
    return Setup(db, config.redis if config.redis is not None else db == "postgres", config.instances)


def measure(db: str, config: Config) -> dict:
    """A fresh server of `db`, loaded once (floor, then load) and checked."""
    setup = setup_of(db, config)
    redis_url = common.BENCH_REDIS_URL if setup.redis else ""
    # A database of this run's own: another run of the benchmark (a test's) drops its fixed-name one at start.
    serving = common.serve_instances(config.products, db, instances=setup.instances,
                                     name=f"mixed_{os.getpid()}",
                                     workers=max(1, config.workers // setup.instances), threads=config.threads,
                                     redis_url=redis_url)  # fmt: skip
    with serving as (bases, url):
        return asyncio.run(_run(bases, url, redis_url, config))


# --- Report -----------------------------------------------------------------------------------


def _slowest(changes: list[dict]) -> float:
    return max(change["seconds"] for change in changes) * 1000


def results(db: str, measured: dict, config: Config) -> list[Result]:
    """p99 of pulls and pushes and the slowest bulk change beside their floors, errors, and the check."""
    setup = setup_of(db, config)
    floor, load = measured["floor"], measured["load"]
    case = (f"{config.pullers} devices pulling every {config.pull_every:g} s, {config.pushers} pushing every "
            f"{config.push_every:g} s, {config.bulk_changes} bulk price changes, {setup.label}")  # fmt: skip
    rows = statistics.median(change["changed"] for change in load["bulk"])
    note = (f"open loop, {config.duration:g} s recorded after {config.warmup:g} s; {config.products:,} products; "
            f"gunicorn {setup.instances} × {max(1, config.workers // setup.instances)} workers × {config.threads} "
            f"threads")  # fmt: skip
    fields = {"bench": "Mixed load", "note": note}
    errors = sum(load[kind].error_count for kind in ("pull", "push"))
    return [
        Result(case=f"{case} — pulls, p99", unit="ms", samples=[load["pull"].percentiles()[2]],
               floor_samples=[floor["pull"].percentiles()[2]], floor=FLOOR_OPEN, **fields),
        Result(case=f"{case} — pushes, p99", unit="ms", samples=[load["push"].percentiles()[2]],
               floor_samples=[floor["push"].percentiles()[2]], floor=FLOOR_OPEN, **fields),
        Result(case=f"{case} — a bulk price change of a category ({rows:,.0f} products), the slowest of "
                    f"{len(load['bulk'])}", unit="ms", samples=[_slowest(load["bulk"])],
               floor_samples=[_slowest(measured["idle"])], floor="the same categories' change on the idle server",
               **fields),
        Result(case=f"{case} — errors", unit="errors", samples=[float(errors)],
               floor_samples=[float(sum(floor[kind].error_count for kind in ("pull", "push")))], floor=FLOOR_OPEN,
               **fields),
        Result(case=f"{case} — replicas equal to the server once synced", unit="devices",
               samples=[float(measured["devices"])], goal=f"all {measured['devices']}", met=True, **fields),
    ]  # fmt: skip


def collect(quick: bool = False, dbs: tuple[str, ...] = common.DATABASES) -> list[Result]:
    """On PostgreSQL + Redis (production's set-up) when measured, else on the first of `dbs`."""
    db = "postgres" if "postgres" in dbs else dbs[0]
    config = QUICK if quick else Config()
    return results(db, measure(db, config), config)


def _print_phases(measured: dict) -> None:
    """Each phase's rates, latencies, push outcomes and failures, and where the CPU went."""
    for name in ("floor", "load"):
        phase = measured[name]
        for kind in ("pull", "push"):
            tally = phase[kind]
            p50, p95, p99 = tally.percentiles()
            late = percentiles(tally.late_ms)[2]
            print(f"{name} {kind}: {tally.rate:,.0f} req/s ({tally.ok:,} answers), p50/p95/p99 {p50:.1f}/{p95:.1f}/"
                  f"{p99:.1f} ms, send delay p99 {late:.1f} ms, {tally.upserts / max(1, tally.ok):.1f} records an"
                  f" answer, push results {dict(tally.pushes)}, failed {dict(tally.errors) or 'none'}")  # fmt: skip
        print("    CPU, cores: " + ", ".join(f"{part} {share:.2f}" for part, share in phase["cpu"].items()))
    for name, changes in (("idle", measured["idle"]), ("under load", measured["load"]["bulk"])):
        print(f"bulk changes, {name}: " + ", ".join(f"{c['changed']} rows in {c['seconds'] * 1000:,.0f} ms"
                                                    for c in changes))  # fmt: skip
    print(f"checked: {measured['devices'] - 1} devices and a fresh one's download hold the server's"
          f" {measured['products']:,} products, its categories and their user's favourites;"
          f" the load changed {measured['changed']}")  # fmt: skip


def main():
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--quick", action="store_true", help="tiny sizes, to check that it runs")
    defaults = QUICK if pre.parse_known_args()[0].quick else Config()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[pre])
    for name in ("products", "pullers", "pushers", "price_edits", "bulk_changes", "percent", "workers", "threads"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    for name in ("pull_every", "push_every", "duration", "warmup"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name),
                            help="seconds")  # fmt: skip
    parser.add_argument("--instances", type=int, choices=(1, 2), default=defaults.instances)
    parser.add_argument("--redis", choices=("on", "off"), help="Django's cache in Redis (default: with PostgreSQL)")
    parser.add_argument("--db", choices=common.DATABASES, default="postgres")
    parser.add_argument("--admin-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.admin_worker:
        _admin_worker()
        return
    config = replace(defaults, redis=None if args.redis is None else args.redis == "on",
                     **{name: getattr(args, name) for name in ("products", "pullers", "pushers", "price_edits",
                                                               "bulk_changes", "percent", "workers", "threads",
                                                               "pull_every", "push_every", "duration", "warmup",
                                                               "instances")})  # fmt: skip
    measured = measure(args.db, config)
    _print_phases(measured)
    lines = results(args.db, measured, config)
    common.print_results(lines, with_bench=False, width=max(len(line.case) for line in lines))


if __name__ == "__main__":
    main()
