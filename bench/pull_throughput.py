"""Server pull throughput: the real endpoint against raw SQL + orjson of the same rows.

Pages through every product of a fresh catalogue through the pull endpoint
twice — in-process (Django test client: URL routing, middleware, auth,
cursor, snapshot, selector, orjson) and over HTTP (gunicorn on the same
database, one keep-alive connection, as a client pages) — and through the
floor: the same SELECT per page with a DB-API cursor, rows zipped into dicts,
orjson. All three alternate in one process so machine noise hits them alike.
Prints medians and ranges, and the ratios to the floor (goal ≥ 0.7).

    .venv/bin/python -m bench.pull_throughput --products 100000 --db sqlite postgres
"""

import argparse
import contextlib
import http.client
import json
import subprocess
import sys
import time
import urllib.parse

from bench.common import DATABASES, LABELS, ROOT, Result, database, django_env, gunicorn, spread


def _worker(products: int, limit: int, runs: int) -> dict:
    import django

    django.setup()
    import orjson
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from catalogue.models import Product

    call_command("migrate", verbosity=0)
    if not Product.objects.exists():
        call_command("seed_catalogue", products=products, categories=60, seed=1, verbosity=0)
    total = Product.objects.filter(is_active=True).count()

    from syncapi.registry import registry
    from syncapi.serialization import record_values

    products = registry.get("products")
    names = ["id", "version", *products.fields]

    def page_sql(after: int) -> tuple[str, list]:
        """The SELECT the endpoint issues for a first-pass page (wire values, visible rows)."""
        queryset = Product.objects.filter(products.visible, version__gt=after).order_by("version")
        query = record_values(products, queryset)[:limit].query
        return query.get_compiler(connection.alias).as_sql()

    plain_sql = (
        "SELECT id, version, sku, name, description, price, currency, stock, category_id, image, updated_at "
        "FROM catalogue_product WHERE version > %s AND is_active ORDER BY version LIMIT %s"
    )

    def raw_pages(statement) -> int:
        after, rows_seen = 0, 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(*statement(after))
                rows = cursor.fetchall()
                if not rows:
                    return rows_seen
                records = [dict(zip(names, row)) for row in rows]  # noqa: B905 (trailing visibility flag)
                orjson.dumps({"upserts": records, "deletes": [], "has_more": True}, default=str)
                after = rows[-1][1]
                rows_seen += len(rows)

    def floor() -> int:
        return raw_pages(page_sql)

    def plain() -> int:
        return raw_pages(lambda after: (plain_sql, [after, limit]))

    client = Client(SERVER_NAME="127.0.0.1")

    def follow(get) -> int:
        """Page through the products with `get(query) -> body bytes`; rows seen."""
        cursor, rows_seen = None, 0
        while True:
            query = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
            content = get(query)
            # Read only the trailing cursor fields: parsing the whole page is the
            # client's work, which the floor does not do either.
            body = orjson.loads(b"{" + content[content.rindex(b'"cursor":') :])
            rows_seen += content.count(b'"sku":')
            cursor = body["cursor"]
            if not body["has_more"]:
                return rows_seen

    def endpoint() -> int:
        return follow(lambda query: client.get("/api/sync/pull/products/", query).content)

    with _keep_alive() as connection_http:

        def over_http() -> int:
            def get(query):
                connection_http.request("GET", "/api/sync/pull/products/?" + urllib.parse.urlencode(query))
                response = connection_http.getresponse()
                assert response.status == 200, response.status
                return response.read()

            return follow(get)

        timings = {"endpoint": [], "http": [], "floor": [], "plain": []}
        endpoint(), over_http(), floor()  # warm caches and connections
        for _ in range(runs):
            for name, fn in (("floor", floor), ("endpoint", endpoint), ("http", over_http), ("plain", plain)):
                started = time.perf_counter()
                seen = fn()
                timings[name].append(time.perf_counter() - started)
                assert seen == total, (name, seen, total)
    return {"vendor": connection.vendor, "rows": total, "timings": timings}


@contextlib.contextmanager
def _keep_alive():
    """gunicorn on this process's database (one worker: a paging client asks one page at a time);
    yields a keep-alive connection to it. The connection sits idle while the other ways are
    measured (seconds at 100,000 rows), longer than gunicorn's default keep-alive of 2 s."""
    with gunicorn(workers=1, threads=2, keep_alive=600) as base:
        connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=60)
        try:
            yield connection
        finally:
            connection.close()


def _run_worker(db: str, products: int, limit: int, runs: int) -> dict:
    with database(db, "pull") as url:
        out = subprocess.run(
            [sys.executable, "-m", "bench.pull_throughput", "--worker", "--products", str(products),
             "--limit", str(limit), "--runs", str(runs)],
            cwd=ROOT, env=django_env(url), check=True, capture_output=True, text=True,
        )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def results_for(db: str, measured: dict) -> list[Result]:
    """Rows/s of the endpoint in-process and over HTTP, each beside the floor of the same run."""
    t, rows = measured["timings"], measured["rows"]
    name = LABELS[db]
    floor = [rows / s for s in t["floor"]]
    out = []
    for key, how in (("endpoint", "in-process"), ("http", "over HTTP (gunicorn)")):
        result = Result(
            bench="Server pull throughput", case=f"{rows:,} products, {name}, {how}", unit="rows/s",
            samples=[rows / s for s in t[key]], floor_samples=floor, higher_is_better=True,
            floor="the endpoint's SELECT + orjson, same rows, same process", goal="ratio ≥ 0.7",
        )  # fmt: skip
        result.met = result.ratio >= 0.7
        out.append(result)
    return out


def collect(quick: bool = False, dbs: tuple[str, ...] = DATABASES) -> list[Result]:
    products, limit, runs = (60, 7, 1) if quick else (100_000, 5000, 5)
    return [r for db in dbs for r in results_for(db, _run_worker(db, products, limit, runs))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.products, args.limit, args.runs)))
        return

    print(f"Pull throughput, {args.products:,} products, pages of {args.limit}, {args.runs} runs (median, range)")
    print(f"{'database':<10}{'rows':>8} {'in-process rows/s':>26} {'over HTTP rows/s':>26} "
          f"{'raw SQL + orjson rows/s':>26} {'ratios':>11} {'plain columns rows/s':>26}")  # fmt: skip
    for db in args.db:
        measured = _run_worker(db, args.products, args.limit, args.runs)
        rows = measured["rows"]
        local, remote = results_for(db, measured)
        rate = {key: spread([rows / s for s in seconds]) for key, seconds in measured["timings"].items()}
        print(f"{db:<10}{rows:>8,} {rate['endpoint']:>26} {rate['http']:>26} {rate['floor']:>26} "
              f"{local.ratio:>5.2f} {remote.ratio:>5.2f} {rate['plain']:>26}")  # fmt: skip
    print("raw SQL + orjson: the endpoint's own SELECT run through a DB-API cursor, rows zipped into dicts, orjson;")
    print("plain columns: the same rows selected as stored (no wire text: differs from the payload), for reference.")


if __name__ == "__main__":
    main()
