"""County final-accounts (部门决算) pipeline: core logic, free of Dagster imports.

The Dagster layer lives in ``pipelines.orchestration.definitions`` and only wires these modules together.
"""
