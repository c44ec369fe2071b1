"""PDF reports: the text layer with page numbers, and ruled tables as cells.

pypdfium2 (PDFium, the engine of Chrome's viewer) gives every character with its box and every
vector path with its bounds, at about the speed of `pdftotext -layout`; pdfplumber gives the
same information through pdfminer and is some 30 times slower on these reports (see README).
Tables in 部门决算 are ruled grids, so the rulings define the cells: a page's horizontal and
vertical segments are grouped into grids, every character inside a grid goes to the cell under
it, and the rest of the page is text, line by line, in reading order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipelines.document import Block, Document
from pipelines.errors import IngestError

MAX_PAGES = 2000
_TOL = 2.0  # points: rulings closer than this are one line
_THIN = 1.6  # a path thinner than this is a ruling
_LINE_BREAKS = {"\r", "\n"}


@dataclass
class _Char:
    ch: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(eq=False)  # compared by identity: grids are merged and removed while grouping
class _Grid:
    x0: float
    y0: float
    x1: float
    y1: float
    horizontals: list[tuple[float, float, float]] = field(default_factory=list)  # (x0, x1, y)
    verticals: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y0, y1)

    def contains(self, c: _Char) -> bool:
        return self.x0 - 1 <= c.cx <= self.x1 + 1 and self.y0 - 1 <= c.cy <= self.y1 + 1


def read_pdf(data: bytes, source_path: str) -> Document:
    # PDFium rebuilds a damaged file from what it finds, so a PDF cut short in transfer would
    # open with its first pages only. A complete file ends with %%EOF (within its last 1024
    # bytes, as readers allow); without it the report is refused rather than read in part.
    if b"%%EOF" not in data.rstrip(b" \t\r\n\x00\x0c")[-1024:]:
        raise IngestError(
            "read",
            "corrupt_pdf",
            "PDF 文件不完整（文件末尾缺少结束标记 %%EOF），可能在导出或传输时被截断，未读取。"
            "请重新导出或向报送部门索取完整的 PDF，再放入 raw/。",
        )
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise IngestError(
                "read",
                "encrypted_pdf",
                "PDF 文件有打开密码，无法读取。请向报送部门索取未加密的版本后重新放入 raw/。",
            ) from exc
        raise IngestError(
            "read", "corrupt_pdf", f"PDF 文件已损坏或不完整，无法打开（{exc}）。请重新导出。"
        ) from exc
    try:
        pages = len(pdf)
        if pages > MAX_PAGES:
            raise IngestError(
                "read",
                "pdf_too_large",
                f"PDF 共 {pages} 页，超过 {MAX_PAGES} 页的上限，疑似异常文件，未读取。",
            )
        doc = Document(source_path=source_path, source_format="pdf", encoding=None)
        state = _TableState()
        text_chars = 0
        for number in range(1, pages + 1):
            text_chars += _read_page(pdf[number - 1], number, doc, state)
    finally:
        pdf.close()
    if text_chars < 20:
        raise IngestError(
            "read",
            "scanned_pdf",
            f"PDF 共 {pages} 页，但没有可提取的文字（疑为扫描件或图片）。请提供带文字层的 PDF 或 Word 版本，"
            "或先用 OCR 软件识别后再放入 raw/。",
        )
    return doc


@dataclass
class _TableState:
    """Carries a table across a page break: same columns, no title in between → one table."""

    count: int = 0
    last_columns: list[float] | None = None
    last_header: list[tuple[str, ...]] = field(default_factory=list)
    open_index: int | None = None
    next_row: int = 0


def _read_page(page: pdfium.PdfPage, number: int, doc: Document, state: _TableState) -> int:
    textpage = page.get_textpage()
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    chars: list[_Char | None] = []
    for k in range(count):
        ch = text[k] if k < len(text) else ""
        if ch in _LINE_BREAKS:
            chars.append(None)
            continue
        # Loose boxes span the font's full line height, so a comma sits on its digits' line.
        x0, y0, x1, y1 = textpage.get_charbox(k, loose=True)
        chars.append(_Char(ch, x0, y0, x1, y1))
    grids = _find_grids(page)
    _, height = page.get_size()

    items: list[tuple[float, str, object]] = []  # (top y, kind, payload)
    for grid in grids:
        rows = _grid_rows(grid, [c for c in chars if c is not None and grid.contains(c)])
        if rows:
            items.append((grid.y1, "table", (grid, rows)))
    # PDFium marks the end of each visual line with a generated line break.
    line: list[_Char] = []
    for c in chars + [None]:
        if c is None:
            if line:
                items.append((max(ch.y1 for ch in line), "line", line))
            line = []
        elif not any(g.contains(c) for g in grids):
            line.append(c)
    items.sort(key=lambda item: -item[0])

    line_no = 0
    first_item = True
    for top, kind, payload in items:
        if kind == "line":
            content = "".join(c.ch for c in payload).strip()
            if not content or _is_page_number(content, top, height):
                continue
            line_no += 1
            state.open_index = None  # text between tables: a new table starts after it
            doc.blocks.append(
                Block(len(doc.blocks), "paragraph", content, f"第{number}页第{line_no}行")
            )
        else:
            grid, rows = payload
            columns = _columns(grid)
            continues = (
                first_item
                and state.open_index is not None
                and state.last_columns is not None
                and len(columns) == len(state.last_columns)
                and all(abs(a - b) <= 3 for a, b in zip(columns, state.last_columns, strict=True))
            )
            if continues:
                table_index = state.open_index
                rows = [r for r in rows if tuple(r) not in state.last_header] or rows
            else:
                table_index = state.count
                state.count += 1
                state.next_row = 0
                state.last_header = [tuple(r) for r in rows[:3]]
            state.open_index, state.last_columns = table_index, columns
            for cells in rows:
                state.next_row += 1
                doc.blocks.append(
                    Block(
                        len(doc.blocks),
                        "table_row",
                        "\t".join(c for c in cells if c),
                        f"第{number}页表格{table_index + 1}第{state.next_row}行",
                        tuple(cells),
                        table_index,
                        state.next_row - 1,
                    )
                )
        first_item = False
    return sum(1 for c in chars if c is not None and not c.ch.isspace())


def _is_page_number(content: str, top: float, height: float) -> bool:
    stripped = content.strip("-—– 第页")
    return stripped.isdigit() and len(stripped) <= 3 and (top < 80 or top > height - 50)


def _find_grids(page: pdfium.PdfPage) -> list[_Grid]:
    horizontals: list[tuple[float, float, float]] = []
    verticals: list[tuple[float, float, float]] = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=4):
        x0, y0, x1, y1 = obj.get_bounds()
        w, h = x1 - x0, y1 - y0
        if h <= _THIN and w >= 4:
            horizontals.append((x0, x1, (y0 + y1) / 2))
        elif w <= _THIN and h >= 4:
            verticals.append(((x0 + x1) / 2, y0, y1))
    # Group rulings that touch into grids.
    grids: list[_Grid] = []
    for seg in [("h", s) for s in horizontals] + [("v", s) for s in verticals]:
        kind, s = seg
        box = (
            (s[0], s[2] - _TOL, s[1], s[2] + _TOL)
            if kind == "h"
            else (s[0] - _TOL, s[1], s[0] + _TOL, s[2])
        )
        touching = [g for g in grids if _overlaps(box, (g.x0, g.y0, g.x1, g.y1))]
        merged = _Grid(*box)
        if touching:
            ids = {id(g) for g in touching}
            grids = [g for g in grids if id(g) not in ids]
        for g in touching:
            merged = _merge(merged, g)
        (merged.horizontals if kind == "h" else merged.verticals).append(s)
        grids.append(merged)
    return [
        g
        for g in grids
        if len(_cluster([h[2] for h in g.horizontals])) >= 2 and len(g.verticals) >= 2
    ]


def _overlaps(a: tuple, b: tuple) -> bool:
    return (
        a[0] <= b[2] + _TOL and b[0] <= a[2] + _TOL and a[1] <= b[3] + _TOL and b[1] <= a[3] + _TOL
    )


def _merge(a: _Grid, b: _Grid) -> _Grid:
    return _Grid(
        min(a.x0, b.x0),
        min(a.y0, b.y0),
        max(a.x1, b.x1),
        max(a.y1, b.y1),
        a.horizontals + b.horizontals,
        a.verticals + b.verticals,
    )


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= _TOL:
            continue
        out.append(v)
    return out


def _columns(grid: _Grid) -> list[float]:
    return _cluster([v[0] for v in grid.verticals] + [grid.x0, grid.x1])


def _grid_rows(grid: _Grid, chars: list[_Char]) -> list[list[str]]:
    """Cells of a ruled grid, one list per row, one string per grid column.

    A cell merged across columns (no ruling between them in that row) keeps its text in its
    first column; rows without any text are dropped.
    """
    xs = _columns(grid)
    ys = sorted(_cluster([h[2] for h in grid.horizontals] + [grid.y0, grid.y1]), reverse=True)
    rows: list[list[str]] = []
    by_height = sorted(chars, key=lambda c: -c.cy)
    for top, bottom in zip(ys, ys[1:], strict=False):
        if top - bottom < 3:
            continue
        mid = (top + bottom) / 2
        walls = _cluster(
            [x for x, y0, y1 in grid.verticals if y0 - _TOL <= mid <= y1 + _TOL]
            + [grid.x0, grid.x1]
        )
        cells = [""] * (len(xs) - 1)
        # Characters are sorted top-down: take this band's run off the front.
        while by_height and by_height[0].cy > top:
            by_height.pop(0)
        band = []
        for c in by_height:
            if c.cy < bottom:
                break
            band.append(c)
        for left, right in zip(walls, walls[1:], strict=False):
            inside = [c for c in band if left <= c.cx <= right]
            if not inside:
                continue
            column = next((j for j in range(len(xs) - 1) if xs[j] >= left - _TOL), 0)
            cells[min(column, len(cells) - 1)] = _cell_text(inside)
        if any(cells):
            rows.append(cells)
    return rows


def _cell_text(chars: list[_Char]) -> str:
    """Characters of one cell in reading order: lines top to bottom, left to right."""
    lines: list[list[_Char]] = []
    for c in sorted(chars, key=lambda c: -c.cy):
        if lines and abs(lines[-1][0].cy - c.cy) <= max(2.0, 0.5 * (c.y1 - c.y0)):
            lines[-1].append(c)
        else:
            lines.append([c])
    # A cell's text wraps inside the cell; the spaces the layout leaves there mean nothing.
    text = "".join("".join(ch.ch for ch in sorted(line, key=lambda c: c.x0)) for line in lines)
    return "".join(text.split())
