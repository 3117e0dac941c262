"""The push benchmark runs end to end at a tiny size, so it cannot rot.

Timings are not asserted here (they belong to `bench/`); the run itself checks
that every mutation of the first request is applied and stored, and every one
of the replay is answered `duplicate`.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_push_benchmark_runs_on_the_test_database_engine():
    db = "postgres" if connection.vendor == "postgresql" else "sqlite"
    env = dict(os.environ)
    if db == "postgres":
        env["BENCH_POSTGRES_URL"] = os.environ["DATABASE_URL"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.push", "--mutations", "20", "--products", "60", "--runs", "1", "--db", db],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]
    for case in (f"20 mutations in one request, {label}", f"the same request replayed (20 duplicates), {label}"):
        [row] = [line for line in result.stdout.splitlines() if line.startswith(case)]
        assert re.search(r"\s\d+\.\d{4}$", row), row  # the last column: endpoint / floor
