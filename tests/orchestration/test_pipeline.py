"""End to end without Dagster: idempotent reruns, replaced versions, errors, raw/ untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.warehouse.schema import TABLES
from tools.sample import generate_county


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    generate_county(root, n_departments=4, years=(2023, 2024), seed=11)
    return root


@pytest.fixture
def loc(corpus: Path, tmp_path: Path) -> Locations:
    raw = tmp_path / "raw"
    shutil.copytree(corpus, raw)
    return Locations(raw, tmp_path / "warehouse" / "budget.duckdb")


def snapshot(loc: Locations) -> dict[str, list[tuple]]:
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        tables = list(TABLES) + ["core.ingest_error", "mart.gpb_by_function"]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


def raw_state(raw: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(raw).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in raw.rglob("*")
        if p.is_file()
    }


def test_rerun_gives_the_same_rows_and_reads_nothing(loc: Locations):
    first = run_pipeline(loc, workers=1)
    assert first.staged == 8 and not first.ingest_errors
    before = snapshot(loc)
    second = run_pipeline(loc, workers=1)
    assert second.staged == 0 and second.unchanged == 8
    assert snapshot(loc) == before
    forced = run_pipeline(loc, workers=1, force=True)
    assert forced.staged == 8
    assert snapshot(loc) == before


def test_parallel_staging_matches_serial(loc: Locations, tmp_path: Path):
    run_pipeline(loc, workers=1)
    serial = snapshot(loc)
    other = Locations(loc.raw_dir, tmp_path / "parallel" / "budget.duckdb")
    run_pipeline(other, workers=2)
    assert snapshot(other) == serial


def test_raw_is_never_written(loc: Locations):
    before = raw_state(loc.raw_dir)
    run_pipeline(loc, workers=1)
    run_pipeline(loc, workers=1, force=True)
    assert raw_state(loc.raw_dir) == before


def test_changed_file_replaces_its_rows(loc: Locations):
    run_pipeline(loc, workers=1)
    target = sorted(loc.raw_dir.glob("2024/*.txt"))[0]
    source_path = target.relative_to(loc.raw_dir).as_posix()
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        old_id, old_statements = con.execute(
            "SELECT report_id, statement_count FROM core.report WHERE source_path = ?",
            [source_path],
        ).fetchone()
        others = con.execute(
            "SELECT count(*) FROM core.statement WHERE report_id <> ?", [old_id]
        ).fetchone()[0]
    data = target.read_bytes()
    target.write_bytes(
        data
        + "\n本部门另有说明：临时支出12.34万元。\n".encode(
            "gb18030" if b"\r\n" in data else "utf-8"
        )
    )
    summary = run_pipeline(loc, workers=1)
    assert summary.staged == 1
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT report_id, statement_count FROM core.report WHERE source_path = ?",
            [source_path],
        ).fetchall()
        assert len(rows) == 1 and rows[0][0] != old_id and rows[0][1] == old_statements + 1
        assert (
            con.execute(
                "SELECT count(*) FROM core.statement WHERE report_id = ?", [old_id]
            ).fetchone()[0]
            == 0
        )
        assert (
            con.execute(
                "SELECT count(*) FROM core.statement WHERE report_id <> ?", [rows[0][0]]
            ).fetchone()[0]
            == others
        )


def test_removed_file_leaves_the_warehouse(loc: Locations):
    run_pipeline(loc, workers=1)
    victim = sorted(loc.raw_dir.glob("2023/*.docx"))[0]
    victim.unlink()
    summary = run_pipeline(loc, workers=1)
    assert summary.removed == 1
    assert summary.rows["core.report"] == 7


def test_bad_files_are_recorded_and_the_rest_loads(loc: Locations):
    (loc.raw_dir / "2024" / "空白报告.txt").write_bytes(b"")
    (loc.raw_dir / "2024" / "损坏的报告.docx").write_bytes(b"PK\x03\x04broken")
    summary = run_pipeline(loc, workers=1)
    assert summary.rows["core.report"] == 8
    errors = {path: code for path, code, _ in summary.ingest_errors}
    assert errors == {"2024/空白报告.txt": "empty_file", "2024/损坏的报告.docx": "corrupt_docx"}
    # Fixing a file clears its error on the next run.
    (loc.raw_dir / "2024" / "空白报告.txt").unlink()
    assert {p for p, *_ in run_pipeline(loc, workers=1).ingest_errors} == {"2024/损坏的报告.docx"}


def test_year_folder_disagreeing_with_content_is_a_warning(loc: Locations):
    moved = sorted(loc.raw_dir.glob("2024/*.docx"))[0]
    (loc.raw_dir / "2022").mkdir()
    shutil.move(moved, loc.raw_dir / "2022" / moved.name)
    run_pipeline(loc, workers=1)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        year, found = con.execute(
            "SELECT r.fiscal_year, q.message FROM core.report r JOIN quality.check_result q USING (report_id) "
            "WHERE q.check_id = 'identity.fiscal_year_mismatch'"
        ).fetchone()
    assert year == 2024 and "2022" in found


def test_failed_load_leaves_the_warehouse_as_it_was(
    loc: Locations, monkeypatch: pytest.MonkeyPatch
):
    run_pipeline(loc, workers=1)
    before = snapshot(loc)
    for p in loc.raw_dir.rglob("*.txt"):
        p.write_bytes(p.read_bytes() + b"\n")
    failures = []

    def failing(name: str) -> None:
        """The bulk insert fails after the old rows were deleted and the new ones went in."""
        if name == "load.rows_inserted":
            failures.append(name)
            raise RuntimeError("disk full while loading")

    monkeypatch.setattr("pipelines.warehouse.load.failpoint", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run_pipeline(loc, workers=1)
    assert len(failures) == 1
    assert snapshot(loc) == before
