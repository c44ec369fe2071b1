"""Edit a real PDF's page content the way an author's slip would change it: one figure blanked
or printed differently, everything else left as it was. Works on the page objects PDFium reads
(pypdfium2, the library the project reads PDFs with): a cell's text object is removed, or its
text set anew in its own font (digits of a table cell: the embedded subset has them), and the
page's content stream is generated again from its objects. The copy reads back (PDFium's text)
and renders as the author's slip would."""

from __future__ import annotations

import ctypes
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c


def _text_of(obj, textpage) -> str:
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
    buf = (pdfium_c.FPDF_WCHAR * max(size, 1))()
    pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, buf, size)
    return bytes(buf).decode("utf-16-le").rstrip("\x00")


def _left(obj) -> float:
    box = [ctypes.c_float() for _ in range(4)]
    pdfium_c.FPDFPageObj_GetBounds(obj, *(ctypes.byref(b) for b in box))
    return box[0].value


def _wide(text: str):
    raw = (text + "\x00").encode("utf-16-le")
    return ctypes.cast(ctypes.create_string_buffer(raw, len(raw)), pdfium_c.FPDF_WIDESTRING)


def _objects(page, textpage, text: str) -> list:
    """The page's text objects whose text is ``text`` (spaces around it ignored), left to right."""
    found = []
    for k in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, k)
        if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        if _text_of(obj, textpage).strip() == text:
            found.append(obj)
    return sorted(found, key=_left)


def edit_figure(data: bytes, page_no: int, old: str, new: str | None, nth: int = 0) -> bytes:
    """The PDF ``data`` with the ``nth`` (left to right) text object reading ``old`` on page
    ``page_no`` (1-based) removed (``new`` None: a blank cell) or reading ``new``."""
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[page_no - 1]
        textpage = page.get_textpage()
        matches = _objects(page, textpage, old)
        assert len(matches) > nth, (page_no, old, len(matches))
        obj = matches[nth]
        if new is None:
            assert pdfium_c.FPDFPage_RemoveObject(page.raw, obj)
            pdfium_c.FPDFPageObj_Destroy(obj)
        else:
            assert pdfium_c.FPDFText_SetText(obj, _wide(new))
        assert pdfium_c.FPDFPage_GenerateContent(page.raw)
        textpage.close()
        page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def page_text(data: bytes, page_no: int) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[page_no - 1]
        return page.get_textpage().get_text_range()
    finally:
        pdf.close()
