"""Check recall and false errors, measured on synthetic reports with planted faults.

A fault is found when the report it was planted in has an error-level finding of the fault's
family that cites the changed number (in the quote or in the message). False errors are the
error-level findings on the clean, unaltered reports: every one of them is a false alarm.

    python -m tools.sample.fault_score --departments 12 --years 2023 2024 --seed 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.orchestration.run import Locations, check, ingest, load
from pipelines.quality.runner import FAMILIES
from tools.sample.faults import Fault, make_faulty_corpus

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass
class FaultScore:
    planted: Counter = field(default_factory=Counter)  # family -> faults planted
    found: Counter = field(default_factory=Counter)  # family -> faults found at error level
    false_errors: Counter = field(default_factory=Counter)  # family -> errors on clean reports
    clean_reports: int = 0
    missed: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "planted": dict(self.planted),
            "found": dict(self.found),
            "recall": {f: self.found[f] / n for f, n in self.planted.items()},
            "false_errors": {f: self.false_errors.get(f, 0) for f in FAMILIES},
            "clean_reports": self.clean_reports,
            "missed": self.missed,
        }


def numbers_in(text: str | None) -> set[float]:
    text = unicodedata.normalize("NFKC", text or "").replace(",", "")
    return {round(float(x), 4) for x in _NUMBER.findall(text)}


def _run(raw: Path, warehouse: Path, workers: int | None) -> None:
    loc = Locations(raw, warehouse)
    ingest(loc, workers=workers)
    load(loc)
    check(loc, data_docs=False)


def cites(fault: Fault, message: str, source_text: str) -> bool:
    found = numbers_in(message) | numbers_in(source_text)
    value = round(fault.printed_value, 4)
    return value in found or round(-value, 4) in found


def answers(
    fault: Fault, family: str, check_id: str, severity: str, message: str, source_text: str
) -> bool:
    """Whether a finding answers a planted fault: a changed number by an error of its family
    that cites the printed figure; a word or layout fault by its own check, at its level,
    quoting its marker."""
    if fault.check_id is None:
        return family == fault.family and severity == "error" and cites(fault, message, source_text)
    return (
        check_id == fault.check_id
        and severity == fault.level
        and (fault.marker or "") in f"{message or ''}\n{source_text or ''}"
    )


def score(
    root: Path, n_departments: int, years: tuple[int, ...], seed: int, workers: int | None = None
) -> FaultScore:
    result = FaultScore()
    pairs = make_faulty_corpus(root, n_departments, years, seed)
    _run(root / "clean", root / "wh" / "clean.duckdb", workers)
    with duckdb.connect(str(root / "wh" / "clean.duckdb"), read_only=True) as con:
        result.clean_reports = con.execute("SELECT count(*) FROM core.report").fetchone()[0]
        for family, n in con.execute(
            "SELECT family, count(*) FROM quality.check_result WHERE NOT passed AND severity = 'error' GROUP BY 1"
        ).fetchall():
            result.false_errors[family] = n
    by_kind: dict[str, list[tuple[Path, Fault]]] = {}
    for path, fault in pairs:
        by_kind.setdefault(fault.kind, []).append((path, fault))
    for kind, items in sorted(by_kind.items()):
        raw = root / "faulty" / kind
        warehouse = root / "wh" / f"{kind}.duckdb"
        _run(raw, warehouse, workers)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            for path, fault in items:
                source_path = path.relative_to(raw).as_posix()
                findings = con.execute(
                    "SELECT q.family, q.check_id, q.severity, q.message, q.source_text "
                    "FROM quality.check_result q JOIN core.report r USING (report_id) "
                    "WHERE r.source_path = ? AND NOT q.passed AND q.severity IN ('error', 'warning')",
                    [source_path],
                ).fetchall()
                result.planted[fault.family] += 1
                if any(answers(fault, *f) for f in findings):
                    result.found[fault.family] += 1
                else:
                    result.missed.append(
                        {"file": source_path, **fault.to_dict(), "findings": len(findings)}
                    )
    return result


def format_table(s: FaultScore) -> str:
    lines = [
        "family          planted  found  recall   false errors on clean reports",
        "--------------  -------  -----  ------   -----------------------------",
    ]
    shown = list(FAMILIES) + sorted(set(s.planted) - set(FAMILIES))
    for family in shown:
        planted = s.planted.get(family, 0)
        recall = f"{s.found[family] / planted:6.1%}" if planted else "   n/a"
        lines.append(
            f"{family:<14}  {planted:>7}  {s.found[family]:>5}  {recall}   {s.false_errors.get(family, 0):>6}"
        )
    total_p, total_f = sum(s.planted.values()), sum(s.found.values())
    lines.append(
        f"{'all':<14}  {total_p:>7}  {total_f:>5}  {total_f / max(total_p, 1):6.1%}   "
        f"{sum(s.false_errors.values()):>6}  ({s.clean_reports} clean reports)"
    )
    return "\n".join(lines)


def corpus_arguments(description: str) -> argparse.ArgumentParser:
    """The command line shared by the scoring commands: which synthetic county to score."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--departments", type=int, default=12)
    parser.add_argument("--years", type=int, nargs="+", default=[2023, 2024])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser


def main() -> None:
    os.environ.setdefault("COUNTY_SETTLE_SECONDS", "0")  # just written: complete
    args = corpus_arguments(__doc__).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        s = score(Path(tmp), args.departments, tuple(args.years), args.seed)
    print(format_table(s))
    for miss in s.missed[:20]:
        print(
            "missed:",
            miss["file"],
            miss["kind"],
            miss["metric"],
            miss["printed_value"],
            miss["quote"][:60],
        )
    if args.json:
        args.json.write_text(
            json.dumps(s.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
