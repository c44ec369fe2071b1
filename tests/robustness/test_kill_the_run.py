"""Crashes never cost data: the main job killed with SIGKILL (its whole process group, as a
power cut or ``kill -9`` would) at each failpoint of pipelines/failpoints.py leaves every table
of core, quality and mart exactly as before the run or exactly as after a clean run, and the
next run ends with exactly the rows, review reports and exports of a clean run.

The scenario (fault_injection.py): a clean run over version A of raw/, then raw/ changes to
version B (corrections, a re-encoded file, a file replaced by another department's, a removed
and new reports) and the run over B is killed at the point. The runs are run_pipeline in
children of a pre-warmed fork server, each in a process group of its own; two scenarios run
side by side. ``python -m tests.robustness.fault_injection`` does the same through the Dagster
command line for the load points and prints the totals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.failpoints import POINTS

from .fault_injection import (
    SCHEMAS,
    Baseline,
    ForkRunner,
    Outcome,
    difference,
    inject_all,
    make_baseline,
)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kill_the_run")


@pytest.fixture(scope="module")
def runner() -> ForkRunner:
    return ForkRunner()


@pytest.fixture(scope="module")
def baseline(root: Path, runner: ForkRunner) -> Baseline:
    return make_baseline(root, runner)


@pytest.fixture(scope="module")
def outcomes(root: Path, runner: ForkRunner, baseline: Baseline) -> dict[str, Outcome]:
    return inject_all(baseline, root, {point: runner for point in POINTS}, parallel=2)


def test_version_b_changes_every_schema(baseline: Baseline):
    """Otherwise "as before" and "as after" could not be told apart."""
    changed = difference(baseline.before, baseline.after)
    for schema in SCHEMAS:
        assert any(t.startswith(f"{schema}.") for t in changed), schema
    assert "core.ingest_error" in changed  # the truncated .docx of version B


@pytest.mark.parametrize("point", POINTS)
def test_the_run_is_killed_at_the_point(outcomes: dict[str, Outcome], point: str):
    kill = outcomes[point].kill
    assert kill.killed, f"returncode {kill.returncode}, the point was not reached:\n{kill.output}"


@pytest.mark.parametrize("point", POINTS)
def test_after_the_kill_every_table_is_as_before_or_as_after(
    outcomes: dict[str, Outcome], point: str
):
    outcome = outcomes[point]
    assert outcome.state in ("before", "after"), (
        f"killed at {point}, the warehouse is between the run before and a clean run: "
        f"{outcome.schemas()}; tables neither as before nor as after: {outcome.partial}; "
        f"per table: { {t: s for t, s in outcome.tables.items() if s != 'same'} }"
    )


@pytest.mark.parametrize("point", POINTS)
def test_the_next_run_recovers_every_row(outcomes: dict[str, Outcome], point: str):
    outcome = outcomes[point]
    assert outcome.recovery is not None and outcome.recovery.returncode == 0, (
        outcome.recovery.output if outcome.recovery else "no recovery run"
    )
    assert outcome.diff == {}, "per table: (rows missing, rows extra) against a clean run"
    assert outcome.rows_lost == 0


@pytest.mark.parametrize("point", POINTS)
def test_the_next_run_leaves_nothing_pending(outcomes: dict[str, Outcome], point: str):
    assert outcomes[point].pending == []


@pytest.mark.parametrize("point", POINTS)
def test_the_next_run_publishes_every_review_and_export(outcomes: dict[str, Outcome], point: str):
    outcome = outcomes[point]
    assert outcome.missing_outputs == []
    assert outcome.stale_outputs == []  # e.g. the review of a removed report
