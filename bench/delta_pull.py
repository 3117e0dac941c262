"""Server CPU of a delta pull that finds nothing new, beside the cheapest answer the stack gives.

A fresh catalogue (1,000 products); a signed-in device holds the latest cursor of `products`. In
one Django process (DEBUG off, production settings, PostgreSQL with Django's cache in Redis as in
production, or SQLite alone), requests go straight to the WSGI handler of `project.wsgi`, the one
gunicorn serves, set up as in a serving process — every middleware, URL routing, DRF, the token
check, the view — and `time.process_time` counts the CPU they take, so neither a client nor an
HTTP server is in the figure (the database's own CPU is not either):

- a delta pull with nothing new (`200`, an empty page);
- the same pull holding the page's ETag (`304`);
- the floor: the same handler answering an unknown API path (`404` in the error shape): the
  middleware and routing every request pays, with no token, no view and no query.

Each figure is the mean over `--requests` requests after a warm-up, for each of `--runs` runs,
measured alternately.

    .venv/bin/python -m bench.delta_pull --runs 5 --db sqlite postgres
"""

import argparse
import io
import json
import subprocess
import sys
import time
from urllib.parse import quote

from bench import common
from bench.common import LABELS, Result

FLOOR = "the same handler answering an unknown API path (404): middleware and routing only"
GOAL_MS = 1.0
REDIS_URL = "redis://127.0.0.1:6379/12"
QUICK = {"products": 50, "requests": 50, "runs": 1}
FULL = {"products": 1000, "requests": 3000, "runs": 5}


def _worker(products: int, requests: int, runs: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import Client

    from project.wsgi import application as handler  # gunicorn's, set up as a serving process is
    from syncapi.tokens import token_create

    call_command("migrate", verbosity=0)
    call_command("seed_catalogue", products=products, categories=10, seed=1, pictures=0, verbosity=0)
    caches["default"].clear()
    raw, _ = token_create(user=get_user_model().objects.create_user("bench-delta", password=None))
    bearer = f"Bearer {raw}"
    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=bearer)
    page = {"has_more": True, "cursor": None}
    while page["has_more"]:
        params = {"limit": 5000, **({"cursor": page["cursor"]} if page["cursor"] else {})}
        page = client.get("/api/sync/pull/products/", params).json()
    query = f"cursor={quote(page['cursor'])}"
    etag = client.get("/api/sync/pull/products/", {"cursor": page["cursor"]})["ETag"]

    def cpu_ms(path: str, query: str, expected: str, headers: dict) -> float:
        """Mean CPU ms of one request through the WSGI handler (after a warm-up)."""
        statuses = []

        def start(status, response_headers, exc_info=None):
            statuses.append(status)

        def once():
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
                       "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                       "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", **headers}  # fmt: skip
            response = handler(environ, start)
            b"".join(response)
            response.close()

        for _ in range(max(20, requests // 10)):
            once()
        started = time.process_time()
        for _ in range(requests):
            once()
        elapsed = time.process_time() - started
        common.expect(set(statuses) == {expected}, f"{path} answered {set(statuses)}, not {expected}")
        return elapsed * 1000 / requests

    measured = {"pull": [], "not_modified": [], "floor": []}
    for _ in range(runs):
        measured["floor"].append(cpu_ms("/api/no-such-thing/", "", "404 Not Found", {}))
        measured["pull"].append(cpu_ms("/api/sync/pull/products/", query, "200 OK", {"HTTP_AUTHORIZATION": bearer}))
        conditional = {"HTTP_AUTHORIZATION": bearer, "HTTP_IF_NONE_MATCH": etag}
        measured["not_modified"].append(cpu_ms("/api/sync/pull/products/", query, "304 Not Modified", conditional))
    return measured


def measure(db: str, *, products: int, requests: int, runs: int) -> dict:
    with common.database(db, "delta_pull") as url:
        extra = {"REDIS_URL": REDIS_URL} if db == "postgres" else {}
        command = [sys.executable, "-m", "bench.delta_pull", "--worker", str(products), str(requests), str(runs)]
        out = subprocess.run(command, cwd=common.ROOT, env=common.django_env(url, **extra), capture_output=True,
                             text=True)  # fmt: skip
        if out.returncode:
            raise RuntimeError(f"the delta pull benchmark failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def results(db: str, measured: dict, requests: int) -> list[Result]:
    label = LABELS[db] + (" and Redis" if db == "postgres" else "")
    note = f"mean CPU of {requests:,} requests per run, through the WSGI handler in one process"
    goal = db == "postgres"
    return [
        Result(bench="Delta pull CPU", case=f"{name}, {label}", unit="ms", samples=measured[key],
               floor_samples=measured["floor"], floor=FLOOR, note=note,
               goal=f"< {GOAL_MS:g} ms" if goal else "", met=max(measured[key]) < GOAL_MS if goal else None)
        for key, name in (("pull", "a delta pull with nothing new"), ("not_modified", "the same pull answered 304"))
    ]  # fmt: skip


def collect(quick: bool = False, dbs: tuple[str, ...] = common.DATABASES) -> list[Result]:
    size = QUICK if quick else FULL
    return [line for db in dbs for line in results(db, measure(db, **size), size["requests"])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=FULL["requests"])
    parser.add_argument("--runs", type=int, default=FULL["runs"])
    parser.add_argument("--products", type=int, default=FULL["products"])
    parser.add_argument("--db", nargs="+", choices=common.DATABASES, default=list(common.DATABASES))
    parser.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(*args.worker)))
        return
    lines = [line for db in args.db for line in results(db, measure(db, products=args.products,
             requests=args.requests, runs=args.runs), args.requests)]  # fmt: skip
    common.print_results(lines)


if __name__ == "__main__":
    main()
