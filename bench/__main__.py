"""Every benchmark, one table: `python -m bench` (what `make bench` runs).

Runs each benchmark module's `collect()`, prints one table of the product's
numbers beside their floors (measured alternately in the same run), and
writes it with the machine, the date and a chart to `var/bench/benchmarks.md`
and `var/bench/img/benchmarks.png`, or with `--out docs` to the committed
report (`make bench-report`, when the report is deliberately refreshed). The
notes in `bench/NOTES.md` (what each floor is, where a goal is missed and
why) are appended to the report.

    .venv/bin/python -m bench                 # everything, full size (about 55 minutes)
    .venv/bin/python -m bench --only pwa_sync --db sqlite
    .venv/bin/python -m bench --quick --out /tmp/report   # tiny sizes: checks it runs, numbers mean nothing
    .venv/bin/python -m bench --render docs/benchmarks.json --out docs   # the report again from its samples
"""

import argparse
import dataclasses
import importlib
import json
import statistics
from pathlib import Path

from bench.common import DATABASES, ROOT, Result, digits_for, machine, print_results, spread

# In report order.
MODULES = ("pwa_sync", "phone_link", "first_downloads", "list_order", "pull_throughput", "delta_pull", "push", "load",
           "mixed", "open_apps", "product_import", "pictures")  # fmt: skip


def collect(names: list[str], quick: bool, dbs: tuple[str, ...]) -> list[Result]:
    results = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"… {name}", flush=True)
        results += module.collect(quick=quick, dbs=dbs)
    return results


def _verdict(result: Result) -> str:
    return "" if result.met is None else ("met" if result.met else "**missed**")


def table(results: list[Result]) -> list[str]:
    """The report's table, as Markdown lines."""
    lines = ["| benchmark | case | median (range) | floor, same run | ratio | goal | |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        digits = digits_for(r)
        floor = f"{spread(r.floor_samples, digits)} {r.unit}" if r.floor_samples else ""
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        lines.append(f"| {r.bench} | {r.case} | {spread(r.samples, digits)} {r.unit} | {floor} | {ratio} "
                     f"| {r.goal} | {_verdict(r)} |")  # fmt: skip
    return lines


def chart(results: list[Result], path: Path) -> None:
    """Each result that has a floor: its median and range beside the floor's, one panel per benchmark and unit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        if r.floor_samples and max(r.samples + r.floor_samples) > 0:  # an all-zero count says nothing drawn
            groups.setdefault((r.bench, r.unit), []).append(r)
    if not groups:
        return
    heights = [1.2 + 0.55 * len(rs) for rs in groups.values()]
    figure, axes = plt.subplots(len(groups), 1, figsize=(10, sum(heights)), squeeze=False,
                                gridspec_kw={"height_ratios": heights})  # fmt: skip
    for axis, ((bench, unit), rs) in zip(axes[:, 0], groups.items(), strict=True):
        positions = range(len(rs))
        bars = (
            (-0.2, "product", "#2b6cb0", [r.samples for r in rs]),
            (0.2, "floor (same run)", "#a0aec0", [r.floor_samples for r in rs]),
        )
        for offset, label, colour, samples in bars:
            medians = [statistics.median(values) for values in samples]
            low = [m - min(values) for m, values in zip(medians, samples, strict=True)]
            high = [max(values) - m for m, values in zip(medians, samples, strict=True)]
            axis.barh([p + offset for p in positions], medians, height=0.38, color=colour, label=label,
                      xerr=[low, high], capsize=2)  # fmt: skip
        values = [v for r in rs for v in r.samples + r.floor_samples if v > 0]
        if values and max(values) / min(values) > 50:
            axis.set_xscale("log")  # e.g. a push beside its floor: orders of magnitude apart
        axis.set_yticks(list(positions), [r.case for r in rs], fontsize=7)
        axis.invert_yaxis()
        axis.set_title(f"{bench} ({unit}{', log scale' if axis.get_xscale() == 'log' else ''})", fontsize=9,
                       loc="left")  # fmt: skip
        axis.tick_params(axis="x", labelsize=7)
        axis.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def report(results: list[Result], out: Path, quick: bool, info: dict | None = None) -> Path:
    """Write benchmarks.md, its chart, and benchmarks.json (every sample, to re-render with `--render`)."""
    info = info or machine()
    out.mkdir(parents=True, exist_ok=True)
    raw = {"machine": info, "quick": quick, "results": [dataclasses.asdict(r) for r in results]}
    (out / "benchmarks.json").write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n")
    image = out / "img" / "benchmarks.png"
    chart(results, image)
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench-report` (`python -m bench --out docs`); do not edit by hand — the notes",
        "at the end come from `bench/NOTES.md`. Every number is a median with its range over the runs,",
        "measured beside its floor (the same work without the product's overhead) in the same run, because",
        "this machine is noisy.",
        "",
        f"Measured {info['date']} on {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']},",
        f"{info['sqlite']}, {info['postgres']}, {info['chromium']}.",
        "",
    ]
    if quick:
        lines += ["**Quick run (tiny sizes): these numbers only show that the benchmarks run.**", ""]
    lines += table(results)
    if image.exists():
        lines += ["", f"![Each measurement beside its floor]({image.relative_to(out).as_posix()})"]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    path = out / "benchmarks.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=MODULES, default=list(MODULES))
    parser.add_argument("--db", nargs="+", choices=DATABASES, default=list(DATABASES))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that everything runs")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench",
                        help="where benchmarks.md and img/ go (docs: the committed report)")  # fmt: skip
    parser.add_argument("--render", type=Path, help="re-render the report from a benchmarks.json, measuring nothing")
    args = parser.parse_args()
    if args.render:
        raw = json.loads(args.render.read_text())
        results = [Result(**r) for r in raw["results"]]
        print_results(results)
        print(f"\nwrote {report(results, args.out, raw['quick'], raw['machine'])}")
        return
    results = collect(args.only, args.quick, tuple(args.db))
    print_results(results)
    print(f"\nwrote {report(results, args.out, args.quick)}")


if __name__ == "__main__":
    main()
