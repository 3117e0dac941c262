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
    goals = {  # issue 20's, on PostgreSQL only
        f"20 mutations in one request, {label}": "≥ 5,000",
        f"writers' lock held by that request (its longest slice), {label}": "≤ 200 ms",
        f"the same request replayed (20 duplicates), {label}": None,
    }
    for case, goal in goals.items():
        [row] = [line for line in result.stdout.splitlines() if line.startswith(case)]
        ratio, _, verdict = re.search(r"\s(\d+\.\d{4})(  (.*))?$", row).groups()  # endpoint / floor, then the goal
        assert float(ratio) > 0, row
        if goal is not None and db == "postgres":
            assert verdict in (f"{goal} met", f"{goal} MISSED"), row
        else:
            assert verdict is None, row
