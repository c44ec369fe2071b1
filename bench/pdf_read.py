"""Benchmark: this pipeline's PDF reading against `pdftotext -layout`, side by side, in one run.

The target (issue "speed and scale") is that reading a PDF takes at most 3 times as long as
`pdftotext -layout` on the same file. For each PDF (default: the three real reports in
../shared/corpus/real) both tools run in turn, --repeat times, interleaved, so that load from
other processes falls on both alike; each keeps its best time. pdftotext's time includes
starting the process and writing its text file, as when it is run by hand; ours is
`read_pdf` on bytes already in memory (text lines and table cells, in this process).

Wall time decides the target. CPU time (user + system, of the pdftotext process and of this
one) is shown too: it is less disturbed by other processes on a busy machine.

Needs poppler-utils for pdftotext (`apt-get install poppler-utils`).
Run: .venv/bin/python bench/pdf_read.py [files...] [--repeat 7] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from pipelines.ingest.readers.pdf_reader import read_pdf

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
TARGET = 3.0  # our time / pdftotext time, at most


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_pdftotext(path: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `pdftotext -layout` run."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(["pdftotext", "-layout", str(path), str(out)], check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def time_ours(data: bytes, name: str) -> tuple[float, float]:
    """Wall and CPU seconds of one read_pdf call."""
    cpu, started = time.process_time(), time.perf_counter()
    read_pdf(data, name)
    return time.perf_counter() - started, time.process_time() - cpu


def measure(path: Path, repeat: int, out: Path) -> dict:
    data = path.read_bytes()
    pdf = pdfium.PdfDocument(data)
    pages = len(pdf)
    pdf.close()
    time_pdftotext(path, out), time_ours(data, path.name)  # warm-up, not counted
    ref_wall = ref_cpu = ours_wall = ours_cpu = float("inf")
    for _ in range(repeat):
        wall, cpu = time_pdftotext(path, out)
        ref_wall, ref_cpu = min(ref_wall, wall), min(ref_cpu, cpu)
        wall, cpu = time_ours(data, path.name)
        ours_wall, ours_cpu = min(ours_wall, wall), min(ours_cpu, cpu)
    return {
        "file": path.name,
        "pages": pages,
        "pdftotext_s": ref_wall,
        "ours_s": ours_wall,
        "pdftotext_pages_per_s": pages / ref_wall,
        "ours_pages_per_s": pages / ours_wall,
        "ratio": ours_wall / ref_wall,
        "pdftotext_cpu_s": ref_cpu,
        "ours_cpu_s": ours_cpu,
        "cpu_ratio": ours_cpu / ref_cpu if ref_cpu > 0 else None,
    }


def total(rows: list[dict]) -> dict:
    pages = sum(r["pages"] for r in rows)
    ref, ours = sum(r["pdftotext_s"] for r in rows), sum(r["ours_s"] for r in rows)
    ref_cpu, ours_cpu = sum(r["pdftotext_cpu_s"] for r in rows), sum(r["ours_cpu_s"] for r in rows)
    return {
        "file": "all",
        "pages": pages,
        "pdftotext_s": ref,
        "ours_s": ours,
        "pdftotext_pages_per_s": pages / ref,
        "ours_pages_per_s": pages / ours,
        "ratio": ours / ref,
        "pdftotext_cpu_s": ref_cpu,
        "ours_cpu_s": ours_cpu,
        "cpu_ratio": ours_cpu / ref_cpu if ref_cpu > 0 else None,
    }


def print_table(rows: list[dict], overall: dict, repeat: int) -> None:
    width = max(28, *(len(r["file"]) for r in rows))
    header = (
        f"{'file':<{width}} {'pages':>5} {'pdftotext s':>11} {'ours s':>8} "
        f"{'pdftotext p/s':>13} {'ours p/s':>9} {'ratio':>6} {'cpu ratio':>9}"
    )
    print(
        f"best of {repeat}, interleaved; ratio = ours / pdftotext (wall time), target ≤ {TARGET:g}"
    )
    print(header)
    print("-" * len(header))
    for r in [*rows, overall]:
        if r is overall:
            print("-" * len(header))
        cpu_ratio = f"{r['cpu_ratio']:.2f}" if r["cpu_ratio"] is not None else "-"
        print(
            f"{r['file']:<{width}} {r['pages']:>5} {r['pdftotext_s']:>11.3f} {r['ours_s']:>8.3f} "
            f"{r['pdftotext_pages_per_s']:>13.1f} {r['ours_pages_per_s']:>9.1f} "
            f"{r['ratio']:>6.2f} {cpu_ratio:>9}"
        )
    verdict = "met" if overall["ratio"] <= TARGET else "NOT met"
    print(f"overall ratio {overall['ratio']:.2f} vs target ≤ {TARGET:g}: {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each tool per file")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    files = args.files or sorted(CORPUS.glob("*.pdf"))
    if not files:
        print(f"no PDF given and none in {CORPUS}", file=sys.stderr)
        return 2
    if shutil.which("pdftotext") is None:
        print("pdftotext not found: apt-get install poppler-utils", file=sys.stderr)
        return 2
    repeat = max(1, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.txt"
        rows = [measure(path, repeat, out) for path in files]
    overall = total(rows)
    print_table(rows, overall, repeat)
    if args.json:
        figures = {
            "target_ratio": TARGET,
            "repeat": repeat,
            "met": overall["ratio"] <= TARGET,
            "files": rows,
            "total": overall,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
