"""CLI: python -m tools.sample --out raw --departments 10 --years 2023 2024 --seed 20241 [--formats txt docx pdf] [--layouts sichuan national …]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.sample.render import LAYOUTS
from tools.sample.writers import SUPPORTED_FORMATS, generate_county


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.sample",
        description="生成云溪县（虚构）部门决算样例报告及其标准答案（.truth.json）。",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("raw"), help="output folder (default: raw)"
    )
    parser.add_argument(
        "--departments", type=int, default=10, help="number of departments (default: 10)"
    )
    parser.add_argument("--years", type=int, nargs="+", default=[2023, 2024], help="fiscal years")
    parser.add_argument("--seed", type=int, default=20241, help="random seed (default: 20241)")
    parser.add_argument(
        "--formats",
        nargs="+",
        default=["txt", "docx"],
        choices=list(SUPPORTED_FORMATS),
        help="formats to alternate (pdftotext, pdfplumber: the PDF's text as those tools give it)",
    )
    parser.add_argument(
        "--layouts",
        nargs="+",
        default=["sichuan"],
        choices=list(LAYOUTS),
        help="report layouts dealt to the departments (default: sichuan)",
    )
    parser.add_argument(
        "--catalogue", type=Path, default=None, help="functional_subjects.csv to use"
    )
    args = parser.parse_args(argv)
    paths = generate_county(
        args.out,
        n_departments=args.departments,
        years=args.years,
        seed=args.seed,
        formats=args.formats,
        catalogue_path=args.catalogue,
        layouts=args.layouts,
    )
    for p in paths:
        print(p)
    print(f"{len(paths)} reports written under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
