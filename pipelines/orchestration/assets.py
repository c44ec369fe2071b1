"""The Dagster assets and the main job: the flow a data engineer sees in the UI.

raw/ ──► staged_reports (ingest) ──► warehouse_reports (load) ──► quality_check_results (quality)
                                             ┌──────────────────────────────┴───────┐
                                  mart/<table> × 7 (publish)               review_reports (publish)
                                             └──────────► county_exports (publish) ◄┘

Each step does what changed since the last run (meta.pending, see pipelines.warehouse.pending): an
unchanged raw/ costs a discovery and a few queries, not a re-check or re-export.

warehouse_reports, quality_check_results and the marts are one step (warehouse_update) and one
DuckDB transaction: a run killed anywhere leaves the warehouse as before it or as after it,
never with new reports beside old checks. Each mart is an asset of its own, keyed as its table
(mart.gpb_by_function is mart/gpb_by_function). The integrity check on warehouse_reports counts
rows breaking the warehouse's invariants (an error for engineers); quality_check_results carries
one non-blocking check per family (the findings are the product).

The assets are not partitioned by report: Dagster records every event of every partition in its
event log (about 0.1 s each on SQLite), which made a 1,000-report run spend minutes on
bookkeeping. Each run reads what changed in raw/ (by content hash); to re-read chosen reports
from the UI, launch county_job with `ops: staged_reports: config: only: ["2023/某某局.docx"]`.
A reviewer's decision on a finding goes in with `ops: warehouse_update: config: dispositions:
[{finding_id: F…, status: 不是问题, reason: …, who: …}]` (pipelines.quality.dispositions).
All logic lives in plain modules (pipelines.orchestration.run and below).
"""

# No "from __future__ import annotations": Dagster inspects the context type hints at runtime.
import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.orchestration.resources import CountyFolders, RunHelper
from pipelines.orchestration.run import (
    ingest,
    publish_exports,
    publish_reviews,
    update_warehouse,
)
from pipelines.publish.marts import MART_DESCRIPTIONS, MARTS
from pipelines.publish.review import FAMILY_NAMES
from pipelines.quality.runner import FAMILIES


def mart_key(table: str) -> dg.AssetKey:
    """mart.gpb_by_function -> the asset key mart/gpb_by_function."""
    return dg.AssetKey(table.split("."))


class FindingDisposition(dg.Config):
    """A reviewer's decision on one finding (its id is in the review and quality.check_result)."""

    finding_id: str
    status: str  # 已确认 / 不是问题 / 重新打开 (or confirmed / dismissed / reopened)
    reason: str = ""  # required for 不是问题
    who: str = ""


class DispositionConfig(dg.Config):
    # decisions recorded by this run in quality.finding_review, as from a filled workbook
    dispositions: list[FindingDisposition] = []


class IngestConfig(dg.Config):
    force: bool = False  # re-read every file even if unchanged since the last load
    # re-read just these files (paths under raw/, e.g. "2023/某某局.docx"), changed or not
    only: list[str] = []


def _md_table(header: list[str], rows: list[tuple], limit: int = 20) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows[:limit]:
        lines.append(
            "| " + " | ".join("" if v is None else str(v).replace("|", "/") for v in row) + " |"
        )
    if len(rows) > limit:
        lines.append(f"| … {len(rows) - limit} more | " + " | " * (len(header) - 1))
    return "\n".join(lines)


@dg.asset(
    group_name="ingest",
    kinds={"python", "parquet"},
    description=(
        "Reads each new or changed report file under raw/ (.txt, .docx), extracts every stated "
        "number with its label, subject code and quoted sentence, and writes per-report staging "
        "Parquet files. Unreadable files become ingest errors; raw/ is never written."
    ),
)
def staged_reports(
    context: dg.AssetExecutionContext,
    config: IngestConfig,
    folders: CountyFolders,
    warehouse: DuckDBResource,
) -> dg.MaterializeResult:
    loc = folders.locations(warehouse)
    # Chosen reports are re-read even if unchanged; otherwise what changed is read.
    outcome = ingest(
        loc,
        only=set(config.only) or None,
        force=bool(config.only) or config.force,
        workers=folders.workers or None,
        run_id=context.run.run_id,
    )
    failed = [r for r in outcome.staged if not r.ok]
    preview = [
        (
            r.source_path,
            r.department,
            r.fiscal_year,
            (r.row_counts or {}).get("core.statement"),
            r.message,
        )
        for r in outcome.staged
    ]
    context.log.info(
        f"{len(outcome.staged)} staged, {outcome.unchanged} unchanged, {len(failed)} failed, "
        f"{len(outcome.removed)} removed from raw/, {len(outcome.deferred)} deferred (being copied)"
    )
    return dg.MaterializeResult(
        metadata={
            "files_seen": outcome.files_seen,
            "staged": len(outcome.staged),
            "unchanged": outcome.unchanged,
            "failed": len(failed),
            "removed": len(outcome.removed),
            # modified within COUNTY_SETTLE_SECONDS (copies in progress): read by the next run
            "deferred": len(outcome.deferred),
            "seconds": round(outcome.seconds, 2),
            "preview": dg.MetadataValue.md(
                _md_table(["file", "department", "year", "statements", "error"], preview)
            ),
        }
    )


