"""Extraction recall against the generator's ground truth: which stated figures were found.

A truth fact is found when the extractor produced a statement with the same metric, subject
code and value (amounts in 万元 to 0.0001, counts exactly); each statement matches one fact.
Table rows count their 基本支出 and 项目支出 columns as facts of their own.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.catalogue import Catalogue, Resolver
from pipelines.ingest.discover import discover
from pipelines.ingest.extract import extract_statements
from pipelines.ingest.extract.tables import FISCAL_VARIANT
from pipelines.ingest.extract.vocabulary import METRIC_NAMES
from pipelines.ingest.identify import identify
from pipelines.ingest.readers import read_report

# Families of the truth's metric names (the table columns 基本支出/项目支出 count with their lines).
EXTRA_FAMILY = {
    "gpb_project": "function",
    "gpb_basic": "function",
    "expenditure_all_basic": "function",
    "expenditure_all_project": "function",
}
# Statements whose 基本支出/项目支出 columns are facts of their own: the 一般公共预算 table's
# and the 支出决算表's (all funds) rows and totals.
_COLUMN_METRICS = {
    "gpb_by_function": ("gpb_basic", "gpb_project"),
    "gpb_expenditure": ("gpb_basic", "gpb_project"),
    "expenditure_by_function_all": ("expenditure_all_basic", "expenditure_all_project"),
    "expenditure_current_year": ("expenditure_all_basic", "expenditure_all_project"),
}


def columns_of(metric: str, basic: float | None, project: float | None) -> list[tuple[str, float]]:
    names = _COLUMN_METRICS.get(metric)
    if names is None:
        return []
    return [(n, v) for n, v in zip(names, (basic, project), strict=True) if v is not None]


# Metrics the pipeline can state: the vocabulary's, the 财政拨款 variants of the totals, and the
# 基本支出/项目支出 columns.
MODELLED = set(METRIC_NAMES) | set(FISCAL_VARIANT.values()) | set(EXTRA_FAMILY)


@dataclass
class Score:
    truth: Counter = field(default_factory=Counter)  # metric -> facts stated
    found: Counter = field(default_factory=Counter)  # metric -> facts extracted
    misses: list[tuple] = field(default_factory=list)  # (file, section, metric, code, value, label)
    identity_errors: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        total = sum(self.truth.values())
        return sum(self.found.values()) / total if total else 1.0


def score_extraction(root: Path) -> Score:
    resolver = Resolver(Catalogue.load())
    score = Score()
    attachments = {f.source_path: f.attachments for f in discover(root)}  # hash every file once
    for truth_path in sorted(root.rglob("*.truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        stem = truth_path.name.removesuffix(".truth.json")
        doc_path = next(p for p in truth_path.parent.glob(f"{stem}.*") if p.suffix != ".json")
        rel = doc_path.relative_to(root).as_posix()
        doc = read_report(doc_path, rel, attachments.get(rel, ()))
        ident = identify(doc)
        if (ident.department, ident.fiscal_year) != (truth["department"], truth["fiscal_year"]):
            score.identity_errors.append(f"{doc_path.name}: {ident.department} {ident.fiscal_year}")
        pool: Counter = Counter()
        for st in extract_statements(doc, ident.fiscal_year, resolver):
            value = st.amount_wan if st.amount_wan is not None else st.count_value
            if value is not None:
                pool[(st.metric, st.subject_code, round(value, 4))] += 1
            for metric, column in columns_of(st.metric, st.basic_wan, st.project_wan):
                pool[(metric, st.subject_code, round(column, 4))] += 1
        for fact in truth["facts"]:
            if fact["metric"] not in MODELLED:
                continue  # a figure the pipeline has no name for (会议费, a 收入决算表 column)
            key = (fact["metric"], fact["subject_code"], round(fact["value"], 4))
            score.truth[fact["metric"]] += 1
            if pool[key] > 0:
                pool[key] -= 1
                score.found[fact["metric"]] += 1
            else:
                score.misses.append(
                    (
                        doc_path.name,
                        fact["section"],
                        fact["metric"],
                        fact["subject_code"],
                        fact["value"],
                        fact.get("label"),
                    )
                )
    return score
