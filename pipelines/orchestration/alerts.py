"""A failed run, written down where the bureau looks: <out>/run_failures.log.

The Dagster failure sensor (pipelines.orchestration.definitions) calls ``record_failure`` for every failed
run of the main job; a nightly run that failed is then visible in the output folder the next
morning, without the UI (the UI shows the failed run as well).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

FAILURE_LOG = "run_failures.log"


def record_failure(
    out_dir: Path, run_id: str, job: str, message: str, when: datetime | None = None
) -> Path:
    """Append one line per failed run (time, job, run id, what failed) to out_dir's log."""
    out_dir.mkdir(parents=True, exist_ok=True)
    when = when or datetime.now(UTC)
    text = " ".join(message.split())[:2000]  # one line, even for a traceback
    line = f"{when.isoformat(timespec='seconds')}\t{job}\t{run_id}\t运行失败：{text}\n"
    log = out_dir / FAILURE_LOG
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(line)
    return log
