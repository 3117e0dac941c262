"""The push benchmark runs end to end at a tiny size, so it cannot rot.

Timings are not asserted here (they belong to `bench/`); the run itself checks
that every mutation of the first request is applied and stored, and every one
of the replay is answered `duplicate`.
"""

import re

from tests.bench.runner import engine_under_test, run_bench


def test_push_benchmark_runs_on_the_test_database_engine():
    db = engine_under_test()
    result = run_bench("bench.push", "--mutations", "20", "--products", "60", "--runs", "1", "--db", db)
    assert result.returncode == 0, result.stderr
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]
    for case in (f"20 mutations in one request, {label}", f"the same request replayed (20 duplicates), {label}"):
        [row] = [line for line in result.stdout.splitlines() if line.startswith(case)]
        assert re.search(r"\s\d+\.\d{4}$", row), row  # the last column: endpoint / floor
