"""审核意见: one review report per department and year, as HTML and .xlsx, from quality.check_result."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import xlsxwriter
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from pipelines.publish.annotate import SUFFIX as ANNOTATED_SUFFIX
from pipelines.publish.annotate import write_annotated_pdf
from pipelines.publish.exports import safe_text
from pipelines.quality import dispositions as disp
from pipelines.quality import grouping
from pipelines.storage import is_storage_failure, replace_atomically

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
    "reading": "表格读取",
    "text": "文字错误",
    "package": "表格与章节",
    "extract": "数字识别",
}
# The check each finding comes from, in the bureau's words (the English ids stay in the
# warehouse); a check not named here is shown by its family's name.
CHECK_NAMES = {
    "share.interval": "占比与金额",
    "share.group_total": "各项占比合计",
    "sum.function_subjects": "科目上下级合计",
    "sum.function_classes": "各类合计与总额",
    "sum.basic_project_columns": "基本支出与项目支出合计",
    "yoy.change_pct": "变动率与变动额",
    "yoy.flat": "“持平”与变动额",
    "yoy.prior_year": "与上年报告",
    "budget.completion": "完成预算比例",
    "budget.direction": "“大于/小于预算数”与数字",
    "cross_section.amount": "同一数字前后一致",
    "cross_section.change": "同一变动额前后一致",
    "cross_section.part_changes": "总额变动与各部分变动",
    "reading.table_unreliable": "表格能否可靠读取",
    "identity.placeholder_name": "占位名称",
    "identity.wrong_year": "年度前后一致",
    "package.table_missing": "决算公开表缺失",
    "package.table_unread": "决算公开表未能读取",
    "package.empty_table_without_note": "空表说明",
    "package.tables_elsewhere": "决算公开表另附",
    "package.part_missing": "说明章节缺失",
    "text.doubled_punctuation": "标点重复",
    "text.left_over_edit": "修改残留",
    "text.share_without_percent": "占比缺少百分号",
    "text.truncated_year": "年份不完整",
}


def check_name(check_id: str, family: str) -> str:
    if check_id in CHECK_NAMES:
        return CHECK_NAMES[check_id]
    prefix = check_id.split(".", 1)[0]
    if prefix == "sum":
        return "合计与组成部分"
    return FAMILY_NAMES.get(family, family)


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
_FINDING = (
    "severity",
    "family",
    "check_id",
    "message",
    "source_text",
    "source_location",
    "finding_id",
    "fingerprint",
)
# The reviewer's columns follow the findings' (pipelines.quality.dispositions reads them back by name).
_HEADER = ("序号", "级别", "检查类别", "问题说明", "原文", "位置", "检查项", *disp.WORKBOOK_COLUMNS)
_WIDTHS = (6, 8, 10, 60, 60, 14, 26, 24, 12, 30, 10, 19, 18)  # characters, as Excel stores them
_STATUS_COLUMN = _HEADER.index(disp.COL_STATUS)
_HOW_TO = (
    "处理方法：在“处理意见”列选择“已确认”或“不是问题”（须在“理由”列说明原因；如需撤销，选“重新打开”），"
    "可填“审核人”；保存为 .xlsx 后放入审核意见回收目录（默认为 raw/ 旁边的 reviews/），下次运行时读取。"
    "标为“不是问题”的发现不计入错误数；其涉及的数字一旦变化，会重新打开。请勿修改“发现编号”和“数字指纹”列。"
)


# File names are at most 255 bytes on common file systems; a stem of this many bytes leaves
# room for the suffix and the temporary name it is written under.
MAX_STEM_BYTES = 120


def review_file_stem(department: str) -> str:
    """File name of a department's review report: its name with path-unsafe characters replaced.

    Where the name had to be changed (unsafe characters, or longer than ``MAX_STEM_BYTES``) a
    hash of the original name is appended, so "甲/乙局" and "甲_乙局" get files of their own."""
    safe = _UNSAFE.sub("_", department)
    if safe == department and len(safe.encode()) <= MAX_STEM_BYTES:
        return safe
    digest = hashlib.sha256(department.encode()).hexdigest()[:8]
    head = safe.encode()[: MAX_STEM_BYTES - len(digest) - 1].decode("utf-8", "ignore")
    return f"{head}_{digest}"


def verdict(errors: int, warnings: int, dismissed: int = 0) -> tuple[str, str]:
    """The review's one-line conclusion; ``dismissed``: findings a reviewer marked 不是问题,
    left out of the counts."""
    aside = f"（另有{dismissed}处经审核不是问题，未计入。）" if dismissed else ""
    if errors:
        return f"发现{errors}处错误、{warnings}处提醒，建议修改后再公开。{aside}", "error"
    if warnings:
        return f"未发现错误，有{warnings}处提醒，请核对后公开。{aside}", "warning"
    return f"未发现错误或需核对的问题。{aside}", "ok"


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    return env.get_template("review.html.j2")


def write_review_reports(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    only: set[tuple[int, str]] | None = None,
    failures: list[tuple[int, str, str]] | None = None,
    raw_dir: Path | None = None,
) -> list[Path]:
    """Write <out_dir>/<year>/<department>.html and .xlsx for every report, or for the reports
    whose (fiscal_year, department) is in ``only``; return the HTML paths written. With
    ``raw_dir``, a PDF report with findings also gets <department>.标注.pdf (pipelines/publish/annotate.py).

    One report whose review cannot be written (anything but a storage failure, which stops
    the step) does not stop the others: it is appended to ``failures`` as (year, department,
    error) and skipped.

    With ``only``, the review files of keys that no longer have a report are deleted.
    """
    reports = con.execute(
        "SELECT report_id, department, fiscal_year, source_path FROM core.report "
        "WHERE fiscal_year IS NOT NULL ORDER BY fiscal_year, department, report_id"
    ).fetchall()
    if only is not None:
        wanted = {(y, d) for y, d in only}
        live = {(y, d) for _, d, y, _ in reports}
        # a file shared by two names that map to the same stem is kept while either lives
        kept = {(y, review_file_stem(d)) for y, d in live}
        for year, department in sorted(wanted - live, key=repr):
            stem = review_file_stem(department) if department else ""
            if year is None or not stem or (year, stem) in kept:
                continue
            for suffix in (".html", ".xlsx", ANNOTATED_SUFFIX):
                (out_dir / str(year) / f"{stem}{suffix}").unlink(missing_ok=True)
        reports = [r for r in reports if (r[2], r[1]) in wanted]
        if not reports:
            return []
        scope, params = "report_id IN (SELECT unnest(?::VARCHAR[]))", [[r[0] for r in reports]]
    else:
        scope, params = "true", []
    # two queries for all the reports, grouped here (not two per report)
    findings: dict[str, list[dict]] = defaultdict(list)
    for report_id, *values in con.execute(
        f"SELECT report_id, {', '.join(_FINDING)} FROM quality.check_result "
        f"WHERE {scope} AND NOT passed ORDER BY report_id, "
        "CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
        "statement_no NULLS LAST, check_id, source_location, message",
        params,
    ).fetchall():
        findings[report_id].append(dict(zip(_FINDING, values, strict=True)))
    counts: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for report_id, family, n, bad in con.execute(
        "SELECT report_id, family, count(*), count(*) FILTER (WHERE NOT passed) "
        f"FROM quality.check_result WHERE {scope} "
        "GROUP BY report_id, family ORDER BY report_id, family",
        params,
    ).fetchall():
        counts[report_id].append((family, n, bad))
    states = disp.finding_states(con, None if only is None else params[0])
    # one cause, one finding: failed checks resting on one figure are listed as one
    groups = grouping.groups_of(con, None if only is None else params[0])
    causes = grouping.causes_of(con, None if only is None else params[0])

    template = _template()
    written: list[Path] = []
    for folder in sorted({out_dir / str(r[2]) for r in reports}):
        folder.mkdir(parents=True, exist_ok=True)
    for report_id, department, year, source_path in reports:
        try:
            annotated = None
            if raw_dir is not None:  # a PDF report with findings: its annotated copy
                stem = review_file_stem(department) or report_id
                annotated = write_annotated_pdf(
                    con, report_id, raw_dir / source_path,
                    out_dir / str(year) / f"{stem}{ANNOTATED_SUFFIX}",
                )  # fmt: skip
            written.append(
                _write_one(
                    out_dir, template, report_id, department, year, source_path,
                    _with_states(findings.get(report_id, []), states, groups, causes),
                    counts.get(report_id, []),
                    annotated.name if annotated else None,
                )
            )  # fmt: skip
        except Exception as exc:
            if failures is None or isinstance(exc, OSError) or is_storage_failure(exc):
                raise  # storage failures are the step's (pipelines.storage says them plainly)
            failures.append((year, department, f"{type(exc).__name__}: {exc}"))
    return written


def _with_states(
    rows: list[dict],
    states: dict[str, disp.FindingState],
    groups: dict[str, tuple[str, bool, int | None]] | None = None,
    causes: dict[str, str] | None = None,
) -> list[dict]:
    """The findings as the review lists them, each with its reviewer's status: one per group
    of checks resting on one figure (its lead, with ``consequences`` and ``cause``); the
    dismissed ones last (shown apart). A group has its lead's status."""
    out = []
    for r in grouping.nest(rows, groups or {}, causes):
        state = states.get(r["finding_id"] or "") or disp.FindingState(
            r["finding_id"] or "", r["fingerprint"] or "", disp.OPEN
        )
        out.append(
            {
                **r,
                "state": state,
                "consequences": [
                    {**c, "check_name": check_name(c["check_id"], c["family"])}
                    for c in r["consequences"]
                ],
            }
        )
    return sorted(out, key=lambda r: not r["state"].counted)  # stable: order kept otherwise


