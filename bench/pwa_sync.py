"""Initial sync into the PWA in headless Chromium, from trigger to usable offline.

Serves a fresh catalogue with gunicorn, opens the app in a fresh on-disk
Chromium profile per run, and measures in the page: from the app's first
`triggerOfflineDataSync` to `synccomplete`, then a search answered from the
replica; plus the longest main-thread task (PerformanceObserver `longtask`)
from the trigger on.

    .venv/bin/python -m bench.pwa_sync --products 100000 --runs 3
"""

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip

OBSERVE = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__longTasks.push([Math.round(entry.startTime), Math.round(entry.duration)]);
  }
}).observe({type: 'longtask', buffered: true});
window.__done = new Promise((resolve) => {
  new BroadcastChannel('offline-sync').addEventListener('message', ({data}) => {
    if (data.type === 'synccomplete' && data.detail.unit === 'all') {
      resolve({at: performance.now(), stats: data.detail.stats});
    }
  });
});
"""

MEASURE = """async () => {
  const done = await window.__done;
  const trigger = performance.getEntriesByName('offline-sync:all:trigger')[0].startTime;
  const searchStart = performance.now();
  await window.offlineSync.replica.refresh();
  const hits = window.offlineSync.replica.search({query: 'drill'}).length;
  const searchOnly = performance.now();
  window.offlineSync.replica.search({query: 'saw'});
  const usable = performance.now();
  // Tasks during the sync: from the trigger on (the page's own start-up before it is not a sync).
  const during = window.__longTasks.filter(([start, duration]) => start + duration > trigger);
  return {syncMs: done.at - trigger, usableMs: usable - trigger, searchMs: usable - searchOnly, hits,
          refreshMs: searchOnly - searchStart, longestTaskMs: Math.max(0, ...during.map(([, d]) => d)),
          longTasks: during, upserts: done.stats.upserts, pages: done.stats.pages};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(products: int, database: str = "sqlite", workers: int = 2):
    """A fresh catalogue served by gunicorn on loopback, like production (DEBUG off, collected static)."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-pwa-"))
    url = f"sqlite:///{scratch}/db.sqlite3"
    if database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench_pwa")
            admin.execute("CREATE DATABASE bench_pwa")
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/bench_pwa"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "false", "SECRET_KEY": "bench",
           "DATABASE_URL": url, "STATIC_ROOT": str(scratch / "static")}  # fmt: skip
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_catalogue", "--products", str(products)], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    gunicorn = ["-m", "gunicorn", "project.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--threads", "4"]
    server = subprocess.Popen(
        [sys.executable, *gunicorn],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url + "/api/sync/config/", timeout=1)
                break
            time.sleep(0.05)  # waiting for the server to listen, not a measurement
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        if database == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute("DROP DATABASE IF EXISTS bench_pwa")


def run_once(playwright, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                                args=ARGS)  # fmt: skip
        try:
            context.add_init_script(OBSERVE)
            page = context.new_page()
            page.goto(url + "/")
            return page.evaluate(MEASURE)
        finally:
            context.close()


def _median(results: list[dict], key: str) -> str:
    values = sorted(r[key] for r in results)
    return f"{statistics.median(values):,.0f} ({values[0]:,.0f}–{values[-1]:,.0f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"Initial sync into the PWA ({args.db}), {args.runs} runs: median (range)")
    print(f"{'products':>9} {'sync ms':>18} {'usable ms':>18} {'search ms':>10} {'longest task ms':>16}")
    with sync_playwright() as playwright:
        for products in args.products:
            with serve(products, args.db, args.workers) as url:
                results = [run_once(playwright, url) for _ in range(args.runs)]

            print(f"{products:>9,} {_median(results, 'syncMs'):>18} {_median(results, 'usableMs'):>18} "
                  f"{_median(results, 'searchMs'):>10} {_median(results, 'longestTaskMs'):>16}")  # fmt: skip
            worst = max(results, key=lambda r: r["longestTaskMs"])
            print(f"          long tasks of the worst run [start ms, duration ms]: {worst['longTasks'][:12]}")


if __name__ == "__main__":
    main()
