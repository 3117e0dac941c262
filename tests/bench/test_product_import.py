"""The product-import benchmark runs end to end at a tiny size, so it cannot rot.

Timings are not asserted here (they belong to `bench/`); the run itself checks
that the admin's preview offers each import, that every new product and every
changed price took a version, that unchanged rows kept theirs, and that each
imported change is in the history.
"""

import re

from tests.bench.runner import engine_under_test, run_bench


def test_product_import_benchmark_runs_on_the_test_database_engine():
    db = engine_under_test()
    result = run_bench("bench.product_import", "--products", "60", "--runs", "1", "--db", db)
    assert result.returncode == 0, result.stderr
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]
    cases = [f"{rows}: {step}" for rows in ("60 new products", "the same 60 rows, 6 prices changed")
             for step in ("preview (dry run)", "import")]  # fmt: skip
    for case in cases:
        [row] = [line for line in result.stdout.splitlines() if line.startswith(f"{case}, {label} ")]
        assert re.search(r"\s\d+\.\d{2}$", row), row  # the last column: admin / floor
