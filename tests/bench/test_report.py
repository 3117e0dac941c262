"""`python -m bench` (what `make bench` runs) gathers every benchmark into one report.

Run here at the tiny `--quick` size on the test database's engine, into a
scratch directory: it checks that every benchmark runs and the report and its
chart are written. No number is asserted (that is `bench/`'s job).
"""

from tests.bench.runner import engine_under_test, run_bench


def test_bench_writes_one_report_with_every_benchmark_and_a_chart(tmp_path):
    result = run_bench("bench", "--quick", "--db", engine_under_test(), "--out", str(tmp_path), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    report = (tmp_path / "benchmarks.md").read_text()
    assert "| benchmark | case | median (range) | floor, same run | ratio | goal | |" in report
    for bench in ("PWA initial sync", "PWA delta sync", "Local queries", "Server pull throughput", "Push", "Load"):
        assert f"| {bench} |" in report, bench
    assert "Quick run" in report
    assert (tmp_path / "img" / "benchmarks.png").stat().st_size > 0

    rendered = tmp_path / "rendered"
    again = run_bench("bench", "--render", str(tmp_path / "benchmarks.json"), "--out", str(rendered), timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (rendered / "benchmarks.md").read_text() == report  # the same samples, the same report
