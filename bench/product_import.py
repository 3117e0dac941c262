"""Product import: 100,000 products from a CSV file through the admin, then the file again with 10% new prices.

Each import goes through the admin as staff use it (the in-process Django
test client, full middleware, a logged-in superuser): the upload and its
preview page (a dry run, rolled back), then the confirm step that imports and
writes each product's history. Its rows take versions from the triggers, as
every write does. The first file adds every product; the second changes
the price of one product in ten and leaves the rest as they are. Any other
outcome (a row error, a count, a price or a version not as expected) stops
the benchmark.

The floors, measured alternately with the admin in the same process:

- adding: the file read with the `csv` module into `Product` objects and one
  `bulk_create` (batches of 1,000) in one transaction holding the writers' lock.
- changing: the file read with `csv`, the current prices read in one SELECT,
  and one `executemany` of plain UPDATEs of the changed rows' price.

    .venv/bin/python -m bench.product_import --products 100000 --runs 3 --db sqlite postgres
"""

import argparse
import csv
import io
import json
import random
import resource
import subprocess
import sys
from decimal import Decimal

from bench import common
from bench.common import LABELS, Result, expect, timed

HEADER = ["sku", "name", "description", "price", "currency", "stock", "is_active", "category"]
FLOOR_CREATE = "csv module + one bulk_create, one transaction"
FLOOR_UPDATE = "csv module + one SELECT + executemany UPDATE of the changed rows"
CHANGED_SHARE = 0.1
QUICK = {"products": 300, "runs": 1}
FULL = {"products": 100_000, "runs": 3}


# --- In the worker process (Django set up on the benchmark's database) ------------------------


def _files(count: int) -> tuple[bytes, bytes, dict[str, Decimal]]:
    """The file adding `count` products, the same file with one price in ten changed, and the new prices."""
    from catalogue.import_columns import CATEGORY_SEPARATOR
    from catalogue.selectors import category_paths

    paths = sorted(CATEGORY_SEPARATOR.join(path) for path in category_paths().values())
    rng = random.Random(1)
    rows = [[f"BENCH-{n:07d}", f"Benchmark product {n}", "Made for the benchmark.",
             f"{Decimal(rng.randint(99, 99_999)) / 100:.2f}", "EUR", rng.randint(0, 80), "yes", rng.choice(paths)]
            for n in range(count)]  # fmt: skip
    first = _csv(rows)
    changed = {}
    for row in rng.sample(rows, round(count * CHANGED_SHARE)):
        row[3] = f"{Decimal(row[3]) + Decimal('1.00'):.2f}"
        changed[row[0]] = Decimal(row[3])
    return first, _csv(rows), changed


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def _clear() -> None:
    """No product (nor order), no tombstone, no history: each run starts alike (outside the timings).

    PostgreSQL truncates: a DELETE of 100,000 products would check each one's favourites at
    commit with the plan cached when the table was small, a scan of the table per row.
    """
    from django.db import connection, transaction

    from syncapi.versioning import lock_versions

    tables = ("catalogue_orderline", "catalogue_order", "catalogue_favourite", "catalogue_product", "syncapi_tombstone",
              "django_admin_log")  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        lock_versions()
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            return
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")


def _top_version() -> int:
    from django.db.models import Max

    from catalogue.models import Product

    return Product.objects.aggregate(top=Max("version"))["top"] or 0


class Admin:
    """The admin's two import steps, as a browser sends them."""

    def __init__(self, http):
        from django.urls import reverse

        self.http = http
        self.upload_url = reverse("admin:catalogue_product_import")
        self.confirm_url = reverse("admin:catalogue_product_process_import")

    def preview(self, data: bytes):
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("products.csv", data, content_type="text/csv")
        response = self.http.post(self.upload_url, {"format": "0", "resource": "0", "import_file": file})
        expect(response.status_code == 200, f"the preview answered {response.status_code}")
        expect("confirm_form" in response.context, f"the preview offers no import: {self._errors(response)}")
        return response

    def confirm(self, preview):
        form = preview.context["confirm_form"]
        response = self.http.post(self.confirm_url, {name: form.initial.get(name, "") for name in form.fields})
        expect(response.status_code == 302, f"the confirm step answered {response.status_code}")
        return response

    @staticmethod
    def _errors(response) -> str:
        from catalogue.resources import first_problem

        result = response.context.get("result")
        return first_problem(result) if result is not None else response.content.decode()[:2000]


