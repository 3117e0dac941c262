"""The list order: published by the server, or left to the app to sort? Both costs, measured.

The products' registration names the app's list order (`order=("name",
"sku")`); the configuration publishes it, the snapshot lists its records in
it, and the app (`frontend/static/frontend/js/catalogue.js`) merges each
part into its sorted list without sorting it. The alternative: the server
promises no order (parts in id order) and the app sorts what comes. For a
seeded catalogue, this measures:

- the app: CPU time of the catalogue index taking a first download's parts
  in list order, and in id order, in Node (V8, as in Chromium); floor: the
  same records keyed and pushed into arrays, nothing compared;
- the server: the snapshot build's sort of the rows (CPU), and the parts'
  brotli bytes in each order (what a phone downloads).

    .venv/bin/python -m bench.list_order --products 100000 --runs 5
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Result, database, django_env, spread


def _worker(products: int, out: str) -> dict:
    """In a Django process on a fresh database: seed, read the rows as a build does, sort, encode, compress."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from syncapi.encoding import compress
    from syncapi.registry import registry
    from syncapi.serialization import fetch_rows
    from syncapi.snapshots.format import part_encode
    from syncapi.snapshots.identity import snapshot_rows

    call_command("migrate", verbosity=0)
    call_command("seed_catalogue", products=products, seed=1, verbosity=0)
    collection = registry.get("products")
    names = ("id", "version", *collection.fields)
    rows = sorted(row[: len(names)] for row in fetch_rows(snapshot_rows(collection, connection.alias)))
    started = time.process_time()
    listed = sorted(rows, key=collection.order_key(names))
    sort_ms = (time.process_time() - started) * 1000
    size = 5000

    def brotli_bytes(ordered: list[tuple]) -> int:
        return sum(
            len(compress(part_encode(collection="products", fields=names, rows=ordered[at : at + size]), "br"))
            for at in range(0, len(ordered), size)
        )

    as_records = [dict(zip(names, row, strict=True)) for row in listed]
    by_id = [dict(zip(names, row, strict=True)) for row in rows]
    Path(out).write_text(json.dumps({"order": list(collection.order), "part": size, "listed": as_records,
                                     "by_id": by_id}))  # fmt: skip
    return {"records": len(rows), "sort_ms": sort_ms, "listed_bytes": brotli_bytes(listed),
            "by_id_bytes": brotli_bytes(rows)}  # fmt: skip


def measure(products: int, runs: int) -> dict:
    with database("sqlite", "list-order") as url, tempfile.TemporaryDirectory(prefix="bench-list-order-") as scratch:
        records = f"{scratch}/records.json"
        done = subprocess.run(
            [sys.executable, "-m", "bench.list_order", "--worker", "--products", str(products), "--out", records],
            cwd=ROOT, env=django_env(url), check=True, capture_output=True, text=True,
        )  # fmt: skip
        server = json.loads(done.stdout.strip().splitlines()[-1])
        client = subprocess.run(
            ["node", "bench/list_order.mjs", records, str(runs)], cwd=ROOT, check=True, capture_output=True, text=True
        )
    return {**server, **json.loads(client.stdout.strip().splitlines()[-1])}


def results_for(measured: dict) -> list[Result]:
    n = measured["records"]
    floor = "the same records keyed and pushed into arrays (Node)"
    return [
        Result(bench="List order", case=f"app merges {n:,} products, parts in the published order", unit="CPU ms",
               samples=measured["listed"], floor_samples=measured["floor"], floor=floor),
        Result(bench="List order", case=f"app merges {n:,} products, parts in id order (no order promised)",
               unit="CPU ms", samples=measured["byId"], floor_samples=measured["floor"], floor=floor),
    ]  # fmt: skip


def collect(quick: bool = False, dbs: tuple[str, ...] = ()) -> list[Result]:
    """The app's side, as report lines (the database plays no part: SQLite only)."""
    return results_for(measure(*((1000, 1) if quick else (100_000, 5))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.products, args.out)))
        return
    measured = measure(args.products, args.runs)
    n = measured["records"]
    print(f"List order, {n:,} products, parts of 5,000, {args.runs} runs (median, range)")
    print(f"{'':<52}{'published order':>22}{'id order':>22}{'floor':>22}")
    print(f"{'app: CPU ms to merge a first download':<52}{spread(measured['listed'], 1):>22}"
          f"{spread(measured['byId'], 1):>22}{spread(measured['floor'], 1):>22}")  # fmt: skip
    print(f"{'server: snapshot parts, brotli bytes':<52}{measured['listed_bytes']:>22,}{measured['by_id_bytes']:>22,}")
    print(f"{'server: CPU ms to sort the rows at a build':<52}{measured['sort_ms']:>22,.1f}{0:>22}")
    print("floor: the same records keyed (lower-cased name and SKU) and pushed into arrays, nothing compared.")


if __name__ == "__main__":
    main()
