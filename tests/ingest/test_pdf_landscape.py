"""A table on a page shown turned (/Rotate 90 or 270), as landscape table pages are often made:
its text and rulings are read in the orientation the reader sees. Made here with reportlab."""

from __future__ import annotations

import io

import pytest

from pipelines.ingest.readers.pdf_reader import read_pdf
from tools.sample.pdf_writer import _register_font, find_cjk_font, font_missing_reason

pytest.importorskip("reportlab", reason="reportlab is not installed (pip install -e .)")
pdfium = pytest.importorskip("pypdfium2")
pytestmark = pytest.mark.skipif(find_cjk_font() is None, reason=font_missing_reason())

ROWS = [
    ["项目", "合计", "基本支出", "项目支出"],
    ["一般公共服务支出", "300.00", "200.00", "100.00"],
    ["教育支出", "120.50", "120.50", "0.00"],
]


def _turned_pdf(rotation: int) -> bytes:
    """A portrait page whose content is drawn turned, so that /Rotate shows it upright."""
    from reportlab.pdfgen import canvas

    width, height = 595.0, 842.0
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    font = _register_font()
    # Landscape coordinates (842 wide, 595 high) mapped onto the portrait page.
    if rotation == 90:
        c.translate(width, 0)
        c.rotate(90)
    else:
        c.translate(0, height)
        c.rotate(-90)
    c.setFont(font, 14)
    c.drawString(300, 540, "支出决算表")
    c.setLineWidth(0.5)
    left, top, col, row = 100, 500, 150, 30
    for k in range(len(ROWS) + 1):
        c.line(left, top - k * row, left + col * 4, top - k * row)
    for k in range(5):
        c.line(left + k * col, top, left + k * col, top - row * len(ROWS))
    c.setFont(font, 11)
    for r, cells in enumerate(ROWS):
        for k, text in enumerate(cells):
            c.drawString(left + k * col + 6, top - (r + 1) * row + 10, text)
    c.showPage()
    c.save()
    pdf = pdfium.PdfDocument(buf.getvalue())
    pdf[0].set_rotation(rotation)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("rotation", [90, 270])
def test_turned_page_reads_upright(rotation):
    doc = read_pdf(_turned_pdf(rotation), "2023/测试局.pdf")
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    rows = [list(b.cells) for b in doc.blocks if b.kind == "table_row"]
    assert paragraphs == ["支出决算表"]
    assert rows == ROWS
