"""The pipeline's steps as plain functions: the Dagster assets call these, and so do tests.

discover -> plan -> stage (parallel, Parquet) -> load (one transaction) -> marts -> exports
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.failpoints import failpoint
from pipelines.helper import HelperError
from pipelines.helper import current as current_helper
from pipelines.ingest.discover import discover
from pipelines.ingest.limits import limit
from pipelines.ingest.stage import StageResult, stage_reports
from pipelines.publish.annotate import SUFFIX as ANNOTATED_SUFFIX
from pipelines.publish.exports import export_all, finish_charts
from pipelines.publish.findings_page import read_findings, write_findings_page
from pipelines.publish.index import ReviewEntry, write_index
from pipelines.publish.marts import build_marts
from pipelines.publish.review import review_file_stem, verdict, write_review_reports
from pipelines.quality.dispositions import (
    DispositionOutcome,
    apply_decisions,
    assign_finding_ids,
    decisions_from_config,
    read_review_workbooks,
)
from pipelines.quality.grouping import refresh_groups
from pipelines.quality.runner import CheckOutcome, count_families, run_checks
from pipelines.storage import is_storage_failure, plain_words
from pipelines.warehouse.load import (
    LoadSummary,
    connect,
    ensure_schema,
    integrity_counts,
    load_staged,
    log_steps,
    plan,
    record_publish_errors,
    remove_staged,
    run_lock,
)
from pipelines.warehouse.pending import Key, clear, mark, pending, with_next_year
from pipelines.warehouse.transactions import transaction

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Locations:
    """Where a run reads, keeps its warehouse, and writes everything else.

    ``out_dir`` holds the run's outputs and working files (exports/, reports/, data_docs/,
    staging/, run.lock) so that a warehouse file placed in a user's data folder stays alone
    there. The command line, the Makefile and the Dagster resources default it to warehouse/;
    a library call that leaves it out writes beside the warehouse file.
    """

    raw_dir: Path
    warehouse: Path
    out_dir: Path | None = None
    reviews_dir: Path | None = None

    @property
    def out(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.warehouse.parent

    @property
    def reviews(self) -> Path:
        """Where reviewers put back filled review workbooks: reviews/ beside raw/ by default."""
        return self.reviews_dir if self.reviews_dir is not None else self.raw_dir.parent / "reviews"

    @property
    def staging_dir(self) -> Path:
        return self.out / "staging"

    @property
    def export_dir(self) -> Path:
        return self.out / "exports"

    @property
    def data_docs_dir(self) -> Path:
        return self.out / "data_docs"

    @property
    def reports_dir(self) -> Path:
        return self.out / "reports"

    @property
    def lock_file(self) -> Path:
        """Held by a command-line run for its whole length (see warehouse.run_lock)."""
        return self.out / "run.lock"

    def manifest(self, run_id: str = "local") -> Path:
        """What one run's ingest staged, for that run's load: runs never read each other's."""
        return self.staging_dir / f"run-{run_id}.json"


class LocationError(ValueError):
    """raw/ and the run's outputs overlap: refused before anything runs (Chinese message)."""


