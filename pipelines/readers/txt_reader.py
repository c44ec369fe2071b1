"""Plain-text reports: UTF-8 (with or without BOM), UTF-16, GB18030/GBK.

Encoding is decided by strict decoding in a fixed order and, when neither UTF-8 nor
GB18030 decodes, by charset-normalizer. Tab-separated lines are table rows (that is how
tables arrive when a report was exported from Word to text).
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from pipelines.document import Block, Document
from pipelines.errors import IngestError
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
    table_index = -1
    row_index = 0
    in_table = False
    for line_no, raw_line in enumerate(text.splitlines(), start=1):
        line = strip_debris(raw_line).rstrip("\r")
        cells = [c.strip() for c in line.split("\t")]
        filled = [c for c in cells if c]
        # A row may have one filled cell ("六、经营收入\t\t\t") once a table has started.
        if "\t" in line and (len(filled) >= 2 or (in_table and len(filled) == 1)):
            if not in_table:
                table_index += 1
                row_index = 0
                in_table = True
            doc.blocks.append(
                Block(
                    index=len(doc.blocks),
                    kind="table_row",
                    text="\t".join(filled),
                    location=f"第{line_no}行",
                    cells=tuple(cells),
                    table_index=table_index,
                    row_index=row_index,
                )
            )
            row_index += 1
            continue
        if line.strip():
            in_table = False
            doc.blocks.append(
                Block(
                    index=len(doc.blocks),
                    kind="paragraph",
                    text=line.strip(),
                    location=f"第{line_no}行",
                )
            )
    if not any(b.text.strip() for b in doc.blocks):
        raise IngestError("read", "empty_file", "文件没有可读的文字内容。请检查导出是否完整。")
    return doc
