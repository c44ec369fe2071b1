"""Storage failures in plain words: a full disk at the commit or while writing reviews and
exports, and a damaged warehouse file. Each says what happened and what to do (Chinese), keeps
the original error, leaves no half-written file, and the next run finishes the work."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import pipelines.publish.exports
import pipelines.warehouse.transactions
from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.storage import StorageError
from tests.robustness.county import (
    Published,
    assert_good_published,
    planted,
    publish,
    read_back,
)

PROJECT = Path(__file__).resolve().parents[2]
NO_SPACE = "No space left on device"


@pytest.fixture
def loc(clean: tuple[Path, Published], tmp_path: Path) -> Locations:
    return Locations(planted(clean[0], tmp_path), tmp_path / "warehouse" / "budget.duckdb")


def _pending(loc: Locations) -> dict[str, int]:
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        return dict(con.execute("SELECT step, count(*) FROM meta.pending GROUP BY 1").fetchall())


def _leftovers(folder: Path) -> list[Path]:
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and (p.name.endswith(".tmp") or not p.stat().st_size)
    ]


def _finish_and_compare(loc: Locations, baseline: Published) -> None:
    result = read_back(loc, run_pipeline(loc, workers=1))
    assert_good_published(result, baseline)
    assert not _pending(loc)


def test_disk_full_at_commit_shows_the_real_cause(
    loc: Locations, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("ROLLBACK")  # what a failed COMMIT leaves: no transaction
        raise duckdb.IOException(f'Could not write file "{loc.warehouse}.wal": {NO_SPACE}')

    monkeypatch.setattr(pipelines.warehouse.transactions, "_commit", full_disk)
    with pytest.raises(StorageError) as info:
        run_pipeline(loc, workers=1)
    assert "磁盘空间不足" in info.value.message and "重新运行" in info.value.message
    assert NO_SPACE in info.value.detail
    assert "cannot rollback" not in str(info.value)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:  # as before the run
        assert con.execute("SELECT count(*) FROM core.report").fetchone()[0] == 0
    monkeypatch.undo()
    _finish_and_compare(loc, clean[1])


def test_disk_full_while_writing_reviews(
    loc: Locations, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_text = Path.write_text

    def full_disk(self: Path, data: str, *args, **kwargs) -> int:
        if loc.reports_dir in self.parents:
            write_text(self, data[:10], *args, **kwargs)  # part of it, then the disk is full
            raise OSError(errno.ENOSPC, NO_SPACE)
        return write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(StorageError) as info:
        run_pipeline(loc, workers=1)
    assert "写入审核意见时磁盘空间不足" in info.value.message and NO_SPACE in info.value.detail
    assert not _leftovers(loc.reports_dir)  # no 0-byte review, no temporary file
    assert _pending(loc).get("review")  # the work is kept for the next run
    monkeypatch.undo()
    _finish_and_compare(loc, clean[1])


def test_disk_full_while_writing_exports(
    loc: Locations, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path, *args) -> None:
        path.write_bytes(b"x" * 10)
        raise OSError(errno.ENOSPC, NO_SPACE)

    monkeypatch.setattr(pipelines.publish.exports, "_write_csv", full_disk)
    with pytest.raises(StorageError) as info:
        run_pipeline(loc, workers=1)
    assert "磁盘空间不足" in info.value.message and NO_SPACE in info.value.detail
    assert not _leftovers(loc.export_dir)
    assert _pending(loc).get("export")
    monkeypatch.undo()
    _finish_and_compare(loc, clean[1])


def test_damaged_warehouse_says_it_can_be_rebuilt(
    loc: Locations, clean: tuple[Path, Published]
) -> None:
    loc.warehouse.parent.mkdir(parents=True)
    loc.warehouse.write_bytes(b"\0garbage" * 4096)
    with pytest.raises(StorageError) as info:
        run_pipeline(loc, workers=1)
    assert "删除该文件" in info.value.message and "从 raw/ 全部重建" in info.value.message
    assert "not a valid DuckDB database file" in info.value.detail
    loc.warehouse.unlink()  # as the message says
    _finish_and_compare(loc, clean[1])


def test_command_line_says_it_in_plain_words(loc: Locations) -> None:
    """Through Dagster and the command line: the message and the original error, no traceback."""
    loc.warehouse.parent.mkdir(parents=True)
    loc.warehouse.write_bytes(b"\0garbage" * 4096)
    env = {**os.environ, "DAGSTER_HOME": "", "COUNTY_RUN_HELPER": "inline"}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "run", "--raw", str(loc.raw_dir), "--warehouse",
         str(loc.warehouse)],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr[-2000:]
    last = done.stderr[done.stderr.rindex("错误：") :]
    assert "删除该文件" in last and "not a valid DuckDB database file" in last
    assert "Traceback" not in last


def test_one_review_that_cannot_be_written_does_not_stop_the_others(
    loc: Locations, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A review that fails for a reason of its own (not storage): the other reviews and every
    export are written, the failure is recorded in meta.publish_error and retried next run."""
    import pipelines.publish.review

    victim = min(d for d, _, _ in clean[1].reports.values())
    original = pipelines.publish.review._write_one

    def failing(out_dir, template, report_id, department, *args):
        if department == victim:
            raise ValueError("template cannot render this department")
        return original(out_dir, template, report_id, department, *args)

    monkeypatch.setattr(pipelines.publish.review, "_write_one", failing)
    result = read_back(loc, run_pipeline(loc, workers=1))
    assert {d for d, _, _ in result.reports.values()} == {
        d for d, _, _ in clean[1].reports.values()
    }
    assert result.exports == clean[1].exports
    assert not any(victim in r for r in result.reviews)
    assert len(result.reviews) == len(clean[1].reviews) - 2  # its .html and .xlsx
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        [(department, message, detail)] = con.execute(
            "SELECT department, message, detail FROM meta.publish_error WHERE step = 'review'"
        ).fetchall()
    assert department == victim and "下次运行会重试" in message and "ValueError" in detail
    assert _pending(loc) == {"review": 1}
    monkeypatch.undo()
    _finish_and_compare(loc, clean[1])
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        assert not con.execute("SELECT count(*) FROM meta.publish_error").fetchone()[0]


