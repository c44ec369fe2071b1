"""Excel exports for the finance bureau (open cleanly in Excel and WPS)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# Text from documents must never become a formula in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

GPB_BY_FUNCTION_COLUMNS = [
    ("fiscal_year", "年度", "0"),
    ("region", "地区", None),
    ("department", "部门", None),
    ("level", "科目级次", None),
    ("subject_code", "科目编码", None),
    ("subject_name", "科目名称", None),
    ("amount_wan", "支出金额（万元）", "#,##0.00"),
    ("share_pct", "占部门一般公共预算财政拨款支出比重（%）", "0.00"),
    ("department_total_wan", "部门一般公共预算财政拨款支出合计（万元）", "#,##0.00"),
    ("is_derived", "是否由下级科目汇总得出", None),
]


def safe_text(value: str) -> str:
    """Neutralize text that a spreadsheet would execute (formula injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_gpb_by_function(con: duckdb.DuckDBPyConnection, export_root: Path) -> list[Path]:
    """One workbook per fiscal year: warehouse/exports/<year>/一般公共预算财政拨款支出_按科目.xlsx."""
    written: list[Path] = []
    years = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT fiscal_year FROM mart.gpb_by_function ORDER BY 1"
        ).fetchall()
    ]
    cols = ", ".join(c for c, _, _ in GPB_BY_FUNCTION_COLUMNS)
    for year in years:
        rows = con.execute(
            f"SELECT {cols} FROM mart.gpb_by_function WHERE fiscal_year = ? ORDER BY department, subject_code",
            [year],
        ).fetchall()
        path = export_root / str(year) / "一般公共预算财政拨款支出_按科目.xlsx"
        _write_sheet(path, f"{year}年按科目", GPB_BY_FUNCTION_COLUMNS, rows)
        written.append(path)
    return written


def _write_sheet(
    path: Path, title: str, columns: list[tuple[str, str, str | None]], rows: list[tuple]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([header for _, header, _ in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        values = []
        for value in row:
            if isinstance(value, bool):
                value = "是" if value else "否"
            elif isinstance(value, str):
                value = safe_text(value)
            values.append(value)
        ws.append(values)
    for j, (_, header, fmt) in enumerate(columns, start=1):
        width = max(
            [_display_width(header) / 2 + 2]
            + [_display_width(str(r[j - 1] or "")) + 2 for r in rows[:500]]
        )
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 8), 50)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