def _admin_run(admin: Admin, files: tuple[bytes, bytes, dict], count: int) -> dict[str, float]:
    """Both imports through the admin, each checked: seconds of each step."""
    from django.contrib.admin.models import LogEntry

    from catalogue.models import Product

    first, second, changed = files
    _clear()
    before = _top_version()
    preview, preview_seconds = timed(lambda: admin.preview(first))
    totals = preview.context["result"].totals
    expect((totals["new"], Product.objects.count()) == (count, 0), f"preview of the first file: {dict(totals)}")
    _, confirm_seconds = timed(lambda: admin.confirm(preview))
    expect(Product.objects.filter(version__gt=before).count() == count, "not every new product took a version")

    before = _top_version()
    preview, update_preview_seconds = timed(lambda: admin.preview(second))
    totals = preview.context["result"].totals
    expect((totals["update"], totals["skip"]) == (len(changed), count - len(changed)), f"second file: {totals}")
    _, update_confirm_seconds = timed(lambda: admin.confirm(preview))
    moved = dict(Product.objects.filter(version__gt=before).values_list("sku", "price"))
    expect(moved == changed, f"{len(moved)} products took a version; {len(changed)} prices changed")
    expect(LogEntry.objects.count() == count + len(changed), "not every imported change is in the history")
    return {"create_preview": preview_seconds, "create": confirm_seconds,
            "update_preview": update_preview_seconds, "update": update_confirm_seconds}  # fmt: skip


def _floor_create(data: bytes) -> int:
    from django.db import transaction

    from catalogue.models import Product
    from syncapi.versioning import lock_versions

    categories = _category_ids()
    with transaction.atomic():
        lock_versions()
        products = [
            Product(sku=r["sku"], name=r["name"], description=r["description"], price=Decimal(r["price"]),
                    currency=r["currency"], stock=int(r["stock"]), is_active=r["is_active"] == "yes",
                    category_id=categories[r["category"]])
            for r in csv.DictReader(io.StringIO(data.decode()))
        ]  # fmt: skip
        Product.objects.bulk_create(products, batch_size=1000)
    return len(products)


def _floor_update(data: bytes) -> int:
    from django.db import connection, transaction
    from django.utils import timezone

    from catalogue.models import Product
    from syncapi.versioning import lock_versions

    price_field, now = Product._meta.get_field("price"), timezone.now()
    with transaction.atomic():
        lock_versions()
        current = dict(Product.objects.values_list("sku", "price"))
        changed = [(row["sku"], Decimal(row["price"])) for row in csv.DictReader(io.StringIO(data.decode()))
                   if Decimal(row["price"]) != current[row["sku"]]]  # fmt: skip
        params = [(price_field.get_db_prep_save(price, connection), now, sku) for sku, price in changed]
        with connection.cursor() as cursor:
            cursor.executemany("UPDATE catalogue_product SET price = %s, updated_at = %s WHERE sku = %s", params)
    return len(changed)


def _category_ids() -> dict[str, object]:
    from catalogue.import_columns import CATEGORY_SEPARATOR
    from catalogue.selectors import category_paths

    return {CATEGORY_SEPARATOR.join(path): pk for pk, path in category_paths().items()}


def _floor_run(files: tuple[bytes, bytes, dict], count: int) -> dict[str, float]:
    from catalogue.models import Product

    first, second, changed = files
    _clear()
    before = _top_version()
    created, create_seconds = timed(lambda: _floor_create(first))
    expect(created == count == Product.objects.filter(version__gt=before).count(), "floor: not every row added")
    before = _top_version()
    updated, update_seconds = timed(lambda: _floor_update(second))
    expect(updated == len(changed) == Product.objects.filter(version__gt=before).count(), "floor: changed rows")
    return {"floor_create": create_seconds, "floor_update": update_seconds}


