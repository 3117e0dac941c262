"""The delta pull CPU benchmark runs end to end at a tiny size, so it cannot rot.

Timings are not asserted here (they belong to `bench/`); the run itself checks that each request
was answered as it should be (200 with an empty page, 304, and the floor's 404).
"""

from tests.bench.runner import engine_under_test, run_bench


def test_delta_pull_benchmark_runs_on_the_test_database_engine():
    db = engine_under_test()
    result = run_bench("bench.delta_pull", "--products", "30", "--requests", "30", "--runs", "1", "--db", db)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("Delta pull CPU")]
    assert len(lines) == 2
    assert all(" ms " in line for line in lines)
