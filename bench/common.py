"""What every benchmark shares: fresh databases, a production-like server, results.

Each benchmark module has a `main()` for its own table and a
`collect(quick: bool) -> list[Result]` that `python -m bench` gathers into one
report (`docs/benchmarks.md`). `quick` is the tiny size `make test` runs so
that no benchmark rots; its numbers mean nothing.
"""

import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASES = ("sqlite", "postgres")
# A Redis database of the benchmarks' own (flushed before each server starts): Django's shared cache when a bench asks.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}  # how the report names them


@dataclass
class Result:
    """One measured line of the report: the product's number beside its floor's, from the same run."""

    bench: str  # which benchmark, e.g. "Push"
    case: str  # what was measured, e.g. "1,000 mutations in one request, SQLite"
    unit: str  # e.g. "ms", "rows/s"
    samples: list[float]  # one value per run
    floor_samples: list[float] = field(default_factory=list)  # the baseline, measured alternately in the same run
    floor: str = ""  # what the baseline is
    goal: str = ""  # e.g. "≤ 1,000 ms", "ratio ≥ 0.7"
    met: bool | None = None  # None: no goal
    higher_is_better: bool = False
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def floor_median(self) -> float | None:
        return statistics.median(self.floor_samples) if self.floor_samples else None

    @property
    def ratio(self) -> float | None:
        """Median ÷ floor median: for a time, how many times the floor it takes (≥ 1);
        for a rate, what fraction of the floor's rate it reaches (≤ 1)."""
        floor = self.floor_median
        return self.median / floor if floor else None


def expect(condition: bool, message: str) -> None:
    """Fail loudly: a benchmark of wrong answers measures nothing (and `assert` vanishes under -O)."""
    if not condition:
        raise RuntimeError(message)


def timed(fn) -> tuple[object, float]:
    """`fn()` and the seconds it took."""
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def spread(values: list[float], digits: int = 0) -> str:
    """`median (min–max)` of `values`."""
    ordered = sorted(values)
    f = f"{{:,.{digits}f}}"
    if len(ordered) == 1:
        return f.format(ordered[0])
    return f"{f.format(statistics.median(ordered))} ({f.format(ordered[0])}–{f.format(ordered[-1])})"


def digits_for(result: Result) -> int:
    """Decimals worth printing: one below 100, none above."""
    return 1 if result.median < 100 else 0


def print_results(results: list[Result], *, with_bench: bool = True, width: int = 84) -> None:
    """The results as a plain-text table: median (range), floor, ratio, goal and verdict; `width`: the case column's."""
    print(f"\n{'case':<{width}} {'median (range)':>26} {'floor':>26} {'ratio':>6}  goal")
    for r in results:
        digits = digits_for(r)
        name = f"{r.bench}: {r.case}" if with_bench else r.case
        floor = f"{spread(r.floor_samples, digits)} {r.unit}" if r.floor_samples else ""
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        verdict = "" if r.met is None else ("  met" if r.met else "  MISSED")
        print(f"{name[:width]:<{width}} {spread(r.samples, digits) + ' ' + r.unit:>26} {floor:>26} {ratio:>6}  "
              f"{r.goal}{verdict}")  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def database(db: str, name: str) -> Iterator[str]:
    """A fresh, empty database for one benchmark: its DATABASE_URL. Dropped afterwards."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
            yield f"sqlite:///{scratch}/db.sqlite3"
        return
    import psycopg

    dbname = f"bench_{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {dbname}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


# Uploads and the demo pictures' renditions of every benchmark: named by content, so shared safely.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "bench-offline-sync-media"


def django_env(url: str, **extra: str) -> dict:
    """Environment of a production-like Django process (DEBUG off) on `url`."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "false", "SECRET_KEY": "bench",
            "DATABASE_URL": url, "MEDIA_ROOT": str(MEDIA_ROOT), **extra}  # fmt: skip


def manage(env: dict, *args: str) -> None:
    """Run a management command; a failure shows the command's own error."""
    _django(env, "manage.py", *args)


def _django(env: dict, *args: str) -> None:
    """`python <args>` from the project root in the Django environment `env`; a failure shows its own error."""
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")


