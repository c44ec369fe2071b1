"""Excel attachments (.xlsx/.xlsm via openpyxl, .xls via xlrd): the nine tables as table rows.

A department attaches one or several tables per sheet. Each sheet is read row by row:

- a row with one non-empty text cell (a title, "单位：万元", "注：本表无数据", a heading) is a
  paragraph; so is a caption row whose text cells include "单位：…" or "公开01表";
- every other non-empty row is a table row whose ``cells`` hold one string per sheet column,
  from the sheet's first to its last used column, so that columns line up with the header;
- a blank row, a paragraph row or a new sheet ends the current table. Exception: a single
  text cell between two table rows ("30101基本工资" with blank amounts) that does not read as a
  title, unit or note stays inside the table, as the txt reader does.

Merged cells: in header rows (before the table's first row holding a number) the merged value
is copied into every cell of the range, as the docx reader does for Word's merged cells; in
data rows the other cells stay empty. ``text`` prints a merged value once.

Nothing in a workbook is executed: formulas are never evaluated (cached values are read; a
formula without one is ""), macros (xl/vbaProject.bin) and external links are ignored.
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pipelines.errors import IngestError
from pipelines.ingest.document import Block, Document
from pipelines.ingest.limits import TooComplex, limit

# An .xlsx is a zip; refuse archives that inflate beyond this (zip bombs).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

_AMOUNT_TEXT = re.compile(r"^[-−]?\d[\d,，]*(?:\.\d+)?%?$")
_TITLE_LIKE = re.compile(r"表\s*(?:[（(][^）)]*[）)])?$")
_NOTE_LIKE = re.compile(r"^(?:注|备注|说明|单位|金额单位|编制单位|填报单位)")
# "单位：万元", "编制单位：某某局", "公开01表", "附表3": captions printed beside a title.
_CAPTION_CELL = re.compile(
    r"单位\s*[:：]|^(?:公开|部门)\s*\d{1,2}\s*表$|^附?表\s*[\d一二三四五六七八九十]{1,2}$"
)

_CORRUPT_XLSX = "Excel 工作簿（.xlsx）已损坏或不完整，无法读取（{detail}）。请在 Excel/WPS 中打开后重新另存为 .xlsx，再放入 raw/。"
_CORRUPT_XLS = "Excel 97-2003 工作簿（.xls）已损坏或不完整，无法读取（{detail}）。请在 Excel/WPS 中打开后另存为 .xlsx，再放入 raw/。"
_ENCRYPTED_XLSX = "Excel 工作簿已加密（设置了打开密码），无法读取。请在 Excel/WPS 中取消密码（文件→信息→保护工作簿）后另存为 .xlsx，再放入 raw/。"
_ENCRYPTED_XLS = "Excel 97-2003 工作簿（.xls）已加密（设置了打开密码），无法读取。请在 Excel/WPS 中取消密码后另存为 .xlsx，再放入 raw/。"
_EMPTY = "Excel 工作簿中没有任何非空单元格（所有工作表都是空的）。请检查是否附错了文件，或重新导出决算表。"


@dataclass
class _Grid:
    """One worksheet as values, independent of the library that read it (0-based rows/cols)."""

    name: str
    values: dict[tuple[int, int], str] = field(default_factory=dict)
    numeric: set[tuple[int, int]] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, r2, c1, c2


# --------------------------------------------------------------------------- entry points


def read_xlsx(data: bytes, source_path: str) -> Document:
    """Read an .xlsx/.xlsm workbook (an OLE file is checked for encryption or read as .xls)."""
    if data.startswith(_OLE_MAGIC):
        streams = _ole_stream_names(data)
        if "encryptioninfo" in streams:
            raise IngestError("read", "encrypted_xlsx", _ENCRYPTED_XLSX)
        if streams & {"workbook", "book"}:
            return read_xls(data, source_path)
        raise IngestError(
            "read",
            "corrupt_xlsx",
            _CORRUPT_XLSX.format(detail="文件是旧版 Office 复合文档，但其中没有 Excel 工作簿"),
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(
            "read", "corrupt_xlsx", _CORRUPT_XLSX.format(detail=f"不是有效的 zip 包：{exc}")
        ) from exc
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise IngestError(
            "read",
            "xlsx_too_large",
            f"Excel 工作簿解压后超过 {MAX_UNCOMPRESSED_BYTES // 2**20} MB，疑似异常文件，未读取。"
            "请删除无关工作表或另存为较小的文件后重新放入 raw/。",
        )
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise IngestError(
            "read",
            "corrupt_xlsx",
            _CORRUPT_XLSX.format(detail="压缩包中缺少 xl/workbook.xml，不是 Excel 工作簿"),
        )
    _check_sheet_rows(archive, infos)
    return _to_document(_xlsx_grids(data), source_path, "xlsx")


_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
# a row element, with or without a namespace prefix: <row r="1">, <x:row ...>, <row/>
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?row[\s>/]")


def _check_sheet_rows(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a sheet of more rows than the limit before openpyxl builds it in memory (a
    million rows took 4.6 GB): its XML is streamed and its row tags counted."""
    most = limit("sheet_rows")
    for info in infos:
        if not _SHEET_PART.match(info.filename):
            continue
        rows, carry = 0, b""
        try:
            with archive.open(info) as part:
                while chunk := part.read(1 << 20):
                    buffer = carry + chunk
                    # a tag cut by the chunk boundary is counted once, in the next buffer
                    rows += sum(1 for m in _ROW_TAG.finditer(buffer) if m.end() > len(carry))
                    carry = buffer[-32:]
                    if rows > most:
                        name = info.filename.rsplit("/", 1)[-1]
                        raise TooComplex("sheet_rows", rows, f"工作表 {name}", at_least=True)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            return  # a damaged part: openpyxl says so with its own message


