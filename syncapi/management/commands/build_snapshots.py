from django.core.management.base import BaseCommand, CommandError

from syncapi.snapshots.build import snapshots_refresh


class Command(BaseCommand):
    help = (
        "Build the snapshot of each global collection that is missing or due (a first download as compressed "
        "files), and delete the files no snapshot needs any more. Safe to run from cron on every server: "
        "one builds at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Build every global collection's snapshot anew.")

    def handle(self, *args, force, **options):
        built = snapshots_refresh(force=force)
        if built is None:
            raise CommandError("Another process is building snapshots now; try again later.")
        for item in built:
            snapshot = item.snapshot
            size = sum(part["encoded"].get("br", part["bytes"]) for part in snapshot.parts)
            self.stdout.write(
                f"{item.collection}: {snapshot.records} record(s) at version {snapshot.version} in "
                f"{len(snapshot.parts)} part(s), {size / 1e6:.2f} MB with brotli, built in "
                f"{snapshot.build_seconds:.1f} s ({item.reason})."
            )
        if not built:
            self.stdout.write("Every snapshot is current; nothing built.")
