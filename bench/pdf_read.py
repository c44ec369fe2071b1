"""Benchmark: this pipeline's PDF reading against `pdftotext -layout`, side by side, in one run.

For each PDF (default: the three real reports in ../shared/corpus/real), reads it N times with
each and prints pages per second and the ratio. Needs poppler-utils for pdftotext
(`apt-get install poppler-utils`). Run: .venv/bin/python bench/pdf_read.py [files...] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from pipelines.readers.pdf_reader import read_pdf

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = args.files or sorted(CORPUS.glob("*.pdf"))
    if not files:
        print(f"no PDF given and none in {CORPUS}", file=sys.stderr)
        return 2
    if shutil.which("pdftotext") is None:
        print("pdftotext not found: apt-get install poppler-utils", file=sys.stderr)
        return 2
    print(f"{'file':<28} {'pages':>5} {'pdftotext s':>11} {'ours s':>8} {'pdftotext p/s':>13} {'ours p/s':>9} {'ratio':>6}")
    total_ref = total_ours = total_pages = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.txt"
        for path in files:
            data = path.read_bytes()
            pages = len(pdfium.PdfDocument(data))
            ref = best_of(args.repeat, lambda p=path: subprocess.run(["pdftotext", "-layout", str(p), str(out)], check=True, capture_output=True))  # noqa: E501
            ours = best_of(args.repeat, lambda d=data, p=path: read_pdf(d, p.name))
            total_ref, total_ours, total_pages = total_ref + ref, total_ours + ours, total_pages + pages
            print(f"{path.name:<28} {pages:>5} {ref:>11.3f} {ours:>8.3f} {pages / ref:>13.1f} {pages / ours:>9.1f} {ours / ref:>6.2f}")
    print(f"{'all':<28} {int(total_pages):>5} {total_ref:>11.3f} {total_ours:>8.3f} "
          f"{total_pages / total_ref:>13.1f} {total_pages / total_ours:>9.1f} {total_ours / total_ref:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
