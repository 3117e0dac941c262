"""The pull benchmark runs end to end at a tiny size, so it cannot rot.

Timings are not asserted here (they belong to `bench/`); the run itself checks
that the endpoint and the floor each return every visible product.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_pull_benchmark_runs_on_the_test_database_engine():
    db = "postgres" if connection.vendor == "postgresql" else "sqlite"
    env = dict(os.environ)
    if db == "postgres":
        env["BENCH_POSTGRES_URL"] = os.environ["DATABASE_URL"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.pull_throughput", "--products", "60", "--limit", "7", "--runs", "1", "--db", db],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith(db)]
    ratios = re.findall(r"\s(\d+\.\d\d)\s", row)  # the only decimal columns: in-process and HTTP / floor
    assert len(ratios) == 2
    assert all(float(ratio) > 0 for ratio in ratios)
