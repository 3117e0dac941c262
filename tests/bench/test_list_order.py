"""The list-order benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job): the run itself checks, in
Node, that the app's catalogue lists the parts, in either order, in the
published list order.
"""

import re

import pytest

from tests.bench.runner import run_bench


@pytest.mark.once  # SQLite only: the database only seeds the records
def test_list_order_benchmark_runs():
    result = run_bench("bench.list_order", "--products", "300", "--runs", "1")

    assert result.returncode == 0, result.stderr
    assert re.search(r"^app: CPU ms to merge a first download\s+\d", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^server: snapshot parts, brotli bytes\s+[\d,]+\s+[\d,]+$", result.stdout, re.MULTILINE)
