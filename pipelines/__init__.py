"""County final-accounts (部门决算) pipeline, laid out by stage in the order data flows:
ingest (files to staged statements), catalogue (subject codes), warehouse (the DuckDB load),
quality (the checks), publish (marts, exports, reviews) and orchestration (the steps, and the
Dagster layer in ``pipelines.orchestration`` that only wires them together). Everything outside
that layer is free of Dagster imports.
"""
