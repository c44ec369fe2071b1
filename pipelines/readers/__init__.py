"""Readers turn a file into a Document; the format is detected from content, not the extension."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipelines.document import Block, Document
from pipelines.errors import IngestError
from pipelines.readers.detect import detect_format
from pipelines.readers.docx_reader import read_docx
from pipelines.readers.pdf_reader import read_pdf
from pipelines.readers.sheet_reader import read_xls, read_xlsx
from pipelines.readers.txt_reader import read_txt

SUPPORTED_SUFFIXES = {".txt", ".docx", ".pdf", ".xlsx", ".xls", ".doc"}

_OLD_WORD = "旧版 Word 文件（.doc）不受支持。请在 Word/WPS 中另存为 .docx 后重新放入 raw/。"
_ENCRYPTED_OFFICE = (
    "文件是加密（设置了打开密码）的 Office 文档，无法读取。请向报送部门索取未加密的版本。"
)


def read_document(path: Path, source_path: str) -> Document:
    """Read ``path`` into blocks; raise IngestError with a specific message otherwise."""
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(
            "read", "empty_file", "文件为空（0 字节或只有空白）。请重新导出该报告后放入 raw/。"
        )
    fmt = detect_format(data)
    if fmt == "docx":
        return read_docx(data, source_path)
    if fmt == "text":
        return read_txt(data, source_path)
    if fmt == "pdf":
        return read_pdf(data, source_path)
    if fmt == "xlsx":
        return read_xlsx(data, source_path)
    if fmt == "ole":
        # One container for .xls, .doc and encrypted .docx/.xlsx: the extension says which.
        suffix = path.suffix.lower()
        if suffix in (".xls", ".xlsx", ".et"):
            return read_xls(data, source_path)
        if suffix == ".doc":
            raise IngestError("read", "unsupported_doc", _OLD_WORD)
        raise IngestError("read", "encrypted_office", _ENCRYPTED_OFFICE)
    if fmt == "zip":
        raise IngestError(
            "read",
            "unknown_zip",
            "文件是压缩包，但不是 Word 文档（缺少 word/document.xml），可能已损坏或扩展名有误。",
        )
    raise IngestError(
        "read",
        "binary_file",
        "文件不是文本，也不是可识别的文档格式（.txt/.docx/.pdf/.xlsx/.xls）。请检查文件是否损坏，或扩展名是否正确。",
    )


def read_report(
    path: Path, source_path: str, attachments: tuple[tuple[Path, str], ...] = ()
) -> Document:
    """A report and its table attachments as one document: the attachments' blocks follow the
    report's, under a part heading for the published tables, with their own file in each location."""
    doc = read_document(path, source_path)
    for attachment, rel in attachments:
        extra = read_document(attachment, rel)
        name = Path(rel).name
        doc.blocks.append(
            Block(len(doc.blocks), "paragraph", f"第九部分 部门决算公开表（{name}）", name)
        )
        offset = 1 + max(
            (b.table_index for b in doc.blocks if b.table_index is not None), default=-1
        )
        for b in extra.blocks:
            doc.blocks.append(
                replace(
                    b,
                    index=len(doc.blocks),
                    location=f"{name} {b.location}",
                    table_index=None if b.table_index is None else b.table_index + offset,
                )
            )
    return doc
