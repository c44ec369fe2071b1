"""Run the check suites over the whole warehouse and store every outcome.

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

from pipelines.catalogue import Catalogue
from pipelines.quality.builders import build_all
from pipelines.schema import TABLES

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
    data_docs: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


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


def run_checks(con: duckdb.DuckDBPyConnection, docs_dir: Path | None = None) -> CheckOutcome:
    """Build, validate and store every check for every report in the warehouse."""
    timings = {}
    started = time.perf_counter()
    statements = con.execute("SELECT * FROM core.statement").df()
    functions = con.execute("SELECT * FROM core.expenditure_by_function").df()
    reports = con.execute("SELECT * FROM core.report").df()
    frames = build_all(statements, functions, reports, Catalogue.load())
    timings["build"] = time.perf_counter() - started
    started = time.perf_counter()
    failed = validate(frames, load_suite_files(), docs_dir)
    timings["validate"] = time.perf_counter() - started
    results = check_results(frames, failed)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM quality.check_result WHERE {_RECOMPUTED}")
        if not results.empty:
            con.register("new_check_result", results)
            con.execute("INSERT INTO quality.check_result BY NAME SELECT * FROM new_check_result")
            con.unregister("new_check_result")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    outcome = CheckOutcome(rows=len(results), seconds=timings)
    for family, frame in frames.items():
        outcome.checked_by_family[family] = len(frame)
        bad = results[(results["family"] == family) & ~results["passed"]]
        outcome.failed_by_family[family] = bad["severity"].value_counts().to_dict()
    if docs_dir is not None:
        outcome.data_docs = str(docs_dir / "index.html")
    return outcome