def read_xls(data: bytes, source_path: str) -> Document:
    """Read an Excel 97-2003 .xls workbook (a zip is read as .xlsx)."""
    if data.startswith(_ZIP_MAGIC):
        return read_xlsx(data, source_path)
    if data.startswith(_OLE_MAGIC) and "encryptioninfo" in _ole_stream_names(data):
        # An encrypted .xlsx is stored in an OLE container, whatever its extension says.
        raise IngestError("read", "encrypted_xlsx", _ENCRYPTED_XLSX)
    return _to_document(_xls_grids(data), source_path, "xls")


# --------------------------------------------------------------------------- library adapters


def _ole_stream_names(data: bytes) -> set[str]:
    """Lower-cased names of the directory entries of an OLE compound file ({} if unreadable)."""
    from xlrd.compdoc import CompDoc

    try:
        doc = CompDoc(data, logfile=io.StringIO())
    except Exception:  # a broken container is reported by the reader that needs it
        return set()
    return {entry.name.lower() for entry in doc.dirlist}


def _xlsx_grids(data: bytes) -> list[_Grid]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension not supported" and similar
            book = openpyxl.load_workbook(
                io.BytesIO(data),
                read_only=False,  # merged cells are only available in the normal mode
                data_only=True,  # cached values; formulas are never evaluated
                keep_vba=False,
                keep_links=False,
                rich_text=False,
            )
    except Exception as exc:  # openpyxl raises many types for broken packages
        raise IngestError(
            "read",
            "corrupt_xlsx",
            _CORRUPT_XLSX.format(detail=f"{type(exc).__name__}: {exc}"),
        ) from exc
    grids = []
    try:
        for sheet in book.worksheets:
            grid = _Grid(name=sheet.title)
            for row in sheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if value is None:
                        continue
                    text = _value_text(value, cell.number_format)
                    if text:
                        key = (cell.row - 1, cell.column - 1)
                        grid.values[key] = text
                        if _is_number_value(value):
                            grid.numeric.add(key)
            for rng in sheet.merged_cells.ranges:
                grid.merges.append(
                    (rng.min_row - 1, rng.max_row - 1, rng.min_col - 1, rng.max_col - 1)
                )
            grids.append(grid)
    finally:
        book.close()
    return grids


