"""PDF reports: the text layer with page numbers, and ruled tables as cells.

pypdfium2 (PDFium, the engine of Chrome's viewer) gives every character with its box and every
vector path with its bounds, at about the speed of `pdftotext -layout`; pdfplumber gives the
same information through pdfminer and is some 30 times slower on these reports (see README).
Tables in 部门决算 are ruled grids, so the rulings define the cells: a page's horizontal and
vertical segments are grouped into grids, every character inside a grid goes to the cell under
it, and the rest of the page is text, line by line, in reading order.
"""

from __future__ import annotations

import ctypes
import struct
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from operator import itemgetter

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipelines.errors import IngestError
from pipelines.ingest.document import Block, Document
from pipelines.ingest.readers.layout_tables import find_layout_tables

# The reader's tolerances, in PDF points (1/72 inch) unless said otherwise. A 10-point CJK
# character is 10 points wide; table rulings are 0.5–1 point thick.
MAX_PAGES = 2000
_TOL = 2.0  # rulings closer than this are one line
_THIN = 1.6  # a path thinner than this is a ruling
_RULING_MIN_LENGTH = 4.0  # ... and at least this long (shorter: a glyph drawn as a path, a dot)
_ROW_MIN_HEIGHT = 3.0  # horizontal rulings closer than this bound no row (a doubled ruling)
# A table on the next page continues this one when its column walls are where these were.
_SAME_COLUMN_WALL = 3.0
# Characters of one cell are on one line when their centres are this close: half a character's
# height, at least this many points.
_CELL_LINE_MIN = 2.0
_CELL_LINE_SHARE = 0.5
# A page number: at most this many digits, in the top or bottom margin.
_PAGE_NUMBER_DIGITS = 3
_TOP_MARGIN = 80.0
_BOTTOM_MARGIN = 50.0
# Fewer visible characters than this in the whole file: no text layer (a scan).
_MIN_TEXT_CHARS = 20
# Gap kept between two words of a line laid out as monospaced text, in character columns.
_LAYOUT_WORD_GAP = 2
# Width of one character column when a text line is laid out as monospaced text: half of a
# 10-point CJK character, the size of a digit.
_LAYOUT_COLUMN_PT = 5.0
# Characters closer than this share of their height belong to one word.
_WORD_GAP_SHARE = 0.3
_FORM_DEPTH = 4  # form XObjects nested deeper than this are not searched for rulings
_LINE_BREAKS = {"\r", "\n"}


# A character: (text, x0, y0, x1, y1, centre x, centre y), PDF points from the bottom left.
# Plain tuples: a page has thousands of characters, and building objects for them was a good
# part of the reading time.
_Char = tuple[str, float, float, float, float, float, float]
_CH, _X0, _Y0, _X1, _Y1, _CX, _CY = range(7)
_RECTF = struct.Struct("=4f")  # FS_RECTF: left, top, right, bottom


def _prototype(function, restype, *argtypes):
    """The same PDFium function declared with plain pointers (ints to Python).

    pypdfium2 declares typed handles, so ctypes builds a pointer object for every returned
    handle and type-checks it on the way back in; with thousands of characters and page
    objects on a page, that conversion took about half the time of these calls.
    """
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(function, ctypes.c_void_p).value)


_ptr, _int = ctypes.c_void_p, ctypes.c_int
_loose_char_box = _prototype(pdfium_c.FPDFText_GetLooseCharBox, _int, _ptr, _int, _ptr)
_count_objects = _prototype(pdfium_c.FPDFPage_CountObjects, _int, _ptr)
_get_object = _prototype(pdfium_c.FPDFPage_GetObject, _ptr, _ptr, _int)
_form_count_objects = _prototype(pdfium_c.FPDFFormObj_CountObjects, _int, _ptr)
_form_get_object = _prototype(pdfium_c.FPDFFormObj_GetObject, _ptr, _ptr, ctypes.c_ulong)
_object_type = _prototype(pdfium_c.FPDFPageObj_GetType, _int, _ptr)
_object_bounds = _prototype(pdfium_c.FPDFPageObj_GetBounds, _int, _ptr, _ptr, _ptr, _ptr, _ptr)


