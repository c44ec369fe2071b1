"""Named points where a test can kill the whole run, as a power cut or `kill -9` would.

Set ``COUNTY_FAILPOINT=<name>`` in a run's environment and the run's process group is killed
with SIGKILL when it reaches that point (nothing is flushed, no handler runs). Unset, a
failpoint is one dictionary lookup. Used by tests/robustness to prove that a run killed
anywhere leaves the warehouse as before or as after, and that the next run finishes the work.
"""

from __future__ import annotations

import os
import signal

from pipelines.settings import FAILPOINT_ENV
from pipelines.settings import failpoint as failpoint_name

ENV = FAILPOINT_ENV

POINTS = (
    "stage.chunk_written",  # a worker has staged a chunk, others are still reading
    "load.rows_deleted",  # inside the load transaction: old rows deleted, new ones not yet in
    "load.rows_inserted",  # inside the load transaction, before COMMIT
    "checks.results_deleted",  # inside the checks transaction
    "dispositions.applied",  # reviewers' decisions stored, marts not yet rebuilt, before COMMIT
    "marts.built",  # inside the marts transaction, before COMMIT
    "reviews.written",  # review files written, pending marks not yet cleared
    "exports.year_written",  # one year's exports written, the others not
)


# Points in the run's helper process where only the helper is killed, as an out-of-memory kill
# would: the run must notice and fail (tests/orchestration/test_run_helper.py).
HELPER_POINTS = ("helper.drawing_chart",)  # a chart is being drawn


def failpoint(name: str) -> None:
    if failpoint_name() == name:
        os.killpg(os.getpgid(0), signal.SIGKILL)


def helper_failpoint(name: str) -> None:
    """Kill just this process (the helper) at ``name``; the run goes on and must notice."""
    if failpoint_name() == name:
        os.kill(os.getpid(), signal.SIGKILL)
