"""Exports for the finance bureau, per fiscal year, under warehouse/exports/<year>/:

- 部门决算对比_<year>.xlsx: a sheet per mart, Chinese headers, numbers to 0.01, frozen header,
  filters, widths that fit (written with XlsxWriter; opens cleanly in Excel and WPS);
- <table>.csv (UTF-8 with BOM, so Excel shows Chinese correctly) and <table>.parquet;
- charts as PNG and an index.html linking everything (see charts.py, export_index.py).

Text from documents that begins with =, +, -, @ or a tab is neutralized in every spreadsheet
output, so a spreadsheet never executes it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import xlsxwriter

from pipelines.errors import NoCJKFont
from pipelines.helper import Helper, Inline
from pipelines.storage import replace_atomically

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Neutralize text a spreadsheet would execute (formula injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    kind: str = "text"  # text, amount, pct, count, int, bool


@dataclass(frozen=True)
class ExportTable:
    mart: str
    title: str  # sheet and file name
    columns: tuple[Column, ...]
    order: str


_DEPT = (
    Column("fiscal_year", "年度", "int"),
    Column("region", "地区"),
    Column("department", "部门"),
)
# Computed from the same department's report of the previous year, where the warehouse has it.
_CHANGE = (
    Column("prior_year_wan", "上年决算数（万元，据上年报告）", "amount"),
    Column("change_wan", "增减额（万元，据上年报告）", "amount"),
    Column("change_pct", "增减率（%，据上年报告）", "pct"),
)
# What the report itself states: its budget, completion rate and change on last year (the
# prior figure is this year's less the stated change).
_STATED = (
    Column("budget_wan", "预算数（万元，本报告）", "amount"),
    Column("completion_pct", "预算完成率（%，本报告）", "pct"),
    Column("stated_prior_year_wan", "上年数（万元，本报告）", "amount"),
    Column("stated_change_wan", "增减额（万元，本报告）", "amount"),
    Column("stated_change_pct", "增减率（%，本报告）", "pct"),
)
_PER_STAFF = (
    Column("staff_active", "在职人数（人）", "count"),
    Column("per_staff_wan", "人均（万元/人）", "pct"),
)

EXPORTS: tuple[ExportTable, ...] = (
    ExportTable(
        "mart.expenditure_by_subject",
        "支出按功能科目",
        _DEPT
        + (
            Column("level", "科目级次"),
            Column("subject_code", "科目编码"),
            Column("subject_name", "科目名称"),
            Column("amount_wan", "一般公共预算财政拨款支出（万元）", "amount"),
            Column("share_pct", "占本部门支出比重（%）", "pct"),
            Column("county_rank", "全县部门排名", "int"),
            Column("departments_with_subject", "有该科目支出的部门数（个）", "int"),
        )
        + _CHANGE
        + (Column("is_derived", "由下级科目汇总", "bool"),),
        "department, subject_code",
    ),
    ExportTable(
        "mart.three_public_by_department",
        "三公经费",
        _DEPT
        + (
            Column("total_wan", "“三公”经费合计（万元）", "amount"),
            Column("overseas_wan", "因公出国（境）费（万元）", "amount"),
            Column("vehicle_wan", "公务用车购置及运行维护费（万元）", "amount"),
            Column("vehicle_purchase_wan", "其中：购置费（万元）", "amount"),
            Column("vehicle_operation_wan", "其中：运行维护费（万元）", "amount"),
            Column("reception_wan", "公务接待费（万元）", "amount"),
            Column("reception_batches", "接待批次（批次）", "count"),
            Column("reception_persons", "接待人次（人次）", "count"),
        )
        + _STATED
        + _CHANGE
        + _PER_STAFF,
        "department",
    ),
    ExportTable(
        "mart.admin_operating_by_department",
        "机关运行经费",
        _DEPT
        + (Column("amount_wan", "机关运行经费（万元）", "amount"),)
        + _STATED
        + _CHANGE
        + _PER_STAFF,
        "department",
    ),
    ExportTable(
        "mart.expenditure_structure",
        "支出结构",
        _DEPT
        + (
            Column("expenditure_wan", "本年支出合计（万元）", "amount"),
            Column("basic_wan", "基本支出（万元）", "amount"),
            Column("project_wan", "项目支出（万元）", "amount"),
            Column("basic_share_pct", "基本支出占比（%）", "pct"),
            Column("project_share_pct", "项目支出占比（%）", "pct"),
            Column("personnel_wan", "人员经费（万元）", "amount"),
            Column("public_wan", "公用经费（万元）", "amount"),
            Column("gpb_expenditure_wan", "一般公共预算财政拨款支出（万元）", "amount"),
        ),
        "department",
    ),
    ExportTable(
        "mart.quality_scorecard",
        "审核情况",
        _DEPT
        + (
            Column("checks", "检查项数（项）", "int"),
            Column("errors", "错误（项）", "int"),
            Column("warnings", "提醒（项）", "int"),
            Column("notes", "提示（项）", "int"),
            Column("missing_statements", "缺少的必备内容（项）", "int"),
            Column("grade", "评级"),
            Column("dismissed", "经审核不是问题（项，未计入）", "int"),
        ),
        "errors DESC, department",
    ),
    ExportTable(
        "mart.county_subject_totals",
        "全县按科目合计",
        (
            Column("fiscal_year", "年度", "int"),
            Column("level", "科目级次"),
            Column("subject_code", "科目编码"),
            Column("subject_name", "科目名称"),
            Column("departments", "部门数（个）", "int"),
            Column("total_wan", "合计（万元）", "amount"),
            Column("share_of_county_pct", "占全县比重（%）", "pct"),
        ),
        "subject_code",
    ),
)

_FORMATS = {"amount": "#,##0.00", "pct": "0.00", "count": "0", "int": "0"}


def read_export(con: duckdb.DuckDBPyConnection, table: ExportTable, year: int) -> pd.DataFrame:
    cols = ", ".join(c.name for c in table.columns)
    frame = con.execute(
        f"SELECT {cols} FROM {table.mart} WHERE fiscal_year = ? ORDER BY {table.order}", [year]
    ).df()
    # DuckDB divides by zero to ±inf: no export shows an infinite figure (blank, null instead)
    return frame.replace([math.inf, -math.inf], math.nan)


def read_year(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pd.DataFrame]:
    """The rows of every export table for one fiscal year, by table title."""
    return {t.title: read_export(con, t, year) for t in EXPORTS}


def export_year(
    con: duckdb.DuckDBPyConnection,
    year: int,
    out_dir: Path,
    rewrite: bool = False,
    frames: dict[str, pd.DataFrame] | None = None,
) -> dict[str, object]:
    """Workbook, CSV and Parquet of every mart for one fiscal year; returns the files of the year.

    A file whose content would not change is not rewritten: each file's digest of the rows it
    holds is kept in out_dir/.exports.json, so a change to one department's report rewrites the
    tables it touches (and the workbook), not every file of every year it is compared with.
    ``rewrite`` writes every file regardless. ``files["written"]`` lists the files written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = frames if frames is not None else read_year(con, year)
    digests = {t.title: _digest(t, frames[t.title]) for t in EXPORTS}
    stamps_path = out_dir / ".exports.json"
    stamps = {} if rewrite else _read_stamps(stamps_path)
    workbook_path = out_dir / f"部门决算对比_{year}.xlsx"
    wanted = {workbook_path.name: hashlib.sha256("".join(digests.values()).encode()).hexdigest()}
    files = []
    for table in EXPORTS:
        csv_path, parquet_path = out_dir / f"{table.title}.csv", out_dir / f"{table.title}.parquet"
        wanted[csv_path.name] = wanted[parquet_path.name] = digests[table.title]
        files.append((table.title, csv_path, parquet_path))
    stale = {
        name
        for name, digest in wanted.items()
        if stamps.get(name) != digest or not (out_dir / name).exists()
    }
    # every value converted once (None if missing, 是/否, formula-safe text) for all outputs
    cells = {
        t.title: [_column(frames[t.title][c.name], c.kind) for c in t.columns]
        for t in EXPORTS
        if stale & {workbook_path.name, f"{t.title}.csv"}
    }
    if workbook_path.name in stale:
        _write_workbook(workbook_path, [(t, len(frames[t.title]), cells[t.title]) for t in EXPORTS])
    for table, (_, csv_path, parquet_path) in zip(EXPORTS, files, strict=True):
        if csv_path.name in stale:
            _replace(csv_path, lambda tmp, t=table: _write_csv(tmp, t, cells[t.title]))
        if parquet_path.name in stale:
            frame = frames[table.title]
            _replace(parquet_path, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
    if stale:
        _replace(
            stamps_path,
            lambda tmp: tmp.write_text(json.dumps(wanted, ensure_ascii=False, indent=0)),
        )
    return {
        "workbook": workbook_path,
        "tables": files,
        "frames": frames,
        "written": sorted(out_dir / name for name in stale),
    }


# Bump when the layout of the files changes (formats, headers, widths): every file is rewritten.
_LAYOUT_VERSION = "2"


def _digest(table: ExportTable, frame: pd.DataFrame) -> str:
    """What a table's files show: its layout and its rows (values and order)."""
    digest = hashlib.sha256(f"{_LAYOUT_VERSION}\n{table!r}\n{len(frame)}".encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _read_stamps(path: Path) -> dict[str, str]:
    try:
        stamps = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or unreadable: every file is rewritten
    return stamps if isinstance(stamps, dict) else {}


def _replace(path: Path, write) -> None:
    """Write through a temporary file and rename: a killed run never leaves half a file, a
    failed write (a full disk) leaves no temporary file."""
    replace_atomically(path, write)


def _cell(value, kind: str):
    # NaN and ±inf become blank cells: XlsxWriter refuses them, and no figure is infinite
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or value is pd.NA:
        return None
    if kind == "bool":
        return "是" if value else "否"
    if isinstance(value, str):
        return safe_text(value)
    return value


def _column(series: pd.Series, kind: str) -> list:
    return [_cell(v, kind) for v in series.tolist()]


def _write_workbook(path: Path, tables: list[tuple[ExportTable, int, list[list]]]) -> None:
    def write(tmp: Path) -> None:
        book = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
        )
        head = book.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "text_wrap": True,
                "valign": "vcenter",
                "border": 1,
            }
        )
        formats = {kind: book.add_format({"num_format": fmt}) for kind, fmt in _FORMATS.items()}
        for table, n_rows, columns in tables:
            sheet = book.add_worksheet(table.title[:31])
            write_number, write_string = sheet.write_number, sheet.write_string
            for j, (col, values) in enumerate(zip(table.columns, columns, strict=True)):
                write_string(0, j, col.header, head)
                number_format = formats.get(col.kind)
                for i, value in enumerate(values, start=1):
                    if value is None:
                        continue  # a blank cell without a format is not stored
                    if isinstance(value, str):
                        write_string(i, j, value)
                    else:
                        write_number(i, j, float(value), number_format)
                width = max(
                    [_width(col.header) / 2 + 2]
                    + [_width(str(v)) + 2 for v in values[:500] if v is not None]
                )
                sheet.set_column(j, j, min(max(width, 8), 48))
            sheet.set_row(0, 36)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(n_rows, 1), len(table.columns) - 1)
        book.close()

    # hidden ".name.tmp", renamed when complete: a full disk leaves no half workbook
    replace_atomically(path, write)


