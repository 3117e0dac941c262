"""Push: 1,000 mutations in one request, and the same request replayed, beside plain SQL.

A staff device pushes price and stock changes of existing products (the
`products` collection, merge policy) through the real endpoint: the
in-process Django test client with full middleware, Bearer token
authentication, envelope validation, `mutations_apply` and the JSON answer,
in a process set up as `project/wsgi.py` sets up a server's.
Each run uses a new client_id, so its mutation ids 1…n are new and, sent with
the versions the client last pulled, every change applies; then the very same
request body is sent again and every mutation must be answered `duplicate`.
Any other answer, or rows not holding the pushed values, stops the benchmark.
The writers' lock is timed as that first push holds it: a push holds it one
slice at a time (`PUSH_LOCK_SLICE_MS`, syncapi.push), and the longest slice,
from its start to its commit, is the figure (the push reads and validates
its plain updates before, docs/decisions/0011-pushes-outside-the-writers-lock.md).

The floors, measured alternately with the endpoint in the same process:

- apply: the same changes (price, stock and `updated_at`, which the endpoint
  stores too) as one `executemany` of plain UPDATEs in one transaction. The
  versioning triggers still fire, as they do for any write path, so the floor
  is the database work a push cannot avoid, minus the protocol. It is the
  floor of the lock's hold too, in ms.
- replay: reading the client's last mutation id (its row locked, as a writer
  must) in one transaction and answering every mutation `duplicate`. A replay
  changes nothing, so this is all the work a correct server has to do; there
  is no plain-SQL equivalent of "the same UPDATEs" to compare with.

Orders: 80 orders of 10 lines (as many as `--mutations` holds in a smaller
run, at least 2), each created as a draft, given its lines and submitted (12
mutations, 960 in all, within the push cap), pushed with each
order in its own atomic group, beside the very same push without groups.
Both are timed at the endpoint, and the longest slice for which the grouped
push holds the writers' lock. Every order must end submitted with its 10 lines and a total.

Goals (issue 20), on PostgreSQL: the 1,000-mutation push holds the lock at
most 200 ms and applies at least 5,000 mutations/s.

    .venv/bin/python -m bench.push --mutations 1000 --runs 5 --db sqlite postgres
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections import Counter
from decimal import Decimal

from bench import common
from bench.common import LABELS, Result, expect, timed

FLOOR_APPLY = "plain SQL UPDATEs of the same rows, one transaction"
FLOOR_REPLAY = "reading the client's last mutation id, one transaction"
PATH = "/api/sync/push/"
QUICK = {"mutations": 50, "runs": 1, "products": 100}
ORDERS, ORDER_LINES = 80, 10
FLOOR_ORDERS = "the same push without groups"


def orders_for(mutations: int) -> int:
    """How many orders a run of `mutations` pushes: ORDERS, or fewer in a smaller run."""
    return max(2, min(ORDERS, mutations // (ORDER_LINES + 2)))


FULL = {"mutations": 1000, "runs": 5, "products": 5000}
GOAL_DB = "postgres"
GOAL_LOCK_MS, GOAL_RATE = 200, 5000


# --- In the worker process (Django set up on the benchmark's database) ------------------------


def _staff_device():
    """A staff user (products are writable by staff only) and a test client holding its device token."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from syncapi.tokens import token_create

    user = get_user_model().objects.create_user("bench-push", password=None, is_staff=True)
    raw, _ = token_create(user=user, device_name="bench")
    return user, Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw}")


def _targets(count: int) -> list[uuid.UUID]:
    """`count` active products spread over the catalogue (a fixed sample), not one neighbourhood of it."""
    import random

    from catalogue.models import Product

    ids = sorted(Product.objects.filter(is_active=True).values_list("id", flat=True))
    expect(len(ids) >= count, f"{count} mutations need {count} active products; the catalogue has {len(ids)}")
    return random.Random(1).sample(ids, count)


def _current(ids: list[uuid.UUID]) -> list[dict]:
    """The wire records of `ids` as a client last pulled them: the `base` and `base_version` of its edits."""
    from catalogue.models import Product
    from syncapi.page_format import record_dict
    from syncapi.registry import registry
    from syncapi.serialization import fetch_rows, record_values

    products = registry.get("products")
    rows = fetch_rows(record_values(products, Product.objects.filter(pk__in=ids)))
    by_id = {row["id"]: row for row in (record_dict(products, r) for r in rows)}
    return [by_id[str(pk)] for pk in ids]


def _edited(record: dict) -> dict:
    """The client's edit of one record: a cent dearer, one more in stock."""
    return {"price": str(Decimal(record["price"]) + Decimal("0.01")), "stock": record["stock"] + 1}


