"""`python -m bench` (what `make bench` runs) gathers benchmarks into one report.

Run here at the tiny `--quick` size on the test database's engine, into a
scratch directory, with two quick benchmarks (each benchmark module has a test
of its own that runs it): it checks that the report, its chart and its
samples are written and render again the same. No number is asserted (that is
`bench/`'s job).
"""

import importlib

import pytest

from bench.__main__ import MODULES
from tests.bench.runner import engine_under_test, run_bench


def test_every_benchmark_module_gives_the_report_its_results():
    for name in MODULES:
        assert callable(importlib.import_module(f"bench.{name}").collect), name


# The report is the same code on either engine, and so are the two benchmarks' runs in it on
# PostgreSQL (tests/bench/test_pull_throughput.py and test_push.py run each on both engines).
@pytest.mark.once
def test_bench_writes_one_report_with_its_benchmarks_and_a_chart(tmp_path):
    result = run_bench("bench", "--quick", "--only", "pull_throughput", "push", "--db", engine_under_test(),
                       "--out", str(tmp_path), timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

    report = (tmp_path / "benchmarks.md").read_text()
    assert "| benchmark | case | median (range) | floor, same run | ratio | goal | |" in report
    for bench in ("Server pull throughput", "Push"):
        assert f"| {bench} |" in report, bench
    assert "Quick run" in report
    assert (tmp_path / "img" / "benchmarks.png").stat().st_size > 0

    rendered = tmp_path / "rendered"
    again = run_bench("bench", "--render", str(tmp_path / "benchmarks.json"), "--out", str(rendered), timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (rendered / "benchmarks.md").read_text() == report  # the same samples, the same report