@dg.multi_asset(
    name="warehouse_update",
    specs=[
        dg.AssetSpec(
            "warehouse_reports",
            deps=[staged_reports],
            group_name="load",
            kinds={"duckdb"},
            description=(
                "The staged reports in the warehouse: core.report, core.statement, "
                "core.expenditure_by_function and the metric tables (totals, income, 三公经费, "
                "机关运行经费, 政府采购, assets, staff), core.ingest_error. A changed file replaces "
                "its previous version's rows; two files for one department and year keep one."
            ),
        ),
        dg.AssetSpec(
            "quality_check_results",
            deps=["warehouse_reports"],
            group_name="quality",
            kinds={"great_expectations", "duckdb"},
            description=(
                "The Great Expectations suites in expectations/ (share, sum, yoy, budget, "
                "cross_section, code, completeness) over the reports that changed, every outcome "
                "with its Chinese message, quote, location and stable finding_id in "
                "quality.check_result; the reviewers' decisions (filled review workbooks in "
                "reviews/, or this step's run config `dispositions`) in quality.finding_review; "
                "GX Data Docs under <out>/data_docs/ (warehouse/ by default)."
            ),
        ),
        # each published table is an asset of its own, found in the UI by its table's name
        *[
            dg.AssetSpec(
                mart_key(table),
                # the scorecard mart reads the check results, so the marts follow the checks
                deps=["warehouse_reports", "quality_check_results"],
                group_name="publish",
                kinds={"duckdb"},
                description=f"{table}: {MART_DESCRIPTIONS[table]}",
            )
            for table in MARTS
        ],
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "warehouse_integrity",
            asset="warehouse_reports",
            description="Warehouse integrity: one current version per file, every figure quoted "
            "and located, one primary line per subject, a year for every report. Counted after "
            "the load; a failure points at an extraction bug for the data engineers.",
        ),
        *[
            dg.AssetCheckSpec(
                name=f"{family}_findings",
                asset="quality_check_results",
                description=f"{FAMILY_NAMES[family]}：报告内部矛盾（错误级）数量为 0 时通过"
                "（审核人标为“不是问题”的不计入，另在 dismissed 中列出）。",
            )
            for family in FAMILIES
        ],
    ],
)
def warehouse_update(
    context: dg.AssetExecutionContext,
    config: DispositionConfig,
    folders: CountyFolders,
    warehouse: DuckDBResource,
    run_helper: RunHelper,
):
    """Load, checks, the reviewers' decisions and marts in one step and one DuckDB transaction
    (see update_warehouse)."""
    update = update_warehouse(
        folders.locations(warehouse),
        context.run.run_id,
        dispositions=[d.model_dump() for d in config.dispositions],
    )
    decided = update.dispositions
    for problem in decided.problems:
        context.log.warning(problem)
    with warehouse.get_connection() as con:
        reports = con.execute(
            "SELECT department, fiscal_year, source_format, statement_count FROM core.report "
            "ORDER BY fiscal_year, department LIMIT 21"
        ).fetchall()
        errors = con.execute(
            "SELECT source_path, error_code, message FROM core.ingest_error ORDER BY 1 LIMIT 21"
        ).fetchall()
        top = con.execute(
            "SELECT r.department, r.fiscal_year, q.check_id, q.message, q.source_location "
            "FROM quality.check_result q JOIN core.report r USING (report_id) "
            "WHERE NOT q.passed AND q.severity = 'error' ORDER BY r.fiscal_year, r.department "
            "LIMIT 20"
        ).fetchall()
        sample = con.execute(
            "SELECT fiscal_year, department, level, subject_code, subject_name, amount_wan, "
            "share_pct FROM mart.gpb_by_function ORDER BY fiscal_year, department, subject_code "
            "LIMIT 20"
        ).fetchall()
    loaded, outcome = update.load, update.checks
    yield dg.MaterializeResult(
        asset_key="warehouse_reports",
        metadata={
            "reports_loaded": loaded.reports_loaded,
            "reports_removed": loaded.reports_removed,
            "duplicates_set_aside": loaded.duplicates,
            "ingest_errors": loaded.rows.get("core.ingest_error", 0),
            "row_counts": dg.MetadataValue.json(loaded.rows),
            "reports": dg.MetadataValue.md(
                _md_table(["部门", "年度", "格式", "数据条数"], reports)
            ),
            "ingest_error_preview": dg.MetadataValue.md(
                _md_table(["文件", "错误", "说明"], errors)
            ),
        },
    )
    yield dg.AssetCheckResult(
        asset_key="warehouse_reports",
        check_name="warehouse_integrity",
        passed=not any(update.integrity.values()),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=update.integrity,
    )
    yield dg.MaterializeResult(
        asset_key="quality_check_results",
        metadata={
            "dagster/row_count": outcome.rows,
            "reports_checked": outcome.reports_checked,
            "failed_by_family": dg.MetadataValue.json(outcome.failed_by_family),
            "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in outcome.seconds.items()}),
            "data_docs": dg.MetadataValue.path(outcome.data_docs or ""),
            "errors_preview": dg.MetadataValue.md(
                _md_table(["部门", "年度", "检查项", "问题", "位置"], top)
            ),
            "dispositions": dg.MetadataValue.json(
                {
                    "read": decided.read,
                    "applied": decided.applied,
                    "unchanged": decided.unchanged,
                    "superseded": decided.superseded,
                    "problems": len(decided.problems),
                }
            ),
        },
    )
    for family in FAMILIES:
        # a finding a reviewer marked 不是问题 fails no check; it is counted apart
        failed = outcome.failed_by_family.get(family, {})
        dismissed = outcome.dismissed_by_family.get(family, {})
        yield dg.AssetCheckResult(
            asset_key="quality_check_results",
            check_name=f"{family}_findings",
            passed=failed.get("error", 0) == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "checked": outcome.checked_by_family.get(family, 0),
                "errors": failed.get("error", 0),
                "warnings": failed.get("warning", 0),
                "info": failed.get("info", 0),
                "dismissed": sum(dismissed.values()),
                "dismissed_errors": dismissed.get("error", 0),
            },
        )
    for table in MARTS:
        metadata = {"dagster/row_count": update.marts.get(table, 0)}
        if table == "mart.gpb_by_function":
            metadata["preview"] = dg.MetadataValue.md(
                _md_table(
                    ["年度", "部门", "级次", "科目编码", "科目名称", "金额（万元）", "占比%"],
                    sample,
                )
            )
        yield dg.MaterializeResult(asset_key=mart_key(table), metadata=metadata)