def _write_csv(path: Path, table: ExportTable, columns: list[list]) -> None:
    text = []
    for col, values in zip(table.columns, columns, strict=True):
        if col.kind in ("amount", "pct"):
            text.append(["" if v is None else f"{v:.2f}" for v in values])
        else:
            text.append(["" if v is None else v for v in values])
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in table.columns])
        writer.writerows(zip(*text, strict=True))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def export_all(
    con: duckdb.DuckDBPyConnection,
    export_root: Path,
    years: set[int] | None = None,
    rewrite: bool = False,
    helper: Helper | Inline | None = None,
) -> dict[int, dict[str, object]]:
    """Export every fiscal year in core.report, or only ``years``; returns the files per year.

    A year in ``years`` that no longer has any report loses its folder under export_root.
    With a ``helper``, the charts whose data changed are drawn by it while this process writes
    the tables; ``files["charts"]`` then holds them for ``finish_charts``.
    """
    present = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT fiscal_year FROM core.report WHERE fiscal_year IS NOT NULL"
        ).fetchall()
    }
    if years is not None:
        for gone in sorted(set(years) - present):
            folder = export_root / str(gone)
            if folder.is_dir():
                shutil.rmtree(folder)
        present &= set(years)
    frames = {year: read_year(con, year) for year in sorted(present)}
    charts = {
        year: start_charts(year, export_root / str(year), frames[year], helper)
        for year in frames
        if helper is not None
    }
    exported = {}
    for year, year_frames in frames.items():
        files = export_year(con, year, export_root / str(year), rewrite, year_frames)
        files["charts"] = charts.get(year, [])
        exported[year] = files
    return exported