def _write_one(
    out_dir: Path,
    template: Template,
    report_id: str,
    department: str,
    year: int,
    source_path: str,
    rows: list[dict],
    family_counts: list[tuple[str, int, int]],
    annotated_pdf: str | None = None,
) -> Path:
    """One department's review (HTML and .xlsx); returns the HTML path."""
    counted = [r for r in rows if r["state"].counted]
    errors = sum(r["severity"] == "error" for r in counted)
    warnings = sum(r["severity"] == "warning" for r in counted)
    text, css = verdict(errors, warnings, len(rows) - len(counted))
    rows = [{**r, "check_name": check_name(r["check_id"], r["family"])} for r in rows]
    groups = [
        {
            "title": title,
            "findings": [r for r in rows if r["severity"] == sev and r["state"].counted],
        }
        for sev, title in SEVERITY_TITLES.items()
        if any(r["severity"] == sev and r["state"].counted for r in rows)
    ]
    dismissed = [r for r in rows if not r["state"].counted]
    folder = out_dir / str(year)
    stem = review_file_stem(department) or report_id
    html = folder / f"{stem}.html"
    page = template.render(
        department=department,
        fiscal_year=year,
        source_path=source_path,
        generated=datetime.now().astimezone().strftime("%Y年%m月%d日 %H:%M"),
        verdict=text,
        verdict_class=css,
        groups=groups,
        annotated_pdf=annotated_pdf,
        dismissed=dismissed,
        families=[
            {"name": FAMILY_NAMES.get(f, f), "checked": n, "failed": bad}
            for f, n, bad in family_counts
        ],
    )
    # whole or not at all: a full disk leaves no 0-byte review behind
    replace_atomically(html, lambda tmp, text=page: tmp.write_text(text, encoding="utf-8"))
    _write_xlsx(folder / f"{stem}.xlsx", department, year, text, rows)
    return html