@contextlib.contextmanager
def gunicorn(
    env: dict | None = None,
    *,
    workers: int = 2,
    threads: int = 4,
    access_log: Path | None = None,
    keep_alive: int | None = None,
):
    """The project under gunicorn on a free loopback port, once it answers; yields its base URL.

    `env`: the Django environment (default: this process's). `access_log`: a
    file gunicorn logs each request to, as "request status body-bytes".
    `keep_alive`: seconds an idle keep-alive connection stays open (gunicorn's
    default is 2).
    """
    port = free_port()
    command = ["-m", "gunicorn", "project.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
               "--threads", str(threads)]  # fmt: skip
    if keep_alive is not None:
        command += ["--keep-alive", str(keep_alive)]
    if access_log is not None:
        command += ["--access-logfile", str(access_log), "--access-logformat", "%(r)s %(s)s %(B)s"]
    base = f"http://127.0.0.1:{port}"
    with running([sys.executable, *command], base + "/api/sync/config/", "gunicorn", cwd=ROOT, env=env):
        yield base


@contextlib.contextmanager
def running(command: list[str], ready_url: str, what: str, **popen):
    """`command` as a process of its own, once `ready_url` answers (any HTTP status); stopped on exit."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(ready_url, timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.05)  # waiting for the server to listen, not a measurement
        else:
            raise RuntimeError(f"{what} did not start")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def serve(
    products: int,
    db: str = "sqlite",
    *,
    workers: int = 2,
    threads: int = 4,
    name: str = "serve",
    access_log: Path | None = None,
    snapshots: bool = True,
    before_start=None,
    environment: dict | None = None,
):
    """A fresh catalogue of `products` served by gunicorn on loopback, like production
    (DEBUG off, collected and hashed static files), its snapshots built as `make run` builds
    them (`snapshots`; the server builds them itself when a device asks otherwise). Yields
    (base URL, DATABASE_URL). `access_log`: as for `gunicorn`. `before_start(env, static_root)`:
    runs once the site is set up, before gunicorn starts. `environment`: more settings (e.g. behind
    a TLS proxy)."""
    with _site(products, db, name, snapshots=snapshots, environment=environment) as (env, static, url):
        if before_start is not None:
            before_start(env, static)
        with gunicorn(env, workers=workers, threads=threads, access_log=access_log) as base:
            yield base, url


@contextlib.contextmanager
def _site(products: int, db: str, name: str, *, snapshots: bool = True, environment: dict | None = None):
    """A fresh database and static root with the site set up on them: migrated, seeded, its snapshots
    built (`snapshots`) and its static files collected (`bench.site_setup`). Yields (the Django
    environment, the static root, DATABASE_URL)."""
    with database(db, name) as url, tempfile.TemporaryDirectory(prefix=f"bench-{name}-static-") as static:
        env = django_env(url, STATIC_ROOT=f"{static}/static", SYNC_SNAPSHOT_DIR=f"{static}/snapshots",
                         **(environment or {}))  # fmt: skip
        _django(env, "-m", "bench.site_setup", "--products", str(products), *([] if snapshots else ["--no-snapshots"]))
        yield env, Path(static) / "static", url


def redis_flush(url: str) -> None:
    """Empty the Redis database at `url`, so no token or count of an earlier server is found in it."""
    import redis

    with redis.Redis.from_url(url, socket_connect_timeout=3) as client:
        client.flushdb()


@contextlib.contextmanager
def serve_instances(
    products: int,
    db: str = "postgres",
    *,
    instances: int = 1,
    workers: int = 2,
    threads: int = 4,
    name: str = "serve",
    redis_url: str = "",
):
    """As `serve`, but `instances` gunicorns on ports of their own, as servers behind a load balancer: one
    database, one snapshot storage, and with `redis_url` one Redis as Django's cache (flushed before they
    start; without it none, whatever this process's environment says). `workers` and `threads` are each
    instance's. Yields (base URLs, DATABASE_URL)."""
    with _site(products, db, name, environment={"REDIS_URL": redis_url}) as (env, _, url):
        if redis_url:
            redis_flush(redis_url)
        with contextlib.ExitStack() as servers:
            bases = [servers.enter_context(gunicorn(env, workers=workers, threads=threads)) for _ in range(instances)]
            yield bases, url


def machine() -> dict:
    """The machine and versions the numbers were measured on."""
    memory, cpu = "", platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    chromium = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    postgres = ""
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            postgres = "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]
    import sqlite3

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": "SQLite " + sqlite3.sqlite_version,
        "postgres": postgres,
        "chromium": chromium,
    }
