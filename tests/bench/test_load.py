"""The load benchmark runs end to end at its quick size, so it cannot rot.

No timing is asserted (that is `bench/`'s job). The run itself signs devices
in, downloads the catalogue, pulls deltas in the closed and in the open loop,
pushes favourites and price changes, and fetches the floor's static file;
every request must succeed, and every reported figure stands beside its
floor. On PostgreSQL the catalogue is served as in production (Django's
cache in Redis) by two gunicorns, the set-up that has every part of the
one-gunicorn one, with price changes in the open loop (the run without them
is the same loop with its writer idle): each further set-up or variant
would add 10-20 s to the suite and no code path.
"""

import re

import pytest

from tests.bench.runner import engine_under_test, run_bench

# A reported figure, "12.3 ms" or "12.3 (11.0–14.2) ms" (not a goal, "≤ 100 ms").
FIGURE = re.compile(r"(?<!≤)\s([\d,.]+)(?: \([\d,.]+–[\d,.]+\))? (?:ms|req/s|errors)")
SETUPS = {"sqlite": ("SQLite",), "postgres": ("PostgreSQL + Redis, 2 instances",)}


def _figures(stdout: str, case: str) -> list[str]:
    """The figures of the report line of `case`: the measurement's, then its floor's."""
    [line] = [line for line in stdout.splitlines() if line.startswith(f"{case} ")]
    return FIGURE.findall(line)


@pytest.mark.postgres  # the set-up that matters: PostgreSQL with Redis
def test_load_benchmark_reports_both_loops_beside_their_floors():
    db = engine_under_test()
    result = run_bench("bench.load", "--quick", "--mode", "closed", "open", "--duration", "1", "--open-duration", "1",
                       "--instances", "2", "--open-writes", "5", "--db", db, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

    for setup in SETUPS[db]:
        closed = f"5 clients, {setup}"
        opened = [f"40 devices pulling every 1 s, 5 price changes/s, {setup}"]
        for case in (closed, *opened):
            for measure in ("p99", "requests/s", "errors"):
                figures = _figures(result.stdout, f"{case} — {measure}")
                assert len(figures) == 2, (case, measure, result.stdout)  # the figure and its floor
            assert _figures(result.stdout, f"{case} — errors") == ["0.0", "0.0"], result.stdout
            assert float(_figures(result.stdout, f"{case} — requests/s")[0]) > 0, result.stdout
        for case in opened:
            assert len(_figures(result.stdout, f"{case} — send delay, p99")) == 2, result.stdout
    assert "failed" not in result.stdout, result.stdout  # the floor's requests and the writer's succeeded too
