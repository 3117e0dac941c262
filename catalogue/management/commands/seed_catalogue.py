import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection

from catalogue.demo_data import catalogue_clear, catalogue_seed
from catalogue.models import Category, Product


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def _percent(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 100:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Fill the catalogue with demo categories and products (deterministic for a given --seed)."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=_count, default=5000, help="Products to create (default 5000).")
        parser.add_argument("--categories", type=_count, default=40, help="Categories to create (default 40).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: same seed, same catalogue (default 1).")
        parser.add_argument(
            "--pictures", type=_percent, default=90, help="Percent of products with a drawn picture (default 90)."
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--if-empty", action="store_true", help="Do nothing if the catalogue already has products.")
        group.add_argument(
            "--clear", action="store_true", help="Delete all products and categories first (clients get deletes)."
        )

    def handle(self, *args, products, categories, seed, pictures, if_empty, clear, **options):
        if if_empty and Product.objects.exists():
            self.stdout.write("Catalogue already has products; nothing seeded (--if-empty).")
            return
        started = time.monotonic()
        if clear:
            deleted_categories, deleted_products = catalogue_clear()
            self.stdout.write(f"Deleted {deleted_categories} categories and {deleted_products} products.")
        try:
            created_categories, created_products = catalogue_seed(
                products=products, categories=categories, seed=seed, pictures=pictures
            )
        except IntegrityError as exc:
            raise CommandError(
                f"Seed {seed} collides with rows already in the catalogue ({exc}). "
                "Use --clear to replace the catalogue, or another --seed."
            ) from exc
        _refresh_planner_statistics()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {created_categories} categories and {created_products} products (seed {seed}) in {elapsed:.1f} s."
        )


def _refresh_planner_statistics() -> None:
    """After a bulk load, let the query planner know the tables' new size.

    Without fresh statistics PostgreSQL plans pulls as a sequential scan and
    sort of the whole table instead of walking the version index.
    """
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in (Category, Product))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}" if connection.vendor == "postgresql" else "ANALYZE")
