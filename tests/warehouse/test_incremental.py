"""Incremental runs: each step redoes only what changed, and the result equals a run from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.orchestration.run import Locations, run_pipeline
from tools.sample.writers import generate_county

# Tables a run from scratch and an incremental run must agree on, row for row.
COMPARED = [
    "core.report",
    "core.statement",
    "quality.check_result",
    "mart.gpb_by_function",
    "mart.quality_scorecard",
    "mart.three_public_by_department",
]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("county") / "raw"
    generate_county(raw, n_departments=4, years=[2022, 2023, 2024], seed=11, formats=["txt"])
    for truth in raw.rglob("*.truth.json"):
        truth.unlink()
    return raw


def _steps(loc: Locations) -> dict[str, int]:
    """Items each step handled in the latest run (meta.step_log)."""
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT step, items FROM meta.step_log "
            "QUALIFY row_number() OVER (PARTITION BY step ORDER BY logged_at DESC) = 1"
        ).fetchall()
    return dict(rows)


def _rows(warehouse: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=lambda r: repr(r))


def _same_as_from_scratch(loc: Locations, tmp_path: Path) -> None:
    fresh = Locations(loc.raw_dir, tmp_path / "fresh" / "warehouse.duckdb")
    run_pipeline(fresh, workers=1)
    for table in COMPARED:
        assert _rows(loc.warehouse, table) == _rows(fresh.warehouse, table), table


def test_nothing_changed_does_nothing(county: Path, tmp_path: Path) -> None:
    loc = Locations(county, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    workbook = loc.export_dir / "2023" / "部门决算对比_2023.xlsx"
    review = next((loc.reports_dir / "2023").glob("*.html"))
    stamps = (workbook.stat().st_mtime_ns, review.stat().st_mtime_ns)
    summary = run_pipeline(loc, workers=1)
    assert summary.staged == 0 and summary.unchanged == 12
    assert _steps(loc) == {
        "discover": 12,
        "read": 0,
        "extract": 0,
        "load": 0,
        "checks": 0,
        "marts": 0,
        "reviews": 0,
        "exports": 0,
    }
    assert (workbook.stat().st_mtime_ns, review.stat().st_mtime_ns) == stamps
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.pending").fetchone()[0] == 0


def test_one_changed_report_rechecks_it_and_next_year(county: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(county, raw)
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    charts = {p: p.stat().st_mtime_ns for p in (loc.export_dir / "2023").glob("*.png")}
    changed = sorted((raw / "2023").glob("*.txt"))[0]
    # The department re-sends its report with a correction note: new bytes, same figures.
    text = changed.read_bytes()
    changed.write_bytes(text + "\n（本报告已根据审核意见更正。）\n".encode())
    summary = run_pipeline(loc, workers=1)
    assert summary.staged == 1
    steps = _steps(loc)
    # the report itself, and the same department's 2024 report (its prior-year checks)
    assert steps["checks"] == 2
    assert steps["reviews"] == 2
    assert steps["exports"] == 2  # 2023 and 2024; 2022 is untouched
    # the figures did not change: the charts are not drawn again
    assert {p: p.stat().st_mtime_ns for p in charts} == charts
    _same_as_from_scratch(loc, tmp_path)


def test_removed_report_leaves_everything_as_from_scratch(county: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(county, raw)
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    gone = sorted((raw / "2022").glob("*.txt"))[1]
    gone.unlink()
    run_pipeline(loc, workers=1)
    assert _steps(loc)["checks"] == 1  # the department's 2023 report lost its prior year
    assert not (loc.reports_dir / "2022" / f"{gone.stem}.html").exists()
    _same_as_from_scratch(loc, tmp_path)


def test_interrupted_steps_are_finished_by_the_next_run(county: Path, tmp_path: Path) -> None:
    """A run that stops after the load (killed, crashed) leaves its marks; the next run does the
    checks, marts, reviews and exports it did not."""
    from pipelines.orchestration.run import ingest, load

    raw = tmp_path / "raw"
    shutil.copytree(county, raw)
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    changed = sorted((raw / "2024").glob("*.txt"))[2]
    changed.write_bytes(changed.read_bytes() + "\n（更正）\n".encode())
    ingest(loc, workers=1)
    load(loc)  # ... and the run dies here
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.pending WHERE step = 'check'").fetchone()[0]
    summary = run_pipeline(loc, workers=1)
    assert summary.staged == 0
    assert _steps(loc)["checks"] == 1
    _same_as_from_scratch(loc, tmp_path)