@dataclass(eq=False)  # compared by identity
class _Grid:
    x0: float
    y0: float
    x1: float
    y1: float
    horizontals: list[tuple[float, float, float]] = field(default_factory=list)  # (x0, x1, y)
    verticals: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y0, y1)


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
    if text_chars < _MIN_TEXT_CHARS:
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
    try:
        chars, text_chars = _page_chars(textpage)
    finally:
        textpage.close()
    turn = _Turn.of(page)
    # Blocks keep each character's box in the page's own (unrotated) space, where a PDF's
    # annotations are drawn: on a turned page, from the turned character back to PDFium's.
    unturned: dict[int, _Char] | None = None
    if turn is not None:
        originals = chars
        chars = [None if c is None else turn.char(c) for c in chars]
        unturned = {id(t): o for t, o in zip(chars, originals, strict=True) if t is not None}

    def page_boxes(cs) -> tuple:
        if unturned is None:
            return tuple(cs)
        return tuple(None if c is None else unturned[id(c)] for c in cs)

    grids = _find_grids(page, turn)
    _, height = page.get_size()

    items: list[tuple[float, str, object]] = []  # (top y, kind, payload)
    boxes = [(g.x0 - 1, g.x1 + 1, g.y0 - 1, g.y1 + 1) for g in grids]
    in_grid: set[int] = set()  # positions in chars of the characters under some grid
    for grid, (gx0, gx1, gy0, gy1) in zip(grids, boxes, strict=True):
        inside = [
            k
            for k, c in enumerate(chars)
            if c is not None and gx0 <= c[_CX] <= gx1 and gy0 <= c[_CY] <= gy1
        ]
        in_grid.update(inside)
        rows = _grid_rows(grid, [chars[k] for k in inside])
        if rows:
            items.append((grid.y1, "table", (grid, rows)))
    # PDFium marks the end of each visual line with a generated line break.
    line: list[_Char] = []
    for k, c in enumerate(chars):
        if c is None:
            if line:
                items.append((max(ch[_Y1] for ch in line), "line", line))
            line = []
        elif k not in in_grid:
            line.append(c)
    if line:
        items.append((max(ch[_Y1] for ch in line), "line", line))
    items.sort(key=lambda item: -item[0])

    items = _tables_without_rulings(items)
    line_no = 0
    first_item = True
    for top, kind, payload in items:
        if kind == "layout_table":
            table_index = state.count
            state.count += 1
            state.open_index, state.last_columns = None, None
            for row, (cells, doubt, boxes) in enumerate(payload, start=1):
                doc.blocks.append(
                    Block(
                        len(doc.blocks),
                        "table_row",
                        "\t".join(c for c in cells if c),
                        f"第{number}页表格{table_index + 1}第{row}行",
                        tuple(cells),
                        table_index,
                        row - 1,
                        doubt,
                        rebuilt=True,
                        page=number,
                        boxes=page_boxes(boxes),
                    )
                )
            first_item = False
            continue
        if kind == "line":
            lettered = [c for c in payload if c[_CH]]
            whole = "".join(c[_CH] for c in lettered)
            content = whole.strip()
            if not content or _is_page_number(content, top, height):
                continue
            line_no += 1
            state.open_index = None  # text between tables: a new table starts after it
            lead = len(whole) - len(whole.lstrip())
            doc.blocks.append(
                Block(
                    len(doc.blocks),
                    "paragraph",
                    content,
                    f"第{number}页第{line_no}行",
                    page=number,
                    boxes=page_boxes(lettered[lead : lead + len(content)]),
                )
            )
        else:
            grid, cell_chars = payload
            rows = [["".join(c[_CH] for c in cell) for cell in row] for row in cell_chars]
            columns = _columns(grid)
            continues = (
                first_item
                and state.open_index is not None
                and state.last_columns is not None
                and len(columns) == len(state.last_columns)
                and all(
                    abs(a - b) <= _SAME_COLUMN_WALL
                    for a, b in zip(columns, state.last_columns, strict=True)
                )
            )
            if continues:
                table_index = state.open_index
                kept = [k for k, r in enumerate(rows) if tuple(r) not in state.last_header]
                if kept:
                    rows, cell_chars = [rows[k] for k in kept], [cell_chars[k] for k in kept]
            else:
                table_index = state.count
                state.count += 1
                state.next_row = 0
                state.last_header = [tuple(r) for r in rows[:3]]
            state.open_index, state.last_columns = table_index, columns
            for cells, chars_of in zip(rows, cell_chars, strict=True):
                state.next_row += 1
                boxes: list[_Char | None] = []
                for cell in chars_of:
                    if cell:
                        if boxes:
                            boxes.append(None)  # the tab between two cells
                        boxes.extend(cell)
                doc.blocks.append(
                    Block(
                        len(doc.blocks),
                        "table_row",
                        "\t".join(c for c in cells if c),
                        f"第{number}页表格{table_index + 1}第{state.next_row}行",
                        tuple(cells),
                        table_index,
                        state.next_row - 1,
                        page=number,
                        boxes=page_boxes(boxes),
                    )
                )
        first_item = False
    return text_chars


