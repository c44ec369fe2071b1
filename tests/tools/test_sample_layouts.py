"""The synthetic county in every layout: each renders in its template's shape, its truth holds
together and lists exactly the figures its tables print, the same seed gives the same bytes,
and the PDF-derived texts look like what pdftotext and pdfplumber give."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from tools.sample import generate_county, load_truth
from tools.sample.faults import canonical_lines, load_faults, make_faulty_corpus
from tools.sample.generator import CATALOGUE_CSV, SubjectCatalogue, build_county
from tools.sample.render import LAYOUTS, ReportWriter, Style
from tools.sample.writers import assign_layouts

pytestmark = pytest.mark.skipif(
    not CATALOGUE_CSV.exists(), reason="subject catalogue CSV not present"
)

YEARS = (2023, 2024)
SEED = 20241
N = 10  # two departments per layout


@pytest.fixture(scope="module")
def writers() -> dict[str, list[ReportWriter]]:
    """Every department of a small county rendered in every layout, for both years."""
    import random

    catalogue = SubjectCatalogue.load()
    depts = build_county(N, YEARS, SEED, catalogue)
    out: dict[str, list[ReportWriter]] = defaultdict(list)
    for layout in LAYOUTS:
        for dept in depts:
            for year in YEARS:
                style = Style.draw(random.Random(f"{SEED}:style:{dept.index}"))
                w = ReportWriter(
                    dept,
                    year,
                    catalogue,
                    style,
                    random.Random(f"{SEED}:{dept.index}:{year}"),
                    layout,
                )
                w.render()
                out[layout].append(w)
    return out


def _text(w: ReportWriter) -> str:
    return "\n".join(canonical_lines(w.blocks)[0])


def _values(w: ReportWriter) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for f in w.facts:
        out[f["metric"], f["subject_code"], f["section"]].append(f)
    return out


def _one(w: ReportWriter, metric: str, section: str = "table", code: str | None = None) -> Decimal:
    facts = _values(w).get((metric, code, section))
    return Decimal(str(facts[0]["value"])) if facts else Decimal(0)


def test_layouts_are_dealt_round_robin_in_a_seeded_order() -> None:
    dealt = assign_layouts(10, LAYOUTS, SEED)
    assert sorted(dealt) == sorted(LAYOUTS * 2)
    assert dealt == assign_layouts(10, LAYOUTS, SEED)
    assert assign_layouts(3, ("sichuan",), SEED) == ["sichuan"] * 3


def test_national_template_shape(writers) -> None:
    for w in writers["national"]:
        text = _text(w)
        for number in ("公开01表", "公开04表", "公开05表", "公开09表"):
            assert f"\n{number}\n编制部门：{w.dept.name}    金额单位：万元\n" in text
        # 行次 on both sides, the 栏次 row, the national rows of the 总表
        assert "项目\t行次\t金额\t项目\t行次\t金额" in text
        assert "栏次\t\t1\t栏次\t\t2" in text
        assert "\n使用非财政拨款结余\t10\t" in text and "\t结余分配\t19\t" in text
        assert "\n栏次\t\t1\t2\t3\n" in text  # under the 一般公共预算 table's header
        # the 9th table: 预算数 and 决算数 as rows, 会议费 and 培训费 as parts
        three = next(b for b in w.blocks if b.kind == "table" and "会议费" in b.text)
        assert [r[0] for r in three.rows[-2:]] == ["预算数", "决算数"]
        assert "小计" in three.rows[1] and "会议费" in three.rows[0]
        assert re.search(r"\n2010301\t行政运行\t|\n\d{7}\t", text)
    wrapped = sum(
        "因公出国" in b.rows[0]
        for w in writers["national"]
        for b in w.blocks
        if b.kind == "table" and "会议费" in b.text
    )
    assert 0 < wrapped < len(writers["national"])  # the name wraps over two header lines in some


def test_row_numbers_run_down_both_sides(writers) -> None:
    for w in writers["national"]:
        seen = 0
        for b in w.blocks:
            if b.kind != "table":
                continue
            if b.rows[1][:6] == ["项目", "行次", "金额", "项目", "行次", "金额"]:  # two-sided
                body = b.rows[3:]
                numbers = [int(r[1]) for r in body if r[1]] + [int(r[4]) for r in body if r[4]]
            elif b.rows[1][:3] == ["科目编码", "科目名称", "行次"]:  # 收入决算表, 支出决算表
                numbers = [int(r[2]) for r in b.rows[3:]]
            else:
                continue
            seen += 1
            assert numbers == list(range(1, len(numbers) + 1)), b.text
        assert seen == 4  # 总表, 收入决算表, 支出决算表, 财政拨款总表


def test_shanghai_template_shape(writers) -> None:
    for w in writers["shanghai"]:
        text = _text(w)
        assert "行次" not in text and "公开0" not in text
        assert f"部门：{w.dept.name}    单位：万元" in text
        assert "\n类\t款\t项\t" in text and "科目代码" in text
        assert re.search(r"\n2\d\d\t\d\d\t\d\d\t\S", text)  # codes split into 类|款|项
        # tables straight after the overview
        assert text.index("一般公共预算财政拨款支出决算表") < text.index("决算情况说明")


def test_consolidated_report_shape(writers) -> None:
    for w in writers["consolidated"]:
        lines = _text(w).split("\n")
        assert lines[:4] == [
            f"{w.dept.name}（汇总）",
            f"{w.year}年度部门决算",
            "保密审查情况：已审查",
            "部门主要负责人审签情况：已审签",
        ]
        text = "\n".join(lines)
        assert text.index("表1 收入支出决算总表") > text.index("名词解释")  # tables at the end
        assert "表5 一般公共预算财政拨款支出决算表" in text
        three = next(b for b in w.blocks if b.kind == "table" and b.text.startswith("表7"))
        assert three.rows[0][0] == "预算数" and three.rows[0][6] == "决算数"
        assert len(three.rows) == 4  # one wide data row under three header rows


def test_yuan_tables(writers) -> None:
    for w in writers["yuan"]:
        tables = [b for b in w.blocks if b.kind == "table"]
        assert tables and all(b.head == ["单位：元"] for b in tables)
        gpb = next(b for b in tables if "一般公共预算" in b.text)
        total = next(r for r in gpb.rows if r[0] == "合计")
        amount = next(c for c in total[1:] if c)
        # the table's 元 are the narrative's 万元 × 10000, with two decimals
        assert Decimal(amount.replace(",", "")) == _one(w, "gpb_expenditure") * 10000
        assert re.fullmatch(r"[\d,]+\.\d\d", amount)
        assert "万元" in _text(w)  # the narrative stays in 万元


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_printed_table_figure_is_a_fact(writers, layout: str) -> None:
    """Each amount printed in a table is one fact (a 三公 预算数 is its part's budget); row
    and column numbers are not facts."""
    for w in writers[layout]:
        printed = sum(
            1
            for b in w.blocks
            if b.kind == "table"
            for r in b.rows
            for c in r
            if re.fullmatch(r"[\d,]+\.\d\d", c)
        )
        # An empty table's zero is stated by its note (本表无数据), not printed in a cell.
        table_facts = [f for f in w.facts if f["section"] == "table" and f["label"] != "本表无数据"]
        stated = len(table_facts) + sum(f["budget"] is not None for f in table_facts)
        assert printed == stated, (layout, w.dept.name, w.year)
        assert all(f["label"] not in ("行次", "栏次") for f in table_facts)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_truth_holds_together(writers, layout: str) -> None:
    for w in writers[layout]:
        v = _values(w)
        gpb = _one(w, "gpb_expenditure")
        classes = [
            Decimal(str(fs[0]["value"]))
            for (m, code, sec), fs in v.items()
            if m == "gpb_by_function" and sec == "table" and code and len(code) == 3
        ]
        assert sum(classes) == gpb, (layout, w.dept.name)
        if ("income_total", None, "table") in v:
            assert _one(w, "income_total") == (
                _one(w, "income_current_year")
                + _one(w, "carryover_begin")
                + _one(w, "income_nonfiscal_balance")
            )
            assert _one(w, "expenditure_total") == (
                _one(w, "expenditure_current_year")
                + _one(w, "carryover_end")
                + _one(w, "surplus_distribution")
            )
        if ("fiscal_income_total", None, "table") in v:
            assert _one(w, "fiscal_income_total") == _one(w, "fiscal_income_current_year") + _one(
                w, "fiscal_carryover_begin"
            )
            assert _one(w, "fiscal_income_total") == _one(w, "fiscal_expenditure_total")
        if ("three_public_total", None, "table") in v:
            parts = ("three_public_overseas", "three_public_vehicle", "three_public_reception")
            assert _one(w, "three_public_total") == sum(_one(w, p) for p in parts)
            assert _one(w, "three_public_vehicle") == _one(
                w, "three_public_vehicle_purchase"
            ) + _one(w, "three_public_vehicle_operation")
        if ("reception_domestic", None, "table") in v:
            assert _one(w, "three_public_reception") == _one(w, "reception_domestic") + _one(
                w, "reception_foreign"
            )
        # 收入决算表 / 支出决算表: the 类 add up to the 合计, each row to its columns
        for total, parts, grand in (
            (
                "income_by_function",
                ("fiscal", "superior_subsidy", "business", "operating", "subsidiary", "other"),
                "income_current_year",
            ),
            (
                "expenditure_by_function_all",
                ("basic", "project", "to_superior", "operating", "subsidiary"),
                "expenditure_current_year",
            ),
        ):
            codes = {c for (m, c, sec) in v if m == total}
            if not codes:
                continue
            assert layout == "national"
            assert sum(_one(w, total, code=c) for c in codes if len(c) == 3) == _one(w, grand)
            prefix = "income_by_function_" if total.startswith("income") else None
            for c in codes:
                names = [
                    (prefix + p)
                    if prefix
                    else {
                        "basic": "expenditure_all_basic",
                        "project": "expenditure_all_project",
                    }.get(p, "expenditure_by_function_" + p)
                    for p in parts
                ]
                assert _one(w, total, code=c) == sum(_one(w, n, code=c) for n in names), c
                assert _one(w, total, code=c) >= 0
        # a figure stated in the narrative and in a table is the same figure
        for (metric, code, section), facts in v.items():
            if (
                section == "table"
                and (metric, code, "narrative") in v
                and metric != "gpb_expenditure"
            ):
                assert {f["value"] for f in facts} & {
                    f["value"] for f in v[metric, code, "narrative"]
                }, (metric, code)


def test_same_seed_same_bytes_in_every_layout_and_text_format(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    from tools.sample.pdf_writer import find_cjk_font

    formats = ["txt", "pdftotext", "pdfplumber"] if find_cjk_font() else ["txt"]
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        generate_county(out, 5, (2024,), seed=11, formats=formats, layouts=LAYOUTS)
        runs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert runs[0] == runs[1]
    layouts = {
        load_truth(tmp_path / "a" / p).get("layout", "sichuan")
        for p in runs[0]
        if p.name.endswith(".truth.json")
    }
    assert layouts == set(LAYOUTS)


@pytest.fixture(scope="module")
def pdf_texts(tmp_path_factory) -> Path:
    pytest.importorskip("reportlab")
    from tools.sample.pdf_writer import find_cjk_font, font_missing_reason

    if find_cjk_font() is None:
        pytest.skip(font_missing_reason())
    out = tmp_path_factory.mktemp("pdf_texts")
    make_faulty_corpus(
        out, 5, YEARS, 5, formats=("pdftotext", "pdfplumber", "pdf"), layouts=LAYOUTS
    )
    return out


def test_pdftotext_text_is_aligned_with_spaces(pdf_texts: Path) -> None:
    docs = [
        p for p in (pdf_texts / "clean").rglob("*.txt") if load_truth(p)["format"] == "pdftotext"
    ]
    assert docs
    for p in docs:
        text = p.read_text(encoding="utf-8")
        assert "\t" not in text
        assert re.search(r"\n\s*2\d{2}(?:\d{2}){0,2}\s+\S+\s{2,}[\d,]+\.\d\d", text)


def test_pdfplumber_text_has_no_column_alignment(pdf_texts: Path) -> None:
    docs = [
        p for p in (pdf_texts / "clean").rglob("*.txt") if load_truth(p)["format"] == "pdfplumber"
    ]
    assert docs
    broken = 0
    for p in docs:
        text = p.read_text(encoding="utf-8")
        assert "\t" not in text and "  " not in text
        # a long name broken around the line with its code and figures
        broken += len(re.findall(r"\n[^\d\s]{3,}\n2\d{2}(?:\d{2}){0,2}(?: [\d,]+\.\d\d)+\n", text))
    assert broken > 0


def test_faults_are_planted_in_pdf_derived_formats(pdf_texts: Path) -> None:
    """A .pdf or a PDF's text gets its fault through the blocks: the copy differs from the
    clean report and (as text) prints the changed figure."""
    planted = 0
    for kind_dir in (pdf_texts / "faulty").iterdir():
        for doc in kind_dir.rglob("*"):
            if doc.suffix not in (".txt", ".pdf"):
                continue
            faults = load_faults(doc)
            assert len(faults) == 1 and faults[0].kind == kind_dir.name
            clean = pdf_texts / "clean" / doc.relative_to(kind_dir)
            assert doc.read_bytes() != clean.read_bytes()
            if doc.suffix == ".txt":
                printed = faults[0].printed_value
                text = doc.read_text(encoding="utf-8").replace(",", "")
                text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
                assert f"{printed:.2f}" in text or f"{printed:g}" in text, faults[0]
            planted += 1
    assert planted >= 10


def test_faulty_copy_keeps_its_table_attachment(tmp_path: Path) -> None:
    """A report published as .docx plus its tables as _附表.xlsx keeps the workbook in its
    one-fault copies (a budget fault needs the 三公 table's 预算数)."""
    pairs = make_faulty_corpus(tmp_path, 2, (2024,), 4, formats=("docx+xlsx",), layouts=LAYOUTS)
    assert pairs
    for doc, _fault in pairs:
        assert doc.with_name(doc.stem + "_附表.xlsx").exists()
