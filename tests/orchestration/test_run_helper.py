"""The run's helper process (Great Expectations, Data Docs, charts) gives exactly what the
run's own process gives, builds the Data Docs after the checks, and fails clearly if it dies."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import helper
from pipelines.orchestration.run import Locations, check, publish_exports, run_pipeline
from pipelines.settings import FAILPOINT_ENV
from tools.sample.writers import generate_county


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Locations:
    """A county checked in the test's own process (no helper started)."""
    root = tmp_path_factory.mktemp("helper")
    generate_county(root / "raw", n_departments=3, years=[2023, 2024], seed=21, formats=["txt"])
    loc = Locations(root / "raw", root / "wh" / "warehouse.duckdb")
    assert isinstance(helper.current(), helper.Inline)
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
    monkeypatch.delenv(helper.HELPER_ENV, raising=False)
    started = helper.start()
    yield started
    helper.finish()


def test_helper_finds_what_the_inline_check_finds(checked: Locations, tmp_path: Path, started):
    expected = _results(checked.warehouse)
    assert any(not passed for _, _, passed, _, _ in expected)  # the sample has findings
    loc = _copy(checked, tmp_path / "wh")
    shutil.rmtree(loc.data_docs_dir, ignore_errors=True)
    outcome = check(loc, full=True)
    assert outcome.reports_checked == 6
    assert _results(loc.warehouse) == expected
    helper.finish()  # waits for the Data Docs, built after the checks were stored
    assert isinstance(helper.current(), helper.Inline)
    index = loc.data_docs_dir / "index.html"
    assert index.exists() and "county_share" in index.read_text(encoding="utf-8")


def test_a_dead_helper_fails_the_checks_and_leaves_the_warehouse(
    checked: Locations, tmp_path: Path, started
):
    loc = _copy(checked, tmp_path / "wh")
    before = _results(loc.warehouse)
    started._process.kill()
    with pytest.raises(helper.HelperError, match="exited"):
        check(loc, full=True)
    assert _results(loc.warehouse) == before  # the delete of the old results rolled back


def test_a_helper_killed_while_drawing_charts_fails_the_exports(
    checked: Locations, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Charts vanish silently no more: a helper that dies drawing one fails the step, saying
    so, and is not taken for a machine without a CJK font."""
    if not _cjk_font():
        pytest.skip("no CJK font: no chart is drawn (install fonts-wqy-microhei)")
    monkeypatch.delenv(helper.HELPER_ENV, raising=False)
    monkeypatch.setenv(FAILPOINT_ENV, "helper.drawing_chart")  # the helper inherits it
    helper.start()
    try:
        loc = _copy(checked, tmp_path / "wh")
        shutil.rmtree(loc.export_dir)
        with pytest.raises(helper.HelperError, match="helper process exited"):
            publish_exports(loc)
    finally:
        helper.finish()


def test_a_helper_gone_with_work_due_is_an_error(started):
    """Work nobody waits for (the Data Docs) is waited for at the end of the run: a helper
    that died before finishing it fails that wait, it is not skipped."""
    started.submit("time:sleep", 0.2, detach=True)
    started._process.kill()
    with pytest.raises(helper.HelperError, match="exited"):
        started.drain(timeout=30)


def test_inline_setting_starts_no_helper(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(helper.HELPER_ENV, "inline")
    assert helper.start() is None and isinstance(helper.current(), helper.Inline)


@pytest.mark.parametrize("where", ["helper", "inline"])
def test_small_batches_find_the_same(
    checked: Locations, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
):
    """Three batches of two reports (the helper validating one while the next is built) store
    exactly the outcomes of one batch of six."""
    from pipelines.quality import runner

    monkeypatch.setattr(runner, "CHECK_BATCH_REPORTS", 2)
    if where == "helper":
        monkeypatch.delenv(helper.HELPER_ENV, raising=False)
        helper.start()
    try:
        loc = _copy(checked, tmp_path / "wh")
        assert check(loc, full=True, data_docs=False).reports_checked == 6
    finally:
        helper.finish()
    assert _results(loc.warehouse) == _results(checked.warehouse)


def test_helper_draws_the_same_exports(checked: Locations, tmp_path: Path, started):
    """Charts drawn by the helper while the tables are written: the same files as inline."""
    loc = _copy(checked, tmp_path / "wh")
    shutil.rmtree(loc.export_dir)
    publish_exports(loc)
    helper.finish()
    inline_files = sorted(p.relative_to(checked.export_dir) for p in checked.export_dir.rglob("*"))
    helper_files = sorted(p.relative_to(loc.export_dir) for p in loc.export_dir.rglob("*"))
    assert helper_files == inline_files
    assert any(p.suffix == ".png" for p in helper_files) or not _cjk_font()
    for png in loc.export_dir.rglob("*.png"):
        stamp = png.with_name(f".{png.name}.sha256")
        assert (
            stamp.read_text()
            == (checked.export_dir / png.relative_to(loc.export_dir))
            .with_name(stamp.name)
            .read_text()
        )


def test_a_failing_call_raises_its_own_exception_in_the_run(started):
    with pytest.raises(FileNotFoundError) as caught:
        started.call("os:stat", "/nonexistent/file")
    assert "in the run's helper process" in "".join(caught.value.__notes__)
    assert started.call("math:hypot", 3.0, 4.0) == 5.0  # the helper goes on after a failure


def _cjk_font() -> bool:
    from pipelines.publish.charts import cjk_font_available

    return cjk_font_available()
