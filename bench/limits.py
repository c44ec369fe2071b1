"""Benchmark: the cost of one file grows linearly with its size, up to the stated limits.

Part 1 reads and extracts one file (pipelines.ingest.stage.extract_one, in a fresh process each, so
the peak memory is that file's): a text whose report is one single line, from 0.25 MB to
4 MB (past COUNTY_MAX_LINE_CHARS: refused), and a workbook sheet from 6,000 rows to just under the
COUNTY_MAX_SHEET_ROWS limit and a million rows (refused). Part 2 runs the whole job
(pipelines.orchestration.run.run_pipeline) over a good report beside a 2 MB single-line text, and beside a
million-row sheet: wall time and the peak memory of the run's largest process. Part 3 times
the share check over one report of 5,000 to 40,000 statements.

Run: .venv/bin/python bench/limits.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from tools.sample import generate_county

SENTENCE = "一般公共服务支出100.00万元，占10.00%，较上年增加5.00万元，增长5.00%。"

ONE_FILE = """
import hashlib, json, resource, sys, time
from pathlib import Path
from pipelines.ingest.discover import SourceFile
from pipelines.ingest.stage import extract_one
path, rel = Path(sys.argv[1]), sys.argv[2]
sha = hashlib.sha256(path.read_bytes()).hexdigest()
started = time.perf_counter()
result, rows = extract_one(SourceFile(path, rel, sha, path.stat().st_size))
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "outcome": "ok" if result.ok else result.error_code,
    "statements": (result.row_counts or {}).get("core.statement", 0),
}))
"""

WHOLE_RUN = """
import json, resource, sys, time
from pathlib import Path
from pipelines.orchestration.run import Locations, run_pipeline
started = time.perf_counter()
summary = run_pipeline(Locations(Path(sys.argv[1]), Path(sys.argv[2])), workers=2)
peak = max(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "rss_mb": peak / 1024,
    "reports": summary.rows.get("core.report", 0),
    "errors": [f"{code} ({message[:24]}…)" for _, code, message in summary.ingest_errors],
}))
"""


def single_line(path: Path, megabytes: float) -> Path:
    unit = SENTENCE.encode()
    body = SENTENCE * int(megabytes * 2**20 / len(unit))
    path.write_text(f"某某局{2024}年度部门决算\n{body}\n", encoding="utf-8")
    return path


def big_sheet(path: Path, rows: int) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("支出决算表")
    sheet.write_row(0, 0, ["一般公共预算财政拨款支出决算表"])
    sheet.write_row(1, 0, ["科目编码", "科目名称", "决算数"])
    for r in range(rows):
        sheet.write_row(r + 2, 0, ["2010301", "行政运行", 100.0 + r % 97])
    book.close()
    return path


def run(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_one(tmp: Path, quick: bool) -> None:
    print(
        f"{'file':<28} {'size':>10} {'outcome':>18} {'stmts':>7} {'s':>7} {'s/unit':>9} {'MB RSS':>8}"
    )
    sizes = [0.25, 0.5, 1, 2] + ([] if quick else [4])
    for mb in sizes:
        path = single_line(tmp / f"line_{mb}.txt", mb)
        r = run(ONE_FILE, str(path), "2024/某某局.txt")
        print(
            f"{'single-line text':<28} {mb:>7.2f} MB {r['outcome']:>18} {r['statements']:>7} "
            f"{r['seconds']:>7.2f} {r['seconds'] / mb:>6.2f}/MB {r['rss_mb']:>8.0f}"
        )
    rows_list = [6_000, 12_000, 24_000, 48_000] + ([] if quick else [1_000_000])
    for rows in rows_list:
        path = big_sheet(tmp / f"sheet_{rows}.xlsx", rows)
        r = run(ONE_FILE, str(path), "2024/某某局_附表.xlsx")
        per = r["seconds"] / rows * 10_000
        print(
            f"{'sheet':<28} {rows:>7,} rw {r['outcome']:>18} {r['statements']:>7} "
            f"{r['seconds']:>7.2f} {per:>5.2f}/10k {r['rss_mb']:>8.0f}"
        )


def part_two(tmp: Path) -> None:
    print(f"\n{'whole run beside a good report':<44} {'s':>7} {'MB RSS':>8}  outcome")
    cases = {
        "2 MB single-line text": lambda raw: single_line(raw / "2024" / "某某局.txt", 2),
        "1,000,000-row sheet": lambda raw: big_sheet(raw / "2024" / "某某局.xlsx", 1_000_000),
    }
    for name, plant in cases.items():
        root = tmp / name.replace(" ", "_")
        raw = root / "raw"
        generate_county(raw, n_departments=1, years=(2024,), seed=3, formats=("txt",))
        plant(raw)
        time.sleep(0.1)
        r = run(WHOLE_RUN, str(raw), str(root / "wh" / "budget.duckdb"))
        outcome = f"{r['reports']} report(s) published, refused: {r['errors'] or 'none'}"
        print(f"{name:<44} {r['seconds']:>7.2f} {r['rss_mb']:>8.0f}  {outcome}")


def share_frame(n: int):
    """n statements of one metric, each stating its share of that same metric's figures: the
    shape that made the share check quadratic (every share scanned every candidate whole)."""
    import pandas as pd

    from pipelines.ingest.extract.statement import STATEMENT_COLUMNS

    blank = dict.fromkeys(STATEMENT_COLUMNS)
    common = {"report_id": "r", "part": "narrative", "unit": "万元", "source_text": "x"}
    rows = [
        blank
        | common
        | {
            "statement_no": i,
            "block_index": i // 50,
            "label": "一般公共服务支出",
            "metric": "gpb_by_function",
            "amount_wan": 100.0,
            "share_pct": 10.0,
            "share_of": "gpb_by_function",
            "share_decimals": 2,
            "source_location": f"第{i}行",
        }
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def part_three() -> None:
    from pipelines.quality.builders import share_checks

    print(f"\n{'share check, statements per report':<36} {'s':>7} {'s/10k':>7}")
    for n in (5_000, 10_000, 20_000, 40_000):
        frame = share_frame(n)
        started = time.perf_counter()
        share_checks(frame)
        seconds = time.perf_counter() - started
        print(f"{n:<36,} {seconds:>7.2f} {seconds / n * 10_000:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the refused sizes and part 2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        part_one(Path(tmp), args.quick)
        if not args.quick:
            part_two(Path(tmp))
        part_three()


if __name__ == "__main__":
    main()
