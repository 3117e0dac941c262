from datetime import timedelta

from django.core.management.base import BaseCommand

from syncapi.services import tombstones_purge


class Command(BaseCommand):
    help = "Delete tombstones older than the retention period; older cursors then get a reset."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=float,
            default=None,
            help="Retention in days (default: the SYNCAPI TOMBSTONE_RETENTION_DAYS setting).",
        )

    def handle(self, *args, days, **options):
        older_than = timedelta(days=days) if days is not None else None
        count = tombstones_purge(older_than=older_than)
        self.stdout.write(f"Purged {count} tombstone(s).")