def _xls_grids(data: bytes) -> list[_Grid]:
    import xlrd
    from xlrd.compdoc import CompDocError

    def open_book(**options):
        return xlrd.open_workbook(
            file_contents=data, logfile=io.StringIO(), verbosity=0, on_demand=False, **options
        )

    try:
        try:
            book = open_book(formatting_info=True)
        except CompDocError:
            # WPS and other writers leave OLE sector tables Excel accepts but xlrd rejects.
            book = open_book(formatting_info=True, ignore_workbook_corruption=True)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise IngestError("read", "encrypted_xls", _ENCRYPTED_XLS) from exc
        raise IngestError("read", "corrupt_xls", _CORRUPT_XLS.format(detail=str(exc))) from exc
    except Exception as exc:  # struct errors, index errors ... on truncated files
        raise IngestError(
            "read", "corrupt_xls", _CORRUPT_XLS.format(detail=f"{type(exc).__name__}: {exc}")
        ) from exc

    grids = []
    for sheet in book.sheets():
        if sheet.nrows > limit("sheet_rows"):
            raise TooComplex("sheet_rows", sheet.nrows, f"工作表“{sheet.name}”")
        grid = _Grid(name=sheet.name)
        for r in range(sheet.nrows):
            for c in range(sheet.row_len(r)):
                ctype = sheet.cell_type(r, c)
                value = sheet.cell_value(r, c)
                if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    continue
                if ctype == xlrd.XL_CELL_TEXT:
                    text = value.strip()
                elif ctype == xlrd.XL_CELL_NUMBER:
                    text = _number_text(value, _xls_format(book, sheet, r, c))
                elif ctype == xlrd.XL_CELL_DATE:
                    try:
                        text = _value_text(xlrd.xldate_as_datetime(value, book.datemode), None)
                    except Exception:
                        text = _number_text(value, None)
                elif ctype == xlrd.XL_CELL_BOOLEAN:
                    text = "TRUE" if value else "FALSE"
                else:  # XL_CELL_ERROR
                    text = xlrd.error_text_from_code.get(value, "#ERR")
                if text:
                    grid.values[(r, c)] = text
                    if ctype == xlrd.XL_CELL_NUMBER:
                        grid.numeric.add((r, c))
        grid.merges = [(r1, r2 - 1, c1, c2 - 1) for r1, r2, c1, c2 in sheet.merged_cells]
        grids.append(grid)
    return grids


def _xls_format(book, sheet, r: int, c: int) -> str | None:
    try:
        xf = book.xf_list[sheet.cell_xf_index(r, c)]
        fmt = book.format_map.get(xf.format_key)
    except Exception:  # no formatting information
        return None
    return fmt.format_str if fmt is not None else None


# --------------------------------------------------------------------------- values as text