def _push_body(records: list[dict]) -> bytes:
    """One push of every edit from a new client (ids from 1), encoded once: encoding is the client's work."""
    import orjson

    mutations = [
        {"id": n, "collection": "products", "op": "upsert", "record_id": r["id"], "base_version": r["version"],
         "data": _edited(r), "base": {"price": r["price"], "stock": r["stock"]}}
        for n, r in enumerate(records, start=1)
    ]  # fmt: skip
    return orjson.dumps({"client_id": str(uuid.uuid4()), "mutations": mutations})


def _expect_stored(records: list[dict]) -> None:
    """Every row holds its edit (checked outside the timing)."""
    from catalogue.models import Product

    rows = Product.objects.filter(pk__in=[r["id"] for r in records]).values_list("id", "price", "stock")
    stored = {str(pk): (price, stock) for pk, price, stock in rows}
    wanted = {r["id"]: (Decimal(_edited(r)["price"]), _edited(r)["stock"]) for r in records}
    wrong = [pk for pk, values in wanted.items() if stored.get(pk) != values]
    expect(not wrong, f"{len(wrong)} of {len(records)} rows do not hold the pushed values, e.g. {wrong[:3]}")


def _expect_answer(response, status: str, count: int) -> None:
    import orjson

    expect(response.status_code == 200, f"push answered {response.status_code}: {response.content[:500]!r}")
    answer = orjson.loads(response.content)
    statuses = Counter(result["status"] for result in answer["results"])
    expect(statuses == Counter({status: count}), f"expected {count} {status}, got {dict(statuses)}")
    expect(answer["last_mutation_id"] == count, f"last_mutation_id {answer['last_mutation_id']}, expected {count}")


def _endpoint_run(http, ids: list[uuid.UUID], held: list[float]) -> dict[str, float]:
    """One push of every edit, then the same request again: seconds of each, and of the first's lock."""
    records = _current(ids)
    body = _push_body(records)

    def post():
        return http.post(PATH, data=body, content_type="application/json")

    held.clear()
    response, apply_seconds = timed(post)
    [lock_seconds] = held
    _expect_answer(response, "applied", len(ids))
    _expect_stored(records)
    response, replay_seconds = timed(post)
    _expect_answer(response, "duplicate", len(ids))
    _expect_stored(records)
    return {"endpoint": apply_seconds, "endpoint_lock": lock_seconds, "endpoint_replay": replay_seconds}


def _update_params(records: list[dict]) -> list[tuple]:
    """The UPDATE parameters of every edit, as the database driver takes them (prepared outside the timing)."""
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Product

    field = Product._meta.get_field
    now = field("updated_at").get_db_prep_value(timezone.now(), connection)
    return [
        (field("price").get_db_prep_value(Decimal(_edited(r)["price"]), connection), _edited(r)["stock"], now,
         field("id").get_db_prep_value(uuid.UUID(r["id"]), connection))
        for r in records
    ]  # fmt: skip


def _floor_apply(params: list[tuple]) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany("UPDATE catalogue_product SET price = %s, stock = %s, updated_at = %s WHERE id = %s", params)


def _floor_replay(client: tuple, mutation_ids: range) -> list[dict]:
    """What a replay needs at least: the client's remembered id, read under its row lock."""
    from django.db import connection, transaction

    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""  # SQLite: BEGIN IMMEDIATE locks already
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT last_mutation_id FROM syncapi_syncclient WHERE user_id = %s AND client_id = %s{lock}",
                       client)  # fmt: skip
        (last,) = cursor.fetchone()
        return [{"id": n, "status": "duplicate"} for n in mutation_ids if n <= last]


def _replaying_client(user, count: int) -> tuple:
    """A client that already sent mutations 1…count: the floor replay's row, as the driver takes its key."""
    from django.db import connection

    from syncapi.models import SyncClient

    client = SyncClient.objects.create(user=user, client_id=uuid.uuid4(), last_mutation_id=count)
    return user.pk, SyncClient._meta.get_field("client_id").get_db_prep_value(client.client_id, connection)


def _floor_run(client: tuple, ids: list[uuid.UUID]) -> dict[str, float]:
    records = _current(ids)
    params = _update_params(records)
    _, apply_seconds = timed(lambda: _floor_apply(params))
    _expect_stored(records)
    answers, replay_seconds = timed(lambda: _floor_replay(client, range(1, len(ids) + 1)))
    expect(len(answers) == len(ids), f"floor replay answered {len(answers)} duplicates, expected {len(ids)}")
    return {"floor": apply_seconds, "floor_replay": replay_seconds}


