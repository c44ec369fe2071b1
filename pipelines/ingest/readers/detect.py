"""Format detection by magic bytes: an extension says what a file should be, not what it is."""

from __future__ import annotations

import io
import zipfile


def detect_format(data: bytes) -> str:
    """Return one of: docx, xlsx, zip, broken_zip, pdf, ole, text, binary.

    ``broken_zip``: starts like a zip but its directory cannot be read (a truncated or damaged
    .docx/.xlsx); ``zip``: a readable zip that is neither a Word document nor a workbook.
    """
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "broken_zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    sample = data[:65536]
    if b"\x00" in sample and not (sample.startswith(b"\xff\xfe") or sample.startswith(b"\xfe\xff")):
        return "binary"
    return "text"
