"""Plain-text reports: UTF-8 (with or without BOM), UTF-16, GB18030/GBK.

Encoding is decided by strict decoding in a fixed order and, when neither UTF-8 nor
GB18030 decodes, by charset-normalizer. Tab-separated lines are table rows (that is how
tables arrive when a report was exported from Word to text); text laid out with spaces
(``pdftotext -layout``) has its tables rebuilt from the columns of its figures
(pipelines.ingest.readers.layout_tables).
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from pipelines.errors import IngestError
from pipelines.ingest.document import Block, Document
from pipelines.ingest.readers.layout_tables import find_layout_tables
from pipelines.text import strip_debris


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(text):
        return text, "gb18030"
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(
            "read",
            "unknown_encoding",
            "无法识别文本编码（不是 UTF-8 或 GB18030/GBK）。请用 WPS/记事本另存为 UTF-8 后重新放入 raw/。",
        )
    return str(best), best.encoding


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes almost any bytes; accept it only when the result reads as Chinese."""
    sample = text[:20000]
    cjk = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in sample if not ch.isspace() and not ch.isascii())
    return letters == 0 or cjk / letters > 0.6


def read_txt(data: bytes, source_path: str) -> Document:
    text, encoding = decode_text(data)
    doc = Document(source_path=source_path, source_format="txt", encoding=encoding)
    builder = _TextBlocks(doc)
    lines = [strip_debris(raw).rstrip("\r") for raw in text.splitlines()]
    # pdftotext ends each page with a form feed: the line after it begins a page
    page_starts = {
        n + 2 for n, raw in enumerate(text.splitlines(keepends=True)) if raw.endswith("\f")
    }
    laid_out = {t.first_line: t for t in find_layout_tables(lines, page_starts)}
    skip_to = 0
    for line_no, line in enumerate(lines, start=1):
        if line_no <= skip_to:
            continue
        table = laid_out.get(line_no)
        if table is not None:
            builder.flush_row()
            builder.in_table = False
            for row_line, cells in table.rows:
                builder.row(cells, row_line, doubt=table.doubt, rebuilt=not table.exact)
            builder.in_table = False
            skip_to = table.last_line
            continue
        builder.line(line, line_no)
    builder.flush_row()
    if not any(b.text.strip() for b in doc.blocks):
        raise IngestError("read", "empty_file", "文件没有可读的文字内容。请检查导出是否完整。")
    return doc


class _TextBlocks:
    """Lines to blocks. Word tables exported to text come in two shapes: a row per line with
    cells separated by tabs, or a cell per line (each line starting with a tab, a cell's text
    may wrap onto lines without one) with a blank line after each row."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.table_index = -1
        self.row_index = 0
        self.in_table = False
        self.pending: list[str] = []  # cells of a cell-per-line row
        self.pending_line = 0

    def line(self, line: str, line_no: int) -> None:
        cells = [c.strip() for c in line.split("\t")]
        filled = [c for c in cells if c]
        # A cell per line: one leading tab and one cell ("\t合计\t\t\t" is a row of cells).
        if line.startswith("\t") and line.count("\t") == 1:
            if not self.pending:
                self.pending_line = line_no
            self.pending.append(filled[0] if filled else "")
            return
        if not line.strip():
            self.flush_row()
            return
        if self.pending and "\t" not in line:
            self.pending[-1] = f"{self.pending[-1]}\n{line.strip()}".strip()  # a wrapped cell
            return
        self.flush_row()
        # A row may have one filled cell ("六、经营收入\t\t\t") once a table has started.
        if "\t" in line and (len(filled) >= 2 or (self.in_table and len(filled) == 1)):
            self.row(tuple(cells), line_no)
            return
        self.in_table = False
        self.paragraph(line.strip(), line_no)

    def flush_row(self) -> None:
        cells, self.pending = self.pending, []
        filled = [c for c in cells if c]
        if not filled:
            return
        if len(filled) == 1 and not self.in_table:
            self.paragraph(filled[0], self.pending_line)
        else:
            self.row(tuple(cells), self.pending_line)

    def row(
        self, cells: tuple[str, ...], line_no: int, doubt: str | None = None, rebuilt: bool = False
    ) -> None:
        if not self.in_table:
            self.table_index += 1
            self.row_index = 0
            self.in_table = True
        self.doc.blocks.append(
            Block(
                index=len(self.doc.blocks),
                kind="table_row",
                text="\t".join(c for c in cells if c),
                location=f"第{line_no}行",
                cells=cells,
                table_index=self.table_index,
                row_index=self.row_index,
                doubt=doubt,
                rebuilt=rebuilt,
            )
        )
        self.row_index += 1

    def paragraph(self, text: str, line_no: int) -> None:
        self.doc.blocks.append(
            Block(
                index=len(self.doc.blocks), kind="paragraph", text=text, location=f"第{line_no}行"
            )
        )
