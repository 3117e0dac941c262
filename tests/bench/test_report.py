"""`python -m bench` (what `make bench` runs) gathers every benchmark into one report.

Run here at the tiny `--quick` size on the test database's engine, into a
scratch directory: it checks that every benchmark runs and the report and its
chart are written. No number is asserted (that is `bench/`'s job).
"""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_bench_writes_one_report_with_every_benchmark_and_a_chart(tmp_path):
    db = "postgres" if connection.vendor == "postgresql" else "sqlite"
    env = dict(os.environ)
    if db == "postgres":
        env["BENCH_POSTGRES_URL"] = os.environ["DATABASE_URL"]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--db", db, "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    report = (tmp_path / "benchmarks.md").read_text()
    assert "| benchmark | case | median (range) | floor, same run | ratio | goal | |" in report
    for bench in ("PWA initial sync", "PWA delta sync", "Local queries", "Server pull throughput", "Push", "Load"):
        assert f"| {bench} |" in report, bench
    assert "Quick run" in report
    assert (tmp_path / "img" / "benchmarks.png").stat().st_size > 0

    rendered = tmp_path / "rendered"
    again = subprocess.run(
        [sys.executable, "-m", "bench", "--render", str(tmp_path / "benchmarks.json"), "--out", str(rendered)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert (rendered / "benchmarks.md").read_text() == report  # the same samples, the same report