@dg.asset(
    deps=[*(mart_key(table) for table in MARTS), "review_reports"],
    group_name="publish",
    kinds={"excel", "csv", "parquet", "html"},
    description="Per fiscal year under <out>/exports/<year>/ (warehouse/ by default): a workbook with a sheet per mart "
    "(Chinese headers), CSV (UTF-8 with BOM) and Parquet per mart, charts as PNG, and an index.html "
    "linking them and every department's review report.",
)
def county_exports(
    folders: CountyFolders, warehouse: DuckDBResource, run_helper: RunHelper
) -> dg.MaterializeResult:
    files = publish_exports(folders.locations(warehouse))
    return dg.MaterializeResult(
        metadata={"files": dg.MetadataValue.json(files), "workbooks": len(files)}
    )


@dg.asset(
    deps=["quality_check_results"],
    group_name="publish",
    kinds={"html", "excel"},
    description="审核意见: one review report per department and year (HTML and .xlsx) under "
    "<out>/reports/<year>/, findings grouped by severity with quote, location and a verdict.",
)
def review_reports(folders: CountyFolders, warehouse: DuckDBResource) -> dg.MaterializeResult:
    files = publish_reviews(folders.locations(warehouse))
    return dg.MaterializeResult(
        metadata={"reports": len(files), "files": dg.MetadataValue.json(files[:50])}
    )


county_job = dg.define_asset_job(
    "county_job",
    selection=dg.AssetSelection.all(),
    # the instance's dagster.yaml (config/dagster.yaml) queues runs with this tag one at a time: the warehouse takes one writer
    tags={"county/warehouse": "main"},
    description="The main job: raw/ to warehouse, marts and exports, all reports in one run.",
    # The steps form one chain over one warehouse: a process per step would only add start-ups
    # (2–3 s each). Reading files runs on every core in staged_reports' own worker pool.
    executor_def=dg.in_process_executor,
)
