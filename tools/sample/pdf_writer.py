"""Lay out a synthetic report's blocks as an A4 PDF, as a word processor would print it.

The PDF has a real text layer in an embedded CJK TrueType font (no images): a centred title,
headings, body paragraphs wrapped at the right margin (Chinese line-breaking rules: no line
starts with a closing mark, none ends with an opening one, numbers are never split), tables
ruled on every cell edge (each ruling a separate thin path, which is what
``pipelines.ingest.readers.pdf_reader`` looks for), a "单位：万元" line above each table and a page
number at the foot of each page. A table that does not fit goes on over the page break as the
same grid (no repeated header); a heading is kept with the lines after it.

Page: A4, 10.5 pt (五号) body text, margins 2.54 cm top and bottom and 1.8 cm left and right,
so a line holds about 46 characters. Not Word's default 3.17 cm: with 39 characters a line, the
first line of a list item such as "（1）一般公共服务支出（类）…（款）行政运行" is often 40
characters or fewer with no amount on it, and the extractor takes it for a heading
(``extract.sections.heading_style``) and does not join the wrapped rest of the sentence
(``extract.extractor._continues``), so the 项-level figures of those items are lost.

The font is ``fonts-wqy-microhei`` (Debian) unless ``COUNTY_CJK_FONT`` names another .ttf/.ttc.
Output is byte-for-byte deterministic: reportlab's invariant mode, a fixed creation date, no
random identifiers.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tools.sample.render import Block

FONT_PACKAGE = "fonts-wqy-microhei"
DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_ENV = "COUNTY_CJK_FONT"
FONT_NAME = "CountyCJK"
FIXED_TIME = datetime(2025, 3, 31, 9, 0, 0, tzinfo=UTC)

# A4; margins 2.54 cm top and bottom, 1.8 cm left and right (see the module docstring).
PAGE_W, PAGE_H = 595.2756, 841.8898
MARGIN_X = 51.0
MARGIN_TOP = 72.0
MARGIN_BOTTOM = 72.0
TEXT_W = PAGE_W - 2 * MARGIN_X

BODY_SIZE = 10.5  # 五号
BODY_LEADING = 18.0
TITLE_SIZE = 18.0  # 小二
HEADING_SIZES = {1: 16.0, 2: 14.0, 3: 12.0}
TABLE_TITLE_SIZE = 12.0
TABLE_SIZE = 9.0  # 小五
TABLE_MIN_SIZE = 6.5
CELL_PAD_X = 3.0
CELL_PAD_Y = 3.0
RULE_WIDTH = 0.5

_NO_START = set("，。、；：？！）》」』】〕〉”’%％·…,.;:?!)]}")
_NO_END = set("（《「『【〔〈“‘([{")
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,%_/+\-]*| +|.", re.S)
_NUMBER = re.compile(r"^[-+]?[\d,]+(?:\.\d+)?%?$")
_AMOUNT = re.compile(r"^[-+]?[\d,]*\.\d+%?$")  # right-aligned; codes stay left


class CJKFontMissing(RuntimeError):
    """No CJK TrueType font to embed: install the Debian package or set COUNTY_CJK_FONT."""


def find_cjk_font() -> Path | None:
    """The font file to embed: ``$COUNTY_CJK_FONT`` if set, else wqy-microhei if installed."""
    env = os.environ.get(FONT_ENV, "").strip()
    if env:
        return Path(env) if Path(env).is_file() else None
    return DEFAULT_FONT if DEFAULT_FONT.is_file() else None


def font_missing_reason() -> str:
    env = os.environ.get(FONT_ENV, "").strip()
    if env:
        return (
            f"{FONT_ENV}={env} is not a font file; unset it to use {DEFAULT_FONT} "
            f"(`apt-get install {FONT_PACKAGE}`)"
        )
    return (
        f"no CJK font for PDF output: {DEFAULT_FONT} is missing; install it with "
        f"`apt-get install {FONT_PACKAGE}` (or `make setup` as root), "
        f"or set {FONT_ENV} to a .ttf/.ttc file"
    )


def require_cjk_font() -> Path:
    """The font file to embed, or :class:`CJKFontMissing` naming the package to install."""
    path = find_cjk_font()
    if path is None:
        raise CJKFontMissing(font_missing_reason())
    return path


_registered: dict[Path, str] = {}


def _register_font() -> str:
    """Register the CJK font with reportlab once per process; return its name."""
    path = require_cjk_font()
    if path not in _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        name = f"{FONT_NAME}{len(_registered)}"
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        _registered[path] = name
    return _registered[path]


# ------------------------------------------------------------------------- line breaking --
def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: one CJK character, a run of Latin letters/digits, or spaces.

    A closing mark sticks to the piece before it and an opening mark to the piece after it.
    """
    out: list[str] = []
    glue_next = False
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if out and (glue_next or (tok[0] in _NO_START and not out[-1].isspace())):
            out[-1] += tok
        else:
            out.append(tok)
        glue_next = tok[-1] in _NO_END
    return out