def _chart_jobs(year: int, out_dir: Path, frames: dict[str, pd.DataFrame]) -> list[tuple]:
    """(title, chart function's name in pipelines.publish.charts, data, PNG path) of each chart of one
    year's exports. By name: matplotlib is imported only when a chart must be redrawn."""
    by_class = frames["支出按功能科目"]
    by_class = by_class[by_class["level"] == "类"]
    specs = [
        (
            "各部门一般公共预算财政拨款支出构成（按类）",
            "支出构成.png",
            "chart_expenditure_by_class",
            by_class[["department", "subject_code", "subject_name", "amount_wan"]],
        ),
        (
            "各部门“三公”经费",
            "三公经费.png",
            "chart_three_public",
            frames["三公经费"][
                ["department", "overseas_wan", "vehicle_wan", "reception_wan"]
            ].fillna(0.0),
        ),
        (
            "各部门人均机关运行经费（万元/人）",
            "人均机关运行经费.png",
            "chart_admin_per_staff",
            frames["机关运行经费"][["department", "amount_wan", "per_staff_wan"]],
        ),
        (
            "各部门报告审核发现的问题",
            "审核情况.png",
            "chart_quality",
            frames["审核情况"][["department", "errors", "warnings"]],
        ),
    ]
    return [
        (f"{year}年{title}", chart, frame, out_dir / name)
        for title, name, chart, frame in specs
        if not frame.empty
    ]


