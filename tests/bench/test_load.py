"""The load benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job). The run itself signs devices
in, downloads the catalogue, pulls deltas, pushes favourites and price
changes, and fetches the floor's static file; every request must succeed.
"""

from tests.bench.runner import engine_under_test, run_bench


def test_load_benchmark_runs_on_the_test_database_engine():
    db = engine_under_test()
    result = run_bench("bench.load", "--clients", "3", "--duration", "1", "--warmup", "0.5", "--products", "200",
                       "--db", db)  # fmt: skip
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith(db)]
    database, clients, rate, _p50, _p95, _p99, errors, floor_rate, _floor_p99 = row.split()
    assert (database, clients, errors) == (db, "3", "0"), result.stdout
    assert float(rate.replace(",", "")) > 0, result.stdout
    assert float(floor_rate.replace(",", "")) > 0, result.stdout
    assert "failed" not in result.stdout, result.stdout  # the floor's requests and the writer's succeeded too
