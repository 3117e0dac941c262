"""The pull benchmark runs end to end at a tiny size, so it cannot rot.

Timings are not asserted here (they belong to `bench/`); the run itself checks
that the endpoint and the floor each return every visible product.
"""

import re

from tests.bench.runner import engine_under_test, run_bench


def test_pull_benchmark_runs_on_the_test_database_engine():
    db = engine_under_test()
    result = run_bench("bench.pull_throughput", "--products", "60", "--limit", "7", "--runs", "1", "--db", db)
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith(db)]
    ratios = re.findall(r"\s(\d+\.\d\d)\s", row)  # the only decimal columns: in-process and HTTP / floor
    assert len(ratios) == 2
    assert all(float(ratio) > 0 for ratio in ratios)