def _laid_out(line: list[_Char], where: list[_Char | None] | None = None) -> str:
    """A text line as a monospaced layout (as pdftotext -layout prints): characters that
    touch stay together; after a gap, the next character starts at the column its left edge
    sits in, so that the figures of one column line up across lines. A gap always leaves at
    least two spaces: the layout reader splits tokens there.

    With ``where``, the character at each position of the result is appended to it (None for
    the spaces of a gap)."""
    out: list[str] = []
    width = 0
    previous_x1: float | None = None
    for c in sorted(line, key=itemgetter(_X0)):
        if not c[_CH].strip():
            continue  # PDFium's generated spaces sit anywhere; the gaps say it all
        touching = previous_x1 is not None and c[_X0] - previous_x1 <= _WORD_GAP_SHARE * (
            c[_Y1] - c[_Y0]
        )
        if not touching and previous_x1 is not None:
            column = max(int(c[_X0] / _LAYOUT_COLUMN_PT), width + _LAYOUT_WORD_GAP)
            out.append(" " * (column - width))
            if where is not None:
                where.extend([None] * (column - width))
            width = column
        elif previous_x1 is None:
            column = int(c[_X0] / _LAYOUT_COLUMN_PT)
            out.append(" " * column)
            if where is not None:
                where.extend([None] * column)
            width = column
        out.append(c[_CH])
        if where is not None:
            where.extend([c] * len(c[_CH]))
        width += 1  # string positions, not display width: a gap re-aligns to the page
        previous_x1 = c[_X1]
    return "".join(out)


def _tables_without_rulings(items: list[tuple[float, str, object]]) -> list:
    """Runs of text lines that form a table drawn without rulings (figures in columns) become
    one table item; the other lines stay lines. See readers/layout_tables.py."""
    lines = [(k, item) for k, item in enumerate(items) if item[1] == "line"]
    if len(lines) < 2:
        return items
    positions: list[list[_Char | None]] = [[] for _ in lines]
    text = [_laid_out(item[2], where) for (_, item), where in zip(lines, positions, strict=True)]
    tables = find_layout_tables(text)
    if not tables:
        return items
    replaced: dict[int, tuple] = {}
    dropped: set[int] = set()
    for table in tables:
        first = lines[table.first_line - 1][0]
        rows = [
            (cells, table.doubt, _row_chars(cells, text[no - 1], positions[no - 1]))
            for no, cells in table.rows
        ]
        replaced[first] = (items[first][0], "layout_table", rows)
        dropped.update(lines[n - 1][0] for n in range(table.first_line, table.last_line + 1))
    return [
        replaced.get(k, item) for k, item in enumerate(items) if k in replaced or k not in dropped
    ]


