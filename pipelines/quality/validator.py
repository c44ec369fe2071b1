"""Great Expectations, and nothing else: the suites in expectations/ validate frames of checks.

Importing Great Expectations costs 4–5 s (it imports scipy, SQLAlchemy and Altair with every
expectation), so it happens here, on first use, once per process; a main-job run does it in the
check engine's process (pipelines.quality.engine) while the rest of the run starts.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"


def import_gx():
    """The great_expectations module, imported quietly (no analytics, no progress bars)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


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
        gx = import_gx()
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
        self._collected: list[dict[str, set[str]]] = []

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

    def submit(self, frames: dict[str, pd.DataFrame]) -> None:
        """Validate now; ``collect`` returns the result (the check engine's calls, in-process)."""
        self._collected.append(self.run(frames))

    def collect(self) -> dict[str, set[str]]:
        return self._collected.pop(0)

    def build_docs(self) -> None:
        if self.docs_dir is not None and self.runs:
            self.context.build_data_docs()  # the runs stored their results in the context
