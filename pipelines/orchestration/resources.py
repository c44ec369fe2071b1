"""The Dagster resources: the county's folders and the run's helper process."""

# No "from __future__ import annotations": Dagster inspects the context type hints at runtime.
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import helper
from pipelines.orchestration.run import Locations
from pipelines.settings import DEFAULT_OUT, DEFAULT_RAW, DEFAULT_REVIEWS


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
