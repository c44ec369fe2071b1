"""Where a run reads and writes by default, and the environment variables that change it.

The command line (``--raw``, ``--warehouse``, ``--out``), the Makefile (RAW, WAREHOUSE, OUT)
and the Dagster resources all read these, so a run started from any of them uses the same
folders.
"""

from __future__ import annotations

RAW_DIR_ENV = "COUNTY_RAW_DIR"
WAREHOUSE_ENV = "COUNTY_WAREHOUSE"
OUT_DIR_ENV = "COUNTY_OUT_DIR"

DEFAULT_RAW = "raw"
DEFAULT_WAREHOUSE = "warehouse/budget.duckdb"
# The outputs stay in warehouse/ whatever file the warehouse is: a warehouse placed in a data
# folder elsewhere does not fill that folder with exports, reviews and working files.
DEFAULT_OUT = "warehouse"
