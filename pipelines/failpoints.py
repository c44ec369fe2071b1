"""Named points where a test can kill the whole run, as a power cut or `kill -9` would.

Set ``COUNTY_FAILPOINT=<name>`` in a run's environment and the run's process group is killed
with SIGKILL when it reaches that point (nothing is flushed, no handler runs). Unset, a
failpoint is one dictionary lookup. Used by tests/robustness to prove that a run killed
anywhere leaves the warehouse as before or as after, and that the next run finishes the work.
"""

from __future__ import annotations

import os
import signal

ENV = "COUNTY_FAILPOINT"

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


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.killpg(os.getpgid(0), signal.SIGKILL)