def _row_chars(cells: tuple[str, ...], line: str, where: list[_Char | None]) -> list:
    """The characters of a rebuilt row's text ("\t".join of its cells), found in order in the
    laid-out line the row stands on; None for a cell (or a part of one, the rest of a wrapped
    name) that is not there, and for the tabs between cells."""
    out: list[_Char | None] = []
    cursor = 0
    for cell in cells:
        if not cell:
            continue
        if out:
            out.append(None)
        at = line.find(cell, cursor)
        if at < 0:
            out.extend([None] * len(cell))
            continue
        out.extend(where[at : at + len(cell)])
        cursor = at + len(cell)
    return out


def _page_chars(textpage: pdfium.PdfTextPage) -> tuple[list[_Char | None], int]:
    """The page's characters in PDFium's order, None for a generated line break, and how many
    of them are visible (not whitespace).

    One raw PDFium call per character into one reused rectangle, read with one unpack: the
    pypdfium2 helper (get_charbox) allocates a rectangle and reads its fields one by one for
    every character.
    """
    count = textpage.count_chars()
    if count <= 0:
        return [], 0
    text = textpage.get_text_range(0, count)
    # The text can be shorter than the character list; the missing ones read as "".
    letters = list(text[:count]) + [""] * (count - len(text))
    rect = pdfium_c.FS_RECTF()
    rect_at = ctypes.addressof(rect)
    unpack = _RECTF.unpack_from  # left, top, right, bottom (FS_RECTF's field order)
    loose_box = _loose_char_box
    raw = ctypes.cast(textpage.raw, ctypes.c_void_p).value
    chars: list[_Char | None] = []
    append = chars.append
    for k, ch in enumerate(letters):
        if ch in _LINE_BREAKS:
            append(None)
            continue
        # Loose boxes span the font's full line height, so a comma sits on its digits' line.
        if not loose_box(raw, k, rect_at):
            raise pdfium.PdfiumError("Failed to get charbox.")
        x0, y1, x1, y0 = unpack(rect)
        append((ch, x0, y0, x1, y1, (x0 + x1) / 2, (y0 + y1) / 2))
    # Visible: neither a line break nor other whitespace ("" for a character without text counts).
    visible = len("".join(text[:count].split())) + len(letters) - len(text[:count])
    return chars, visible


def _is_page_number(content: str, top: float, height: float) -> bool:
    stripped = content.strip("-—– 第页")
    return (
        stripped.isdigit()
        and len(stripped) <= _PAGE_NUMBER_DIGITS
        and (top < _TOP_MARGIN or top > height - _BOTTOM_MARGIN)
    )


def _union(x0: float, y0: float, x1: float, y1: float, g: list) -> tuple[float, ...]:
    """The box (x0, y0, x1, y1) grown to cover grid g's box (g[0:4])."""
    return (
        g[0] if g[0] < x0 else x0,
        g[1] if g[1] < y0 else y0,
        g[2] if g[2] > x1 else x1,
        g[3] if g[3] > y1 else y1,
    )


@dataclass(frozen=True)
class _Turn:
    """A page shown turned (/Rotate 90, 180 or 270: a landscape table page): PDFium gives
    characters and paths in the unturned page's space; they are turned into the space the
    reader sees, where text runs left to right and lines from top to bottom."""

    rotation: int
    width: float  # of the unturned page (its media box)
    height: float

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> _Turn | None:
        rotation = page.get_rotation() % 360
        if rotation not in (90, 180, 270):
            return None
        x0, y0, x1, y1 = page.get_mediabox()
        return cls(rotation, x1 - x0, y1 - y0)

    def point(self, x: float, y: float) -> tuple[float, float]:
        if self.rotation == 90:
            return y, self.width - x
        if self.rotation == 270:
            return self.height - y, x
        return self.width - x, self.height - y

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, ...]:
        (ax, ay), (bx, by) = self.point(x0, y0), self.point(x1, y1)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

    def char(self, c: _Char) -> _Char:
        x0, y0, x1, y1 = self.box(c[_X0], c[_Y0], c[_X1], c[_Y1])
        return (c[_CH], x0, y0, x1, y1, (x0 + x1) / 2, (y0 + y1) / 2)

    def rulings(self, horizontals: list, verticals: list) -> tuple[list, list]:
        """(x0, x1, y) and (x, y0, y1) segments, turned: a quarter turn swaps the two kinds."""
        segments = [self.box(x0, y, x1, y) for x0, x1, y in horizontals] + [
            self.box(x, y0, x, y1) for x, y0, y1 in verticals
        ]
        turned_h = [(a, c, b) for a, b, c, d in segments if abs(d - b) < abs(c - a)]
        turned_v = [(a, b, d) for a, b, c, d in segments if abs(d - b) >= abs(c - a)]
        return turned_h, turned_v


