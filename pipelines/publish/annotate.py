"""标注版 PDF: a copy of a department's PDF report with each finding boxed on its page.

Errors are boxed in red, warnings in amber, over the figure the finding is about (the share
that does not match its amounts, the total that is not the sum of its parts ...); each box
carries the finding's message as its note (the annotation's Contents, which viewers show when
the box is clicked or hovered), titled like the review lists it ("错误 3 · 占比与金额"). The
boxes come from the warehouse (pipelines/ingest/figure_boxes.py stores them while the report is read):
nothing here reads the PDF's text again. Findings that point at no place in the PDF (a missing
table, a missing statement, a figure from an Excel attachment) are listed in one note on the
first page.

The annotations are written with PDFium's own API through pypdfium2, the library that already
reads the reports: no second PDF library, and PDFium writes the appearance of a square
annotation itself. The source in raw/ is only read; the copy is written beside the review.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipelines.ingest.discover import _ATTACHMENT, _SHEETS
from pipelines.storage import replace_atomically

SUFFIX = ".标注.pdf"  # <review stem>.标注.pdf beside <review stem>.html
SEVERITY_NAMES = {"error": "错误", "warning": "提醒"}
COLORS = {"error": (220, 30, 30), "warning": (235, 150, 0)}  # red, amber
_PAD = 1.5  # points around the figure's characters
_BORDER = 1.2
_NOTE_SIZE = 20.0

# Which figure of its statement a finding is about, by check id (or its family's prefix):
# the first of these the statement's figure_boxes has.
_FIGURES = {
    "share": ("share", "amount"),
    "yoy.change_pct": ("change_pct", "change", "amount"),
    "yoy.flat": ("change", "change_pct", "amount"),
    "yoy.prior_year": ("amount", "change"),
    "budget.completion": ("completion", "amount"),
    "budget.direction": ("amount", "budget"),
    "cross_section.change": ("change", "amount"),
    "cross_section.part_changes": ("change", "amount"),
    "code": ("code", "name", "amount"),
}
_DEFAULT_FIGURES = ("amount", "share", "change", "change_pct", "completion", "budget", "code")


@dataclass(frozen=True)
class Mark:
    """One finding to show: on page ``page`` (1-based) over ``rect`` (x0, y0, x1, y1, in the
    page's unrotated user space), or, without a place, in the first page's note."""

    severity: str  # error | warning
    title: str  # "错误 3 · 占比与金额"
    message: str
    page: int | None = None
    rect: tuple[float, float, float, float] | None = None


def figures_for(check_id: str) -> tuple[str, ...]:
    return _FIGURES.get(check_id) or _FIGURES.get(check_id.split(".", 1)[0]) or _DEFAULT_FIGURES


def place(
    check_id: str, figure_boxes: str | None, source_boxes: str | None
) -> tuple[int, tuple[float, float, float, float]] | None:
    """(page, rect) of a finding: its statement's figure it is about, or the quote a finding
    made while reading stored for itself; None when it has no place on a page."""
    rects: list = []
    if figure_boxes:
        boxes = json.loads(figure_boxes)
        for name in figures_for(check_id):
            if boxes.get(name):
                rects = boxes[name]
                break
    if not rects and source_boxes:
        rects = json.loads(source_boxes)
    if not rects:
        return None
    page = int(rects[0][0])
    on_page = [r for r in rects if int(r[0]) == page]
    return page, (
        min(r[1] for r in on_page) - _PAD,
        min(r[2] for r in on_page) - _PAD,
        max(r[3] for r in on_page) + _PAD,
        max(r[4] for r in on_page) + _PAD,
    )


_ORDER = (
    "CASE q.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
    "q.statement_no NULLS LAST, q.check_id, q.source_location, q.message"
)


def report_marks(con: duckdb.DuckDBPyConnection, report_id: str) -> list[Mark]:
    """The report's errors and warnings, numbered as its review lists them, each with its
    place when the warehouse knows it. A check listed under another as its consequence (one
    wrong figure, several failed checks: pipelines/quality/grouping.py) is boxed where its own
    figure is, under its lead's number."""
    from pipelines.publish.review import check_name  # the review's names for the checks
    from pipelines.quality.grouping import groups_of, nest

    rows = con.execute(
        "SELECT q.severity, q.family, q.check_id, q.message, q.source_boxes, s.figure_boxes, "
        "q.finding_id "
        "FROM quality.check_result q LEFT JOIN core.statement s "
        "ON s.report_id = q.report_id AND s.statement_no = q.statement_no "
        "WHERE q.report_id = ? AND NOT q.passed AND q.severity IN ('error', 'warning') "
        # a finding a reviewer marked 不是问题 is listed apart in the review, not boxed here
        "AND (q.finding_id IS NULL OR q.finding_id NOT IN (SELECT finding_id "
        "FROM quality.finding_status WHERE report_id = ? AND status = 'dismissed' "
        "AND finding_id IS NOT NULL)) "
        f"ORDER BY {_ORDER}",
        [report_id, report_id],
    ).fetchall()
    names = ("severity", "family", "check_id", "message", "source_boxes", "figure_boxes")
    findings = nest(
        [dict(zip((*names, "finding_id"), r, strict=True)) for r in rows],
        groups_of(con, [report_id]),
    )
    marks: list[Mark] = []
    numbers = {"error": 0, "warning": 0}
    for lead in findings:
        severity = lead["severity"]
        numbers[severity] += 1
        number = f"{SEVERITY_NAMES[severity]} {numbers[severity]}"
        more = len(lead["consequences"])
        for f, title in (
            (lead, f"{number} · {check_name(lead['check_id'], lead['family'])}"
             + (f"（另有{more}项由此导致）" if more else "")),
            *(
                (c, f"{number} 由此导致 · {check_name(c['check_id'], c['family'])}")
                for c in lead["consequences"]
            ),
        ):  # fmt: skip
            where = place(f["check_id"], f["figure_boxes"], f["source_boxes"])
            page, rect = where if where is not None else (None, None)
            marks.append(Mark(f["severity"], title, f["message"] or "", page, rect))
    return marks


def annotate_pdf(data: bytes, marks: list[Mark]) -> bytes:
    """A copy of the PDF ``data`` with a box per placed mark and one note on the first page
    listing the marks without a place. The same data and marks give the same bytes."""
    pdf = pdfium.PdfDocument(data)
    try:
        pages = len(pdf)
        placed = [m for m in marks if m.rect is not None and 1 <= (m.page or 0) <= pages]
        unplaced = [m for m in marks if m.rect is None or not 1 <= (m.page or 0) <= pages]
        for number in sorted({m.page for m in placed}):
            page = pdf[number - 1]
            try:
                for m in placed:
                    if m.page == number:
                        _add(
                            page, pdfium_c.FPDF_ANNOT_SQUARE, m.rect, m.severity, m.title, m.message
                        )
            finally:
                page.close()
        if unplaced and pages:
            page = pdf[0]
            try:
                severity = "error" if any(m.severity == "error" for m in unplaced) else "warning"
                text = "\n".join(f"{m.title}：{m.message}" for m in unplaced)
                _add(
                    page,
                    pdfium_c.FPDF_ANNOT_TEXT,
                    _note_rect(page),
                    severity,
                    f"审核意见：{len(unplaced)}处问题未能在页面上标出",
                    text,
                )
            finally:
                page.close()
        had_id = bool(pdf.get_identifier(pdfium_c.FILEIDTYPE_PERMANENT))
        out = io.BytesIO()
        pdf.save(out)
        return _fixed_identifier(out.getvalue(), keep_first=had_id)
    finally:
        pdf.close()


_FILE_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]*)>\s*<([0-9A-Fa-f]*)>\s*\]")


