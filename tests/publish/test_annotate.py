"""标注版 PDF: the review's copy of a PDF report with each error and warning boxed on its page.

Synthetic PDF reports with planted faults (tools.sample.faults) go through the pipeline;
the copy beside each review must open with pypdfium2 and hold one box per finding that has a
place, on the finding's page, over its figure: the box contains the boxes PDFium gives for
the characters of the planted figure (read here from the PDF's own text, not from the
warehouse). A page shown turned (/Rotate) is boxed in its unrotated space. The real Xi'an
report (skipped without ../shared/corpus/real) has its one real error boxed over "35%".
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import shutil
import unicodedata
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from pipelines.publish.annotate import SUFFIX, Mark, annotate_pdf, place
from tools.sample.generator import CATALOGUE_CSV
from tools.sample.pdf_writer import find_cjk_font, font_missing_reason

pytest.importorskip("reportlab", reason="reportlab is not installed (pip install -e .)")
pdfium = pytest.importorskip("pypdfium2")
pdfium_c = pytest.importorskip("pypdfium2.raw")

pytestmark = [
    pytest.mark.skipif(find_cjk_font() is None, reason=font_missing_reason()),
    pytest.mark.skipif(not CATALOGUE_CSV.exists(), reason="subject catalogue CSV not present"),
]

KINDS = ("share", "yoy", "budget", "cross_section", "item_amount")
RED, AMBER = (220, 30, 30), (235, 150, 0)


# -- reading annotations back, and figures from the PDF's own text ------------------------------


def _string(annot, key: bytes) -> str:
    size = pdfium_c.FPDFAnnot_GetStringValue(annot, key, None, 0)
    buf = (pdfium_c.FPDF_WCHAR * (size // 2))()
    pdfium_c.FPDFAnnot_GetStringValue(annot, key, buf, size)
    return bytes(buf).decode("utf-16-le").rstrip("\x00")


def annotations(path: Path) -> list[dict]:
    """Every annotation of the PDF: page (1-based), subtype, rect, colour, title, contents."""
    out = []
    pdf = pdfium.PdfDocument(path)
    try:
        for number, page in enumerate(pdf, start=1):
            for k in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
                annot = pdfium_c.FPDFPage_GetAnnot(page.raw, k)
                rect = pdfium_c.FS_RECTF()
                assert pdfium_c.FPDFAnnot_GetRect(annot, rect)
                rgba = [ctypes.c_uint() for _ in range(4)]
                pdfium_c.FPDFAnnot_GetColor(
                    annot, pdfium_c.FPDFANNOT_COLORTYPE_Color, *(ctypes.byref(c) for c in rgba)
                )
                out.append(
                    {
                        "page": number,
                        "subtype": pdfium_c.FPDFAnnot_GetSubtype(annot),
                        "rect": (rect.left, rect.bottom, rect.right, rect.top),
                        "color": tuple(c.value for c in rgba[:3]),
                        "title": _string(annot, b"T"),
                        "contents": _string(annot, b"Contents"),
                    }
                )
                pdfium_c.FPDFPage_CloseAnnot(annot)
    finally:
        pdf.close()
    return out


_NUMBER = re.compile(r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)")


def figure_boxes_on_page(pdf_path: Path, page_no: int, value: float, percent: bool) -> list:
    """For every place the page prints ``value`` (a percentage when ``percent``, then with its
    % sign), the tight boxes PDFium gives for its characters (unrotated page space)."""
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        textpage = pdf[page_no - 1].get_textpage()
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count)
        assert len(text) == count
        # one character for one: full-width digits, ．and ％ become ASCII
        norm = "".join(
            unicodedata.normalize("NFKC", ch) if len(unicodedata.normalize("NFKC", ch)) == 1 else ch
            for ch in text
        )
        found = []
        for m in _NUMBER.finditer(norm):
            if abs(float(m.group().replace(",", "")) - abs(value)) > 1e-9:
                continue
            end = m.end()
            if percent:
                if not norm.startswith("%", end):
                    continue
                end += 1
            boxes = []
            for k in range(m.start(), end):
                box = [ctypes.c_double() for _ in range(4)]
                assert pdfium_c.FPDFText_GetCharBox(
                    textpage.raw, k, *(ctypes.byref(b) for b in box)
                )
                left, right, bottom, top = (b.value for b in box)
                boxes.append((left, bottom, right, top))
            found.append(boxes)
        textpage.close()
        return found
    finally:
        pdf.close()


def contains(rect, boxes) -> bool:
    x0, y0, x1, y1 = rect
    return all(x0 <= a and y0 <= b and c <= x1 and d <= y1 for a, b, c, d in boxes)


def _sha(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(raw: Path, warehouse: Path) -> None:
    from pipelines.orchestration.run import Locations, check, ingest, load, publish_reviews

    loc = Locations(raw, warehouse)
    ingest(loc, workers=1)
    load(loc)
    check(loc, data_docs=False)
    publish_reviews(loc)


# -- synthetic PDF reports with planted faults -------------------------------------------------


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory):
    """{kind: (raw folder, warehouse, [(pdf, fault)])}, each kind's folder run once; and the
    hashes of every raw file before the runs."""
    from tools.sample.faults import make_faulty_corpus

    root = tmp_path_factory.mktemp("annotate")
    pairs = make_faulty_corpus(
        root, 2, (2024,), 31, kinds=KINDS, formats=("pdf",), layouts=("sichuan", "national")
    )
    before = _sha(root / "faulty")
    out = {}
    for kind in KINDS:
        raw = root / "faulty" / kind
        warehouse = root / "wh" / kind / "budget.duckdb"
        _run(raw, warehouse)
        out[kind] = (raw, warehouse, [(p, f) for p, f in pairs if f.kind == kind])
    assert all(out[k][2] for k in KINDS), {k: len(v[2]) for k, v in out.items()}
    return out, before, root


def _reports(warehouse: Path):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT report_id, department, fiscal_year, source_path FROM core.report"
        ).fetchall()


def _findings(warehouse: Path, report_id: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT q.severity, q.family, q.check_id, q.message, q.source_text, "
            "q.source_boxes, s.figure_boxes, q.observed "
            "FROM quality.check_result q LEFT JOIN core.statement s "
            "ON s.report_id = q.report_id AND s.statement_no = q.statement_no "
            "WHERE q.report_id = ? AND NOT q.passed AND q.severity IN ('error', 'warning')",
            [report_id],
        ).fetchall()


def _annotated(warehouse: Path, department: str, year: int) -> Path:
    from pipelines.publish.review import review_file_stem

    return warehouse.parent / "reports" / str(year) / f"{review_file_stem(department)}{SUFFIX}"


def test_one_box_per_finding_on_its_page(faulty):
    runs, _, _ = faulty
    boxed = 0
    for _raw, warehouse, _ in runs.values():
        for report_id, department, year, _source in _reports(warehouse):
            findings = _findings(warehouse, report_id)
            path = _annotated(warehouse, department, year)
            assert findings and path.is_file(), path
            marks = annotations(path)
            squares = [a for a in marks if a["subtype"] == pdfium_c.FPDF_ANNOT_SQUARE]
            notes = [a for a in marks if a["subtype"] == pdfium_c.FPDF_ANNOT_TEXT]
            placed = []
            unplaced = []
            for severity, _fam, check_id, message, _text, source_boxes, figure_boxes, _ in findings:
                where = place(check_id, figure_boxes, source_boxes)
                (placed if where else unplaced).append((severity, message, where))
            assert len(squares) == len(placed)
            # every finding with a place has its box there, in its level's colour, its
            # message as the note
            for severity, message, (page, rect) in placed:
                hits = [a for a in squares if a["contents"] == message and a["page"] == page]
                assert hits, message
                assert all(a["color"] == (RED if severity == "error" else AMBER) for a in hits)
                assert all(
                    a["title"].startswith("错误" if severity == "error" else "提醒") for a in hits
                )
                assert any(
                    all(abs(u - v) < 0.01 for u, v in zip(a["rect"], rect, strict=True))
                    for a in hits
                )
            # the others are listed in one note on the first page
            if unplaced:
                assert len(notes) == 1 and notes[0]["page"] == 1
                assert all(message in notes[0]["contents"] for _, message, _ in unplaced)
            else:
                assert not notes
            boxed += len(squares)
    assert boxed >= 10


def test_planted_fault_is_boxed_over_its_figure(faulty):
    """The error citing each planted figure is boxed on its page, and the box holds every
    character of the figure it is about (its ``observed``: the planted share, rate or amount
    itself; for a 项 amount changed, the total its parts no longer add up to) as PDFium
    reads it from the page."""
    from tools.sample.fault_score import cites
    from tools.sample.faults import load_faults

    runs, _, _ = faulty
    checked = 0
    for raw, warehouse, pairs in runs.values():
        reports = {source: (rid, d, y) for rid, d, y, source in _reports(warehouse)}
        for pdf_path, _ in pairs:
            rid, department, year = reports[pdf_path.relative_to(raw).as_posix()]
            boxes = annotations(_annotated(warehouse, department, year))
            for fault in load_faults(pdf_path):
                errors = [
                    f
                    for f in _findings(warehouse, rid)
                    if f[0] == "error" and f[1] == fault.family and cites(fault, f[3], f[4])
                ]
                if fault.kind != "item_amount":  # the finding is about the planted figure
                    errors = [f for f in errors if abs(abs(f[-1]) - fault.printed_value) < 1e-6]
                assert errors, fault
                percent = fault.field.endswith("_pct")
                ok = False
                for _sev, _fam, _check, message, *_, observed in errors:
                    for a in boxes:
                        if a["contents"] != message:
                            continue
                        figures = figure_boxes_on_page(pdf_path, a["page"], observed, percent)
                        ok = ok or any(contains(a["rect"], f) for f in figures)
                assert ok, (pdf_path.name, fault.kind, fault.printed_value, fault.line_hint)
                checked += 1
    assert checked >= len(KINDS)


def test_review_links_the_annotated_pdf(faulty):
    runs, _, _ = faulty
    _raw, warehouse, _ = runs["share"]
    for _rid, department, year, _source in _reports(warehouse):
        path = _annotated(warehouse, department, year)
        html = path.with_name(path.name[: -len(SUFFIX)] + ".html").read_text(encoding="utf-8")
        assert f'href="{quote(path.name)}"' in html


def test_the_index_links_the_annotated_pdf_beside_the_review(faulty):
    """The year's index.html links each PDF report's 标注版 next to its review and workbook;
    a department without one (no PDF, or nothing to box) gets no such link."""
    from pipelines.orchestration.run import Locations, publish_exports, update_warehouse
    from pipelines.publish.index import ReviewEntry, write_index

    runs, _, _ = faulty
    raw, warehouse, _ = runs["share"]
    loc = Locations(raw, warehouse)
    update_warehouse(loc, data_docs=False)  # nothing new to load: the marts are built
    publish_exports(loc)
    linked = 0
    for _rid, department, year, _source in _reports(warehouse):
        copy = _annotated(warehouse, department, year)
        assert copy.is_file()
        index = loc.export_dir / str(year) / "index.html"
        page = index.read_text(encoding="utf-8")
        row = next(line for line in page.splitlines() if f">{department}</a>" in line)
        href = f"../../reports/{year}/{quote(copy.name)}"
        assert f'<a href="{href}">标注版PDF</a>' in row, row
        assert (index.parent / "../../reports" / str(year) / copy.name).resolve() == copy.resolve()
        linked += 1
    assert linked
    plain = write_index(
        loc.export_dir / "plain", 2024, Path("book.xlsx"), [], [],
        [ReviewEntry("某局", Path("某局.html"), workbook=Path("某局.xlsx"))],
    )  # fmt: skip
    assert "标注版PDF" not in plain.read_text(encoding="utf-8")


def test_raw_is_never_written_and_a_rerun_leaves_the_copy_alone(faulty):
    from pipelines.orchestration.run import Locations, publish_reviews

    runs, before, root = faulty
    raw, warehouse, _ = runs["yoy"]
    copies = sorted((warehouse.parent / "reports").rglob(f"*{SUFFIX}"))
    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in copies}
    publish_reviews(Locations(raw, warehouse), full=True)
    for p, (data, mtime) in stamps.items():
        assert p.read_bytes() == data
        assert p.stat().st_mtime_ns == mtime  # the same findings: not written again
    assert _sha(root / "faulty") == before
    assert not list((root / "faulty").rglob(f"*{SUFFIX}"))


def test_same_marks_give_the_same_bytes(faulty):
    runs, _, _ = faulty
    raw, _, pairs = runs["budget"]
    data = pairs[0][0].read_bytes()
    marks = [
        Mark("error", "错误 1 · 完成预算比例", "完成预算写为…", 2, (100.0, 500.0, 150.0, 512.0)),
        Mark("warning", "提醒 1 · 决算公开表另附", "本文件只找到…"),
    ]
    first, second = annotate_pdf(data, marks), annotate_pdf(data, marks)
    assert first == second and first != data
    pdf = pdfium.PdfDocument(first)
    assert len(pdf) == len(pdfium.PdfDocument(data))
    pdf.close()


def test_a_finding_without_a_place_is_listed_on_the_first_page(tmp_path: Path, faulty):
    runs, _, _ = faulty
    data = runs["share"][2][0][0].read_bytes()
    marks = [
        Mark("warning", "提醒 1 · 决算公开表缺失", "未找到“收入决算表”。"),
        Mark("warning", "提醒 2 · 完整性", "未找到“机关运行经费”的说明或数据。"),
    ]
    path = tmp_path / "x.pdf"
    path.write_bytes(annotate_pdf(data, marks))
    (note,) = annotations(path)
    assert note["page"] == 1 and note["subtype"] == pdfium_c.FPDF_ANNOT_TEXT
    assert "2处问题未能在页面上标出" in note["title"]
    assert all(m.message in note["contents"] and m.title in note["contents"] for m in marks)
    assert note["color"] == AMBER


# -- a page shown turned ------------------------------------------------------------------------


@pytest.mark.parametrize("rotation", [90, 270])
def test_turned_page_is_boxed_in_its_unrotated_space(tmp_path: Path, rotation: int) -> None:
    from pipelines.ingest.extract.statement import Statement
    from pipelines.ingest.figure_boxes import locate_statements
    from pipelines.ingest.readers.pdf_reader import read_pdf
    from tests.ingest.test_pdf_landscape import _turned_pdf

    data = _turned_pdf(rotation)
    doc = read_pdf(data, "2023/x.pdf")
    row = next(b for b in doc.blocks if b.kind == "table_row" and "教育支出" in b.text)
    st = Statement(
        statement_no=1,
        block_index=row.index,
        part="table",
        section="",
        label="教育支出",
        metric="gpb_by_function",
        source_text=row.text,
        source_location=row.location,
        amount_wan=120.5,
        value_text="120.50",
        basic_wan=120.5,
        project_wan=0.0,
    )
    by_index = {b.index: b for b in doc.blocks}
    located = locate_statements([st], by_index, {b.location: b for b in doc.blocks})
    page, boxes = located[1]
    where = place("sum.basic_project_columns", boxes, None)
    assert where is not None and where[0] == page == 1
    path = tmp_path / "turned.pdf"
    path.write_bytes(annotate_pdf(data, [Mark("error", "错误 1", "合计不符", *where)]))
    (annot,) = annotations(path)
    # the first "120.50" of the row is the 合计 cell; PDFium's boxes are unrotated
    figures = figure_boxes_on_page(path, 1, 120.5, percent=False)
    assert figures and contains(annot["rect"], figures[0])
    # the box is narrow along the text: a figure's height, not a turned one's width
    x0, y0, x1, y1 = annot["rect"]
    assert (y1 - y0) > (x1 - x0)  # text runs up or down the unturned page


# -- the real Xi'an report ------------------------------------------------------------------------


def test_real_xian_error_is_boxed_over_its_rate(tmp_path: Path) -> None:
    from tests.conftest import real_file

    source = real_file("xian_weijian_2022_final.pdf")
    raw = tmp_path / "raw"
    (raw / "2022").mkdir(parents=True)
    shutil.copyfile(source, raw / "2022" / source.name)
    warehouse = tmp_path / "wh" / "budget.duckdb"
    _run(raw, warehouse)
    ((report_id, department, year, _),) = _reports(warehouse)
    errors = [f for f in _findings(warehouse, report_id) if f[0] == "error"]
    assert [f[2] for f in errors] == ["budget.completion"]
    path = _annotated(warehouse, department, year)
    boxes = [a for a in annotations(path) if a["contents"] == errors[0][3]]
    assert len(boxes) == 1 and boxes[0]["color"] == RED
    (box,) = boxes
    figures = figure_boxes_on_page(path, box["page"], 35, percent=True)
    assert box["page"] == 46 and any(contains(box["rect"], f) for f in figures)
    assert hashlib.sha256((raw / "2022" / source.name).read_bytes()).digest() == (
        hashlib.sha256(source.read_bytes()).digest()
    )


def test_a_pdf_loaded_without_places_is_read_again_once(tmp_path: Path, faulty):
    """A warehouse filled before figures' places were kept gets them, and the annotated
    copies, at the next run; the run after that reads nothing again."""
    from pipelines.orchestration.run import Locations, ingest

    runs, _, _ = faulty
    raw = tmp_path / "raw"
    shutil.copytree(runs["share"][0], raw)
    warehouse = tmp_path / "wh" / "budget.duckdb"
    _run(raw, warehouse)
    copies = sorted((warehouse.parent / "reports").rglob(f"*{SUFFIX}"))
    assert copies
    with duckdb.connect(str(warehouse)) as con:  # as an older version left it
        con.execute("UPDATE core.statement SET figure_boxes = NULL, page_no = NULL")
    for p in copies:
        p.unlink()
    _run(raw, warehouse)
    assert all(p.is_file() for p in copies)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(figure_boxes) FROM core.statement").fetchone()[0] > 0
    outcome = ingest(Locations(raw, warehouse), workers=1)
    assert not outcome.staged, outcome


def test_no_copy_for_a_report_that_is_no_longer_a_pdf(tmp_path: Path, faulty):
    from pipelines.publish.annotate import write_annotated_pdf

    runs, _, _ = faulty
    raw, warehouse, _ = runs["share"]
    ((report_id, department, year, source),) = _reports(warehouse)[:1]
    target = tmp_path / f"x{SUFFIX}"
    target.write_bytes(b"old")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert write_annotated_pdf(con, report_id, raw / "2024" / "x.txt", target) is None
        assert not target.exists()
        # the PDF itself, changed in raw/ since it was loaded: no copy from the wrong version
        changed = tmp_path / "changed.pdf"
        changed.write_bytes((raw / source).read_bytes() + b"\n")
        assert write_annotated_pdf(con, report_id, changed, target) is None
        assert write_annotated_pdf(con, report_id, raw / source, target) == target
