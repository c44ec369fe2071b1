"""A small county published end to end (ingest, load, checks, marts, reviews, exports), and
what the robustness tests compare with it: a bad file planted beside good reports must leave
the good reports' rows, reviews and exports exactly as a clean run gives them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.orchestration.run import Locations, RunSummary, run_pipeline
from tools.sample import generate_county

YEAR = 2024


@dataclass
class Published:
    loc: Locations
    summary: RunSummary
    errors: dict[str, tuple[str, str, str]]  # source_path -> (stage, error_code, message)
    details: dict[str, str | None]  # source_path -> detail
    reports: dict[str, tuple[str, int, int]]  # source_path -> (department, year, statements)
    exports: dict[str, bytes]  # every CSV under exports/, by path relative to it
    reviews: set[str]  # review files, by path relative to reports/


def make_county(raw: Path) -> None:
    """Two good reports of one year: a .txt and a .docx."""
    generate_county(raw, n_departments=2, years=(YEAR,), seed=17, formats=("txt", "docx"))


def publish(raw: Path, warehouse_dir: Path, workers: int = 1) -> Published:
    loc = Locations(raw, warehouse_dir / "budget.duckdb")
    summary = run_pipeline(loc, workers=workers)
    return read_back(loc, summary)


def read_back(loc: Locations, summary: RunSummary) -> Published:
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT source_path, stage, error_code, message, detail FROM core.ingest_error"
        ).fetchall()
        reports = {
            path: (dept, year, n)
            for path, dept, year, n in con.execute(
                "SELECT source_path, department, fiscal_year, statement_count FROM core.report"
            ).fetchall()
        }
    exports = {
        p.relative_to(loc.export_dir).as_posix(): p.read_bytes()
        for p in sorted(loc.export_dir.rglob("*.csv"))
    }
    reviews = {
        p.relative_to(loc.reports_dir).as_posix() for p in loc.reports_dir.rglob("*") if p.is_file()
    }
    return Published(
        loc,
        summary,
        {p: (s, c, m) for p, s, c, m, _ in rows},
        {p: d for p, _, _, _, d in rows},
        reports,
        exports,
        reviews,
    )


def planted(clean_raw: Path, tmp_path: Path) -> Path:
    """A copy of the clean county's raw/ to plant a bad file in."""
    raw = tmp_path / "raw"
    shutil.copytree(clean_raw, raw, symlinks=True)
    return raw


def assert_good_published(
    result: Published, baseline: Published, same_exports: bool = True
) -> None:
    """Every good report is loaded as in the clean run, and its reviews and every year's
    exports (CSV content, index) are written exactly as the clean run wrote them
    (``same_exports=False``: the case adds a department of its own to the comparisons)."""
    for path, report in baseline.reports.items():
        assert path not in result.errors, result.errors.get(path)
        assert result.reports.get(path) == report, path
    if same_exports:
        assert result.exports == baseline.exports
    else:
        assert set(baseline.exports) <= set(result.exports)
    assert baseline.reviews <= result.reviews
    for year in {y for _, y, _ in baseline.reports.values()}:
        assert (result.loc.export_dir / str(year) / "index.html").stat().st_size > 0


def assert_refused(result: Published, path: str, code: str, *words: str) -> str:
    """``path`` has its row with ``code``, a message that says what to do, and no report."""
    assert path not in result.reports, result.reports.get(path)
    assert path in result.errors, (path, result.errors)
    _, got, message = result.errors[path]
    assert got == code, (got, message)
    for word in words:
        assert word in message, (word, message)
    assert "请" in message or "重新运行" in message  # says what to do
    return message
