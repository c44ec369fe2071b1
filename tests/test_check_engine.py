"""The check engine (Great Expectations in a helper process) checks exactly as the run's own
process does, builds the Data Docs after the checks, and fails clearly when it dies."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.quality import engine
from pipelines.run import Locations, check, run_pipeline
from pipelines.sample.writers import generate_county


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Locations:
    """A county checked in the test's own process (no engine started)."""
    root = tmp_path_factory.mktemp("engine")
    generate_county(root / "raw", n_departments=3, years=[2023, 2024], seed=21, formats=["txt"])
    loc = Locations(root / "raw", root / "wh" / "warehouse.duckdb")
    assert engine.current() is None
    run_pipeline(loc, workers=1)
    return loc


def _results(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT report_id, check_id, passed, message, source_location "
            "FROM quality.check_result ORDER BY ALL"
        ).fetchall()


def _copy(loc: Locations, dest: Path) -> Locations:
    shutil.copytree(loc.warehouse.parent, dest)
    return Locations(loc.raw_dir, dest / loc.warehouse.name)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(engine.ENGINE_ENV, raising=False)
    started = engine.start()
    yield started
    engine.finish()


def test_engine_finds_what_the_inline_check_finds(checked: Locations, tmp_path: Path, started):
    expected = _results(checked.warehouse)
    assert any(not passed for _, _, passed, _, _ in expected)  # the sample has findings
    loc = _copy(checked, tmp_path / "wh")
    shutil.rmtree(loc.data_docs_dir, ignore_errors=True)
    outcome = check(loc, full=True)
    assert outcome.reports_checked == 6
    assert _results(loc.warehouse) == expected
    engine.finish()  # waits for the Data Docs, built after the checks were stored
    assert engine.current() is None
    index = loc.data_docs_dir / "index.html"
    assert index.exists() and "county_share" in index.read_text(encoding="utf-8")


def test_a_dead_engine_fails_the_checks_and_leaves_the_warehouse(
    checked: Locations, tmp_path: Path, started
):
    loc = _copy(checked, tmp_path / "wh")
    before = _results(loc.warehouse)
    started._process.kill()
    with pytest.raises(engine.CheckEngineError, match="exited"):
        check(loc, full=True)
    assert _results(loc.warehouse) == before  # the delete of the old results rolled back


def test_inline_setting_starts_no_engine(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(engine.ENGINE_ENV, "inline")
    assert engine.start() is None and engine.current() is None


@pytest.mark.parametrize("where", ["engine", "inline"])
def test_small_batches_find_the_same(
    checked: Locations, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
):
    """Three batches of two reports (the engine validating one while the next is built) store
    exactly the outcomes of one batch of six."""
    from pipelines.quality import runner

    monkeypatch.setattr(runner, "CHECK_BATCH_REPORTS", 2)
    if where == "engine":
        monkeypatch.delenv(engine.ENGINE_ENV, raising=False)
        engine.start()
    try:
        loc = _copy(checked, tmp_path / "wh")
        assert check(loc, full=True, data_docs=False).reports_checked == 6
    finally:
        engine.finish()
    assert _results(loc.warehouse) == _results(checked.warehouse)