def check_locations(loc: Locations) -> None:
    """Refuse a warehouse or output folder inside raw/ (every run would ingest its own
    outputs, and more each time), and raw/ inside an output folder (a run would write over or
    sweep the reports)."""
    raw = loc.raw_dir.resolve()
    outputs = {
        "数据仓库文件 WAREHOUSE": loc.warehouse.resolve(),
        "暂存目录": loc.staging_dir.resolve(),
        "导出目录": loc.export_dir.resolve(),
        "审核意见目录": loc.reports_dir.resolve(),
        "Data Docs 目录": loc.data_docs_dir.resolve(),
    }
    reviews = loc.reviews.resolve()
    if reviews == raw or reviews.is_relative_to(raw) or raw.is_relative_to(reviews):
        # workbooks in raw/ would be read as reports, and reports as workbooks
        raise LocationError(
            f"审核意见回收目录 REVIEWS（{reviews}）与原始文件目录 RAW（{raw}）重叠：填好的审核意见"
            "工作簿会被当作报告读入。未运行任何步骤。请把 REVIEWS 指到 raw/ 之外（默认为 raw/ 旁边的 reviews/）。"
        )
    for name, path in outputs.items():
        if path == raw or path.is_relative_to(raw):
            raise LocationError(
                f"{name}（{path}）位于原始文件目录 RAW（{raw}）之内：每次运行都会把自己的输出当作报告读入。"
                "未运行任何步骤。请把 WAREHOUSE 指到 raw/ 之外（如 make run RAW=raw "
                "WAREHOUSE=warehouse/budget.duckdb）。"
            )
        if raw.is_relative_to(path):
            raise LocationError(
                f"原始文件目录 RAW（{raw}）位于{name}（{path}）之内：运行会在报告所在的目录中写入或清理文件。"
                "未运行任何步骤。请把报告放在输出目录之外，或把 WAREHOUSE 指到别处。"
            )


@dataclass
class IngestOutcome:
    files_seen: int
    staged: list[StageResult]
    unchanged: int
    removed: list[str]
    seconds: float = 0.0
    deferred: list[str] = field(default_factory=list)  # being copied: the next run reads them


def ingest(
    loc: Locations,
    only: set[str] | None = None,
    force: bool = False,
    workers: int | None = None,
    run_id: str = "local",
) -> IngestOutcome:
    """Read and extract new or changed files (or ``only`` these source paths) into staging.

    Never writes to raw/ or to the warehouse; the result is also written to a manifest so that
    the load step can run in another process.
    """
    check_locations(loc)
    with plain_words("暂存读取结果", loc.staging_dir, loc.warehouse):
        return _ingest(loc, only, force, workers, run_id)