def wrap(text: str, width: float, font: str, size: float, first_indent: float = 0.0) -> list[str]:
    """Greedy line filling within ``width`` points, as a word processor breaks Chinese text."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    cur, cur_w = "", 0.0
    avail = width - first_indent
    for tok in _tokens(text):
        if tok.isspace():
            if cur:
                cur += tok
                cur_w += stringWidth(tok, font, size)
            continue
        w = stringWidth(tok, font, size)
        if cur and cur_w + w > avail + 1e-6:
            lines.append(cur.rstrip())
            cur, cur_w, avail = "", 0.0, width
        if not cur and w > avail:  # longer than a whole line: break it anywhere
            for ch in tok:
                cw = stringWidth(ch, font, size)
                if cur and cur_w + cw > avail + 1e-6:
                    lines.append(cur)
                    cur, cur_w, avail = "", 0.0, width
                cur += ch
                cur_w += cw
            continue
        cur += tok
        cur_w += w
    if cur.strip() or not lines:
        lines.append(cur.rstrip())
    return lines


# ------------------------------------------------------------------------- the page flow --
@dataclass
class _Table:
    rows: list[list[str]]
    widths: list[float]
    size: float
    lines: list[list[list[str]]]  # row -> cell -> wrapped lines
    heights: list[float]
    header_rows: int


class _Pages:
    """A canvas with a cursor: ``y`` is the top of the free space on the current page."""

    def __init__(self, title: str, author: str) -> None:
        from reportlab.pdfbase.pdfmetrics import getFont
        from reportlab.pdfgen.canvas import Canvas

        self.font = _register_font()
        face = getFont(self.font).face
        # Offset from a line's vertical centre to its baseline, so that the font's full box
        # (ascent to descent) is centred on the line.
        self._centre = (face.ascent + face.descent) / 2000.0
        self.buf = io.BytesIO()
        c = Canvas(
            self.buf,
            pagesize=(PAGE_W, PAGE_H),
            invariant=1,
            pageCompression=1,
            initialFontName=self.font,
            initialFontSize=BODY_SIZE,
        )
        _fix_timestamp(c)
        c.setTitle(title)
        c.setAuthor(author)
        c.setSubject(title)
        c.setCreator("tools.sample")
        c.setProducer("ReportLab")
        self.c = c
        self.page = 1
        self.y = PAGE_H - MARGIN_TOP

    # ---------------------------------------------------------------- primitives --
    def baseline(self, centre: float, size: float) -> float:
        return centre - self._centre * size

    def text(self, x: float, centre: float, s: str, size: float, bold: bool = False) -> None:
        c = self.c
        t = c.beginText()
        t.setFont(self.font, size)
        if bold:  # the font has no bold face: stroke the glyph outlines as Word does
            t.setTextRenderMode(2)
            c.saveState()
            c.setLineWidth(size * 0.035)
        t.setTextOrigin(x, self.baseline(centre, size))
        t.textOut(s)
        c.drawText(t)
        if bold:
            c.restoreState()

    def width(self, s: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return stringWidth(s, self.font, size)

    def room(self) -> float:
        return self.y - MARGIN_BOTTOM

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN_TOP

    def footer(self) -> None:
        label = f"- {self.page} -"
        size = 9.0
        self.text((PAGE_W - self.width(label, size)) / 2, 40.0, label, size)

    def ensure(self, height: float) -> None:
        if height > self.room() and self.y < PAGE_H - MARGIN_TOP - 1e-6:
            self.new_page()

    def finish(self) -> bytes:
        self.footer()
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()

    # ---------------------------------------------------------------- blocks --
    def line(self, s: str, size: float, leading: float, align: str = "left", **kw) -> None:
        if leading > self.room():
            self.new_page()
        w = self.width(s, size)
        x = {
            "left": MARGIN_X,
            "center": MARGIN_X + (TEXT_W - w) / 2,
            "right": MARGIN_X + TEXT_W - w,
        }[align]
        self.text(x, self.y - leading / 2, s, size, **kw)
        self.y -= leading

    def title(self, text: str) -> None:
        if self.y < PAGE_H - MARGIN_TOP - 1e-6:
            self.y -= 12
        for s in wrap(text, TEXT_W, self.font, TITLE_SIZE):
            self.line(s, TITLE_SIZE, TITLE_SIZE * 1.8, "center", bold=True)
        self.y -= 6

    def _heading_style(self, text: str, level: int) -> tuple[float, float, float, list[str]]:
        size = HEADING_SIZES.get(level, HEADING_SIZES[3])
        before = 10.0 if level == 1 else 6.0
        return size, size * 1.6, before, wrap(text, TEXT_W, self.font, size)

    def start_height(self, blocks: list[Block]) -> float:
        """Room the next blocks need on this page so that a heading is not left alone at its
        foot: any headings that follow, then two lines of text or the top of a table."""
        total = 0.0
        for b in blocks:
            if b.kind == "heading":
                _, leading, before, lines = self._heading_style(b.text, b.level)
                total += before + leading * len(lines)
                continue
            if b.kind == "table" and b.rows:
                total += self._table_start(b, self._layout(_square(b.rows)))
            elif b.kind in ("para", "title"):
                total += 2 * BODY_LEADING
            break
        return total

    def heading(self, text: str, level: int, keep: float = 2 * BODY_LEADING) -> None:
        size, leading, before, lines = self._heading_style(text, level)
        self.ensure(before + leading * len(lines) + keep)  # keep with next
        if self.y < PAGE_H - MARGIN_TOP - 1e-6:
            self.y -= before
        align = "center" if level == 1 else "left"
        for s in lines:
            self.line(s, size, leading, align, bold=True)

    def paragraph(self, text: str, size: float = BODY_SIZE, indent: bool = True) -> None:
        leading = BODY_LEADING * size / BODY_SIZE
        for part in text.split("\n"):
            first = 2 * size if indent else 0.0
            lines = wrap(part, TEXT_W, self.font, size, first)
            fits = int(self.room() // leading)
            # widow and orphan control: never one line of a paragraph alone on a page
            if len(lines) > 1 and fits < len(lines):
                if fits <= 1:
                    self.new_page()
                    fits = len(lines)
                elif len(lines) - fits == 1:
                    fits -= 1
            for i, s in enumerate(lines):
                if i == fits:
                    self.new_page()
                x = MARGIN_X + (first if i == 0 else 0.0)
                if leading > self.room():
                    self.new_page()
                self.text(x, self.y - leading / 2, s, size)
                self.y -= leading

    def _table_start(self, block: Block, table: _Table) -> float:
        """Height of the title, the unit line and the first rows, kept on one page."""
        title_lines = wrap(block.text, TEXT_W, self.font, TABLE_TITLE_SIZE)
        head = (
            8.0 + TABLE_TITLE_SIZE * 1.6 * len(title_lines) + BODY_LEADING * len(block.head) + 4.0
        )
        return head + sum(table.heights[: min(len(table.rows), table.header_rows + 2)])

    def table(self, block: Block) -> None:
        if not block.rows:
            return
        table = self._layout(_square(block.rows))
        self.ensure(self._table_start(block, table))
        if self.y < PAGE_H - MARGIN_TOP - 1e-6:
            self.y -= 8.0
        for s in wrap(block.text, TEXT_W, self.font, TABLE_TITLE_SIZE):
            self.line(s, TABLE_TITLE_SIZE, TABLE_TITLE_SIZE * 1.6, "center", bold=True)
        for line in block.head:  # 公开NN表, 编制部门 and unit lines, right-aligned
            self.line(line, BODY_SIZE, BODY_LEADING, "right")
        self.y -= 4.0
        self._draw_grid(table)
        if block.note:
            self.y -= 4.0
            self.paragraph(block.note, TABLE_SIZE, indent=False)
        self.y -= 6.0

    # ---------------------------------------------------------------- tables --
    def _layout(self, rows: list[list[str]]) -> _Table:
        ncols = len(rows[0])
        header_rows = next(
            (i for i, r in enumerate(rows) if any(_NUMBER.match(v.strip()) for v in r if v)),
            1,
        )
        size = TABLE_SIZE
        while True:
            widths = self._widths(rows, ncols, size, header_rows)
            if widths is not None or size <= TABLE_MIN_SIZE:
                break
            size -= 0.5
        if widths is None:  # still too wide at the smallest size: equal columns, wrap anywhere
            widths = [TEXT_W / ncols] * ncols
        leading = size * 1.3
        lines = [
            [
                wrap(v, w - 2 * CELL_PAD_X, self.font, size) if v else []
                for v, w in zip(r, widths, strict=True)
            ]
            for r in rows
        ]
        heights = [max(1, *(len(c) for c in r)) * leading + 2 * CELL_PAD_Y for r in lines]
        return _Table(rows, widths, size, lines, heights, header_rows)

    def _widths(
        self, rows: list[list[str]], ncols: int, size: float, header_rows: int
    ) -> list[float] | None:
        """Column widths filling the text width, or None when the numbers cannot fit.

        Each column gets at least its longest unbreakable piece (a number, a code, three
        characters of text); the rest of the width goes by the length of its body cells
        (header cells wrap).
        """
        pad = 2 * CELL_PAD_X
        least, want = [], []
        for j in range(ncols):
            cells = [r[j] for r in rows if r[j]]
            tokens = [t for v in cells for t in _tokens(v) if not t.isspace()]
            longest = max((self.width(t, size) for t in tokens), default=0.0)
            least.append(max(longest, 3 * size) + pad)
            body = [r[j] for r in rows[header_rows:] if r[j]]
            want.append(max([self.width(v, size) + pad for v in body] + [least[-1]]))
        if sum(least) > TEXT_W:
            return None
        if sum(want) <= TEXT_W:
            return [w * TEXT_W / sum(want) for w in want]
        spare = TEXT_W - sum(least)
        extra = [w - m for w, m in zip(want, least, strict=True)]
        return [m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True)]

    def _draw_grid(self, t: _Table) -> None:
        """Rows top-down; at a page break the grid is closed and goes on at the next top."""
        start, n = 0, len(t.rows)
        while start < n:
            end, used = start, 0.0
            while end < n and used + t.heights[end] <= self.room():
                used += t.heights[end]
                end += 1
            if end == start:
                if self.y < PAGE_H - MARGIN_TOP - 1e-6:
                    self.new_page()
                    continue
                end = start + 1  # a row taller than a page: drawn anyway
            self._draw_segment(t, start, end)
            start = end
            if start < n:
                self.new_page()

    def _draw_segment(self, t: _Table, start: int, end: int) -> None:
        c = self.c
        x0 = MARGIN_X
        xs = [x0]
        for w in t.widths:
            xs.append(xs[-1] + w)
        top = self.y
        ys = [top]
        for i in range(start, end):
            ys.append(ys[-1] - t.heights[i])
        leading = t.size * 1.3
        for i, y_top in zip(range(start, end), ys, strict=False):
            h = t.heights[i]
            for j, cell in enumerate(t.lines[i]):
                if not cell:
                    continue
                inner = t.widths[j] - 2 * CELL_PAD_X
                block_top = y_top - (h - len(cell) * leading) / 2
                value = t.rows[i][j].strip()
                numeric = i >= t.header_rows and bool(_AMOUNT.match(value))
                for k, s in enumerate(cell):
                    w = self.width(s, t.size)
                    if i < t.header_rows:
                        x = xs[j] + CELL_PAD_X + (inner - w) / 2
                    elif numeric:
                        x = xs[j] + CELL_PAD_X + inner - w
                    else:
                        x = xs[j] + CELL_PAD_X
                    self.text(x, block_top - (k + 0.5) * leading, s, t.size)
        c.saveState()
        c.setLineWidth(RULE_WIDTH)
        for y in ys:  # every row edge, each its own path
            c.line(xs[0], y, xs[-1], y)
        for x in xs:  # every column edge
            c.line(x, ys[-1], x, ys[0])
        c.restoreState()
        self.y = ys[-1]


def _square(rows: list[list[str]]) -> list[list[str]]:
    """Rows padded to the widest row."""
    ncols = max(len(r) for r in rows)
    return [list(r) + [""] * (ncols - len(r)) for r in rows]


def _fix_timestamp(canvas) -> None:
    """Creation and modification date FIXED_TIME, whatever SOURCE_DATE_EPOCH says."""
    ts = canvas._doc._timeStamp
    t = FIXED_TIME.timestamp()
    ts.t = t
    ts.lt = time.gmtime(t)
    ts.YMDhms = tuple(ts.lt)[:6]
    ts.dhh = ts.dmm = 0
    ts.tzname = "UTC"
    doc = canvas._doc  # the file ID digest starts from the timestamp: start it again
    doc.signature = hashlib.md5(usedforsecurity=False)
    doc.signature.update(b"a reportlab document")
    doc.signature.update(ascii(t).encode())


def blocks_to_pdf(blocks: list[Block], title: str, author: str) -> bytes:
    """An A4 PDF of the report: text layer, headings, ruled tables; deterministic bytes."""
    pages = _Pages(title, author)
    for i, b in enumerate(blocks):
        if b.kind == "title":
            pages.title(b.text)
        elif b.kind == "heading":
            pages.heading(b.text, b.level, keep=pages.start_height(blocks[i + 1 :]))
        elif b.kind == "para":
            pages.paragraph(b.text)
        elif b.kind == "table":
            pages.table(b)
    return pages.finish()