def _write_xlsx(
    path: Path, department: str, year: int, verdict_text: str, rows: list[dict]
) -> None:
    def write(tmp: Path) -> None:
        book = xlsxwriter.Workbook(
            str(tmp), {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        ws = book.add_worksheet("审核意见")
        title = book.add_format({"bold": True, "font_size": 14})
        head = book.add_format({"bold": True, "pattern": 1, "bg_color": "#DDEBF7"})
        body = book.add_format({"text_wrap": True, "valign": "top"})
        # a dismissed finding is greyed, as on the page; the reviewer's cells stay editable
        grey = book.add_format({"text_wrap": True, "valign": "top", "font_color": "#808080"})
        ws.write_string(0, 0, f"{department} {year}年度部门决算审核意见", title)
        ws.write_string(1, 0, verdict_text)
        ws.write_string(2, 0, _HOW_TO)
        for j, text in enumerate(_HEADER):
            ws.write_string(3, j, text, head)
        for i, r in enumerate(rows, start=4):
            state: disp.FindingState = r["state"]
            style = body if state.counted else grey
            ws.write_number(i, 0, i - 3, style)
            # the decision stands pre-filled while it holds; a reopened finding starts blank
            decided = state.status in (disp.CONFIRMED, disp.DISMISSED)
            for j, value in enumerate(
                (
                    SEVERITY_TITLES[r["severity"]][:2],
                    FAMILY_NAMES.get(r["family"], r["family"]),
                    safe_text(grouping.full_message(r)),
                    safe_text(r["source_text"] or ""),
                    safe_text(r["source_location"] or ""),
                    r["check_name"],
                    safe_text(state.note() or state.label),
                    disp.STATUS_LABELS[state.status] if decided else "",
                    safe_text(state.reason) if decided else "",
                    safe_text(state.who) if decided else "",
                    r["finding_id"] or "",
                    r["fingerprint"] or "",
                ),
                start=1,
            ):
                if value:
                    ws.write_string(i, j, value, style)
                else:
                    ws.write_blank(i, j, None, style)
        for j, width in enumerate(_WIDTHS):
            ws.set_column_pixels(j, j, width * 7)  # exactly `width` characters in the file
        ws.freeze_panes(4, 0)
        if rows:
            ws.autofilter(3, 0, 3 + len(rows), len(_HEADER) - 1)
            # a drop-down of the accepted words (Excel and WPS both honour list validations)
            ws.data_validation(
                4,
                _STATUS_COLUMN,
                3 + len(rows),
                _STATUS_COLUMN,
                {
                    "validate": "list",
                    "source": list(disp.WORKBOOK_CHOICES),
                    "input_title": "处理意见",
                    "input_message": "已确认 / 不是问题（须填理由）/ 重新打开；留空表示未处理",
                    "error_title": "处理意见",
                    "error_message": "只能选择：已确认、不是问题、重新打开，或留空。",
                },
            )
        book.close()

    # hidden ".name.tmp", renamed when complete: no half workbook left beside the reviews
    replace_atomically(path, write)