def _find_grids(page: pdfium.PdfPage, turn: _Turn | None = None) -> list[_Grid]:
    horizontals, verticals = _rulings(page)
    if turn is not None:
        horizontals, verticals = turn.rulings(horizontals, verticals)
    # Group rulings that touch into grids: a ruling joins every grid whose box (as grown so
    # far) it touches, and those grids become one. Each grid while grouping is
    # [x0, y0, x1, y1, x1 + _TOL, y1 + _TOL, horizontals, verticals].
    grids: list[list] = []
    segments = [(True, s) for s in horizontals] + [(False, s) for s in verticals]
    for is_h, s in segments:
        if is_h:
            x0, y0, x1, y1 = s[0], s[2] - _TOL, s[1], s[2] + _TOL
        else:
            x0, y0, x1, y1 = s[0] - _TOL, s[1], s[0] + _TOL, s[2]
        x1t, y1t = x1 + _TOL, y1 + _TOL
        touching = [
            i
            for i, g in enumerate(grids)
            if x0 <= g[4] and g[0] <= x1t and y0 <= g[5] and g[1] <= y1t
        ]
        if len(touching) == 1:  # the usual case: the ruling extends one grid, which grows
            i = touching[0]
            g = grids[i]
            if i != len(grids) - 1:  # the grown grid goes last, as a merged one would
                del grids[i]
                grids.append(g)
            x0, y0, x1, y1 = _union(x0, y0, x1, y1, g)
            g[:6] = x0, y0, x1, y1, x1 + _TOL, y1 + _TOL
            (g[6] if is_h else g[7]).append(s)
            continue
        hs: list[tuple[float, float, float]] = []
        vs: list[tuple[float, float, float]] = []
        for i in touching:  # (min and max as min() and max() would take them)
            g = grids[i]
            x0, y0, x1, y1 = _union(x0, y0, x1, y1, g)
            hs += g[6]
            vs += g[7]
        if touching:
            merged = set(touching)
            grids = [g for i, g in enumerate(grids) if i not in merged]
        (hs if is_h else vs).append(s)
        grids.append([x0, y0, x1, y1, x1 + _TOL, y1 + _TOL, hs, vs])
    return [
        _Grid(g[0], g[1], g[2], g[3], g[6], g[7])
        for g in grids
        if len(_cluster([h[2] for h in g[6]])) >= 2 and len(g[7]) >= 2
    ]


