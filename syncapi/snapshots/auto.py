"""The automatic path: a serving process builds a due snapshot in a background thread.

A request that finds no snapshot to offer, or a stale one, calls
`build_soon()` and is answered at once (with the previous snapshot, or with
none: the client then pages). The thread builds whatever is due, under the
database lease, so of all the processes and servers that notice, one
builds. Off with `SYNCAPI["SNAPSHOT_AUTO_BUILD"] = False` (then only
`manage.py build_snapshots` builds).
"""

import logging
import os
import threading

from django.db import connections

from syncapi.conf import sync_settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None


def build_soon() -> bool:
    """Start building what is due in a background thread, unless one runs in this process; True if started."""
    global _thread
    if not sync_settings.SNAPSHOT_AUTO_BUILD:
        return False
    with _lock:
        if _thread is not None and _thread.is_alive():
            return False
        _thread = threading.Thread(target=_build, name="syncapi-snapshots", daemon=True)
        _thread.start()
        return True


def wait(timeout: float | None = None) -> bool:
    """Wait for this process's background build, if any; True once none runs (tests, shutdown)."""
    thread = _thread
    if thread is not None:
        thread.join(timeout)
    return thread is None or not thread.is_alive()


def _build() -> None:
    from syncapi.snapshots.build import snapshots_refresh

    try:
        # Below the process's request threads: compression holds a core for seconds (brotli releases the GIL).
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
    try:
        built = snapshots_refresh()
        for item in built or []:
            logger.info("Built the %s snapshot (%s): %s", item.collection, item.reason, item.snapshot)
    except Exception:
        logger.exception("Building snapshots failed; the next request that finds one due tries again")
    finally:
        connections.close_all()  # this thread's own connections
