"""Every setting an operator can change, and the environment variable that changes it.

All ``COUNTY_*`` variables are read here and nowhere else. Folders and automation are read into
a ``Settings`` value when the Dagster definitions are built (``Settings.from_env``); the limits
and tuning values below are read each time they are used, so a test or an operator can change
them without restarting anything.

The command line (``--raw``, ``--warehouse``, ``--out``, ``--reviews``), the Makefile (RAW,
WAREHOUSE, OUT, REVIEWS) and the Dagster resources all use the same folder settings, so a run
started from any of them uses the same folders.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# ---------------------------------------------------------------- folders ----

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

# ------------------------------------------------------------- automation ----

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


def automation_on(environ: Mapping[str, str]) -> bool:
    return environ.get(AUTOMATION_ENV, "").strip().lower() in ("1", "on", "true", "yes")


@dataclass(frozen=True)
class Settings:
    """What the Dagster definitions are built with: folders, automation and alerts."""

    raw_dir: str = DEFAULT_RAW
    warehouse: str = DEFAULT_WAREHOUSE
    out_dir: str = DEFAULT_OUT
    reviews_dir: str = DEFAULT_REVIEWS
    automation: bool = False
    sensor_interval_seconds: int = DEFAULT_SENSOR_INTERVAL
    schedule_cron: str = DEFAULT_SCHEDULE_CRON
    # key of ALERT_EMAIL_ENVS -> value; empty values mean no e-mail alert
    alert_email: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            value = env.get(name, "").strip()
            return value or default

        interval = get(SENSOR_INTERVAL_ENV, str(DEFAULT_SENSOR_INTERVAL))
        return cls(
            raw_dir=get(RAW_DIR_ENV, DEFAULT_RAW),
            warehouse=get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE),
            out_dir=get(OUT_DIR_ENV, DEFAULT_OUT),
            reviews_dir=get(REVIEWS_DIR_ENV, DEFAULT_REVIEWS),
            automation=automation_on(env),
            sensor_interval_seconds=int(interval)
            if interval.isdigit()
            else DEFAULT_SENSOR_INTERVAL,
            schedule_cron=get(SCHEDULE_CRON_ENV, DEFAULT_SCHEDULE_CRON),
            alert_email={key: env.get(name, "").strip() for key, name in ALERT_EMAIL_ENVS.items()},
        )


# ------------------------------------------------------------------ limits ----

# Stated limits on the work one file may cost (pipelines.ingest.limits refuses a file beyond
# one): name -> (environment variable, default).
LIMITS: dict[str, tuple[str, float]] = {
    # characters in one line or paragraph (a joined paragraph counts as one)
    "line_chars": ("COUNTY_MAX_LINE_CHARS", 2_000_000),
    # statements extracted from one report
    "statements": ("COUNTY_MAX_STATEMENTS", 50_000),
    # rows in one worksheet of an .xlsx/.xls
    "sheet_rows": ("COUNTY_MAX_SHEET_ROWS", 50_000),
    # wall seconds to read and extract one file (the worker is interrupted past it)
    "file_seconds": ("COUNTY_MAX_FILE_SECONDS", 120),
    # the largest amount a department states, in 万元 (1e8 万元 = 1 万亿元: no county,
    # city or province department comes near it); beyond it a figure is refused as misprinted
    "amount_wan": ("COUNTY_MAX_AMOUNT_WAN", 1e8),
    # a file modified less than this many seconds before discovery looks at it is left for
    # the next run (a copy in progress; every write moves its time); README "Bad input"
    "settle_seconds": ("COUNTY_SETTLE_SECONDS", 5),
}


def limit(name: str) -> float:
    """The current value of limit ``name`` (environment, else the default)."""
    env, default = LIMITS[name]
    return _number(env, default)


# ------------------------------------------------------------ run tuning ----

LOCK_WAIT_ENV = "COUNTY_LOCK_WAIT_SECONDS"  # how long a step waits for the warehouse's lock
DUCKDB_MEMORY_ENV = "COUNTY_DUCKDB_MEMORY"  # DuckDB's buffer memory per process, e.g. "1GB"
HELPER_ENV = "COUNTY_RUN_HELPER"  # "process" (default) or "inline"
CJK_FONT_ENV = "COUNTY_CJK_FONT"  # a .ttf/.ttc font for the charts' Chinese labels
FAILPOINT_ENV = "COUNTY_FAILPOINT"  # tests only: kill the run at this named point


def lock_wait_seconds() -> float:
    return _number(LOCK_WAIT_ENV, 600)


def duckdb_memory() -> str:
    # only the characters of a DuckDB size: the value goes into a SET statement
    value = re.sub(r"[^0-9A-Za-z.]", "", os.environ.get(DUCKDB_MEMORY_ENV, ""))
    return value or "1GB"


def helper_in_process() -> bool:
    """True when the run's side work goes to a helper process (the default)."""
    return os.environ.get(HELPER_ENV, "process").strip().lower() != "inline"


def cjk_font() -> str:
    return os.environ.get(CJK_FONT_ENV, "").strip()


def failpoint() -> str:
    return os.environ.get(FAILPOINT_ENV, "")


def _number(env: str, default: float) -> float:
    raw = os.environ.get(env)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        return default
