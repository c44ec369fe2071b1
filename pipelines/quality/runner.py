"""Run the check suites over the reports that changed and store every outcome.

The checks of all changed reports are built as one DataFrame per family and validated by
Great Expectations in batches (pipelines.quality.validator), in the run's helper process when
it started one (pipelines.helper): a county of 100 reports costs seven validations.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.catalogue import Catalogue
from pipelines.failpoints import failpoint
from pipelines.helper import Helper, Inline
from pipelines.helper import current as current_helper
from pipelines.quality.builders import build_all
from pipelines.quality.validator import load_suite_files
from pipelines.warehouse.pending import Key, clear, mark, pending
from pipelines.warehouse.schema import TABLES
from pipelines.warehouse.transactions import transaction

FAMILIES = ("share", "sum", "yoy", "budget", "cross_section", "code", "completeness")
# Findings made while reading (identity) are kept; the families above are recomputed each run.
# Reports checked per batch: about 100 MB of frames at a time, two batches in flight.
CHECK_BATCH_REPORTS = 500
OPEN_SESSION = "pipelines.quality.validator:open_session"
VALIDATE = "pipelines.quality.validator:validate_batch"
_RECOMPUTED = "family IN ('share', 'sum', 'yoy', 'budget', 'cross_section', 'code', 'completeness')"

log = logging.getLogger(__name__)


@dataclass
class CheckOutcome:
    rows: int = 0
    failed_by_family: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # family -> severity -> n
    checked_by_family: dict[str, int] = field(default_factory=dict)
    # failed checks a reviewer marked 不是问题 (figures unchanged since): family -> severity -> n,
    # counted apart from failed_by_family
    dismissed_by_family: dict[str, dict[str, int]] = field(default_factory=dict)
    data_docs: str | None = None  # None when no report needed checking this run
    seconds: dict[str, float] = field(default_factory=dict)
    reports_checked: int = 0  # by this run; the counts above cover the whole warehouse
    report_ids: list[str] = field(default_factory=list)  # the reports checked by this run


def check_results(frames: dict[str, pd.DataFrame], failed: dict[str, set[str]]) -> pd.DataFrame:
    """Frames plus failing ids -> rows of quality.check_result."""
    columns = [name for name, _ in TABLES["quality.check_result"]]
    parts = []
    for family, frame in frames.items():
        if frame.empty:
            continue
        passed = ~frame["row_id"].isin(failed.get(family, set()))
        out = frame.assign(
            passed=passed,
            message=frame["message"].where(~passed, frame["message_ok"]),
            lower_bound=frame["lower"],
            upper_bound=frame["upper"],
        )
        parts.append(out[[c for c in columns if c in out.columns]])
    if not parts:
        return pd.DataFrame(columns=columns)
    result = pd.concat(parts, ignore_index=True)
    for c in columns:
        if c not in result.columns:
            result[c] = None
    return result[columns]


def run_checks(
    con: duckdb.DuckDBPyConnection, docs_dir: Path | None = None, full: bool = False
) -> CheckOutcome:
    """Build, validate and store the checks of every report that changed since the last run.

    Changed means: marked by a load (its department and year, and the next year whose
    prior-year checks read it), or never checked. ``full`` checks every report. Nothing to
    check costs two queries and no Great Expectations import.
    """
    timings: dict[str, float] = {}
    keys = pending(con, "check")
    target = _reports_to_check(con, keys, full)
    orphans = con.execute(
        f"SELECT count(*) FROM quality.check_result WHERE {_RECOMPUTED} "
        "AND report_id NOT IN (SELECT report_id FROM core.report)"
    ).fetchall()[0][0]
    if not target and not orphans and not keys:
        return _outcome(con, 0, timings, None)
    con.register("check_target", pa.table({"report_id": pa.array(sorted(target), pa.string())}))
    checked_keys = keys | set(
        con.execute(
            "SELECT fiscal_year, department FROM core.report "
            "WHERE report_id IN (SELECT report_id FROM check_target) AND fiscal_year IS NOT NULL"
        ).fetchall()
    )
    timings["build"] = timings["validate"] = timings["store"] = 0.0
    try:
        with transaction(con):
            con.execute(
                f"DELETE FROM quality.check_result WHERE {_RECOMPUTED} AND ("
                "report_id IN (SELECT report_id FROM check_target) "
                "OR report_id NOT IN (SELECT report_id FROM core.report))"
            )
            failpoint("checks.results_deleted")
            helper = current_helper()
            # not waited for: the helper may still be importing Great Expectations
            opened = (
                helper.submit(OPEN_SESSION, load_suite_files(FAMILIES), docs_dir)
                if target
                else None
            )
            # A department's years side by side: the prior-year checks of a batch then read
            # reports of the batch itself, not as many again from outside it.
            ordered = [
                r
                for (r,) in con.execute(
                    "SELECT report_id FROM core.report "
                    "WHERE report_id IN (SELECT report_id FROM check_target) "
                    "ORDER BY department, fiscal_year, report_id"
                ).fetchall()
            ]
            # Batches bound the memory a whole province's checks take (frames, GX results).
            # The helper process validates one batch while the next is built.
            submitted: tuple[dict[str, pd.DataFrame], int] | None = None
            unchecked: list[tuple[str, str]] = []  # (report_id, error) whose checks failed
            for start in range(0, len(ordered), CHECK_BATCH_REPORTS):
                frames = _build_batch(
                    con, ordered[start : start + CHECK_BATCH_REPORTS], timings, unchecked
                )
                if submitted is not None:
                    _store_batch(con, *submitted, helper, timings)
                submitted = (frames, helper.submit(VALIDATE, frames))
                if opened is not None:  # its failure, if any, is the one to report
                    helper.result(opened)
                    opened = None
            if submitted is not None:
                _store_batch(con, *submitted, helper, timings)
            if target and docs_dir is not None:
                # built while the run goes on; the results are stored whatever becomes of them
                helper.submit("pipelines.quality.validator:build_session_docs", detach=True)
            clear(con, "check")
            mark(con, "marts", checked_keys)
            mark(con, "review", checked_keys)
            _record_unchecked(con, unchecked)
    finally:
        con.unregister("check_target")
    outcome = _outcome(con, len(target), timings, docs_dir if target else None)
    outcome.report_ids = sorted(target)
    return outcome


def _build_batch(
    con: duckdb.DuckDBPyConnection,
    report_ids: list[str],
    timings: dict[str, float],
    unchecked: list[tuple[str, str]] | None = None,
) -> dict[str, pd.DataFrame]:
    """The check frames (one per family) of some reports.

    Built for the whole batch at once; should that fail, report by report, so that one report
    whose figures break a builder does not leave the others unchecked: it goes to
    ``unchecked`` with the error (when given; otherwise the error propagates)."""
    started = time.perf_counter()
    con.register("check_batch", pa.table({"report_id": pa.array(report_ids, pa.string())}))
    try:
        # the reports checked, and last year's report of each (the prior-year checks read it)
        context = """
            SELECT report_id FROM check_batch
            UNION SELECT p.report_id FROM core.report p JOIN core.report r
                ON p.department = r.department AND p.fiscal_year = r.fiscal_year - 1
            WHERE r.report_id IN (SELECT report_id FROM check_batch)"""
        statements = con.execute(
            f"SELECT * FROM core.statement WHERE report_id IN ({context})"
        ).df()
        functions = con.execute(
            f"SELECT * FROM core.expenditure_by_function WHERE report_id IN ({context})"
        ).df()
        reports = con.execute(f"SELECT * FROM core.report WHERE report_id IN ({context})").df()
    finally:
        con.unregister("check_batch")
    wanted = set(report_ids)
    catalogue = Catalogue.load()
    try:
        built = build_all(statements, functions, reports, catalogue)
    except Exception:
        if unchecked is None:
            raise
        built = _build_each(statements, functions, reports, catalogue, report_ids, unchecked)
    frames = {
        family: frame[frame["report_id"].isin(wanted)].reset_index(drop=True)
        for family, frame in built.items()
    }
    timings["build"] += time.perf_counter() - started
    return frames


def _build_each(
    statements: pd.DataFrame,
    functions: pd.DataFrame,
    reports: pd.DataFrame,
    catalogue: Catalogue,
    report_ids: list[str],
    unchecked: list[tuple[str, str]],
) -> dict[str, pd.DataFrame]:
    """build_all per report (with last year's report, which its prior-year checks read)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    by_id = reports.set_index("report_id")
    for rid in report_ids:
        try:
            department, year = by_id.at[rid, "department"], by_id.at[rid, "fiscal_year"]
            prior = reports[
                (reports["department"] == department) & (reports["fiscal_year"] == year - 1)
            ]
            context = {rid, *prior["report_id"]}
            built = build_all(
                statements[statements["report_id"].isin(context)],
                functions[functions["report_id"].isin(context)],
                reports[reports["report_id"].isin(context)],
                catalogue,
            )
        except Exception as exc:
            unchecked.append((rid, f"{type(exc).__name__}: {exc}"))
            continue
        for family, frame in built.items():
            parts.setdefault(family, []).append(frame[frame["report_id"] == rid])
    frames = {}
    for family, pieces in parts.items():
        frame = pd.concat(pieces, ignore_index=True)
        # row ids name rows in the validation results: unique again after the concatenation
        frame["row_id"] = [f"{family}-{i}" for i in range(len(frame))]
        frames[family] = frame
    return frames


def _record_unchecked(con: duckdb.DuckDBPyConnection, unchecked: list[tuple[str, str]]) -> None:
    """A warning per report whose checks could not be built, and its checks retried next run."""
    if not unchecked:
        return
    con.executemany(
        "INSERT INTO quality.check_result (report_id, check_id, family, severity, passed, "
        "message, source_location) VALUES (?, 'completeness.checks_not_run', "
        "'completeness', 'warning', false, ?, '')",
        [
            (
                rid,
                "该报告的自动检查未能完成（检查程序遇到了无法处理的数据），其他报告照常检查和发布；"
                "下次运行会重试。如反复出现，请将该报告交给数据工程师排查"
                f"（技术信息：{detail[:300]}）。",
            )
            for rid, detail in unchecked
        ],
    )
    keys = con.execute(
        "SELECT fiscal_year, department FROM core.report WHERE report_id IN "
        "(SELECT unnest(?::VARCHAR[]))",
        [[rid for rid, _ in unchecked]],
    ).fetchall()
    mark(con, "check", keys)


def _store_batch(
    con: duckdb.DuckDBPyConnection,
    frames: dict[str, pd.DataFrame],
    ticket: int,
    helper: Helper | Inline,
    timings: dict[str, float],
) -> None:
    """Store the outcome of a batch submitted for validation (in the caller's transaction)."""
    started = time.perf_counter()
    failed = helper.result(ticket)
    timings["validate"] += time.perf_counter() - started
    started = time.perf_counter()
    results = check_results(frames, failed)
    if not results.empty:
        # Scanned by its variable name, not registered: a view registered inside the run's
        # transaction keeps its frame alive until the commit (about 70 MB per 500 reports).
        con.execute("INSERT INTO quality.check_result BY NAME SELECT * FROM results")
    timings["store"] += time.perf_counter() - started


def _reports_to_check(con: duckdb.DuckDBPyConnection, keys: set[Key], full: bool) -> set[str]:
    if full:
        return {r for (r,) in con.execute("SELECT report_id FROM core.report").fetchall()}
    never_checked = con.execute(
        f"SELECT report_id FROM core.report r WHERE NOT EXISTS (SELECT 1 FROM quality.check_result q "
        f"WHERE q.report_id = r.report_id AND q.{_RECOMPUTED})"
    ).fetchall()
    marked = con.execute(
        "SELECT report_id, fiscal_year, department FROM core.report WHERE fiscal_year IS NOT NULL"
    ).fetchall()
    return {r for (r,) in never_checked} | {r for r, y, d in marked if (y, d) in keys}


def _outcome(
    con: duckdb.DuckDBPyConnection, checked: int, timings: dict[str, float], docs_dir: Path | None
) -> CheckOutcome:
    """Counts over the whole warehouse (not only this run's reports): the asset checks show these."""
    outcome = CheckOutcome(rows=0, seconds=timings, reports_checked=checked)
    count_families(con, outcome)
    if docs_dir is not None:
        outcome.data_docs = str(docs_dir / "index.html")
    return outcome


def count_families(con: duckdb.DuckDBPyConnection, outcome: CheckOutcome) -> CheckOutcome:
    """Set the outcome's counts per family over the whole warehouse: checks made, failed ones
    by severity, and apart from those the failed ones a reviewer marked 不是问题
    (quality.finding_status): run it again once the run's decisions are recorded."""
    rows = con.execute(
        "SELECT q.family, q.severity, q.passed, coalesce(s.status = 'dismissed', false), "
        "count(*) FROM quality.check_result q LEFT JOIN quality.finding_status s "
        "ON NOT q.passed AND s.report_id = q.report_id AND s.finding_id = q.finding_id "
        f"WHERE q.{_RECOMPUTED} GROUP BY ALL"
    ).fetchall()
    outcome.rows = 0
    for family in FAMILIES:
        outcome.checked_by_family[family] = 0
        outcome.failed_by_family[family] = {}
        outcome.dismissed_by_family[family] = {}
    for family, severity, passed, dismissed, n in rows:
        outcome.rows += n
        outcome.checked_by_family[family] += n
        if passed:
            continue
        tally = outcome.dismissed_by_family if dismissed else outcome.failed_by_family
        tally[family][severity] = tally[family].get(severity, 0) + n
    return outcome