def _worker(count: int, runs: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client then hands back each page's context, to check the preview
    # The admin's pages name static files: unhashed names spare the benchmark a collectstatic.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        http = Client(SERVER_NAME="127.0.0.1")
        http.force_login(get_user_model().objects.create_superuser("bench-import", password=None))
        admin = Admin(http)
        files = _files(count)
        _admin_run(admin, _files(min(count, 100)), min(count, 100))  # warms code paths and query plans: not kept
        timings = {name: [] for name in ("create_preview", "create", "update_preview", "update",
                                         "floor_create", "floor_update")}  # fmt: skip
        steps = (lambda: _admin_run(admin, files, count), lambda: _floor_run(files, count))
        for run in range(runs):
            for step in steps if run % 2 else reversed(steps):  # alternate which goes first
                for name, seconds in step().items():
                    timings[name].append(seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"vendor": connection.vendor, "products": count, "changed": len(files[2]), "timings": timings,
            "peak_mb": peak_mb, "file_mb": len(files[0]) / 1e6}  # fmt: skip


# --- In the parent process -------------------------------------------------------------------


def measure(db: str, *, products: int, runs: int) -> dict:
    """A fresh database on `db` with the demo category tree, measured by a worker process: its JSON."""
    with common.database(db, "product_import") as url:
        env = common.django_env(url)
        common.manage(env, "migrate", "-v0")
        common.manage(env, "seed_catalogue", "--products", "0")
        command = [sys.executable, "-m", "bench.product_import", "--worker", "--products", str(products),
                   "--runs", str(runs)]  # fmt: skip
        out = subprocess.run(command, cwd=common.ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"product import worker on {db} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def results(db: str, measured: dict) -> list[Result]:
    """The four report lines of one database, in rows of the file per second."""
    count, changed, timings, label = measured["products"], measured["changed"], measured["timings"], LABELS[db]

    def rates(name: str) -> list[float]:
        return [count / seconds for seconds in timings[name]]

    def line(case: str, name: str, floor: str, floor_name: str) -> Result:
        return Result(bench="Product import", case=f"{case}, {label}", unit="rows/s", samples=rates(name),
                      floor_samples=rates(floor_name), floor=floor, higher_is_better=True)  # fmt: skip

    adding, changing = f"{count:,} new products", f"the same {count:,} rows, {changed:,} prices changed"
    return [
        line(f"{adding}: preview (dry run)", "create_preview", FLOOR_CREATE, "floor_create"),
        line(f"{adding}: import", "create", FLOOR_CREATE, "floor_create"),
        line(f"{changing}: preview (dry run)", "update_preview", FLOOR_UPDATE, "floor_update"),
        line(f"{changing}: import", "update", FLOOR_UPDATE, "floor_update"),
    ]


def collect(quick: bool = False, dbs: tuple[str, ...] = common.DATABASES) -> list[Result]:
    size = QUICK if quick else FULL
    return [line for db in dbs for line in results(db, measure(db, **size))]


def _print_table(lines: list[Result], count: int) -> None:
    """Rows/s and seconds of each step beside its floor's; the ratio is the fraction of the floor's rate."""
    width = max(len(line.case) for line in lines)
    print(f"{'case':<{width}}  {'rows/s':>22}  {'seconds':>8}  {'floor rows/s':>22}  {'floor s':>8}  {'ratio':>6}")
    for line in lines:
        print(f"{line.case:<{width}}  {common.spread(line.samples):>22}  {count / line.median:>8.1f}  "
              f"{common.spread(line.floor_samples):>22}  {count / line.floor_median:>8.1f}  "
              f"{line.median / line.floor_median:>6.2f}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=FULL["products"])
    parser.add_argument("--runs", type=int, default=FULL["runs"])
    parser.add_argument("--db", nargs="+", choices=common.DATABASES, default=list(common.DATABASES))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.products, args.runs)))
        return

    measured = {LABELS[db]: measure(db, products=args.products, runs=args.runs) for db in args.db}
    lines = [line for db in args.db for line in results(db, measured[LABELS[db]])]
    print(f"Product import through the admin, {args.products:,} rows, {args.runs} runs (median, range)")
    _print_table(lines, args.products)
    for label, m in measured.items():
        print(f"{label}: file {m['file_mb']:.1f} MB, worker peak memory {m['peak_mb']:,.0f} MB")
    print(f"floor, new products: {FLOOR_CREATE}; floor, changed prices: {FLOOR_UPDATE}.")
    print("ratio: the fraction of the floor's rate the admin reaches (1: as fast as the floor).")


if __name__ == "__main__":
    main()
