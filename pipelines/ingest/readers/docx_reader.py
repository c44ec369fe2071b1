"""Word .docx reports: paragraphs and real Word tables, in document order.

Macro-enabled documents (.docm, or a .docx carrying word/vbaProject.bin) and Word templates
(.dotx/.dotm) are read as data only: their main part is declared a plain document so that
python-docx opens it, and the VBA project stays an unread blob; no macro is ever run or parsed.
"""

from __future__ import annotations

import io
import zipfile

from docx import Document as open_docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from pipelines.errors import IngestError
from pipelines.ingest.document import Block, Document
from pipelines.text import strip_debris

# A .docx is a zip; refuse archives that inflate beyond this (zip bombs).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024

_CONTENT_TYPES = "[Content_Types].xml"
_PLAIN_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
# Main-part content types python-docx refuses although the part is an ordinary document body.
_OTHER_MAINS = (
    b"application/vnd.ms-word.document.macroEnabled.main+xml",
    b"application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
)


def read_docx(data: bytes, source_path: str) -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise IngestError(
            "read", "corrupt_docx", f"Word 文件已损坏，无法打开（{exc}）。请重新导出。"
        ) from exc
    if total > MAX_UNCOMPRESSED_BYTES:
        raise IngestError(
            "read",
            "docx_too_large",
            f"Word 文件解压后超过 {MAX_UNCOMPRESSED_BYTES // 2**20} MB，疑似异常文件（压缩炸弹）或嵌入了过多图片，未读取。"
            "请在 Word/WPS 中打开确认后压缩图片、另存为 .docx，再放入 raw/。",
        )
    data = _as_plain_document(archive, data)
    try:
        word = open_docx(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for broken packages
        raise IngestError(
            "read",
            "corrupt_docx",
            f"Word 文件无法解析（{type(exc).__name__}: {exc}）。请重新导出。",
        ) from exc

    doc = Document(source_path=source_path, source_format="docx", encoding=None)
    paragraph_no = 0
    table_no = 0
    for element in word.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph_no += 1
            text = strip_debris(Paragraph(element, word).text).strip()
            if text:
                doc.blocks.append(
                    Block(
                        index=len(doc.blocks),
                        kind="paragraph",
                        text=text,
                        location=f"段落{paragraph_no}",
                    )
                )
        elif tag == "tbl":
            table_no += 1
            _append_table(doc, Table(element, word), table_no)
    return doc


def _as_plain_document(archive: zipfile.ZipFile, data: bytes) -> bytes:
    """The package with a macro-enabled or template main part declared a plain document (the
    same bytes when it already is one). Every other part, the VBA project included, is copied
    as it is; nothing in it is interpreted."""
    try:
        types = archive.read(_CONTENT_TYPES)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return data  # python-docx reports the broken package
    if not any(other in types for other in _OTHER_MAINS):
        return data
    for other in _OTHER_MAINS:
        types = types.replace(other, _PLAIN_MAIN)
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in archive.infolist():
                body = types if info.filename == _CONTENT_TYPES else archive.read(info)
                target.writestr(info, body)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(
            "read", "corrupt_docx", f"Word 文件已损坏，无法打开（{exc}）。请重新导出。"
        ) from exc
    return out.getvalue()


def _append_table(doc: Document, table: Table, table_no: int) -> None:
    for row_no, row in enumerate(table.rows, start=1):
        # One entry per grid column so that columns line up with the header; a horizontally
        # merged cell is repeated, and printed once in ``text``.
        cells = [strip_debris(cell.text).strip() for cell in row.cells]
        distinct: list[str] = []
        seen: set[int] = set()
        for cell, value in zip(row.cells, cells, strict=True):
            if id(cell._tc) not in seen and value:
                distinct.append(value)
            seen.add(id(cell._tc))
        if not distinct:
            continue
        doc.blocks.append(
            Block(
                index=len(doc.blocks),
                kind="table_row",
                text="\t".join(distinct),
                location=f"表格{table_no}第{row_no}行",
                cells=tuple(cells),
                table_index=table_no - 1,
                row_index=row_no - 1,
            )
        )
