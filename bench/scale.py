"""Benchmark: the main job on synthetic counties of growing size, cold, warm and one change.

    python -m bench.scale --sizes 100 1000 [10000] [--formats txt docx] [--layouts …] [--json FILE]

For each size it generates (once, cached under bench/.corpora/) a county with the project's
own generator, five fiscal years of size/5 departments, then runs the main job exactly as an
operator does (``python -m pipelines run``, Dagster in-process, in a fresh process) and prints:

- cold: empty warehouse; warm: the same raw/ again (nothing changed); changed: one report
  re-sent with one figure corrected (only for sizes up to --changed-max);
- wall time end to end, the time of each step as the pipeline logged it in meta.step_log
  (discover, read, extract, load, checks, marts, reviews, exports; ``other`` is process
  start-up, Dagster and everything between steps), reports per second;
- peak memory: the largest proportional set size (PSS) summed over the run's process tree,
  sampled every 0.1 s.

``startup`` is the same command on an empty raw/ folder: the fixed cost of starting a run.
Figures vary with the machine: compare rows of one run with each other, not across machines.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb

from tools.sample.render import LAYOUTS

ROOT = Path(__file__).resolve().parents[1]
YEARS = [2021, 2022, 2023, 2024, 2025]
STEPS = ["discover", "read", "extract", "load", "checks", "marts", "reviews", "exports"]
SEED = 7


# -- corpora ------------------------------------------------------------------------------------


def _write_shard(
    out: str, departments: int, formats: list[str], layouts: list[str], shard: tuple[int, int]
) -> int:
    from tools.sample.writers import generate_county

    return len(
        generate_county(
            Path(out),
            n_departments=departments,
            years=YEARS,
            seed=SEED,
            formats=formats,
            layouts=layouts,
            shard=shard,
        )
    )


def corpus(cache: Path, size: int, formats: list[str], layouts: list[str]) -> Path:
    """raw/ of a county with ``size`` reports (size/5 departments × 5 years), made once."""
    departments = max(1, size // len(YEARS))
    folder = cache / f"n{departments * len(YEARS)}-{'_'.join(formats)}-{'_'.join(layouts)}-s{SEED}"
    raw = folder / "raw"
    if (folder / "complete").exists():
        return raw
    shutil.rmtree(folder, ignore_errors=True)
    raw.mkdir(parents=True)
    workers = os.cpu_count() or 1
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        written = sum(
            pool.map(
                _write_shard,
                [str(raw)] * workers,
                [departments] * workers,
                [formats] * workers,
                [layouts] * workers,
                [(k, workers) for k in range(workers)],
            )
        )
    (folder / "complete").write_text(f"{written} reports\n")
    print(f"generated {written} reports in {time.perf_counter() - started:.0f} s: {raw}")
    return raw


def working_copy(raw: Path, dest: Path) -> Path:
    """Hard links to the cached corpus: cheap, and a changed file is written as a new file."""
    shutil.copytree(raw, dest, copy_function=os.link)
    return dest


def change_one_report(raw: Path) -> str:
    """A department re-sends its report with one figure corrected (a new file, new bytes)."""
    path = sorted(p for p in raw.rglob("*.txt"))[0]
    data = path.read_bytes()
    encoding = (
        "gb18030" if b"\r\n" in data else "utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8"
    )
    text = data.decode(encoding)
    # the first amount of the 三公 section, raised by 0.10 万元
    start = text.index("三公")
    match = re.compile(r"(\d+\.\d{2})万元").search(text, start)
    corrected = f"{float(match.group(1)) + 0.1:.2f}万元"
    text = text[: match.start()] + corrected + text[match.end() :]
    path.unlink()  # break the hard link: the cache keeps its bytes
    path.write_bytes(text.encode(encoding))
    return path.relative_to(raw).as_posix()


# -- measuring a run ----------------------------------------------------------------------------


def _tree_memory(root_pid: int) -> int:
    """Proportional set size (PSS) of a process and all its descendants, in bytes (Linux /proc).

    PSS splits pages shared between processes (forked workers share their parent's) among
    them, so the sum is the memory the run really holds; plain RSS would count them twice.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def run_job(raw: Path, warehouse: Path, dagster_home: Path) -> dict:
    """One ``python -m pipelines run``: wall seconds, step seconds, peak memory."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "COUNTY_SETTLE_SECONDS": "0",  # the corpus was written by this bench: no copy in transfer
    }
    since = datetime.now()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines",
            "run",
            "--raw",
            str(raw),
            "--warehouse",
            str(warehouse),
            "--out",
            str(warehouse.parent),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_memory(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.stdout.write(output.decode(errors="replace")[-4000:])
        raise SystemExit(f"the run failed (exit {proc.returncode}): {raw}")
    steps: dict[str, float] = {}
    reports = 0
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            for step, seconds in con.execute(
                "SELECT step, sum(seconds) FROM meta.step_log WHERE logged_at >= ? GROUP BY step",
                [since],
            ).fetchall():
                steps[step] = seconds
            reports = con.execute("SELECT count(*) FROM core.report").fetchone()[0]
    return {
        "wall_s": round(wall, 2),
        "steps_s": {s: round(steps.get(s, 0.0), 2) for s in STEPS},
        "other_s": round(wall - sum(steps.values()), 2),
        "peak_mb": round(peak / 2**20),
        "reports_in_warehouse": reports,
    }


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "date": datetime.now().strftime("%Y-%m-%d"),
    }


# -- the table ----------------------------------------------------------------------------------


def table(rows: list[dict]) -> str:
    head = ["reports", "run", "wall s", *STEPS, "other", "reports/s", "peak MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        rate = f"{r['reports'] / r['wall_s']:.1f}" if r["run"] == "cold" else ""
        lines.append(
            "| "
            + " | ".join(
                [str(r["reports"]), r["run"], f"{r['wall_s']:.1f}"]
                + [f"{r['steps_s'][s]:.1f}" for s in STEPS]
                + [f"{r['other_s']:.1f}", rate, str(r["peak_mb"])]
            )
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument(
        "--formats", nargs="+", default=["txt", "docx"], choices=["txt", "docx", "pdf", "docx+xlsx"]
    )
    parser.add_argument(
        "--layouts",
        nargs="+",
        default=list(LAYOUTS),
        choices=list(LAYOUTS),
        help="report layouts dealt to the departments (default: all of them)",
    )
    parser.add_argument(
        "--changed-max",
        type=int,
        default=1000,
        help="measure one changed report for sizes up to this (default 1000)",
    )
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / ".corpora")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)

    compileall.compile_dir(ROOT / "pipelines", quiet=1)  # as `make run` does before a run
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="county-bench-") as tmp:
        work = Path(tmp)
        home = work / "dagster_home"
        home.mkdir()
        shutil.copy(ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
        empty = work / "empty_raw"
        empty.mkdir()
        startup = run_job(empty, work / "startup" / "warehouse.duckdb", home)
        rows.append({"reports": 0, "run": "startup", **startup})
        print(table(rows), flush=True)
        for size in args.sizes:
            raw = working_copy(
                corpus(args.cache, size, args.formats, args.layouts), work / f"raw{size}"
            )
            warehouse = work / f"wh{size}" / "warehouse.duckdb"
            runs = [("cold", None), ("warm", None)]
            if size <= args.changed_max:
                runs.append(("changed", change_one_report))
            for name, before in runs:
                if before is not None:
                    before(raw)
                result = run_job(raw, warehouse, home)
                rows.append({"reports": size, "run": name, **result})
                print(f"{size} {name}: {result['wall_s']} s", flush=True)
            shutil.rmtree(raw)
            shutil.rmtree(warehouse.parent)
    print()
    print(
        f"formats: {' '.join(args.formats)}; layouts: {' '.join(args.layouts)}; "
        f"machine: {json.dumps(machine(), ensure_ascii=False)}"
    )
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"machine": machine(), "formats": args.formats, "runs": rows},
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
