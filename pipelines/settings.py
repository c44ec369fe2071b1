"""Where a run reads and writes by default, and the environment variables that change it.

The command line (``--raw``, ``--warehouse``, ``--out``, ``--reviews``), the Makefile (RAW,
WAREHOUSE, OUT, REVIEWS) and the Dagster resources all read these, so a run started from any
of them uses the same folders.
"""

from __future__ import annotations

RAW_DIR_ENV = "COUNTY_RAW_DIR"
WAREHOUSE_ENV = "COUNTY_WAREHOUSE"
OUT_DIR_ENV = "COUNTY_OUT_DIR"
# Where reviewers put back the review workbooks they filled (处理意见: 已确认 / 不是问题);
# read by every run, never written.
REVIEWS_DIR_ENV = "COUNTY_REVIEWS_DIR"

DEFAULT_RAW = "raw"
DEFAULT_WAREHOUSE = "warehouse/budget.duckdb"
DEFAULT_REVIEWS = "reviews"  # beside raw/
# The outputs stay in warehouse/ whatever file the warehouse is: a warehouse placed in a data
# folder elsewhere does not fill that folder with exports, reviews and working files.
DEFAULT_OUT = "warehouse"

# The server deployment (deploy/): "on" starts the raw/ sensor, the nightly schedule and the
# failure alert switched on; elsewhere (make ui) they start off and are switched on in the UI.
AUTOMATION_ENV = "COUNTY_AUTOMATION"
SENSOR_INTERVAL_ENV = "COUNTY_SENSOR_INTERVAL_SECONDS"  # how often the sensor looks at raw/
SCHEDULE_CRON_ENV = "COUNTY_SCHEDULE_CRON"  # the nightly run, Beijing time
DEFAULT_SENSOR_INTERVAL = 60
DEFAULT_SCHEDULE_CRON = "0 2 * * *"
# A failed run's e-mail (optional; every failure is also appended to <out>/run_failures.log).
ALERT_EMAIL_ENVS = {
    "smtp_host": "COUNTY_ALERT_SMTP_HOST",
    "smtp_port": "COUNTY_ALERT_SMTP_PORT",
    "email_from": "COUNTY_ALERT_EMAIL_FROM",
    "email_password": "COUNTY_ALERT_EMAIL_PASSWORD",
    "email_to": "COUNTY_ALERT_EMAIL_TO",  # comma-separated
}


def automation_on(environ: dict[str, str]) -> bool:
    return environ.get(AUTOMATION_ENV, "").strip().lower() in ("1", "on", "true", "yes")
