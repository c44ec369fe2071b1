"""The flow: the pipeline's steps as plain functions (run), and the thin Dagster layer over
them: assets and the main job (assets), resources, the sensor, schedule and failure alerts
(automation), and the code location built by ``build_defs`` (definitions). alerts keeps the
log of failed runs."""
