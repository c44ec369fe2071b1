"""The Dagster code location: ``defs``, built from the environment's settings.

``build_defs(settings)`` builds the definitions for given folders and automation, so tests and
the command line build them without reloading a module; ``defs`` is what the Dagster UI and
`dg` load (workspace.yaml, pyproject.toml's [tool.dagster]).
"""

# No "from __future__ import annotations": Dagster inspects the context type hints at runtime.
import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.orchestration.assets import (
    county_exports,
    county_job,
    review_reports,
    staged_reports,
    warehouse_update,
)
from pipelines.orchestration.automation import build_automation
from pipelines.orchestration.resources import CountyFolders, RunHelper
from pipelines.settings import Settings


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    """The assets, job, sensors, schedule and resources for ``settings`` (default: from the
    environment)."""
    settings = settings or Settings.from_env()
    sensors, schedules = build_automation(county_job, settings)
    return dg.Definitions(
        assets=[staged_reports, warehouse_update, county_exports, review_reports],
        jobs=[county_job],
        sensors=sensors,
        schedules=schedules,
        resources={
            "folders": CountyFolders(
                raw_dir=settings.raw_dir,
                out_dir=settings.out_dir,
                reviews_dir=settings.reviews_dir,
            ),
            "warehouse": DuckDBResource(database=settings.warehouse),
            "run_helper": RunHelper(),
        },
    )


defs = build_defs()
