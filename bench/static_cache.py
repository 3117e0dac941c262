"""`collectstatic` once per release of the static files: every served benchmark and browser test copies it.

Collecting with the production storage (hashed names, rewritten imports, brotli and gzip copies) takes
about 20 s on 2 cores, and `make test` needs a collected STATIC_ROOT for each served benchmark and for
the browser tests, on both databases. What it writes depends only on the files the finders list, the
storage (its class, options and code) and the settings it reads, so it is collected once per digest of
those into CACHE/<digest>/ and each STATIC_ROOT is a copy of that: a changed file, storage, setting or
installed package is a new digest, collected afresh.
"""

import contextlib
import hashlib
import importlib.metadata
import inspect
import os
import shutil
import tempfile
import time
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "catalogue-sync-collectstatic"
UNUSED_S = 3600  # a collection not copied for this long is removed (each is about 35 MB)
SETTINGS = ("STATIC_URL", "WHITENOISE_SKIP_COMPRESS_EXTENSIONS", "WHITENOISE_KEEP_ONLY_HASHED_FILES",
            "WHITENOISE_MANIFEST_STRICT")  # fmt: skip


def digest() -> str:
    """A digest of what `collectstatic` output depends on in this process's settings: the storage's settings
    and code, the installed packages' versions, and every source file that wins its path (collectstatic takes
    the first one found), by path and content."""
    from django.apps import apps
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.utils.module_loading import import_string

    h = hashlib.sha256()
    h.update(repr(settings.STORAGES["staticfiles"]).encode())
    h.update(repr([getattr(settings, name, None) for name in SETTINGS]).encode())
    for cls in import_string(settings.STORAGES["staticfiles"]["BACKEND"]).__mro__:
        with contextlib.suppress(TypeError, OSError):
            h.update(Path(inspect.getfile(cls)).read_bytes())
    h.update(repr(sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())).encode())
    files: dict[str, str] = {}
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    for finder in get_finders():
        for path, storage in finder.list(ignore):
            prefixed = os.path.join(getattr(storage, "prefix", None) or "", path)
            if prefixed not in files:
                with storage.open(path) as source:
                    files[prefixed] = hashlib.file_digest(source, "sha256").hexdigest()
    h.update(repr(sorted(files.items())).encode())
    return h.hexdigest()[:32]


def collect(static_root: Path) -> None:
    """`static_root` as `collectstatic` with this process's settings leaves it: a copy of the collection
    of the same digest, collected first if there is none (several processes may race: one rename wins)."""
    from django.core.management import call_command
    from django.test import override_settings

    CACHE.mkdir(parents=True, exist_ok=True)
    entry = CACHE / digest()
    try:
        os.utime(entry)  # copied now: not pruned
    except FileNotFoundError:
        scratch = Path(tempfile.mkdtemp(prefix=".new-", dir=CACHE))
        scratch.chmod(0o755)  # as collectstatic makes a STATIC_ROOT, not mkdtemp's 0o700
        try:
            with override_settings(STATIC_ROOT=str(scratch)):
                call_command("collectstatic", interactive=False, verbosity=0)
            with contextlib.suppress(OSError):  # another process renamed its collection there first
                scratch.rename(entry)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(entry, static_root, dirs_exist_ok=True)
    _prune(keep=entry)


def _prune(keep: Path) -> None:
    """Remove collections (and abandoned scratch directories) unused for UNUSED_S."""
    for path in CACHE.iterdir():
        with contextlib.suppress(OSError):
            if path != keep and path.stat().st_mtime < time.time() - UNUSED_S:
                shutil.rmtree(path)