def _ingest(
    loc: Locations, only: set[str] | None, force: bool, workers: int | None, run_id: str
) -> IngestOutcome:
    started = time.perf_counter()
    _sweep_staging(loc.staging_dir)
    _sweep_partial_outputs(loc)
    settle = limit("settle_seconds")
    files = discover(loc.raw_dir)  # defers files modified within `settle` seconds
    with connect(loc.warehouse) as con:
        ensure_schema(con)
        p = plan(con, files, full=force)
    discovered = time.perf_counter()
    to_stage = p.to_stage
    if only is not None:
        chosen = {f.source_path: f for f in files if f.source_path in only and not f.deferred}
        to_stage = (
            list(chosen.values()) if force else [f for f in to_stage if f.source_path in only]
        )
    results = stage_reports(to_stage, loc.staging_dir, workers)
    ended = time.perf_counter()
    outcome = IngestOutcome(
        len(files),
        results,
        len(files) - len(to_stage) - len(p.deferred),
        p.removed,
        ended - started,
        p.deferred,
    )
    # Reading and extraction run interleaved in the workers: split the wall time between them
    # in proportion to the CPU time each took.
    read_cpu = sum(r.read_seconds for r in results)
    extract_cpu = sum(r.extract_seconds for r in results)
    share = read_cpu / (read_cpu + extract_cpu) if results and read_cpu + extract_cpu else 0.0
    steps = [
        ("discover", discovered - started, len(files)),
        ("read", (ended - discovered) * share, len(results)),
        ("extract", (ended - discovered) * (1 - share), len(results)),
    ]
    manifest = loc.manifest(run_id)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    partial = manifest.with_name(f".{manifest.name}.tmp")
    partial.write_text(
        json.dumps(
            {
                "files_seen": outcome.files_seen,
                "removed": p.removed,
                "deferred": p.deferred,
                "settle_seconds": settle,
                "steps": steps,
                "results": [asdict(r) for r in results],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    partial.replace(manifest)  # complete or absent, never half-written
    return outcome


def _sweep_staging(staging_dir: Path, older_than_hours: float = 24.0) -> None:
    """Remove what killed runs left in staging (chunks, manifests) once it is a day old; a
    newer leftover may belong to a run still in progress."""
    if not staging_dir.is_dir():
        return
    cutoff = time.time() - older_than_hours * 3600
    for entry in staging_dir.iterdir():
        try:
            if entry.stat().st_mtime >= cutoff:
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


def _sweep_partial_outputs(loc: Locations) -> None:
    """Remove the temporary files a killed run left beside the reviews and exports (".x.tmp",
    written whole then renamed into place): runs of one warehouse go one at a time, so any
    found when a run starts is a leftover."""
    for folder in (loc.reports_dir, loc.export_dir):
        if folder.is_dir():
            for leftover in folder.glob("*/.*.tmp"):
                leftover.unlink(missing_ok=True)


def load(loc: Locations, run_id: str = "local") -> LoadSummary:
    """Load what this run's ingest staged, in one transaction."""
    with connect(loc.warehouse) as con:
        ensure_schema(con)
        summary = _load(con, loc, run_id)
    _discard_staged(loc, run_id)
    return summary


def _discard_staged(loc: Locations, run_id: str) -> None:
    """Once the load has committed, its staging chunks and manifest have served."""
    manifest = loc.manifest(run_id)
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        remove_staged([StageResult(**r) for r in data["results"]])
        manifest.unlink()


def _load(con: duckdb.DuckDBPyConnection, loc: Locations, run_id: str) -> LoadSummary:
    manifest = loc.manifest(run_id)
    if not manifest.exists():
        return LoadSummary(rows=_counts(con))
    started = time.perf_counter()
    data = json.loads(manifest.read_text(encoding="utf-8"))
    results = [StageResult(**r) for r in data["results"]]
    summary = load_staged(
        con,
        results,
        data["removed"],
        data["files_seen"],
        data.get("deferred", []),
        data.get("settle_seconds", 0.0),
    )
    steps = [tuple(s) for s in data.get("steps", [])]
    log_steps(con, [*steps, ("load", time.perf_counter() - started, len(results))])
    return summary


def check(loc: Locations, data_docs: bool = True, full: bool = False) -> CheckOutcome:
    """Check the reports that changed (``full``: every report); outcomes go to
    quality.check_result."""
    with connect(loc.warehouse) as con:
        ensure_schema(con)
        return _check(con, loc, data_docs, full)


def _check(
    con: duckdb.DuckDBPyConnection, loc: Locations, data_docs: bool, full: bool
) -> CheckOutcome:
    started = time.perf_counter()
    outcome = run_checks(con, loc.data_docs_dir if data_docs else None, full=full)
    # new outcomes (this run's checks, the load's reading findings) get their stable ids
    assign_finding_ids(con)
    # what the reviews show: failed checks resting on one figure grouped as one finding
    refresh_groups(con, outcome.report_ids)
    count_families(con, outcome)  # with the ids, the findings marked 不是问题 count apart
    log_steps(con, [("checks", time.perf_counter() - started, outcome.reports_checked)])
    return outcome


@dataclass
class WarehouseUpdate:
    load: LoadSummary
    integrity: dict[str, int]
    checks: CheckOutcome
    marts: dict[str, int]
    dispositions: DispositionOutcome = field(default_factory=DispositionOutcome)


def update_warehouse(
    loc: Locations,
    run_id: str = "local",
    full: bool = False,
    data_docs: bool = True,
    dispositions: Sequence[Mapping[str, object]] = (),
) -> WarehouseUpdate:
    """Load, check, record the reviewers' decisions and rebuild the marts in ONE transaction:
    a run killed anywhere in between leaves the warehouse as before it (new reports never sit
    beside old checks or marts, nor decisions beside the checks they were not applied to).

    Decisions are read from the review workbooks in ``loc.reviews`` and taken from
    ``dispositions`` (the run config's {finding_id, status, reason, who}); what cannot be used
    is reported in the outcome's problems (and the log), never raised.
    The integrity invariants are counted after the load (the Dagster asset check shows them).
    """
    decisions, problems = read_review_workbooks(loc.reviews)
    configured, config_problems = decisions_from_config(dispositions, datetime.now(), run_id)
    with plain_words("写入数据仓库", loc.warehouse, loc.warehouse), connect(loc.warehouse) as con:
        ensure_schema(con)
        with transaction(con):
            loaded = _load(con, loc, run_id)
            integrity = integrity_counts(con)
            checked = _check(con, loc, data_docs, full)
            decided = apply_decisions(con, decisions + configured)
            count_families(con, checked)  # a finding dismissed now counts apart
            failpoint("dispositions.applied")
            # a changed decision changes the department's review, counts and the year's index
            mark(con, "review", decided.keys)
            mark(con, "marts", decided.keys)
            marts = _marts(con, full)
    decided.problems[:0] = problems + config_problems
    for problem in problems + config_problems:
        log.warning(problem)
    _discard_staged(loc, run_id)
    return WarehouseUpdate(loaded, integrity, checked, marts, decided)


def publish_reviews(loc: Locations, full: bool = False) -> list[str]:
    """Write the 审核意见 (HTML and .xlsx) of every department and year whose checks changed, or
    whose review is missing, under warehouse/reports/<year>/; returns the HTML paths written."""

    def work(con: duckdb.DuckDBPyConnection) -> tuple[list[str], int]:
        only: set[Key] | None = None
        if not full:
            reports = con.execute(
                "SELECT fiscal_year, department FROM core.report WHERE fiscal_year IS NOT NULL"
            ).fetchall()
            missing = {
                (y, d)
                for y, d in reports
                if not (loc.reports_dir / str(y) / f"{review_file_stem(d)}.html").exists()
            }
            only = pending(con, "review") | missing
            if not only:
                return [], 0
        failures: list[tuple[int, str, str]] = []
        written = write_review_reports(
            con, loc.reports_dir, only=only, failures=failures, raw_dir=loc.raw_dir
        )
        failpoint("reviews.written")
        clear(con, "review")
        # one department's failed review does not stop the others; it is retried next run
        mark(con, "review", [(y, d) for y, d, _ in failures])
        record_publish_errors(con, "review", failures)
        return [str(p) for p in written], len(written)

    return _logged(loc, "reviews", work)


def _marts(con: duckdb.DuckDBPyConnection, full: bool) -> dict[str, int]:
    started = time.perf_counter()
    keys = pending(con, "marts")
    if not keys and not full and _marts_built(con):
        log_steps(con, [("marts", time.perf_counter() - started, 0)])
        return {n: c for n, c in _counts(con).items() if n.startswith("mart.")}
    catalogue = Catalogue.load()
    years = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT fiscal_year FROM core.report WHERE fiscal_year IS NOT NULL"
        ).fetchall()
    ]
    names = [(code, y, catalogue.name(code, y)) for y in years for code in catalogue.codes()]
    # exports of a changed year, and of the next year (its prior-year columns), are redone
    exports = with_next_year(keys) if keys and _marts_built(con) else {(y, "") for y in years}

    def hand_over(c: duckdb.DuckDBPyConnection) -> None:
        clear(c, "marts")
        mark(c, "export", exports)

    counts = build_marts(con, names, hand_over)
    log_steps(con, [("marts", time.perf_counter() - started, len(years))])
    return counts


def _marts_built(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'mart' "
            "AND table_name = 'gpb_by_function'"
        ).fetchone()[0]
    )


