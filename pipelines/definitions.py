"""Dagster definitions: the flow a data engineer sees in the UI.

raw/ ──► staged_reports (ingest) ──► warehouse_reports (normalize) ──► quality_check_results (quality)
                                                  ┌──────────────────────────────┴──────────┐
                                       mart_gpb_by_function (publish)        review_reports (publish)
                                                  └──────────► county_exports (publish) ◄────┘

Each step does what changed since the last run (meta.pending, see pipelines.pending): an
unchanged raw/ costs a discovery and a few queries, not a re-check or re-export.

warehouse_reports, quality_check_results and mart_gpb_by_function are one step
(warehouse_update) and one DuckDB transaction: a run killed anywhere leaves the warehouse as
before it or as after it, never with new reports beside old checks. The integrity check on
warehouse_reports counts rows breaking the warehouse's invariants (an error for engineers);
quality_check_results carries one non-blocking check per family (the findings are the product).

The assets are not partitioned by report: Dagster records every event of every partition in its
event log (about 0.1 s each on SQLite), which made a 1,000-report run spend minutes on
bookkeeping. Each run reads what changed in raw/ (by content hash); to re-read chosen reports
from the UI, launch county_job with `ops: staged_reports: config: only: ["2023/某某局.docx"]`.
A reviewer's decision on a finding goes in with `ops: warehouse_update: config: dispositions:
[{finding_id: F…, status: 不是问题, reason: …, who: …}]` (pipelines.dispositions).
All logic lives in plain modules (pipelines.run and below).
"""

# No "from __future__ import annotations": Dagster inspects the context type hints at runtime.
import hashlib
import os
import time
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import helper
from pipelines.alerts import record_failure
from pipelines.discover import discover
from pipelines.limits import limit
from pipelines.quality.runner import FAMILIES
from pipelines.review import FAMILY_NAMES
from pipelines.run import (
    Locations,
    ingest,
    publish_exports,
    publish_reviews,
    update_warehouse,
)
from pipelines.settings import (
    ALERT_EMAIL_ENVS,
    DEFAULT_OUT,
    DEFAULT_RAW,
    DEFAULT_REVIEWS,
    DEFAULT_SCHEDULE_CRON,
    DEFAULT_SENSOR_INTERVAL,
    DEFAULT_WAREHOUSE,
    OUT_DIR_ENV,
    RAW_DIR_ENV,
    REVIEWS_DIR_ENV,
    SCHEDULE_CRON_ENV,
    SENSOR_INTERVAL_ENV,
    WAREHOUSE_ENV,
    automation_on,
)

# On the bureau's server (deploy/, COUNTY_AUTOMATION=on) the sensor, the schedule and the
# failure alert start switched on; under `make ui` they start off.
_AUTOMATION = automation_on(dict(os.environ))
_SENSOR_STATUS = dg.DefaultSensorStatus.RUNNING if _AUTOMATION else dg.DefaultSensorStatus.STOPPED
_SCHEDULE_STATUS = (
    dg.DefaultScheduleStatus.RUNNING if _AUTOMATION else dg.DefaultScheduleStatus.STOPPED
)


class CountyFolders(dg.ConfigurableResource):
    """Where reports land (raw/, only ever read), where the run's outputs go (exports/,
    reports/, data_docs/, staging/, run.lock) and how many processes read the files."""

    raw_dir: str = DEFAULT_RAW
    out_dir: str = DEFAULT_OUT
    # filled review workbooks put back by reviewers (处理意见), read by every run
    reviews_dir: str = DEFAULT_REVIEWS
    workers: int = 0  # 0: one per core

    def locations(self, warehouse: DuckDBResource) -> Locations:
        return Locations(
            Path(self.raw_dir).resolve(),
            Path(warehouse.database).resolve(),
            Path(self.out_dir).resolve(),
            Path(self.reviews_dir).resolve(),
        )


class RunHelper(dg.ConfigurableResource):
    """A second process that starts with the run (pipelines.helper): it imports Great
    Expectations while Dagster starts and the files are read, validates the checks, builds the
    Data Docs and draws the charts while the run writes reviews and workbooks.
    COUNTY_RUN_HELPER=inline (or inline: true in the resource's config) runs everything in
    the run's own process instead."""

    # A field of its own also keeps Dagster from reading the deprecated pydantic `__fields__`
    # of a field-less resource (a PydanticDeprecatedSince20 warning on every run).
    inline: bool = False

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if not self.inline:
            helper.start()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        helper.finish()  # waits for the Data Docs


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
            group_name="normalize",
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
        dg.AssetSpec(
            "mart_gpb_by_function",
            # the scorecard mart reads the check results, so the marts follow the checks
            deps=["warehouse_reports", "quality_check_results"],
            group_name="publish",
            kinds={"duckdb"},
            description=(
                "The comparison marts: mart.gpb_by_function and mart.expenditure_by_subject "
                "(一般公共预算财政拨款支出 by 类/款/项 × department × year, share, county rank, change "
                "on last year), mart.three_public_by_department, "
                "mart.admin_operating_by_department (per staff), mart.expenditure_structure "
                "(基本/项目, 人员/公用), mart.quality_scorecard, mart.county_subject_totals."
            ),
        ),
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
    yield dg.MaterializeResult(
        asset_key="mart_gpb_by_function",
        metadata={
            "dagster/row_count": update.marts.get("mart.gpb_by_function", 0),
            "rows_per_mart": dg.MetadataValue.json(update.marts),
            "preview": dg.MetadataValue.md(
                _md_table(
                    ["年度", "部门", "级次", "科目编码", "科目名称", "金额（万元）", "占比%"],
                    sample,
                )
            ),
        },
    )


