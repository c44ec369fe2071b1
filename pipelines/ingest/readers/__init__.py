"""Readers turn a file into a Document; the format is detected from content, not the extension.

Every file that cannot be read raises IngestError with a stable code and a Chinese message that
names the problem and what the finance officer should do (README, "Bad input"). Limits:

- ``MAX_FILE_BYTES``: a file larger than this is refused (``file_too_large``) before it is read
  into memory; the .docx/.xlsx readers also refuse archives that inflate beyond their own
  ``MAX_UNCOMPRESSED_BYTES`` (zip bombs), the PDF reader documents of more than ``MAX_PAGES``.
- A file that disappears between discovery and reading is ``file_vanished``; one whose bytes no
  longer hash to what discovery recorded is ``file_changed_during_read`` (``read_report`` with
  ``expected_sha256``).

Macro-enabled Office files (.docm, .xlsm, or a .docx/.xlsx carrying a vbaProject.bin) are
accepted as their base format and read as data only: python-docx and openpyxl never run macros,
openpyxl is called with ``keep_vba=False``, and the VBA project is never parsed.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from pipelines.errors import IngestError
from pipelines.ingest.document import Block, Document
from pipelines.ingest.readers.detect import detect_format
from pipelines.ingest.readers.docx_reader import read_docx
from pipelines.ingest.readers.pdf_reader import read_pdf
from pipelines.ingest.readers.sheet_reader import read_xls, read_xlsx
from pipelines.ingest.readers.txt_reader import read_txt

SUPPORTED_SUFFIXES = {".txt", ".docx", ".docm", ".pdf", ".xlsx", ".xlsm", ".xls", ".doc"}

# A report is a few MB at most (the real PDFs with scanned seals: under 4 MB); anything far
# larger is refused before it is read into memory.
MAX_FILE_BYTES = 200 * 1024 * 1024

_WORD_SUFFIXES = (".docx", ".docm")
_SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et")

_OLD_WORD = "旧版 Word 文件（.doc）不受支持。请在 Word/WPS 中另存为 .docx 后重新放入 raw/。"
_ENCRYPTED_OFFICE = (
    "文件是加密（设置了打开密码）的 Office 文档，无法读取。请向报送部门索取未加密的版本。"
)
_NOT_WHAT_SUFFIX_SAYS = {
    "corrupt_docx": "文件扩展名为 {suffix}，但内容不是完整的 Word 文档（已损坏、传输不完整或扩展名有误），无法读取。"
    "请在 Word/WPS 中打开确认后重新导出为 .docx，再放入 raw/。",
    "corrupt_xlsx": "文件扩展名为 {suffix}，但内容不是完整的 Excel 工作簿（已损坏、传输不完整或扩展名有误），无法读取。"
    "请在 Excel/WPS 中打开确认后重新另存为 .xlsx，再放入 raw/。",
    "corrupt_pdf": "文件扩展名为 .pdf，但内容不是 PDF（已损坏、传输不完整或扩展名有误），无法读取。"
    "请重新导出或向报送部门索取完整的 PDF，再放入 raw/。",
}


def read_document(path: Path, source_path: str) -> Document:
    """Read ``path`` into blocks; raise IngestError with a specific message otherwise."""
    return parse_document(read_bytes(path), path.suffix.lower(), source_path)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, size-checked before reading: ``file_too_large``, ``file_vanished``
    (deleted or moved since discovery), ``file_unreadable`` (no permission, a folder, I/O error)."""
    limit = MAX_FILE_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise _too_large(size, limit)
        with path.open("rb") as fh:
            data = fh.read(limit + 1)  # the file may grow after stat
    except FileNotFoundError as exc:
        raise IngestError(
            "read",
            "file_vanished",
            "文件在读取时已不存在（发现文件后被移动、改名或删除）。如该报告仍需入库，"
            "请把文件放回 raw/ 后重新运行；如是有意删除，可忽略此条，下次运行时会自动清除。",
        ) from exc
    except OSError as exc:
        raise IngestError(
            "read",
            "file_unreadable",
            f"文件无法打开读取（{type(exc).__name__}: {exc.strerror or exc}）。"
            "请检查文件权限或是否被其他程序独占，然后重新运行。",
        ) from exc
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data


def parse_document(data: bytes, suffix: str, source_path: str) -> Document:
    """The document in ``data``; ``suffix`` (lower case, with the dot) only decides between
    formats the bytes cannot tell apart, and names what a broken file was meant to be."""
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
        if suffix in _SHEET_SUFFIXES:
            return read_xls(data, source_path)
        if suffix == ".doc":
            raise IngestError("read", "unsupported_doc", _OLD_WORD)
        raise IngestError("read", "encrypted_office", _ENCRYPTED_OFFICE)
    # A broken zip or bytes of no known format: say what the file was meant to be.
    meant = (
        "corrupt_docx"
        if suffix in _WORD_SUFFIXES
        else "corrupt_xlsx"
        if suffix in _SHEET_SUFFIXES
        else "corrupt_pdf"
        if suffix == ".pdf"
        else None
    )
    if meant is not None and (fmt == "binary" or fmt == "broken_zip"):
        raise IngestError("read", meant, _NOT_WHAT_SUFFIX_SAYS[meant].format(suffix=suffix))
    if fmt in ("zip", "broken_zip"):
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
    path: Path,
    source_path: str,
    attachments: tuple[tuple[Path, str], ...] = (),
    expected_sha256: str | None = None,
) -> Document:
    """A report and its table attachments as one document: the attachments' blocks follow the
    report's, under a part heading for the published tables, with their own file in each location.

    ``expected_sha256``: the hash discovery recorded for the file. When given (and the report has
    no attachments, whose recorded hash is a combination), the bytes read must hash to it, else
    ``file_changed_during_read``: the rows would not be those of the version the run recorded.
    """
    data = read_bytes(path)
    if expected_sha256 is not None and not attachments:
        if hashlib.sha256(data).hexdigest() != expected_sha256:
            raise IngestError(
                "read",
                "file_changed_during_read",
                "文件在读取过程中被修改（内容与本次运行开始时登记的不一致，可能仍在复制或传输中），"
                "本次未入库。请待部门文件传输完成后重新运行。",
            )
    doc = parse_document(data, path.suffix.lower(), source_path)
    for attachment, rel in attachments:
        try:
            extra = read_document(attachment, rel)
        except IngestError as exc:
            raise IngestError(exc.stage, exc.code, f"附表文件“{rel}”：{exc.message}") from exc
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


def _too_large(size: int, limit: int) -> IngestError:
    return IngestError(
        "read",
        "file_too_large",
        f"文件大小为 {_size_text(size)}，超过 {_size_text(limit)} 的上限，未读取（部门决算报告通常只有几 MB，"
        "疑为异常文件或嵌入了大量图片）。请压缩图片或删除无关内容后重新导出，再放入 raw/。",
    )


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 2**20:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} 字节"
