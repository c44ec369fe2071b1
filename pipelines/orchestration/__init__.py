"""The flow: the pipeline's steps as plain functions (run), the Dagster definitions that wire
them for the UI, schedule and sensor (definitions), and the record of failed runs (alerts)."""
