"""The PWA initial-sync benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job): the run itself waits for the
app's `synccomplete` and a search answered from the replica.
"""

import re

import pytest

from tests.bench.runner import run_bench


@pytest.mark.once
def test_pwa_sync_benchmark_runs():
    # SQLite: its own database; the snapshots built at set-up, as `make run` does.
    result = run_bench("bench.pwa_sync", "--products", "200", "--runs", "1")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^200 products, SQLite: trigger → usable\s+\d", result.stdout, re.MULTILINE), result.stdout
    driven = r"^200 products, SQLite: trigger → usable, the next device, as measured until.*\s\d+ ms"
    assert re.search(driven, result.stdout, re.MULTILINE), result.stdout
    delta = r"^200 products, SQLite: 10 changed products, response bytes\s+\d"
    assert re.search(delta, result.stdout, re.MULTILINE), result.stdout
