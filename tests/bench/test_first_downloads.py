"""The first-downloads benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job). The run itself fails on any
answer other than 2xx and checks one device per scenario: the snapshot parts
against their manifest, the pages' upserts against the manifest's records, and
the floor's static files byte for byte against the parts, served as br.
One catalogue size only (each size is a fresh server with collectstatic); the
line comparing two sizes is checked on made-up bursts.
"""

from bench.first_downloads import Burst, Config, growth_results
from tests.bench.runner import engine_under_test, run_bench

LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def test_first_downloads_benchmark_runs_on_the_test_database_engine():
    db = engine_under_test()
    result = run_bench("bench.first_downloads", "--products", "200", "--devices", "3", "--rounds", "1", "--db", db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    checked = [line for line in out.splitlines() if line.startswith(f"{LABELS[db]}, 200 products (")]
    assert [line.endswith("checked ✓") for line in checked] == [True], out  # one device per scenario verified
    for figure in ("server CPU/device", "p99 latency", "burst wall time", "bytes/device"):
        for scenario in ("snapshot", "pages (client ignoring snapshots)"):
            case = f"200 products, {LABELS[db]}: {figure}, {scenario} "  # the table pads the case with spaces
            assert len([line for line in out.splitlines() if line.startswith(case)]) == 1, out


def _bursts(cpu_s: dict[str, float]) -> dict[str, list[Burst]]:
    return {scenario: [Burst(scenario, 10, cpu, 1.0, [1.0], [1000] * 10)] for scenario, cpu in cpu_s.items()}


def test_the_goal_line_divides_the_largest_catalogues_snapshot_cpu_by_the_smallests():
    by_size = {
        1_000: _bursts({"snapshot": 0.25, "pages": 1.0, "floor": 0.125}),
        10_000: _bursts({"snapshot": 0.375, "pages": 10.0, "floor": 0.5}),
    }
    snapshot, pages = growth_results("sqlite", by_size, Config(devices=10))
    assert snapshot.case == "SQLite, 10,000 ÷ 1,000 products: CPU/device, snapshot"
    assert (snapshot.samples, snapshot.floor_samples, snapshot.met) == ([1.5], [4.0], True)
    assert snapshot.goal.startswith("≤ 2×")
    assert (pages.samples, pages.met, pages.goal) == ([10.0], None, "")
    by_size[10_000]["snapshot"][0].cpu_s = 0.75  # 3×
    assert growth_results("sqlite", by_size, Config(devices=10))[0].met is False
    assert growth_results("sqlite", {1_000: by_size[1_000]}, Config()) == []
