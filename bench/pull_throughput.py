"""Server pull throughput: the real endpoint against raw SQL + orjson of the same rows.

Pages through every product of a fresh catalogue, once through the pull
endpoint (in-process Django test client: URL routing, middleware, auth,
cursor, snapshot, selector, orjson) and once through the floor — the same
SELECT per page with a DB-API cursor, rows zipped into dicts, orjson — in
alternating runs in the same process so machine noise hits both alike.
Prints medians and ranges, and the ratio endpoint/floor.

    .venv/bin/python -m bench.pull_throughput --products 100000 --db sqlite postgres
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


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

    def endpoint() -> int:
        cursor, rows_seen = None, 0
        while True:
            query = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
            content = client.get("/api/sync/pull/products/", query).content
            # Read only the trailing cursor fields: parsing the whole page is the
            # client's work, which the floor does not do either.
            body = orjson.loads(b"{" + content[content.rindex(b'"cursor":') :])
            rows_seen += content.count(b'"sku":')
            cursor = body["cursor"]
            if not body["has_more"]:
                return rows_seen

    timings = {"endpoint": [], "floor": [], "plain": []}
    endpoint(), floor()  # warm caches and connections
    for _ in range(runs):
        for name, fn in (("floor", floor), ("endpoint", endpoint), ("plain", plain)):
            started = time.perf_counter()
            seen = fn()
            timings[name].append(time.perf_counter() - started)
            assert seen == total, (name, seen, total)
    return {"vendor": connection.vendor, "rows": total, "timings": timings}


def _run_worker(db: str, args) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "false", "SECRET_KEY": "bench"}
    scratch = None
    if db == "sqlite":
        scratch = tempfile.mkdtemp(prefix="bench-pull-")
        env["DATABASE_URL"] = f"sqlite:///{scratch}/db.sqlite3"
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench_pull")
            admin.execute("CREATE DATABASE bench_pull")
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/bench_pull"
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.pull_throughput", "--worker", "--products", str(args.products),
             "--limit", str(args.limit), "--runs", str(args.runs)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if db == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute("DROP DATABASE IF EXISTS bench_pull")


def _fmt(rows: int, seconds: list[float]) -> str:
    rates = sorted(rows / s for s in seconds)
    return f"{statistics.median(rates):>10,.0f} ({rates[0]:,.0f}–{rates[-1]:,.0f})"


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
    print(f"{'database':<10}{'rows':>8} {'endpoint rows/s':>28} {'raw SQL + orjson rows/s':>28} {'ratio':>6}"
          f" {'plain columns rows/s':>28}")  # fmt: skip
    for db in args.db:
        result = _run_worker(db, args)
        t, rows = result["timings"], result["rows"]
        ratio = statistics.median(t["floor"]) / statistics.median(t["endpoint"])
        print(f"{db:<10}{rows:>8,} {_fmt(rows, t['endpoint']):>28} {_fmt(rows, t['floor']):>28} {ratio:>6.2f}"
              f" {_fmt(rows, t['plain']):>28}")  # fmt: skip
    print("raw SQL + orjson: the endpoint's own SELECT run through a DB-API cursor, rows zipped into dicts, orjson;")
    print("plain columns: the same rows selected as stored (no wire text: differs from the payload), for reference.")


if __name__ == "__main__":
    main()