@dataclass
class ChartJob:
    title: str
    chart: str  # function name in pipelines.publish.charts
    frame: pd.DataFrame
    out: Path
    key: str  # digest of what the PNG shows
    ticket: int | None = None  # the helper's ticket when it is being redrawn


def start_charts(
    year: int, out_dir: Path, frames: dict[str, pd.DataFrame], helper: Helper | Inline
) -> list[ChartJob]:
    """Submit to the run's helper the charts whose data changed (drawing is most of an
    export's time; an incremental run usually changes one or two departments of a year)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for title, chart, frame, out in _chart_jobs(year, out_dir, frames):
        key = hashlib.sha256(f"{chart}\n{title}\n{frame.to_csv(index=False)}".encode()).hexdigest()
        job = ChartJob(title, chart, frame, out, key)
        if not (out.exists() and _stamp(out).exists() and _stamp(out).read_text() == key):
            _stamp(out).unlink(missing_ok=True)
            job.ticket = helper.submit(f"pipelines.publish.charts:{chart}", frame, out, title)
        jobs.append(job)
    return jobs


def finish_charts(jobs: list[ChartJob], helper: Helper | Inline) -> list[tuple[str, Path]]:
    """(title, PNG) of each chart once drawn; none without a CJK font (fonts-wqy-microhei,
    installed by `make setup`): the index then lists the tables and review reports only."""
    charts, no_font = [], False
    for job in jobs:
        if job.ticket is not None:
            try:
                helper.result(job.ticket)
            except NoCJKFont:  # any other failure (a dead helper too) fails the step
                no_font = True
                continue
            _stamp(job.out).write_text(job.key)
        charts.append((job.title, job.out))
    return [] if no_font else charts


def _stamp(out: Path) -> Path:
    return out.with_name(f".{out.name}.sha256")