def _order_body(product_ids: list[uuid.UUID], orders: int, *, grouped: bool) -> tuple[bytes, list[str]]:
    """`orders` orders, each a draft, its lines and its submission (a group each if `grouped`): the body and
    order ids."""
    import orjson

    mutations, order_ids = [], []
    for n in range(orders):
        order_id = str(uuid.uuid4())
        order_ids.append(order_id)
        group = {"group": order_id} if grouped else {}
        lines = [
            {"collection": "order_lines", "op": "upsert", "record_id": str(uuid.uuid4()), "base_version": None,
             "data": {"order_id": order_id, "product_id": str(product_ids[(n * ORDER_LINES + k) % len(product_ids)]),
                      "quantity": k + 1}, **group}
            for k in range(ORDER_LINES)
        ]  # fmt: skip
        mutations += [
            {"collection": "orders", "op": "upsert", "record_id": order_id, "base_version": None,
             "data": {"status": "draft", "customer": f"Shop {n}", "note": ""}, **group},
            *lines,
            {"collection": "orders", "op": "upsert", "record_id": order_id, "base_version": None,
             "data": {"status": "submitted"}, **group},
        ]  # fmt: skip
    for n, mutation in enumerate(mutations, start=1):
        mutation["id"] = n
    return orjson.dumps({"client_id": str(uuid.uuid4()), "mutations": mutations}), order_ids


def _orders_run(http, product_ids, orders: int, held: list[float]) -> dict[str, float]:
    """The order push grouped and ungrouped: seconds at the endpoint and with the writers' lock held."""
    from catalogue.models import Order, OrderLine

    timings = {}
    for name, grouped in (("orders_grouped", True), ("orders_ungrouped", False)):
        body, order_ids = _order_body(product_ids, orders, grouped=grouped)
        response, seconds = timed(lambda: http.post(PATH, data=body, content_type="application/json"))  # noqa: B023
        _expect_answer(response, "applied", orders * (ORDER_LINES + 2))
        submitted = Order.objects.filter(pk__in=order_ids, status="submitted", total__isnull=False).count()
        expect(submitted == orders, f"{submitted} of {orders} orders submitted with a total")
        lines = OrderLine.objects.filter(order_id__in=order_ids).count()
        expect(lines == orders * ORDER_LINES, f"{lines} order lines stored, expected {orders * ORDER_LINES}")
        timings[name], timings[f"{name}_lock"] = seconds, held.pop()
    return timings


def _timing_the_lock(held: list[float]) -> None:
    """Time the writers' lock as each `mutations_apply` holds it, slice by slice (syncapi.push): from
    a slice's start (its `lock_versions`; SQLite's lock comes with the transaction it opens) to the end
    of its commit. `held` gets each push's longest hold."""
    import time
    from contextlib import contextmanager

    from syncapi import push, views

    apply, slice_ = views.mutations_apply, push._slice
    holds: list[float] = []

    @contextmanager
    def timed_slice(*args, **kwargs):
        started = time.perf_counter()
        with slice_(*args, **kwargs):
            yield
        holds.append(time.perf_counter() - started)

    def timed_apply(**kwargs):
        holds.clear()
        try:
            return apply(**kwargs)
        finally:
            held.append(max(holds))

    push._slice, views.mutations_apply = timed_slice, timed_apply


def _worker(mutations: int, runs: int) -> dict:
    from django.db import connection

    import project.wsgi  # noqa: F401 (set up as a serving process is: Django, the URLs, the collector frozen)

    user, http = _staff_device()
    ids = _targets(mutations)
    client = _replaying_client(user, mutations)
    held: list[float] = []
    _timing_the_lock(held)
    steps = (lambda: _endpoint_run(http, ids, held), lambda: _floor_run(client, ids))
    names = ("endpoint", "endpoint_lock", "endpoint_replay", "floor", "floor_replay", "orders_grouped",
             "orders_grouped_lock", "orders_ungrouped", "orders_ungrouped_lock")  # fmt: skip
    timings = {name: [] for name in names}
    for run in range(runs + 1):  # run 0 warms caches, connections and the query plans: not kept
        for step in steps if run % 2 else reversed(steps):  # alternate which goes first
            for name, seconds in step().items():
                if run:
                    timings[name].append(seconds)
        held.clear()
        for name, seconds in _orders_run(http, ids, orders_for(mutations), held).items():
            if run:
                timings[name].append(seconds)
    return {"vendor": connection.vendor, "mutations": mutations, "timings": timings}


# --- In the parent process -------------------------------------------------------------------