def publish_exports(loc: Locations, full: bool = False) -> list[str]:
    """Per fiscal year whose marts changed (or whose exports are missing) under
    warehouse/exports/<year>/: the workbook (a sheet per mart), CSV and Parquet per mart,
    charts and an index.html linking them and the review reports."""

    def work(con: duckdb.DuckDBPyConnection) -> tuple[list[str], int]:
        all_years = {
            y
            for (y,) in con.execute(
                "SELECT DISTINCT fiscal_year FROM core.report WHERE fiscal_year IS NOT NULL"
            ).fetchall()
        }
        years: set[int] | None = None
        if not full:
            missing = {
                y for y in all_years if not (loc.export_dir / str(y) / "index.html").exists()
            }
            years = {y for y, _ in pending(con, "export")} | missing
            if not years:
                return [], 0
        helper = current_helper()
        reviews = con.execute(
            "SELECT fiscal_year, department, source_path FROM core.report "
            "WHERE fiscal_year IS NOT NULL"
        ).fetchall()
        written: list[str] = []
        failures: list[tuple[int, str, str]] = []
        done = 0
        # Year by year: a year that cannot be exported (anything but a storage failure, which
        # stops the step) is recorded and retried next run; the other years are published.
        for one in sorted(all_years if years is None else years):
            try:
                exported = export_all(con, loc.export_dir, years={one}, rewrite=full, helper=helper)
                for year, files in exported.items():
                    written.extend(str(f) for f in files["written"] if f.suffix == ".xlsx")
                    # the findings page first: the index links to it
                    findings = write_findings_page(
                        loc.export_dir / str(year), year, read_findings(con, year, loc.reports_dir)
                    )
                    written.append(str(findings))
                    index = write_index(
                        loc.export_dir / str(year),
                        year,
                        files["workbook"],
                        files["tables"],
                        finish_charts(files["charts"], helper),
                        _review_entries(loc, year, reviews, files["frames"]["审核情况"]),
                    )
                    written.append(str(index))
                    done += 1
                    failpoint("exports.year_written")
            except Exception as exc:
                if is_storage_failure(exc) or isinstance(exc, HelperError):
                    raise  # the disk, or the helper process gone: the step's, not the year's
                failures.append((one, "", f"{type(exc).__name__}: {exc}"))
        clear(con, "export")
        mark(con, "export", [(y, "") for y, _, _ in failures])
        record_publish_errors(con, "export", failures)
        return written, done

    written = _logged(loc, "exports", work)
    # the last step waits for the helper's work still due (Data Docs): a helper that died
    # doing it fails the run here, not silently at teardown
    current_helper().drain()
    return written