def _is_number_value(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _value_text(value: object, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value, number_format)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def _number_text(value: float | int | Decimal, number_format: str | None) -> str:
    """A plain decimal: no exponent, no float noise; the format's decimals when it has some."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        number = Decimal(format(value, ".15g"))  # 1511.8899999999999 -> 1511.89
    else:
        number = Decimal(value)
    decimals, percent = _format_decimals(number_format)
    if percent:
        number *= 100
    try:
        if decimals is not None:
            number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        else:
            number = number.normalize()
    except InvalidOperation:  # too many digits for the context
        number = number.normalize()
    text = format(number, "f")
    if text.startswith("-") and number == 0:
        text = text[1:]
    return text + ("%" if percent else "")


def _format_decimals(number_format: str | None) -> tuple[int | None, bool]:
    """(decimals shown, is a percent format) from an Excel number format; None = as stored."""
    if not number_format:
        return None, False
    section = number_format.split(";", 1)[0]
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|[_*].', "", section)  # literals, colours, padding
    if section.strip().lower() in ("general", "@", ""):
        return None, False
    percent = "%" in section
    m = re.search(r"\.([0#?]+)", section)
    if m:
        return len(m.group(1)), percent
    if re.search(r"[0#?]", section):
        return 0, percent
    return None, percent


# --------------------------------------------------------------------------- rows to blocks


def _to_document(grids: list[_Grid], source_path: str, source_format: str) -> Document:
    doc = Document(source_path=source_path, source_format=source_format, encoding=None)
    table_index = -1
    for grid in grids:
        if not grid.values:
            continue
        table_index = _append_sheet(doc, grid, table_index)
    if not doc.blocks:
        raise IngestError("read", "empty_workbook", _EMPTY)
    return doc


def _append_sheet(doc: Document, grid: _Grid, table_index: int) -> int:
    first_col = min(c for _, c in grid.values)
    last_col = max(c for _, c in grid.values)
    rows: dict[int, list[int]] = {}
    for r, c in sorted(grid.values):
        rows.setdefault(r, []).append(c)

    # Classify each non-empty row: "paragraph" (one text cell, or a caption row) or "row".
    kinds: dict[int, str] = {}
    for r, cols in rows.items():
        texts = [grid.values[(r, c)] for c in cols]
        all_text = not any((r, c) in grid.numeric for c in cols)
        if all_text and (len(texts) == 1 or any(_CAPTION_CELL.search(t) for t in texts)):
            kinds[r] = "paragraph"
        else:
            kinds[r] = "row"
    # A one-cell row between two table rows of the same run (no blank row in between) is a
    # table row too ("十、节能环保支出" with its amount cells left empty), unless it reads as a
    # title or a note.
    runs: list[list[int]] = []
    for r in sorted(rows):
        if runs and runs[-1][-1] == r - 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    # Likewise a one-cell header row above the table's first row ("财政拨款“三公”经费" over
    # its groups), once the title and the unit line are passed.
    for run in runs:
        table_rows = [r for r in run if kinds[r] == "row"]
        if len(table_rows) < 2:
            continue
        for r in run:
            if r >= table_rows[-1] or kinds[r] != "paragraph" or len(rows[r]) != 1:
                continue
            text = grid.values[(r, rows[r][0])]
            if _TITLE_LIKE.search(text) or _NOTE_LIKE.match(text):
                continue
            later_titles = [
                q
                for q in run
                if r < q < table_rows[0]
                and len(rows[q]) == 1
                and (
                    _TITLE_LIKE.search(grid.values[(q, rows[q][0])])
                    or _NOTE_LIKE.match(grid.values[(q, rows[q][0])])
                )
            ]
            if not later_titles:
                kinds[r] = "row"

    # Tables are runs of consecutive "row" rows.
    tables: list[list[int]] = []
    previous = None
    for r in sorted(rows):
        if kinds[r] == "row":
            if previous is not None and previous == r - 1 and kinds[previous] == "row":
                tables[-1].append(r)
            else:
                tables.append([r])
        previous = r

    fill = _header_fill(grid, tables, first_col, last_col)
    table_of = {r: t for t, members in enumerate(tables) for r in members}
    row_in_table = {r: i for members in tables for i, r in enumerate(members)}
    current = None
    for r in sorted(rows):
        location = f"工作表“{grid.name}”第{r + 1}行"
        if kinds[r] == "paragraph":
            text = " ".join(grid.values[(r, c)] for c in rows[r])
            doc.blocks.append(
                Block(index=len(doc.blocks), kind="paragraph", text=text, location=location)
            )
            continue
        if table_of[r] != current:
            current = table_of[r]
            table_index += 1
        cells = tuple(
            grid.values.get((r, c)) or fill.get((r, c), "") for c in range(first_col, last_col + 1)
        )
        doc.blocks.append(
            Block(
                index=len(doc.blocks),
                kind="table_row",
                text="\t".join(grid.values[(r, c)] for c in rows[r]),
                location=location,
                cells=cells,
                table_index=table_index,
                row_index=row_in_table[r],
            )
        )
    return table_index


def _header_fill(
    grid: _Grid, tables: list[list[int]], first_col: int, last_col: int
) -> dict[tuple[int, int], str]:
    """Values copied into the covered cells of merged ranges, in header rows only."""
    header_rows: set[int] = set()
    table_rows: dict[int, set[int]] = {}
    for t, members in enumerate(tables):
        for r in members:
            if _has_number(grid, r, first_col, last_col):
                break
            header_rows.add(r)
        table_rows[t] = set(members)
    fill: dict[tuple[int, int], str] = {}
    for r1, r2, c1, c2 in grid.merges:
        value = grid.values.get((r1, c1))
        if not value or r1 not in header_rows:
            continue
        members = next(m for m in table_rows.values() if r1 in m)
        for r in range(r1, r2 + 1):
            if r not in header_rows or r not in members:
                continue
            for c in range(max(c1, first_col), min(c2, last_col) + 1):
                if (r, c) != (r1, c1) and (r, c) not in grid.values:
                    fill[(r, c)] = value
    return fill


def _has_number(grid: _Grid, r: int, first_col: int, last_col: int) -> bool:
    for c in range(first_col, last_col + 1):
        if (r, c) in grid.numeric:
            return True
        value = grid.values.get((r, c))
        if value and _AMOUNT_TEXT.match(value.replace(" ", "")):
            return True
    return False