def measure(db: str, *, mutations: int, runs: int, products: int) -> dict:
    """A fresh seeded database on `db`, measured by a worker process: its JSON."""
    with common.database(db, f"push_{os.getpid()}") as url:  # its own: runs beside another never drop it
        env = common.django_env(url)
        common.manage(env, "migrate", "-v0")
        common.manage(env, "seed_catalogue", "--products", str(products))
        command = [sys.executable, "-m", "bench.push", "--worker", "--mutations", str(mutations), "--runs", str(runs)]
        out = subprocess.run(command, cwd=common.ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"push worker on {db} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def results(db: str, measured: dict) -> list[Result]:
    """The report lines of one database: the first push in mutations/s and the lock it holds, the replay,
    and the orders."""
    count, timings, label, goal = measured["mutations"], measured["timings"], LABELS[db], db == GOAL_DB

    def rates(name: str) -> list[float]:
        return [count / seconds for seconds in timings[name]]

    def ms(name: str) -> list[float]:
        return [seconds * 1000 for seconds in timings[name]]

    orders = orders_for(count)
    ordered = orders * (ORDER_LINES + 2)
    return [
        Result(bench="Push", case=f"{count:,} mutations in one request, {label}", unit="mutations/s",
               samples=rates("endpoint"), floor_samples=rates("floor"), floor=FLOOR_APPLY, higher_is_better=True,
               goal=f"≥ {GOAL_RATE:,}" if goal else "",
               met=statistics.median(rates("endpoint")) >= GOAL_RATE if goal else None),
        Result(bench="Push", case=f"writers' lock held by that request (its longest slice), {label}", unit="ms",
               samples=ms("endpoint_lock"), floor_samples=ms("floor"), floor=FLOOR_APPLY,
               goal=f"≤ {GOAL_LOCK_MS} ms" if goal else "",
               met=statistics.median(ms("endpoint_lock")) <= GOAL_LOCK_MS if goal else None),
        Result(bench="Push", case=f"the same request replayed ({count:,} duplicates), {label}", unit="mutations/s",
               samples=rates("endpoint_replay"), floor_samples=rates("floor_replay"), floor=FLOOR_REPLAY,
               higher_is_better=True),
        Result(bench="Push", case=f"{orders} orders of {ORDER_LINES} lines, a group each ({ordered} mutations), "
                                  f"{label}",
               unit="mutations/s", samples=[ordered / s for s in timings["orders_grouped"]],
               floor_samples=[ordered / s for s in timings["orders_ungrouped"]], floor=FLOOR_ORDERS,
               higher_is_better=True),
        Result(bench="Push", case=f"writers' lock held by the grouped order push (its longest slice), {label}",
               unit="ms", samples=ms("orders_grouped_lock"), floor_samples=ms("orders_ungrouped_lock"),
               floor=FLOOR_ORDERS),
    ]  # fmt: skip


def collect(quick: bool = False, dbs: tuple[str, ...] = common.DATABASES) -> list[Result]:
    size = QUICK if quick else FULL
    return [line for db in dbs for line in results(db, measure(db, **size))]


def _print_table(lines: list[Result]) -> None:
    """Medians and ranges; the ratio is computed here, not read from `Result.ratio`, so its meaning is fixed."""
    width = max(len(line.case) for line in lines)
    print(f"{'case':<{width}}  {'endpoint':>28}  {'floor':>28}  {'endpoint/floor':>14}  goal")
    for line in lines:
        verdict = "" if line.met is None else (" met" if line.met else " MISSED")
        print(f"{line.case:<{width}}  {common.spread(line.samples):>28}  {common.spread(line.floor_samples):>28}"
              f"  {line.median / line.floor_median:>14.4f}  {line.goal}{verdict}".rstrip())  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=FULL["mutations"])
    parser.add_argument("--runs", type=int, default=FULL["runs"])
    parser.add_argument("--products", type=int, default=FULL["products"])
    parser.add_argument("--db", nargs="+", choices=common.DATABASES, default=list(common.DATABASES))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.mutations, args.runs)))
        return

    lines = [line for db in args.db for line in
             results(db, measure(db, mutations=args.mutations, runs=args.runs, products=args.products))]  # fmt: skip
    print(f"Push, {args.products:,} products, {args.runs} runs (median, range)")
    _print_table(lines)
    print(f"floor, first push: {FLOOR_APPLY}; floor, replay: {FLOOR_REPLAY}.")
    print(f"floor, orders: {FLOOR_ORDERS}.")
    print("endpoint/floor: the endpoint's figure over the floor's (mutations/s: 1 is as fast; ms: 1 is as long).")


if __name__ == "__main__":
    main()
