"""Benchmark: what checking 100 reports costs next to checking one.

Builds two warehouses from the synthetic generator (1 report, and 100 reports), then runs the
check step on each in a fresh process (so both pay the Great Expectations import), and prints
a table. Run: .venv/bin/python bench/checks.py [--reports 100]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.orchestration.run import Locations, ingest, load
from tools.sample import generate_county

CHECK = (
    "import sys, time; t = time.perf_counter(); from pathlib import Path;"
    "from pipelines.orchestration.run import Locations, check;"
    "o = check(Locations(Path(sys.argv[1]), Path(sys.argv[2])), data_docs=False);"
    "print(time.perf_counter() - t, o.seconds['build'], o.seconds['validate'], o.rows)"
)


def build(root: Path, reports: int) -> Locations:
    raw = root / "raw"
    generate_county(
        raw,
        n_departments=max(1, reports // 2),
        years=(2023, 2024) if reports > 1 else (2024,),
        seed=5,
    )
    loc = Locations(raw, root / "wh" / "budget.duckdb")
    ingest(loc)
    load(loc)
    return loc


def timed_check(loc: Locations) -> tuple[float, float, float, float, int]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHECK, str(loc.raw_dir), str(loc.warehouse)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    inner, build_s, validate_s, rows = out.stdout.split()[-4:]
    return wall, float(inner), float(build_s), float(validate_s), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = build(Path(tmp) / "one", 1)
        large = build(Path(tmp) / "many", args.reports)
        results = {"1 report": timed_check(small), f"{args.reports} reports": timed_check(large)}
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"{'warehouse':<14} {'process s':>10} {'check s':>8} {'build s':>8} {'GX s':>7} {'outcomes':>9}"
    )
    for name, (wall, inner, build_s, validate_s, rows) in results.items():
        print(
            f"{name:<14} {wall:>10.2f} {inner:>8.2f} {build_s:>8.2f} {validate_s:>7.2f} {rows:>9}"
        )
    (w1, *_), (wn, *_) = results.values()
    print(f"extra cost of {args.reports} reports over 1: {wn - w1:.2f} s (ratio {wn / w1:.2f})")


if __name__ == "__main__":
    main()