@dg.asset(
    deps=["mart_gpb_by_function", "review_reports"],
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


def raw_fingerprint(raw: Path) -> str:
    """Names, sizes and modification times of the files under raw/ (no reading: cheap)."""
    state = [
        f"{f.relative_to(raw).as_posix()}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
        for f in sorted(raw.rglob("*"))
        if f.is_file() and not f.name.startswith((".", "~$"))
    ]
    return hashlib.sha256("\n".join(state).encode()).hexdigest()[:16]


@dg.sensor(
    job=county_job,
    minimum_interval_seconds=int(os.environ.get(SENSOR_INTERVAL_ENV, DEFAULT_SENSOR_INTERVAL)),
    default_status=_SENSOR_STATUS,
)
def raw_folder_sensor(context: dg.SensorEvaluationContext, folders: CountyFolders):
    """Starts the main job when a file under raw/ is added, changed or removed."""
    raw = Path(folders.raw_dir).resolve()
    if not raw.is_dir():
        return dg.SkipReason(f"raw/ folder {raw} does not exist")
    if not any(f.is_file() and not f.name.startswith((".", "~$")) for f in raw.rglob("*")):
        return dg.SkipReason("raw/ holds no files yet")
    fingerprint = raw_fingerprint(raw)
    if context.cursor == fingerprint:
        return dg.SkipReason("raw/ unchanged")
    # A copy in progress: wait until raw/ has been still for the settle time (the run would
    # defer the file anyway), and do not record the state, so the next evaluation looks again.
    settle = limit("settle_seconds")
    newest = max(
        (f.stat().st_mtime for f in raw.rglob("*") if f.is_file() and not f.is_symlink()),
        default=0.0,
    )
    if newest > time.time() - settle:
        return dg.SkipReason(f"raw/ changed less than {settle:g} s ago; waiting for copies to end")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)


@dg.schedule(
    job=county_job,
    cron_schedule=os.environ.get(SCHEDULE_CRON_ENV, DEFAULT_SCHEDULE_CRON),
    execution_timezone="Asia/Shanghai",
    default_status=_SCHEDULE_STATUS,
    description="The bureau's nightly run over everything in raw/ (02:00 Beijing time unless "
    f"{SCHEDULE_CRON_ENV} says otherwise).",
)
def nightly_county_run(context: dg.ScheduleEvaluationContext, folders: CountyFolders):
    if not discover(Path(folders.raw_dir).resolve()):
        return dg.SkipReason("raw/ holds no report files")
    return dg.RunRequest()


@dg.run_failure_sensor(
    monitored_jobs=[county_job],
    default_status=_SENSOR_STATUS,
    description="Appends every failed run of county_job to <out>/run_failures.log, where the "
    "bureau sees a failed nightly run the next morning.",
)
def county_run_failure_alert(context: dg.RunFailureSensorContext, folders: CountyFolders):
    record_failure(
        Path(folders.out_dir).resolve(),
        context.dagster_run.run_id,
        context.dagster_run.job_name,
        context.failure_event.message or "",
    )


def _email_alert() -> list[dg.SensorDefinition]:
    """make_email_on_run_failure_sensor when COUNTY_ALERT_SMTP_HOST and the addresses are set."""
    env = {key: os.environ.get(name, "").strip() for key, name in ALERT_EMAIL_ENVS.items()}
    if not (env["smtp_host"] and env["email_from"] and env["email_to"]):
        return []
    return [
        dg.make_email_on_run_failure_sensor(
            email_from=env["email_from"],
            email_password=env["email_password"],
            email_to=[a.strip() for a in env["email_to"].split(",") if a.strip()],
            smtp_host=env["smtp_host"],
            smtp_port=int(env["smtp_port"]) if env["smtp_port"] else None,
            name="county_run_failure_email",
            monitored_jobs=[county_job],
            default_status=_SENSOR_STATUS,
        )
    ]


defs = dg.Definitions(
    assets=[
        staged_reports,
        warehouse_update,
        county_exports,
        review_reports,
    ],
    jobs=[county_job],
    sensors=[raw_folder_sensor, county_run_failure_alert, *_email_alert()],
    schedules=[nightly_county_run],
    resources={
        "folders": CountyFolders(
            raw_dir=os.environ.get(RAW_DIR_ENV, DEFAULT_RAW),
            out_dir=os.environ.get(OUT_DIR_ENV, DEFAULT_OUT),
            reviews_dir=os.environ.get(REVIEWS_DIR_ENV, DEFAULT_REVIEWS),
        ),
        "warehouse": DuckDBResource(database=os.environ.get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE)),
        "run_helper": RunHelper(),
    },
)
