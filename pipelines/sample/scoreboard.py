"""Accuracy scoreboard: how often the pipeline is right, per kind of figure and kind of check.

Generates a synthetic county (clean reports, and copies with one planted fault each), runs the
pipeline's steps over both (the same functions the Dagster main job's assets call), and prints:
extraction precision and recall per metric family (read back from the warehouse and compared
with each document's ground truth), and check recall and false errors per check family.

    python -m pipelines.sample.scoreboard --departments 30 --years 2023 2024 --seed 3 --json score.json
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.extract.vocabulary import FAMILY
from pipelines.quality.fault_score import FaultScore, corpus_arguments, format_table, score

# Families of the truth's metric names (the table columns 基本支出/项目支出 count with their lines).
_EXTRA_FAMILY = {"gpb_project": "function", "gpb_basic": "function"}


def family_of(metric: str, code: str | None) -> str:
    if metric in ("gpb_basic", "gpb_project") and code:
        return "function"
    return FAMILY.get(metric) or _EXTRA_FAMILY.get(metric, "other")


@dataclass
class ExtractionScore:
    truth: Counter = field(default_factory=Counter)  # family -> facts the documents state
    found: Counter = field(default_factory=Counter)  # family -> of those, extracted
    extracted: Counter = field(default_factory=Counter)  # family -> statements with a truth metric
    matched: Counter = field(default_factory=Counter)  # family -> of those, matching a fact

    def as_dict(self) -> dict:
        fams = sorted(set(self.truth) | set(self.extracted))
        return {
            f: {
                "facts": self.truth[f],
                "recall": self.found[f] / self.truth[f] if self.truth[f] else None,
                "statements": self.extracted[f],
                "precision": self.matched[f] / self.extracted[f] if self.extracted[f] else None,
            }
            for f in fams
        }


def score_warehouse_extraction(raw: Path, warehouse: Path) -> ExtractionScore:
    """Compare every truth fact with the statements the warehouse holds for its document."""
    result = ExtractionScore()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT r.source_path, s.metric, s.subject_code, s.amount_wan, s.count_value, s.basic_wan, "
            "s.project_wan FROM core.statement s JOIN core.report r USING (report_id) WHERE s.metric IS NOT NULL"
        ).fetchall()
    truths = {}
    for truth_path in sorted(raw.rglob("*.truth.json")):
        stem = truth_path.name.removesuffix(".truth.json")
        doc = next(p for p in truth_path.parent.glob(f"{stem}.*") if p.suffix != ".json")
        truths[doc.relative_to(raw).as_posix()] = json.loads(
            truth_path.read_text(encoding="utf-8")
        )["facts"]
    truth_metrics = {f["metric"] for facts in truths.values() for f in facts}
    pools: dict[str, Counter] = {path: Counter() for path in truths}
    for path, metric, code, amount, count, basic, project in rows:
        if path not in pools:
            continue
        keys = []
        value = amount if amount is not None else count
        if value is not None and metric in truth_metrics:
            keys.append((metric, code, round(value, 4)))
        if metric in ("gpb_by_function", "gpb_expenditure"):  # the 一般公共预算 table's columns
            for column_metric, column in (("gpb_basic", basic), ("gpb_project", project)):
                if column is not None:
                    keys.append((column_metric, code, round(column, 4)))
        for key in keys:
            pools[path][key] += 1
            result.extracted[family_of(key[0], key[1])] += 1
    for path, facts in truths.items():
        pool = pools[path]
        for fact in facts:
            key = (fact["metric"], fact["subject_code"], round(fact["value"], 4))
            fam = family_of(fact["metric"], fact["subject_code"])
            result.truth[fam] += 1
            if pool[key] > 0:
                pool[key] -= 1
                result.found[fam] += 1
                result.matched[fam] += 1
    return result


def run(
    root: Path, departments: int, years: tuple[int, ...], seed: int
) -> tuple[ExtractionScore, FaultScore]:
    checks = score(root, departments, years, seed)
    extraction = score_warehouse_extraction(root / "clean", root / "wh" / "clean.duckdb")
    return extraction, checks


def format_extraction(e: ExtractionScore) -> str:
    lines = [
        "metric family    facts  recall   statements  precision",
        "---------------  -----  ------   ----------  ---------",
    ]
    for fam, v in e.as_dict().items():
        recall = f"{v['recall']:6.1%}" if v["recall"] is not None else "   n/a"
        precision = f"{v['precision']:9.1%}" if v["precision"] is not None else "      n/a"
        lines.append(f"{fam:<15}  {v['facts']:>5}  {recall}   {v['statements']:>10}  {precision}")
    t, f = sum(e.truth.values()), sum(e.found.values())
    x, m = sum(e.extracted.values()), sum(e.matched.values())
    lines.append(f"{'all':<15}  {t:>5}  {f / max(t, 1):6.1%}   {x:>10}  {m / max(x, 1):9.1%}")
    return "\n".join(lines)


def main() -> None:
    args = corpus_arguments(__doc__).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        extraction, checks = run(Path(tmp), args.departments, tuple(args.years), args.seed)
    print("Extraction (clean reports, against ground truth)")
    print(format_extraction(extraction))
    print()
    print("Checks (one planted fault per copy; false errors on the clean reports)")
    print(format_table(checks))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "corpus": {
                        "departments": args.departments,
                        "years": args.years,
                        "seed": args.seed,
                    },
                    "extraction": extraction.as_dict(),
                    "checks": checks.as_dict(),
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
