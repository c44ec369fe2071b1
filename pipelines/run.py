"""The pipeline's steps as plain functions: the Dagster assets call these, and so do tests.

discover -> plan -> stage (parallel, Parquet) -> load (one transaction) -> marts -> exports
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.discover import SourceFile, discover
from pipelines.exports import export_all, publish_charts_and_index
from pipelines.marts import build_marts
from pipelines.quality.runner import CheckOutcome, run_checks
from pipelines.review import review_file_stem, write_review_reports
from pipelines.stage import StageResult, stage_reports
from pipelines.warehouse import LoadSummary, connect, ensure_schema, load_staged, plan


@dataclass(frozen=True)
class Locations:
    raw_dir: Path
    warehouse: Path

    @property
    def staging_dir(self) -> Path:
        return self.warehouse.parent / "staging"

    @property
    def export_dir(self) -> Path:
        return self.warehouse.parent / "exports"

    @property
    def data_docs_dir(self) -> Path:
        return self.warehouse.parent / "data_docs"

    @property
    def reports_dir(self) -> Path:
        return self.warehouse.parent / "reports"

    @property
    def manifest(self) -> Path:
        return self.staging_dir / "run_manifest.json"


@dataclass
class IngestOutcome:
    files_seen: int
    staged: list[StageResult]
    unchanged: int
    removed: list[str]
    seconds: float = 0.0


def ingest(
    loc: Locations, only: set[str] | None = None, force: bool = False, workers: int | None = None
) -> IngestOutcome:
    """Read and extract new or changed files (or ``only`` these source paths) into staging.

    Never writes to raw/ or to the warehouse; the result is also written to a manifest so that
    the load step can run in another process.
    """
    started = time.perf_counter()
    files = discover(loc.raw_dir)
    with connect(loc.warehouse) as con:
        ensure_schema(con)
        p = plan(con, files, full=force)
    to_stage = p.to_stage
    if only is not None:
        chosen = {f.source_path: f for f in files if f.source_path in only}
        to_stage = (
            list(chosen.values()) if force else [f for f in to_stage if f.source_path in only]
        )
    results = stage_reports(to_stage, loc.staging_dir, workers)
    outcome = IngestOutcome(
        len(files), results, len(files) - len(to_stage), p.removed, time.perf_counter() - started
    )
    loc.manifest.parent.mkdir(parents=True, exist_ok=True)
    loc.manifest.write_text(
        json.dumps(
            {
                "files_seen": outcome.files_seen,
                "removed": p.removed,
                "results": [asdict(r) for r in results],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    return outcome


def load(loc: Locations) -> LoadSummary:
    """Load what the last ingest staged, in one transaction."""
    if not loc.manifest.exists():
        with connect(loc.warehouse) as con:
            ensure_schema(con)
            return LoadSummary(rows=_counts(con))
    data = json.loads(loc.manifest.read_text(encoding="utf-8"))
    results = [StageResult(**r) for r in data["results"]]
    with connect(loc.warehouse) as con:
        ensure_schema(con)
        summary = load_staged(con, results, data["removed"], data["files_seen"])
    loc.manifest.unlink()
    return summary


def check(loc: Locations, data_docs: bool = True) -> CheckOutcome:
    """Run every check suite over the warehouse; outcomes go to quality.check_result."""
    with connect(loc.warehouse) as con:
        ensure_schema(con)
        return run_checks(con, loc.data_docs_dir if data_docs else None)


def publish_reviews(loc: Locations) -> list[str]:
    """Write one 审核意见 (HTML and .xlsx) per department and year under warehouse/reports/."""
    with connect(loc.warehouse, read_only=True) as con:
        return [str(p) for p in write_review_reports(con, loc.reports_dir, str(loc.warehouse))]


def publish_marts(loc: Locations) -> dict[str, int]:
    """Rebuild the marts from the core tables; returns rows per mart."""
    catalogue = Catalogue.load()
    with connect(loc.warehouse) as con:
        ensure_schema(con)
        years = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT fiscal_year FROM core.report WHERE fiscal_year IS NOT NULL"
            ).fetchall()
        ]
        names = [(code, y, catalogue.name(code, y)) for y in years for code in catalogue.codes()]
        return build_marts(con, names)


def publish_exports(loc: Locations) -> list[str]:
    """Per fiscal year under warehouse/exports/<year>/: the workbook (a sheet per mart), CSV and
    Parquet per mart, charts and an index.html linking them and the review reports."""
    with connect(loc.warehouse, read_only=True) as con:
        exported = export_all(con, loc.export_dir)
        reviews = con.execute("SELECT fiscal_year, department FROM core.report").fetchall()
    written: list[str] = []
    for year, files in exported.items():
        written.append(str(files["workbook"]))
        review_links = [
            (dept, loc.reports_dir / str(y) / f"{review_file_stem(dept)}.html")
            for y, dept in sorted(reviews)
            if y == year and (loc.reports_dir / str(y) / f"{review_file_stem(dept)}.html").exists()
        ]
        index = publish_charts_and_index(loc.export_dir / str(year), year, files, review_links)
        if index is not None:
            written.append(str(index))
    return written


@dataclass
class RunSummary:
    files_seen: int
    staged: int
    unchanged: int
    removed: int
    ingest_errors: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, message)
    rows: dict[str, int] = field(default_factory=dict)
    exports: list[str] = field(default_factory=list)
    findings: dict[str, int] = field(default_factory=dict)  # severity -> failed checks


def run_pipeline(loc: Locations, workers: int | None = None, force: bool = False) -> RunSummary:
    """The whole main job without Dagster (tests, benchmarks)."""
    outcome = ingest(loc, force=force, workers=workers)
    load(loc)
    check(loc)
    publish_marts(loc)
    publish_reviews(loc)
    exports = publish_exports(loc)
    return summarize(loc, outcome, exports)


def summarize(loc: Locations, outcome: IngestOutcome | None, exports: list[str]) -> RunSummary:
    with connect(loc.warehouse, read_only=True) as con:
        errors = con.execute(
            "SELECT source_path, error_code, message FROM core.ingest_error ORDER BY source_path"
        ).fetchall()
        rows = _counts(con)
        findings = dict(
            con.execute(
                "SELECT severity, count(*) FROM quality.check_result WHERE NOT passed GROUP BY 1"
            ).fetchall()
        )
    return RunSummary(
        files_seen=outcome.files_seen if outcome else 0,
        staged=len(outcome.staged) if outcome else 0,
        unchanged=outcome.unchanged if outcome else 0,
        removed=len(outcome.removed) if outcome else 0,
        ingest_errors=errors,
        rows=rows,
        exports=exports,
        findings=findings,
    )


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN ('core', 'quality', 'mart') ORDER BY 1"
    ).fetchall()
    return {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for (n,) in names}


def format_summary(summary: RunSummary, loc: Locations) -> str:
    reports = summary.rows.get("core.report", 0)
    lines = [
        "",
        "== 部门决算审核流水线：运行结果 / run summary ==",
        f"原始文件目录 raw:        {loc.raw_dir}",
        f"数据仓库 warehouse:      {loc.warehouse}",
        f"发现文件 files seen:     {summary.files_seen}（本次读取 {summary.staged}，未变化跳过 {summary.unchanged}，已移除 {summary.removed}）",
        f"已入库报告 reports:      {reports}",
        f"无法读取 ingest errors:  {len(summary.ingest_errors)}",
    ]
    for path, code, message in summary.ingest_errors:
        lines.append(f"  - {path} [{code}] {message}")
    lines.append(
        f"审核发现 findings:        错误 {summary.findings.get('error', 0)}，提醒 {summary.findings.get('warning', 0)}，"
        f"提示 {summary.findings.get('info', 0)}"
    )
    lines.append("各表行数 rows per table:")
    for table, n in summary.rows.items():
        lines.append(f"  {table:<34} {n:>8}")
    lines.append("输出 outputs:")
    for path in summary.exports:
        lines.append(f"  {path}")
    lines.append(f"  审核意见 review reports: {loc.reports_dir}/<年度>/<部门>.html|.xlsx")
    lines.append(f"  GX Data Docs:            {loc.data_docs_dir / 'index.html'}")
    lines.append(f"  审核数据可用 DuckDB 打开：duckdb {loc.warehouse}")
    return "\n".join(lines)


def source_files(loc: Locations) -> list[SourceFile]:
    return discover(loc.raw_dir)
