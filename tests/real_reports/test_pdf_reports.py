"""The three Shanghai PDFs: the nine tables read cell by cell, checked from the warehouse."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.readers import read_document
from pipelines.orchestration.run import Locations, run_pipeline
from tests.conftest import real_file

PDFS = ["shpt_czj_2024_final.pdf", "shpt_ghzyj_2024_final.pdf", "shpt_shgzb_2024_final.pdf"]

# As printed in each report's tables (收入支出决算总表, 一般公共预算财政拨款支出决算表,
# 一般公共预算财政拨款基本支出决算表, 财政拨款"三公"经费支出决算表).
EXPECTED = {
    "shpt_czj_2024_final.pdf": {
        "income_current_year": 2946.25,
        "expenditure_current_year": 2940.05,
        "gpb_total": (2940.05, 2336.91, 603.14),
        "classes": {"201": 2106.66, "208": 326.72, "210": 60.99, "221": 445.69},
        "personnel_expenses": 2152.26,
        "public_expenses": 184.65,
        "three_public_total": (0.0, 0.95),  # (决算数, 预算数)
    },
    "shpt_ghzyj_2024_final.pdf": {
        "income_current_year": 9746.50,
        "expenditure_current_year": 9759.38,
        "gpb_total": (9746.50, 5364.75, 4381.74),
        "classes": {"208": 754.75, "210": 236.64, "212": 3832.36, "220": 4461.67, "221": 461.08},
        "personnel_expenses": 4884.09,
        "public_expenses": 480.66,
        "three_public_total": (0.39, 2.85),
    },
    "shpt_shgzb_2024_final.pdf": {
        "income_current_year": 307.82,
        "expenditure_current_year": 307.82,
        "gpb_total": (307.82, 105.58, 202.24),
        "classes": {"201": 264.87, "208": 10.82, "210": 2.71, "221": 29.42},
        "personnel_expenses": 95.36,
        "public_expenses": 10.23,
        "three_public_total": (0.0, None),  # 本表无数据
    },
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("pdfs")
    (root / "raw" / "2024").mkdir(parents=True)
    for name in PDFS:
        shutil.copyfile(real_file(name), root / "raw" / "2024" / name)
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    summary = run_pipeline(loc, workers=1)
    assert not summary.ingest_errors
    con = duckdb.connect(str(loc.warehouse), read_only=True)
    yield con
    con.close()


def table_figure(con, name: str, metric: str):
    return con.execute(
        "SELECT amount_wan, basic_wan, project_wan, budget_wan, source_location FROM core.statement s "
        "JOIN core.report r USING (report_id) WHERE r.source_path = ? AND s.metric = ? AND s.part = 'table' "
        "ORDER BY statement_no",
        [f"2024/{name}", metric],
    ).fetchall()


@pytest.mark.parametrize("name", PDFS)
def test_totals_from_the_tables(warehouse, name):
    want = EXPECTED[name]
    assert table_figure(warehouse, name, "income_current_year")[0][0] == want["income_current_year"]
    assert (
        table_figure(warehouse, name, "expenditure_current_year")[0][0]
        == want["expenditure_current_year"]
    )
    total = [r for r in table_figure(warehouse, name, "gpb_expenditure") if r[1] is not None][-1]
    assert total[:3] == want["gpb_total"]  # 合计, 基本支出, 项目支出 of the 一般公共预算 table
    assert total[4].startswith("第") and "页表格" in total[4]


@pytest.mark.parametrize("name", PDFS)
def test_class_rows_with_codes(warehouse, name):
    rows = warehouse.execute(
        "SELECT subject_code, amount_wan FROM core.expenditure_by_function e JOIN core.report r USING (report_id) "
        "WHERE r.source_path = ? AND e.part = 'table' AND e.basis = '一般公共预算财政拨款' AND e.level = '类'",
        [f"2024/{name}"],
    ).fetchall()
    assert dict(rows) == EXPECTED[name]["classes"]


@pytest.mark.parametrize("name", PDFS)
def test_personnel_public_and_three_public(warehouse, name):
    want = EXPECTED[name]
    assert table_figure(warehouse, name, "personnel_expenses")[0][0] == want["personnel_expenses"]
    assert table_figure(warehouse, name, "public_expenses")[0][0] == want["public_expenses"]
    amount, _, _, budget, _ = table_figure(warehouse, name, "three_public_total")[0]
    assert (amount, budget) == want["three_public_total"]


@pytest.mark.parametrize("name", PDFS)
def test_items_sum_to_their_class_or_are_reported(warehouse, name):
    rows = warehouse.execute(
        "SELECT q.passed, q.severity, q.source_location FROM quality.check_result q JOIN core.report r USING (report_id) "
        "WHERE r.source_path = ? AND q.check_id = 'sum.function_subjects' AND q.source_location LIKE '%表格%'",
        [f"2024/{name}"],
    ).fetchall()
    assert rows, "the table's 项 → 款 → 类 sums are checked"
    assert all(passed or severity == "error" for passed, severity, _ in rows)


def test_scanned_pdf_is_reported(tmp_path: Path):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(3):
        pdf.new_page(595, 842)
    path = tmp_path / "scan.pdf"
    pdf.save(str(path))
    from pipelines.errors import IngestError

    with pytest.raises(IngestError) as info:
        read_document(path, "2024/scan.pdf")
    assert info.value.code == "scanned_pdf" and "3 页" in info.value.message


def test_truncated_pdf_is_reported(tmp_path: Path):
    from pipelines.errors import IngestError

    data = real_file(PDFS[2]).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    try:
        doc = read_document(path, "2024/cut.pdf")
    except IngestError as exc:
        assert exc.code in {"corrupt_pdf", "scanned_pdf"}
    else:  # PDFium may recover the pages before the cut; then they must read as text
        assert doc.blocks


def test_findings_on_the_pdfs_are_explained(warehouse):
    rows = warehouse.execute(
        "SELECT r.source_path, q.severity, q.check_id, q.source_location, q.observed, q.lower_bound, q.upper_bound "
        "FROM quality.check_result q JOIN core.report r USING (report_id) "
        "WHERE NOT q.passed AND q.severity IN ('error', 'info')"
    ).fetchall()
    for _, severity, _, _, observed, lower, upper in rows:
        if severity == "error":
            assert observed < lower or observed > upper  # never a rounding artefact
    czj, ghzyj, shgzb = (f"2024/{name}" for name in PDFS)
    assert sorted((p, s, c, loc) for p, s, c, loc, *_ in rows) == sorted(
        [
            # The text says 财政拨款收入支出总计 0.3万元; the 财政拨款收入支出决算总表 says 2,961.68
            # (one finding for the income side, one for the expenditure side).
            (czj, "error", "cross_section.amount", "第21页第14行–第21页第17行"),
            (czj, "error", "cross_section.amount", "第21页第14行–第21页第17行"),
            # 一般公共服务支出 2106.66 of 2940.05 is 71.65%, printed 71.73%.
            (czj, "error", "share.interval", "第21页第24行–第21页第27行"),
            # 9746.50 / 10210.34 = 95.457%, printed 95.45 (cut, not rounded).
            (ghzyj, "error", "budget.completion", "第21页第14行–第21页第17行"),
            # The text gives 人员经费 4,896.98; the 基本支出 table's 人员经费合计 is 4,884.09
            # (and 4,884.09 + 公用经费 480.66 is the table's 基本支出 5,364.75).
            (ghzyj, "error", "cross_section.amount", "第24页第14行–第25页第1行"),
            # The same paragraph gives 一般公共预算财政拨款基本支出 5,377.64, the all-funds 基本支出 of
            # the 支出决算表; the 一般公共预算财政拨款支出决算表 gives 5,364.75.
            (ghzyj, "error", "cross_section.amount", "第24页第14行–第25页第1行"),
            # 9746.50 / 9759.38 = 99.868%, printed 99.86 (cut, not rounded).
            (ghzyj, "error", "share.interval", "第21页第2行–第21页第6行"),
            # 住房保障 29.42 / 307.82 = 9.557%, printed 9.55 so that the 类 shares add to 100%.
            (shgzb, "info", "share.interval", "第18页第4行–第18页第7行"),
        ]
    )


def test_tables_inside_form_xobjects_read_as_on_the_page():
    """Some producers draw each page into a form XObject: its rulings are found there too."""
    import pypdfium2 as pdfium

    from pipelines.ingest.readers.pdf_reader import read_pdf

    data = real_file(PDFS[2]).read_bytes()
    src = pdfium.PdfDocument(data)
    wrapped = pdfium.PdfDocument.new()
    for i in range(len(src)):
        width, height = src[i].get_size()
        page = wrapped.new_page(width, height)
        page.insert_obj(src.page_as_xobject(i, wrapped).as_pageobject())
        page.gen_content()
    out = io.BytesIO()
    wrapped.save(out)

    def blocks(doc):
        return [(b.kind, b.text, b.location, b.cells) for b in doc.blocks]

    direct = blocks(read_pdf(data, "direct.pdf"))
    assert any(kind == "table_row" for kind, *_ in direct)
    assert blocks(read_pdf(out.getvalue(), "wrapped.pdf")) == direct