def _fixed_identifier(data: bytes, keep_first: bool) -> bytes:
    """The saved file with PDFium's fresh file identifier (the trailer's /ID, new at every
    save) replaced by a hash of the file: the same source and marks give the same bytes. The
    permanent part of the source's own /ID is kept. Same length: no offset moves."""
    found = list(_FILE_ID.finditer(data))
    if not found:
        return data
    m = found[-1]
    groups = [1, 2] if not keep_first else [2]
    blank = bytearray(data)
    for g in groups:
        blank[m.start(g) : m.end(g)] = b"0" * (m.end(g) - m.start(g))
    digest = hashlib.sha256(bytes(blank)).hexdigest().upper().encode() * 2
    for g in groups:
        blank[m.start(g) : m.end(g)] = digest[: m.end(g) - m.start(g)]
    return bytes(blank)


def _wide(text: str):
    raw = (text + "\x00").encode("utf-16-le")
    return ctypes.cast(ctypes.create_string_buffer(raw, len(raw)), pdfium_c.FPDF_WIDESTRING)


def _add(page, subtype: int, rect, severity: str, title: str, contents: str) -> None:
    annot = pdfium_c.FPDFPage_CreateAnnot(page.raw, subtype)
    if not annot:
        raise pdfium.PdfiumError("Failed to create annotation.")
    try:
        x0, y0, x1, y1 = rect
        box = pdfium_c.FS_RECTF(x0, y1, x1, y0)  # left, top, right, bottom
        r, g, b = COLORS[severity]
        ok = (
            pdfium_c.FPDFAnnot_SetRect(annot, box)
            and pdfium_c.FPDFAnnot_SetColor(annot, pdfium_c.FPDFANNOT_COLORTYPE_Color, r, g, b, 255)
            and pdfium_c.FPDFAnnot_SetFlags(annot, pdfium_c.FPDF_ANNOT_FLAG_PRINT)
            and pdfium_c.FPDFAnnot_SetStringValue(annot, b"T", _wide(title))
            and pdfium_c.FPDFAnnot_SetStringValue(annot, b"Contents", _wide(contents))
        )
        if ok and subtype == pdfium_c.FPDF_ANNOT_SQUARE:
            ok = pdfium_c.FPDFAnnot_SetBorder(annot, 0.0, 0.0, _BORDER)
        if not ok:
            raise pdfium.PdfiumError("Failed to set the annotation's rectangle, colour or text.")
    finally:
        pdfium_c.FPDFPage_CloseAnnot(annot)


