"""Running a benchmark the way a developer does (`python -m bench...`), on the test database's engine."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def engine_under_test() -> str:
    """The benchmarks' name of the engine the tests run on: "sqlite" or "postgres"."""
    return "postgres" if connection.vendor == "postgresql" else "sqlite"


def run_bench(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m <args>` from the project root; on PostgreSQL its benchmark databases go to the test server."""
    env = dict(os.environ)
    if engine_under_test() == "postgres":
        env["BENCH_POSTGRES_URL"] = os.environ["DATABASE_URL"]
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
