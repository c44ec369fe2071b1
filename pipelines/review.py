"""审核意见: one review report per department and year, as HTML and .xlsx, from quality.check_result."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from pipelines.exports import safe_text

TEMPLATES = Path(__file__).parent / "templates"
SEVERITY_TITLES = {"error": "错误（须修改）", "warning": "提醒（请核对）", "info": "提示（供参考）"}
FAMILY_NAMES = {
    "share": "占比",
    "sum": "合计",
    "yoy": "同比",
    "budget": "预算完成",
    "cross_section": "前后一致",
    "code": "科目编码",
    "completeness": "完整性",
    "identity": "部门与年度",
}
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def review_file_stem(department: str) -> str:
    """File name of a department's review report: its name with path-unsafe characters replaced."""
    return _UNSAFE.sub("_", department)


def verdict(errors: int, warnings: int) -> tuple[str, str]:
    if errors:
        return f"发现{errors}处错误、{warnings}处提醒，建议修改后再公开。", "error"
    if warnings:
        return f"未发现错误，有{warnings}处提醒，请核对后公开。", "warning"
    return "未发现错误或需核对的问题。", "ok"


def write_review_reports(
    con: duckdb.DuckDBPyConnection, out_dir: Path, warehouse_label: str
) -> list[Path]:
    """Write <out_dir>/<year>/<department>.html and .xlsx for every report; return the HTML paths."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    template = env.get_template("review.html.j2")
    reports = con.execute(
        "SELECT report_id, department, fiscal_year, source_path FROM core.report ORDER BY fiscal_year, department"
    ).fetchall()
    written: list[Path] = []
    for report_id, department, year, source_path in reports:
        findings = con.execute(
            "SELECT severity, family, check_id, message, source_text, source_location FROM quality.check_result "
            "WHERE report_id = ? AND NOT passed ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
            "statement_no NULLS LAST, check_id",
            [report_id],
        ).fetchall()
        counts = con.execute(
            "SELECT family, count(*), count(*) FILTER (WHERE NOT passed) FROM quality.check_result "
            "WHERE report_id = ? GROUP BY family ORDER BY family",
            [report_id],
        ).fetchall()
        rows = [
            dict(
                zip(
                    ("severity", "family", "check_id", "message", "source_text", "source_location"),
                    f,
                    strict=True,
                )
            )
            for f in findings
        ]
        errors = sum(r["severity"] == "error" for r in rows)
        warnings = sum(r["severity"] == "warning" for r in rows)
        text, css = verdict(errors, warnings)
        groups = [
            {"title": title, "findings": [r for r in rows if r["severity"] == sev]}
            for sev, title in SEVERITY_TITLES.items()
            if any(r["severity"] == sev for r in rows)
        ]
        folder = out_dir / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        stem = review_file_stem(department) or report_id
        html = folder / f"{stem}.html"
        html.write_text(
            template.render(
                department=department,
                fiscal_year=year,
                source_path=source_path,
                warehouse=warehouse_label,
                verdict=text,
                verdict_class=css,
                groups=groups,
                families=[
                    {"name": FAMILY_NAMES.get(f, f), "checked": n, "failed": bad}
                    for f, n, bad in counts
                ],
            ),
            encoding="utf-8",
        )
        _write_xlsx(folder / f"{stem}.xlsx", department, year, text, rows)
        written.append(html)
    return written


def _write_xlsx(
    path: Path, department: str, year: int, verdict_text: str, rows: list[dict]
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "审核意见"
    ws.append([f"{department} {year}年度部门决算审核意见"])
    ws.append([verdict_text])
    ws.append([])
    header = ["序号", "级别", "检查类别", "问题说明", "原文", "位置", "检查项"]
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, r in enumerate(rows, start=1):
        ws.append(
            [
                i,
                SEVERITY_TITLES[r["severity"]][:2],
                FAMILY_NAMES.get(r["family"], r["family"]),
                safe_text(r["message"] or ""),
                safe_text(r["source_text"] or ""),
                safe_text(r["source_location"] or ""),
                r["check_id"],
            ]
        )
    ws["A1"].font = Font(bold=True, size=14)
    for col, width in zip("ABCDEFG", (6, 8, 10, 60, 60, 14, 26), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str):
                cell.data_type = "s"
    ws.freeze_panes = "A5"
    if rows:
        ws.auto_filter.ref = f"A4:G{4 + len(rows)}"
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)
