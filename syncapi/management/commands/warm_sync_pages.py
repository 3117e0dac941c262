from django.core.management.base import BaseCommand

from syncapi.conf import sync_settings
from syncapi.page_cache import page_cache
from syncapi.warming import first_downloads_warm


class Command(BaseCommand):
    help = (
        "Encode the first-download pages of every shared collection into the page cache, so that the "
        "first device to download the catalogue is answered as fast as the next ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Records per page, as the devices ask (default: the largest page the server answers).",
        )

    def handle(self, *args, limit, **options):
        if page_cache.max_bytes <= 0:
            self.stdout.write("The page cache is off (SYNC_PAGE_CACHE_MB=0): nothing to warm.")
            return
        warmed = first_downloads_warm(limit=limit)
        if not sync_settings.PAGE_CACHE_SHARED:
            self.stderr.write(
                "No shared page cache (SYNCAPI['PAGE_CACHE_SHARED'] is None): the pages stay in this "
                "process, and the server's processes will encode their own."
            )
        for each in warmed:
            self.stdout.write(f"{each.collection}: {each.records} record(s) in {each.pages} page(s).")
