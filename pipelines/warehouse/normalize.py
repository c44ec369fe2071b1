"""Statements of one report -> rows of the normalized warehouse tables."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from pipelines.catalogue import Catalogue
from pipelines.ingest.document import Document
from pipelines.ingest.extract.package import package_findings
from pipelines.ingest.extract.statement import Statement
from pipelines.ingest.extract.text_checks import text_findings
from pipelines.ingest.extract.vocabulary import FAMILY, METRIC_NAMES
from pipelines.ingest.identify import Identity
from pipelines.warehouse.schema import FACT_TABLES, TABLES

BASIS = {
    "gpb_by_function": "一般公共预算财政拨款",
    "gov_fund_by_function": "政府性基金预算财政拨款",
    "state_capital_by_function": "国有资本经营预算财政拨款",
    "expenditure_by_function_all": "全部资金",
}
# When a subject is stated in several places, which one the marts use.
_PART_RANK = {"table": 0, "narrative": 1, "annex": 2, "chart": 3, "overview": 4}


def report_id_for(source_path: str, sha256: str) -> str:
    """Stable id of one version of one file: the same bytes at the same path give the same id."""
    return hashlib.sha256(f"{source_path}\n{sha256}".encode()).hexdigest()[:16]


@dataclass
class SourceInfo:
    source_path: str
    sha256: str
    size: int


def build_tables(
    source: SourceInfo,
    doc: Document,
    identity: Identity,
    statements: list[Statement],
    catalogue: Catalogue,
    recognized_tables: list[dict] | None = None,
    projects: list[dict] | None = None,
) -> dict[str, list[dict]]:
    """Rows per warehouse table for one report (plain dicts: staging writes them with Arrow)."""
    rid = report_id_for(source.source_path, source.sha256)
    frames: dict[str, list[dict]] = {}
    frames["core.report"] = _frame(
        "core.report",
        [
            {
                "report_id": rid,
                "department": identity.department,
                "region": identity.region,
                "fiscal_year": identity.fiscal_year,
                "source_path": source.source_path,
                "source_sha256": source.sha256,
                "source_format": doc.source_format,
                "source_encoding": doc.encoding,
                "source_bytes": source.size,
                "department_from": identity.department_from,
                "fiscal_year_from": identity.fiscal_year_from,
                "block_count": len(doc.blocks),
                "statement_count": len(statements),
            }
        ],
    )
    rows = [{"report_id": rid, **st.as_row()} for st in statements]
    frames["core.statement"] = _frame("core.statement", rows)
    frames["core.expenditure_by_function"] = _frame(
        "core.expenditure_by_function",
        _function_rows(rid, statements, catalogue, identity.fiscal_year),
    )
    for table, (families, _desc) in FACT_TABLES.items():
        fact_rows = [
            {**row, "metric_name": METRIC_NAMES.get(row["metric"], row["metric"])}
            for row in rows
            if row["metric"] and FAMILY.get(row["metric"]) in families
        ]
        frames[table] = _frame(table, fact_rows)
    frames["core.report_table"] = _frame(
        "core.report_table", [{"report_id": rid, **t} for t in recognized_tables or []]
    )
    frames["core.project_performance"] = _frame(
        "core.project_performance",
        [{"report_id": rid, "project_no": i, **p} for i, p in enumerate(projects or [], start=1)],
    )
    frames["quality.check_result"] = _frame(
        "quality.check_result",
        _ingest_findings(rid, source.source_path, identity, statements)
        + _reading_findings(rid, recognized_tables or [])
        + [
            {"report_id": rid, "passed": False, **asdict(f)}
            for f in text_findings(doc, identity.fiscal_year)
            + package_findings(doc, recognized_tables or [], identity.fiscal_year)
        ],
    )
    return frames


def _function_rows(
    rid: str, statements: list[Statement], catalogue: Catalogue, year: int | None
) -> list[dict]:
    rows = []
    for st in statements:
        basis = BASIS.get(st.metric or "")
        if basis is None or st.amount_wan is None:
            continue
        rows.append(
            {
                "report_id": rid,
                "subject_code": st.subject_code,
                "level": st.subject_level,
                "subject_name": st.subject_name,
                "amount_wan": st.amount_wan,
                "official_name": catalogue.name(st.subject_code, year) if st.subject_code else None,
                "basis": basis,
                "is_primary": False,
                "share_pct": st.share_pct,
                "change_wan": st.change_wan,
                "change_pct": st.change_pct,
                "budget_wan": st.budget_wan,
                "completion_pct": st.completion_pct,
                "basic_wan": st.basic_wan,
                "project_wan": st.project_wan,
                "part": st.part,
                "statement_no": st.statement_no,
                "source_text": st.source_text,
                "source_location": st.source_location,
            }
        )
    best: dict[tuple, dict] = {}
    for row in rows:
        key = (row["basis"], row["subject_code"] or f"?{row['subject_name']}")
        rank = (_PART_RANK.get(row["part"], 9), row["statement_no"])
        if key not in best or rank < (
            _PART_RANK.get(best[key]["part"], 9),
            best[key]["statement_no"],
        ):
            best[key] = row
    for row in best.values():
        row["is_primary"] = True
    return rows


def _ingest_findings(
    rid: str, source_path: str, identity: Identity, statements: list[Statement]
) -> list[dict]:
    findings = [
        {
            "report_id": rid,
            "check_id": check_id,
            "family": "identity",
            "severity": "warning",
            "passed": False,
            "message": message,
            "source_text": None,
            "source_location": f"文件路径 {source_path}",
        }
        for check_id, message in identity.warnings
    ]
    for st in statements:
        if st.resolution_warning and st.subject_code is None:
            findings.append(
                {
                    "report_id": rid,
                    "check_id": "code.unresolved_subject",
                    "family": "code",
                    "severity": "warning",
                    "passed": False,
                    "message": f"无法确定科目编码：{st.resolution_warning}。该金额已保留，科目编码为空，请核对科目名称。",
                    "source_text": st.source_text,
                    "source_location": st.source_location,
                    "statement_no": st.statement_no,
                }
            )
    return findings


def _reading_findings(rid: str, recognized_tables: list[dict]) -> list[dict]:
    """One finding per table (over all its pages) whose figures could not be read with
    confidence: its figures raise no error elsewhere, so the reviewer must look at it."""
    findings: dict[str, dict] = {}
    for t in recognized_tables:
        if not t.get("doubt") or not t.get("table_name"):
            continue  # a table outside the standard set (a performance form) states no metric
        first = findings.get(t["doubt"])
        if first is not None:
            first["source_location"] = (
                first["source_location"].split("至")[0] + "至" + t["last_location"]
            )
            continue
        findings[t["doubt"]] = {
            "report_id": rid,
            "check_id": "reading.table_unreliable",
            "family": "reading",
            "severity": "warning",
            "passed": False,
            "message": f"{t.get('title') or '表格'}：{t['doubt']}",
            "source_text": t.get("title"),
            "source_location": f"{t['first_location']}至{t['last_location']}",
        }
    return list(findings.values())


def table_rows(table: str, rows: list[dict]) -> list[dict]:
    """Rows reduced to the table's columns (absent ones None)."""
    return _frame(table, rows)


def _frame(table: str, rows: list[dict]) -> list[dict]:
    """Rows reduced to the table's columns (absent ones None)."""
    columns = [name for name, _ in TABLES[table]]
    return [{c: r.get(c) for c in columns} for r in rows]
