"""Write a Document back out as .docx or .xlsx, to check that readers of different formats agree.

The same report read from PDF, DOCX and XLSX should give the same normalized table rows; these
converters produce the DOCX and XLSX side from any Document (e.g. one read from a PDF).
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document as WordDocument
from openpyxl import Workbook

from pipelines.ingest.document import Block, Document

NINE_TABLES = (
    "收入支出决算总表",
    "收入决算表",
    "支出决算表",
    "财政拨款收入支出决算总表",
    "一般公共预算财政拨款支出决算表",
    "一般公共预算财政拨款基本支出决算表",
    "财政拨款三公经费支出决算表",
    "政府性基金预算财政拨款收入支出决算表",
    "国有资本经营预算财政拨款收入支出决算表",
)
OTHER_SHEET = "其他"

_NUMBER = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
_CODE = re.compile(r"^(?:\d{3}|\d{5}|\d{7}|0\d+)$")  # 201, 20103, 2010301, split "03"
_PERCENT = re.compile(r"^-?\d+(?:\.(\d+))?%$")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _segments(doc: Document) -> list[Block | list[Block]]:
    """Paragraph blocks and runs of table rows (one run per consecutive table_index)."""
    out: list[Block | list[Block]] = []
    for block in doc.blocks:
        if block.kind == "table_row":
            last = out[-1] if out else None
            if isinstance(last, list) and last[-1].table_index == block.table_index:
                last.append(block)
            else:
                out.append([block])
        else:
            out.append(block)
    return out


def _cells(block: Block) -> list[str]:
    return list(block.cells) if block.cells else block.text.split("\t")


def document_to_docx(doc: Document, path: Path) -> None:
    """Paragraphs as Word paragraphs, each table as one real Word table, in document order."""
    word = WordDocument()
    for segment in _segments(doc):
        if isinstance(segment, Block):
            word.add_paragraph(segment.text)
            continue
        rows = [_cells(b) for b in segment]
        width = max(len(r) for r in rows)
        table = word.add_table(rows=len(rows), cols=width)
        for row, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(row.cells, values + [""] * (width - len(values)), strict=True):
                cell.text = value
    word.save(str(path))


def _table_name(title: str) -> str | None:
    clean = re.sub(r"[\s\"'“”‘’「」]", "", title)
    found = [name for name in NINE_TABLES if name in clean]
    return max(found, key=len) if found else None


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", title).strip("'") or "表"
    name = base[:31]
    n = 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    return name


def _write_cell(sheet, row: int, col: int, value: str) -> None:
    text = value.strip()
    cell = sheet.cell(row=row, column=col)
    m = _NUMBER.match(text)
    if m and not _CODE.match(text):
        cell.value = float(text.replace(",", "")) if m.group(1) else int(text.replace(",", ""))
        decimals = len(m.group(1) or "")
        cell.number_format = "#,##0" + ("." + "0" * decimals if decimals else "")
        return
    m = _PERCENT.match(text)
    if m:
        decimals = len(m.group(1) or "")
        cell.value = float(text[:-1]) / 100
        cell.number_format = "0" + ("." + "0" * decimals if decimals else "") + "%"
        return
    cell.value = value
    if text and text.isdigit():
        cell.number_format = "@"  # a code kept as text, as departments type it


def document_to_xlsx(doc: Document, path: Path) -> None:
    """Tables only, as a department attaches them: title row, unit row, rows, blank row.

    Each of the nine tables goes on its own sheet named after its title; other tables go on a
    sheet "其他". Numeric cells are written as numbers ("1,511.89" -> 1511.89, "#,##0.00"),
    functional codes ("201", "20103", "2010301") as text.
    """
    book = Workbook()
    book.remove(book.active)
    sheets: dict[str, object] = {}
    next_row: dict[str, int] = {}
    segments = _segments(doc)
    last_key: str | None = None
    for i, segment in enumerate(segments):
        if isinstance(segment, Block):
            continue
        before: list[str] = []
        for prev in reversed(segments[max(0, i - 2) : i]):
            if not isinstance(prev, Block):
                break
            before.append(prev.text)
        title = next((t for t in before if "表" in t and "单位" not in t), None)
        unit_line = next((t for t in before if "单位" in t), None)
        name = _table_name(title) if title else None
        key = _sheet_name(title, set(sheets)) if name else OTHER_SHEET
        # A table right after another one, with no title of its own, is its next page.
        continued = i > 0 and not isinstance(segments[i - 1], Block) and title is None
        if continued and last_key is not None:
            key = last_key
        if key not in sheets:
            sheets[key] = book.create_sheet(key)
            next_row[key] = 1
        sheet = sheets[key]
        rows = [_cells(b) for b in segment]
        rows = [r for r in rows if any(c.strip() for c in r)]
        width = max((len(r) for r in rows), default=1)
        r = next_row[key] - 1 if continued and last_key is not None else next_row[key]
        last_key = key
        if title:
            sheet.cell(row=r, column=1, value=title)
            if width > 1:
                sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            r += 1
        if unit_line:
            m = re.search(r"单位\s*[:：]\s*(万元|元)", unit_line)
            sheet.cell(row=r, column=1, value=f"单位：{m.group(1)}" if m else unit_line)
            r += 1
        for values in rows:
            for c, value in enumerate(values, start=1):
                if value.strip():
                    _write_cell(sheet, r, c, value)
            r += 1
        # The note under the table ("注：…本表无数据") travels with it.
        for after in segments[i + 1 : i + 5]:
            if not isinstance(after, Block):
                break
            if re.search(r"本表无数据|本表为空", after.text):
                sheet.cell(row=r, column=1, value=after.text)
                r += 1
                break
        next_row[key] = r + 1  # a blank row ends the table
    if not sheets:
        book.create_sheet(OTHER_SHEET)
    book.save(str(path))
