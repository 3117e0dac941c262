from django.core.management.base import BaseCommand

from syncapi.history import epoch_start_new


class Command(BaseCommand):
    help = (
        "Start a new sync epoch: every device downloads its data anew on its next sync. "
        "Run it after restoring a database backup and on a database cloned from another one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, database, **options):
        state = epoch_start_new(using=database)
        self.stdout.write(f"New sync epoch {state.epoch}: every device downloads anew on its next sync.")
