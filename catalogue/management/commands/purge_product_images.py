from datetime import timedelta

from django.core.management.base import BaseCommand

from catalogue.services import product_images_purge


class Command(BaseCommand):
    help = "Delete pictures' renditions that no product shows any more, once they are older than --days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=float, default=30, help="Keep unused renditions this long (default 30, as tombstones)."
        )

    def handle(self, *args, days, **options):
        count = product_images_purge(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {count} rendition(s) no product shows.")
