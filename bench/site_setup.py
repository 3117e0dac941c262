"""A served benchmark's site set up in one Django process, as `make run` sets one up before it serves.

`migrate`, `seed_catalogue`, `build_snapshots` and `collectstatic` (copied from `bench.static_cache`),
the commands `make run` runs one process each: in one process they spare three Django start-ups, about
4 s of each served benchmark's set-up on 2 cores.

    python -m bench.site_setup --products 1000 [--no-snapshots]   # in the site's Django environment
"""

import argparse
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, required=True)
    parser.add_argument("--no-snapshots", action="store_true", help="leave the snapshots to the server")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench import static_cache

    call_command("migrate", "-v0")
    call_command("seed_catalogue", "--products", str(args.products))
    if not args.no_snapshots:
        call_command("build_snapshots")
    static_cache.collect(Path(settings.STATIC_ROOT))


if __name__ == "__main__":
    main()