def _review_entries(
    loc: Locations,
    year: int,
    reports: list[tuple[int, str, str]],
    scorecard: pd.DataFrame,
) -> list[ReviewEntry]:
    """The index's line per department of ``year`` whose review exists: the verdict its review
    shows, grade and counts (mart.quality_scorecard), and links to the review and the source."""
    scores = {row.department: row for row in scorecard.itertuples(index=False)}
    entries = []
    for y, department, source_path in sorted(reports):
        page = loc.reports_dir / str(y) / f"{review_file_stem(department)}.html"
        if y != year or not page.exists():
            continue
        score = scores.get(department)
        annotated = page.with_name(page.stem + ANNOTATED_SUFFIX)  # a PDF report's 标注版
        errors = int(score.errors) if score is not None else 0
        warnings = int(score.warnings) if score is not None else 0
        dismissed = int(score.dismissed) if score is not None else 0
        text, css = verdict(errors, warnings, dismissed)
        entries.append(
            ReviewEntry(
                department=department,
                report=page,
                verdict=text,
                verdict_class=css,
                grade=score.grade if score is not None else None,
                errors=errors if score is not None else None,
                warnings=warnings if score is not None else None,
                notes=int(score.notes) if score is not None else None,
                dismissed=dismissed if score is not None else None,
                workbook=page.with_suffix(".xlsx") if page.with_suffix(".xlsx").exists() else None,
                annotated=annotated if annotated.exists() else None,
                source=loc.raw_dir / source_path if source_path else None,
            )
        )
    return entries