def _note_rect(page) -> tuple[float, float, float, float]:
    """A note's square at the top left corner of the page as it is shown (after /Rotate)."""
    x0, y0, x1, y1 = page.get_cropbox()
    m, s = 8.0, _NOTE_SIZE
    corner = {
        0: (x0 + m, y1 - m - s),  # the unturned page's top left
        90: (x0 + m, y0 + m),  # turned clockwise: its bottom left is shown at the top left
        180: (x1 - m - s, y0 + m),
        270: (x1 - m - s, y1 - m - s),
    }[page.get_rotation() % 360]
    return corner[0], corner[1], corner[0] + s, corner[1] + s


def _same_version(source: Path, data: bytes, loaded_sha256: str) -> bool:
    """Whether ``data`` (the PDF in raw/ now) is the version the warehouse holds: its hash, or,
    for a report with 附表 workbooks, the hash discovery made of it and them together."""
    own = hashlib.sha256(data).hexdigest()
    if own == loaded_sha256:
        return True
    sheets = sorted(
        p
        for p in source.parent.iterdir()
        if p.suffix.lower() in _SHEETS
        and p.stem.startswith(source.stem)
        and _ATTACHMENT.match(p.stem[len(source.stem) :])
    )
    if not sheets:
        return False
    digests = [own] + [hashlib.sha256(p.read_bytes()).hexdigest() for p in sheets]
    return hashlib.sha256("".join(digests).encode()).hexdigest() == loaded_sha256


def write_annotated_pdf(
    con: duckdb.DuckDBPyConnection,
    report_id: str,
    source: Path,
    target: Path,
) -> Path | None:
    """Write ``target``, the 标注版 of the PDF report ``source`` (in raw/, only read), when the
    report has errors or warnings; remove a former one otherwise (also when the department's
    report is no longer a PDF). Returns ``target`` or None.

    The copy is written whole or not at all (storage.replace_atomically); when a file with
    the same bytes is already there (a run with the same findings), it is left untouched. A
    source that is gone, or no longer the version the warehouse holds, gets no copy.
    """
    if source.suffix.lower() != ".pdf":
        target.unlink(missing_ok=True)
        return None
    marks = report_marks(con, report_id)
    row = con.execute(
        "SELECT source_sha256 FROM core.report WHERE report_id = ?", [report_id]
    ).fetchone()
    data = source.read_bytes() if marks and row and source.is_file() else None
    if data is None or not _same_version(source, data, row[0]):
        target.unlink(missing_ok=True)
        return None
    out = annotate_pdf(data, marks)
    if target.is_file() and target.stat().st_size == len(out) and target.read_bytes() == out:
        return target
    replace_atomically(target, lambda tmp: tmp.write_bytes(out))
    return target
