"""A document's content and name are data: never SQL, never markup, never a formula."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from pipelines.orchestration.run import Locations, run_pipeline
from tools.sample.writers import generate_county

HOSTILE_NAME = "x'); DROP TABLE core.report; --"


def test_sql_in_a_file_name_is_stored_as_text(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=2, years=[2023], seed=9, formats=["txt"])
    first = sorted((raw / "2023").glob("*.txt"))[0]
    hostile = first.with_name(f"{first.stem}{HOSTILE_NAME}.txt")
    shutil.move(first, hostile)
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        paths = {p for (p,) in con.execute("SELECT source_path FROM core.report").fetchall()}
        assert f"2023/{hostile.name}" in paths and len(paths) == 2
        # every table is still there and the statements point at the exact file name
        stated = con.execute(
            "SELECT count(*) FROM core.statement s JOIN core.report r USING (report_id) "
            "WHERE r.source_path = ?",
            [f"2023/{hostile.name}"],
        ).fetchone()[0]
        assert stated > 50


def test_formula_like_department_text_is_neutralized_in_workbooks(tmp_path: Path) -> None:
    """A department name starting with '=' reaches the workbook as text, not as a formula."""
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=2, years=[2023], seed=9, formats=["txt"])
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    with duckdb.connect(str(loc.warehouse)) as con:
        con.execute(
            "UPDATE mart.expenditure_by_subject SET department = ? WHERE department = "
            "(SELECT min(department) FROM mart.expenditure_by_subject)",
            ['=HYPERLINK("http://example.invalid","点击")'],
        )
    from pipelines.publish.exports import export_year

    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        files = export_year(con, 2023, tmp_path / "out")
    book = load_workbook(files["workbook"])
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    hostile = [v for v in values if isinstance(v, str) and "HYPERLINK" in v]
    assert hostile and all(not v.startswith("=") for v in hostile)