def _logged(
    loc: Locations, step: str, work: Callable[[duckdb.DuckDBPyConnection], tuple[T, int]]
) -> T:
    """Run one step on a warehouse connection and log its wall time in meta.step_log."""
    started = time.perf_counter()
    what, folder = _OUTPUTS[step](loc)
    with plain_words(what, folder, loc.warehouse), connect(loc.warehouse) as con:
        ensure_schema(con)
        result, items = work(con)
        log_steps(con, [(step, time.perf_counter() - started, items)])
    return result


# step -> (what it writes, said for the bureau; where)
_OUTPUTS: dict[str, Callable[[Locations], tuple[str, Path]]] = {
    "reviews": lambda loc: ("写入审核意见", loc.reports_dir),
    "exports": lambda loc: ("写入对比表和图表", loc.export_dir),
}


@dataclass
class RunSummary:
    files_seen: int
    staged: int
    unchanged: int
    removed: int
    ingest_errors: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, message)
    rows: dict[str, int] = field(default_factory=dict)
    exports: list[str] = field(default_factory=list)
    # severity -> failed checks; "dismissed": those a reviewer marked 不是问题 (not counted)
    findings: dict[str, int] = field(default_factory=dict)


def run_pipeline(loc: Locations, workers: int | None = None, force: bool = False) -> RunSummary:
    """The whole main job without Dagster (tests, benchmarks). ``force`` redoes every step for
    every report; otherwise each step does what changed since the last run."""
    run_id = uuid.uuid4().hex
    with run_lock(loc.warehouse, lock_file=loc.lock_file):
        outcome = ingest(loc, force=force, workers=workers, run_id=run_id)
        update_warehouse(loc, run_id, full=force)
        publish_reviews(loc, full=force)
        exports = publish_exports(loc, full=force)
        return summarize(loc, outcome, exports)


def summarize(loc: Locations, outcome: IngestOutcome | None, exports: list[str]) -> RunSummary:
    with connect(loc.warehouse, read_only=True) as con:
        errors = con.execute(
            "SELECT source_path, error_code, message FROM core.ingest_error ORDER BY source_path"
        ).fetchall()
        rows = _counts(con)
        # a finding a reviewer marked 不是问题 is counted apart (quality.finding_status); checks
        # resting on one figure count once, as the reviews show them
        findings = dict(
            con.execute(
                "SELECT CASE WHEN status = 'dismissed' THEN 'dismissed' ELSE severity END, "
                "count(*) FROM quality.finding_status WHERE is_lead GROUP BY 1"
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
        f"输出目录 outputs:        {loc.out}",
        f"发现文件 files seen:     {summary.files_seen}（本次读取 {summary.staged}，未变化跳过 {summary.unchanged}，已移除 {summary.removed}）",
        f"已入库报告 reports:      {reports}",
        f"无法读取 ingest errors:  {len(summary.ingest_errors)}",
    ]
    for path, code, message in summary.ingest_errors:
        lines.append(f"  - {path} [{code}] {message}")
    lines.append(
        f"审核发现 findings:        错误 {summary.findings.get('error', 0)}，提醒 {summary.findings.get('warning', 0)}，"
        f"提示 {summary.findings.get('info', 0)}"
        + (
            f"（另有 {summary.findings['dismissed']} 处经审核不是问题，未计入）"
            if summary.findings.get("dismissed")
            else ""
        )
    )
    lines.append("各表行数 rows per table:")
    for table, n in summary.rows.items():
        lines.append(f"  {table:<34} {n:>8}")
    lines.append("输出 outputs:")
    for path in summary.exports:
        lines.append(f"  {path}")
    if not summary.exports:
        lines.append(f"  对比表与图表 exports:     本次无变化，未重写；见 {loc.export_dir}/<年度>/")
    lines.append(f"  审核意见 review reports: {loc.reports_dir}/<年度>/<部门>.html|.xlsx")
    lines.append(f"  填好的审核意见工作簿放回 reviews: {loc.reviews}")
    lines.append(f"  GX Data Docs:            {loc.data_docs_dir / 'index.html'}")
    lines.append(f"  审核数据可用 DuckDB 打开：duckdb {loc.warehouse}")
    return "\n".join(lines)
