"""Great Expectations, and nothing else: the suites in expectations/ validate frames of checks.

Importing Great Expectations costs 4–5 s (it imports scipy, SQLAlchemy and Altair with every
expectation), so it happens here, on first use, once per process; a main-job run does it in its
helper process (pipelines.helper) while the rest of the run starts. The session functions at
the end are what the checks call through the helper.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipelines.quality.docs_offline import make_offline

# The suites live in the repository's expectations/ folder; a built wheel carries them as
# package data in pipelines/quality/suites (setup.py copies them there at build time).
PACKAGED_SUITES = Path(__file__).resolve().parent / "suites"
REPOSITORY_SUITES = Path(__file__).resolve().parents[2] / "expectations"


class SuiteMissing(RuntimeError):
    """A check family has no suite: its checks would pass without being checked."""


def suites_dir() -> Path:
    """Where this installation's suites are: the wheel's package data, else expectations/."""
    return PACKAGED_SUITES if PACKAGED_SUITES.is_dir() else REPOSITORY_SUITES


def import_gx():
    """The great_expectations module, imported quietly (no analytics, no progress bars)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from tqdm import tqdm

    # GX's progress bars, even switched off, make tqdm create a multiprocessing lock: a named
    # semaphore that a helper process stopped at the end of a run would leave behind (and
    # Python would warn about). A thread lock is all one process needs.
    tqdm.set_lock(threading.RLock())
    return gx


def load_suite_files(families: Sequence[str], folder: Path | None = None) -> dict[str, dict]:
    """family -> suite JSON, read from the suites folder; every family must have its suite."""
    folder = folder or suites_dir()
    suites = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        suites[data["meta"]["family"]] = data
    missing = [family for family in families if family not in suites]
    if missing:
        names = ", ".join(f"{family}.json" for family in missing)
        raise SuiteMissing(
            f"check suite(s) {names} not found in {folder}: without its suite a family's checks "
            "would all pass unchecked; restore the file(s) from the repository's expectations/ "
            "folder or reinstall the package"
        )
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
            if frame.empty:
                continue
            if family not in self.suites:
                raise SuiteMissing(f"no check suite for family {family!r} ({family}.json)")
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
            # the runs stored their results in the context. Only our site: the ephemeral
            # context's default site lives in a temporary folder nobody removes (4 MB a run).
            self.context.build_data_docs(site_names=["warehouse"])
            make_offline(self.docs_dir)  # local assets instead of CDNs: readable offline


# -- one validation session per run, in whichever process validates (see pipelines.helper) ----

_session: Validator | None = None


def open_session(suites: dict[str, dict], docs_dir: Path | None) -> None:
    global _session
    _session = Validator(suites, docs_dir)


def validate_batch(frames: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """The failing row ids per family of one batch of check frames."""
    if _session is None:
        raise RuntimeError("open_session() first")
    return _session.run(frames)


def build_session_docs() -> None:
    if _session is not None:
        _session.build_docs()
