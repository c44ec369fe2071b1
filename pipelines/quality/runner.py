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


def validate(
    frames: dict[str, pd.DataFrame], suites: dict[str, dict], docs_dir: Path | None
) -> dict[str, set[str]]:
    """Validate each family's frame with its suite; return the failing row ids per family."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # 5–7 s: only here, once per process
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    if docs_dir is not None:
        shutil.rmtree(docs_dir, ignore_errors=True)  # Data Docs show the latest run only
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        context.add_data_docs_site(
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
    source = context.data_sources.add_pandas("county_checks")
    definitions = []
    batches = {}
    for family, frame in frames.items():
        if frame.empty or family not in suites:
            continue
        spec = suites[family]
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=spec["name"], expectations=spec["expectations"], meta=spec["meta"]
            )
        )
        batch = source.add_dataframe_asset(family).add_batch_definition_whole_dataframe(
            "all_reports"
        )
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{family}_checks", data=batch, suite=suite)
            )
        )
        batches[f"{family}_checks"] = frame
    failed: dict[str, set[str]] = {family: set() for family in frames}
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]}
    for definition in definitions:
        family = definition.name.removesuffix("_checks")
        result = definition.run(
            batch_parameters={"dataframe": batches[definition.name]}, result_format=result_format
        )
        for expectation in result.results:
            for item in expectation.result.get("unexpected_index_list") or []:
                failed[family].add(item["row_id"] if isinstance(item, dict) else item)
    if docs_dir is not None and definitions:
        context.build_data_docs()  # the runs above stored their results in the context
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
    timings = {}
    started = time.perf_counter()
    keys = pending(con, "check")
    target = _reports_to_check(con, keys, full)
    orphans = con.execute(
        f"SELECT count(*) FROM quality.check_result WHERE {_RECOMPUTED} "
        "AND report_id NOT IN (SELECT report_id FROM core.report)"
    ).fetchall()[0][0]
    if not target and not orphans and not keys:
        return _outcome(con, 0, timings, None)
    con.register("check_target", pa.table({"report_id": pa.array(sorted(target), pa.string())}))
    # the reports checked, and last year's report of each (the prior-year checks read it)
    context = """
        SELECT report_id FROM check_target
        UNION SELECT p.report_id FROM core.report p JOIN core.report r
            ON p.department = r.department AND p.fiscal_year = r.fiscal_year - 1
        WHERE r.report_id IN (SELECT report_id FROM check_target)"""
    statements = con.execute(f"SELECT * FROM core.statement WHERE report_id IN ({context})").df()
    functions = con.execute(
        f"SELECT * FROM core.expenditure_by_function WHERE report_id IN ({context})"
    ).df()
    reports = con.execute(f"SELECT * FROM core.report WHERE report_id IN ({context})").df()
    frames = {
        family: frame[frame["report_id"].isin(target)].reset_index(drop=True)
        for family, frame in build_all(statements, functions, reports, Catalogue.load()).items()
    }
    timings["build"] = time.perf_counter() - started
    started = time.perf_counter()
    failed = validate(frames, load_suite_files(), docs_dir) if target else {}
    timings["validate"] = time.perf_counter() - started
    results = check_results(frames, failed)
    checked_keys = keys | set(
        con.execute(
            "SELECT fiscal_year, department FROM core.report "
            "WHERE report_id IN (SELECT report_id FROM check_target) AND fiscal_year IS NOT NULL"
        ).fetchall()
    )
    try:
        with transaction(con):
            con.execute(
                f"DELETE FROM quality.check_result WHERE {_RECOMPUTED} AND ("
                "report_id IN (SELECT report_id FROM check_target) "
                "OR report_id NOT IN (SELECT report_id FROM core.report))"
            )
            failpoint("checks.results_deleted")
            if not results.empty:
                con.register("new_check_result", results)
                con.execute(
                    "INSERT INTO quality.check_result BY NAME SELECT * FROM new_check_result"
                )
                con.unregister("new_check_result")
            clear(con, "check")
            mark(con, "marts", checked_keys)
            mark(con, "review", checked_keys)
    finally:
        con.unregister("check_target")
    return _outcome(con, len(target), timings, docs_dir if target else None)


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
