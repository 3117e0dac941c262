"""The open-apps benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job): every refresh, probe or
sync, and every floor request must succeed, and the probes must find the
price changes made meanwhile.
"""

import pytest

from tests.bench.runner import run_bench

pytestmark = pytest.mark.once  # the benchmark's own SQLite database


def test_open_apps_benchmark_runs():
    result = run_bench("bench.open_apps", "--apps", "3", "--interval", "0.5", "--duration", "1",
                       "--change-every", "0.3", "--products", "200")  # fmt: skip
    assert result.returncode == 0, result.stderr
    runs = {line.split(":")[0].strip(): line for line in result.stdout.splitlines() if line.startswith("  ")}
    regimes = ("catalogue unchanged", "a price change every 0.3 s")
    assert set(runs) == {"floor", *(f"{regime} / {way}" for regime in regimes for way in ("probe", "sync"))}, runs
    assert all("errors none" in line for line in runs.values()), result.stdout
    assert "open apps refreshing every 0.5 s" in result.stdout, result.stdout