def test_one_year_that_cannot_be_exported_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.orchestration.run
    from tools.sample import generate_county

    raw = tmp_path / "raw"
    generate_county(raw, n_departments=2, years=(2023, 2024), seed=17, formats=("txt",))
    clean = publish(raw, tmp_path / "clean")
    loc = Locations(raw, tmp_path / "warehouse" / "budget.duckdb")
    original = pipelines.orchestration.run.export_all

    def failing(con, root, years=None, **kwargs):
        if years == {2023}:
            raise KeyError("a column the workbook layout lacks")
        return original(con, root, years=years, **kwargs)

    monkeypatch.setattr(pipelines.orchestration.run, "export_all", failing)
    result = read_back(loc, run_pipeline(loc, workers=1))
    assert (loc.export_dir / "2024" / "index.html").exists()
    assert not (loc.export_dir / "2023").exists()
    assert {k: v for k, v in clean.exports.items() if k.startswith("2024/")} == result.exports
    assert result.reviews == clean.reviews
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        [(year, message, detail)] = con.execute(
            "SELECT fiscal_year, message, detail FROM meta.publish_error WHERE step = 'export'"
        ).fetchall()
    assert year == 2023 and message.startswith("2023年度的对比表") and "KeyError" in detail
    assert _pending(loc) == {"export": 1}
    monkeypatch.undo()
    _finish_and_compare(loc, clean)


def test_one_report_whose_checks_fail_does_not_stop_the_others(
    loc: Locations, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report whose figures break a check builder: the others are checked as in a clean
    run, it gets a warning saying its checks did not run, and they are retried next run."""
    import pipelines.quality.builders as builders

    victim = min(clean[1].reports)
    with duckdb.connect(str(clean[1].loc.warehouse), read_only=True) as con:
        victim_id = con.execute(
            "SELECT report_id FROM core.report WHERE source_path = ?", [victim]
        ).fetchone()[0]
        expected = con.execute(
            "SELECT report_id, check_id, passed, message FROM quality.check_result "
            "WHERE report_id <> ? ORDER BY ALL",
            [victim_id],
        ).fetchall()
    original = builders.sum_checks

    def breaking(st):
        if (st["report_id"] == victim_id).any():
            raise ZeroDivisionError("a builder meets figures it cannot handle")
        return original(st)

    monkeypatch.setattr(builders, "sum_checks", breaking)
    result = read_back(loc, run_pipeline(loc, workers=1))
    assert result.exports and all(r in result.reviews for r in clean[1].reviews)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        got = con.execute(
            "SELECT report_id, check_id, passed, message FROM quality.check_result "
            "WHERE report_id <> ? ORDER BY ALL",
            [victim_id],
        ).fetchall()
        own = con.execute(
            "SELECT check_id, message FROM quality.check_result WHERE report_id = ?",
            [victim_id],
        ).fetchall()
    assert got == expected
    assert [c for c, _ in own if c.startswith("completeness.checks")] == [
        "completeness.checks_not_run"
    ]
    assert any("ZeroDivisionError" in m and "下次运行会重试" in m for _, m in own)
    assert _pending(loc) == {"check": 1}
    monkeypatch.undo()
    _finish_and_compare(loc, clean[1])
