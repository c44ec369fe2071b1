"""Run the check suites over the reports that changed and store every outcome.

Great Expectations is imported lazily, once per process, and validates one DataFrame per
family covering all reports: a county of 100 reports costs one import and seven validations.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.catalogue import Catalogue
from pipelines.failpoints import failpoint
from pipelines.pending import Key, clear, mark, pending
from pipelines.quality.builders import build_all
from pipelines.schema import TABLES
from pipelines.transactions import transaction

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
FAMILIES = ("share", "sum", "yoy", "budget", "cross_section", "code", "completeness")
# Findings made while reading (identity) are kept; the families above are recomputed each run.
# Reports checked per batch: about 200 MB of frames and results at a time.
CHECK_BATCH_REPORTS = 1000
_RECOMPUTED = "family IN ('share', 'sum', 'yoy', 'budget', 'cross_section', 'code', 'completeness')"

log = logging.getLogger(__name__)


@dataclass
class CheckOutcome:
    rows: int = 0
    failed_by_family: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # family -> severity -> n
    checked_by_family: dict[str, int] = field(default_factory=dict)
    data_docs: str | None = None  # None when no report needed checking this run
    seconds: dict[str, float] = field(default_factory=dict)
    reports_checked: int = 0  # by this run; the counts above cover the whole warehouse


def load_suite_files(suites_dir: Path = EXPECTATIONS_DIR) -> dict[str, dict]:
    """family -> suite JSON, read from the expectations/ folder."""
    suites = {}
    for path in sorted(suites_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        suites[data["meta"]["family"]] = data
    return suites


class Validator:
    """One Great Expectations context, suite and validation definition per family; validates
    any number of batches of frames (the checks of a large warehouse run in batches)."""

    def __init__(self, suites: dict[str, dict], docs_dir: Path | None) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx  # 3–7 s: only here, once per process
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.suites = suites
        self.docs_dir = docs_dir
        self.context = gx.get_context(mode="ephemeral")
        if docs_dir is not None:
            shutil.rmtree(docs_dir, ignore_errors=True)  # Data Docs show the latest run only
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        if docs_dir is not None:
            self.context.add_data_docs_site(
                site_name="warehouse",
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        self.source = self.context.data_sources.add_pandas("county_checks")
        self.definitions: dict[str, object] = {}
        self.runs = 0

    def _definition(self, family: str):
        if family not in self.definitions:
            gx, spec = self._gx, self.suites[family]
            suite = self.context.suites.add(
                gx.ExpectationSuite(
                    name=spec["name"], expectations=spec["expectations"], meta=spec["meta"]
                )
            )
            batch = self.source.add_dataframe_asset(family).add_batch_definition_whole_dataframe(
                "all_reports"
            )
            self.definitions[family] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{family}_checks", data=batch, suite=suite)
            )
        return self.definitions[family]

    def run(self, frames: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
        """Validate each family's frame with its suite; return the failing row ids per family."""
        failed: dict[str, set[str]] = {family: set() for family in frames}
        result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]}
        for family, frame in frames.items():
            if frame.empty or family not in self.suites:
                continue
            result = self._definition(family).run(
                batch_parameters={"dataframe": frame}, result_format=result_format
            )
            self.runs += 1
            for expectation in result.results:
                for item in expectation.result.get("unexpected_index_list") or []:
                    failed[family].add(item["row_id"] if isinstance(item, dict) else item)
        return failed

    def build_docs(self) -> None:
        if self.docs_dir is not None and self.runs:
            self.context.build_data_docs()  # the runs stored their results in the context


def validate(
    frames: dict[str, pd.DataFrame], suites: dict[str, dict], docs_dir: Path | None
) -> dict[str, set[str]]:
    """Validate each family's frame with its suite; return the failing row ids per family."""
    validator = Validator(suites, docs_dir)
    failed = validator.run(frames)
    validator.build_docs()
    return failed


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
            validator = Validator(load_suite_files(), docs_dir) if target else None
            ordered = sorted(target)
            # Batches bound the memory a whole province's checks take (frames, GX results).
            for start in range(0, len(ordered), CHECK_BATCH_REPORTS):
                _check_batch(con, ordered[start : start + CHECK_BATCH_REPORTS], validator, timings)
            if validator is not None:
                validator.build_docs()
            clear(con, "check")
            mark(con, "marts", checked_keys)
            mark(con, "review", checked_keys)
    finally:
        con.unregister("check_target")
    return _outcome(con, len(target), timings, docs_dir if target else None)


def _check_batch(
    con: duckdb.DuckDBPyConnection,
    report_ids: list[str],
    validator: Validator,
    timings: dict[str, float],
) -> None:
    """Build, validate and store the checks of some reports (inside the caller's transaction)."""
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
    frames = {
        family: frame[frame["report_id"].isin(wanted)].reset_index(drop=True)
        for family, frame in build_all(statements, functions, reports, Catalogue.load()).items()
    }
    timings["build"] += time.perf_counter() - started
    started = time.perf_counter()
    failed = validator.run(frames)
    timings["validate"] += time.perf_counter() - started
    started = time.perf_counter()
    results = check_results(frames, failed)
    if not results.empty:
        con.register("new_check_result", results)
        con.execute("INSERT INTO quality.check_result BY NAME SELECT * FROM new_check_result")
        con.unregister("new_check_result")
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
    rows = con.execute(
        f"SELECT family, severity, passed, count(*) FROM quality.check_result WHERE {_RECOMPUTED} "
        "GROUP BY ALL"
    ).fetchall()
    for family in FAMILIES:
        outcome.checked_by_family[family] = 0
        outcome.failed_by_family[family] = {}
    for family, severity, passed, n in rows:
        outcome.rows += n
        outcome.checked_by_family[family] += n
        if not passed:
            outcome.failed_by_family[family][severity] = n
    if docs_dir is not None:
        outcome.data_docs = str(docs_dir / "index.html")
    return outcome