def _rulings(
    page: pdfium.PdfPage,
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Thin path objects of the page, as horizontal (x0, x1, y) and vertical (x, y0, y1) rulings.

    Walks the page objects, and those of form XObjects four levels deep, through raw PDFium
    calls: most objects on a report page are text, and the pypdfium2 helpers build a Python
    object for each one before looking at its type.
    """
    horizontals: list[tuple[float, float, float]] = []
    verticals: list[tuple[float, float, float]] = []
    bounds = (ctypes.c_float * 4)()
    base = ctypes.addressof(bounds)
    refs = (base, base + 4, base + 8, base + 12)  # left, bottom, right, top
    get_type, get_bounds = _object_type, _object_bounds
    path_type, form_type = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    unpack = _RECTF.unpack_from

    def walk(count: int, get_object, parent: int, level: int) -> None:
        if count < 0:
            raise pdfium.PdfiumError("Failed to get number of pageobjects.")
        for i in range(count):
            obj = get_object(parent, i)
            if not obj:
                raise pdfium.PdfiumError("Failed to get pageobject.")
            kind = get_type(obj)
            if kind == path_type:
                if not get_bounds(obj, *refs):
                    raise pdfium.PdfiumError("Failed to locate pageobject.")
                x0, y0, x1, y1 = unpack(bounds)
                w, h = x1 - x0, y1 - y0
                if h <= _THIN and w >= _RULING_MIN_LENGTH:
                    horizontals.append((x0, x1, (y0 + y1) / 2))
                elif w <= _THIN and h >= _RULING_MIN_LENGTH:
                    verticals.append(((x0 + x1) / 2, y0, y1))
            elif kind == form_type:
                if level < _FORM_DEPTH - 1:
                    walk(_form_count_objects(obj), _form_get_object, obj, level + 1)
            elif kind == pdfium_c.FPDF_PAGEOBJ_UNKNOWN:
                raise pdfium.PdfiumError("Failed to determine pageobject type.")

    raw_page = ctypes.cast(page.raw, ctypes.c_void_p).value
    walk(_count_objects(raw_page), _get_object, raw_page, 0)
    return horizontals, verticals


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= _TOL:
            continue
        out.append(v)
    return out


def _columns(grid: _Grid) -> list[float]:
    return _cluster([v[0] for v in grid.verticals] + [grid.x0, grid.x1])


def _grid_rows(grid: _Grid, chars: list[_Char]) -> list[list[list[_Char]]]:
    """Cells of a ruled grid, one list per row, one list of characters (in reading order, the
    cell's text) per grid column.

    A cell merged across columns (no ruling between them in that row) keeps its text in its
    first column; rows without any text are dropped.
    """
    xs = _columns(grid)
    ys = sorted(_cluster([h[2] for h in grid.horizontals] + [grid.y0, grid.y1]), reverse=True)
    bands = [
        (top, bottom)
        for top, bottom in zip(ys, ys[1:], strict=False)
        if not top - bottom < _ROW_MIN_HEIGHT
    ]
    # The walls of a row are the verticals crossing its middle. Middles go bottom-up here, so
    # each vertical finds the rows it crosses by bisection instead of testing every row.
    mids = [(top + bottom) / 2 for top, bottom in reversed(bands)]
    walls_at: list[list[float]] = [[] for _ in mids]
    for x, y0, y1 in grid.verticals:
        for i in range(bisect_left(mids, y0 - _TOL), bisect_right(mids, y1 + _TOL)):
            walls_at[i].append(x)
    walls_at.reverse()
    rows: list[list[str]] = []
    by_height = sorted(chars, key=itemgetter(_CY), reverse=True)
    n, start = len(by_height), 0
    for (top, bottom), crossing in zip(bands, walls_at, strict=True):
        walls = _cluster(crossing + [grid.x0, grid.x1])
        cells: list[list[_Char]] = [[] for _ in range(len(xs) - 1)]
        # Characters are sorted top-down: this band's run starts after those above it.
        while start < n and by_height[start][_CY] > top:
            start += 1
        end = start
        while end < n and not by_height[end][_CY] < bottom:
            end += 1
        band = by_height[start:end]
        for left, right in zip(walls, walls[1:], strict=False):
            inside = [c for c in band if left <= c[_CX] <= right]
            if not inside:
                continue
            column = next((j for j in range(len(xs) - 1) if xs[j] >= left - _TOL), 0)
            cells[min(column, len(cells) - 1)] = _cell_chars(inside)
        if any(cells):
            rows.append(cells)
    return rows


def _cell_chars(chars: list[_Char]) -> list[_Char]:
    """Characters of one cell in reading order: lines top to bottom, left to right."""
    lines: list[list[_Char]] = []
    for c in sorted(chars, key=itemgetter(_CY), reverse=True):
        if lines and abs(lines[-1][0][_CY] - c[_CY]) <= max(
            _CELL_LINE_MIN, _CELL_LINE_SHARE * (c[_Y1] - c[_Y0])
        ):
            lines[-1].append(c)
        else:
            lines.append([c])
    # A cell's text wraps inside the cell; the spaces the layout leaves there mean nothing.
    return [
        ch
        for line in lines
        for ch in sorted(line, key=itemgetter(_X0))
        if ch[_CH] and not ch[_CH].isspace()
    ]
