"""Errors planted the way reviewers meet them, in copies of real reports (their pdftotext text):
each is found at its level, at the line it was planted in, and was not there before.

A changed table total and a blanked 三公 cell are not planted in the text: in text whose tables
are rebuilt from the layout, a table whose own sums then fail is doubted rather than used to
accuse (extract/table_doubt.py). They are planted in a copy of a real PDF instead, by editing
its page content (tests/helpers/pdf_edit.py): the cell's text object removed, or its figure
printed anew in its own font; the PDF is then read as any other.

The same kinds are planted in synthetic reports by tools/sample/review_faults.py and
counted by the scoreboard (tests/quality/test_checks_faults.py, tests/tools/test_sample_scoreboard.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.readers import read_document
from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.text import compact
from tests.conftest import real_file

FOSHAN = "foshan_guidao_2019_final.txt"
GHZYJ = "shpt_ghzyj_2024_final.txt"

Edit = Callable[[list[str]], str]  # edits the lines in place, returns the text it wrote


def _replace_in(lines: list[str], line_no: int, old: str, new: str) -> str:
    assert old in lines[line_no - 1], (line_no, lines[line_no - 1])
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    return new


def _first(lines: list[str], pattern: str, after: int = 0) -> int:
    return next(i + 1 for i, ln in enumerate(lines) if i >= after and re.search(pattern, ln))


def placeholder(lines: list[str]) -> int:
    n = _first(lines, r"^\s*第一部分\s*佛山市轨道交通局\s*概况", after=30)
    return _replace_in(lines, n, "佛山市轨道交通局", "XX局")


def wrong_year_heading(lines: list[str]) -> int:
    n = _first(lines, r"第三部分.*2019 年部门决算情况说明")
    _replace_in(lines, n, "2019", "2018")
    return "2018年部门决算情况说明"


def wrong_year_as_of(lines: list[str]) -> int:
    n = _first(lines, r"截至 2019 年 12 月 31 日")
    _replace_in(lines, n, "2019", "2018")
    return "截至2018年12月31日"


def direction_flipped(lines: list[str]) -> int:
    # 年初预算为 452.40 万元，支出决算为 446.11 万元 … 决算数小于预算数: now 大于.
    n = _first(lines, r"98\.61%。决算数小于预算数")
    _replace_in(lines, n, "决算数小于", "决算数大于")
    return "决算数大于预算数"


def doubled_punctuation(lines: list[str]) -> int:
    n = _first(lines, r"算为 0\.16 万元，完成预算")
    _replace_in(lines, n, "万元，", "万元，，")
    return "，，"


def table_removed(lines: list[str]) -> int:
    # The 一般公共预算财政拨款支出决算表 (two pages) goes; the contents still list it.
    start = _first(lines, r"^\s*一般公共预算财政拨款支出决算表\s*$", after=100)
    end = _first(lines, r"^\s*一般公共预算财政拨款基本支出决算表\s*$", after=start)
    del lines[start - 1 : end - 1]
    return ""


PLANTED: list[tuple[str, str, Edit, str, str]] = [
    # (name, real text, edit, check that must answer, level)
    ("placeholder", FOSHAN, placeholder, "identity.placeholder_name", "error"),
    ("wrong_year_heading", FOSHAN, wrong_year_heading, "identity.wrong_year", "error"),
    ("wrong_year_as_of", FOSHAN, wrong_year_as_of, "identity.wrong_year", "error"),
    ("direction_flipped", GHZYJ, direction_flipped, "budget.direction", "error"),
    ("doubled_punctuation", FOSHAN, doubled_punctuation, "text.doubled_punctuation", "warning"),
    ("table_removed", FOSHAN, table_removed, "package.table_missing", "error"),
]


def _within(block: str, finding: str) -> bool:
    """The block's lines lie inside the finding's location (a line or a range of lines)."""
    inner = [int(x) for x in re.findall(r"第(\d+)行", block)]
    outer = [int(x) for x in re.findall(r"第(\d+)行", finding)]
    return bool(inner and outer) and min(outer) <= min(inner) and max(inner) <= max(outer)


WORDS_ONLY = {"placeholder", "wrong_year_heading", "wrong_year_as_of", "direction_flipped"}


def _run(root: Path, name: str, lines: list[str]) -> list[tuple[str, str, str, str]]:
    raw = root / "raw" / "2024"
    raw.mkdir(parents=True)
    (raw / name).write_text("\n".join(lines), encoding="utf-8")
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT check_id, severity, source_location, message FROM quality.check_result "
            "WHERE NOT passed AND severity IN ('error', 'warning')"
        ).fetchall()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[tuple]]:
    out = {}
    for name in (FOSHAN, GHZYJ):
        lines = real_file(name).read_text(encoding="utf-8").split("\n")
        rows = _run(tmp_path_factory.mktemp("baseline"), name, lines)
        out[name] = set(rows)
    return out


@pytest.mark.parametrize(
    ("kind", "name", "edit", "check_id", "level"), PLANTED, ids=[p[0] for p in PLANTED]
)
def test_planted_error_is_found_at_its_level_and_line(
    kind: str, name: str, edit: Edit, check_id: str, level: str, baseline, tmp_path: Path
) -> None:
    lines = real_file(name).read_text(encoding="utf-8").split("\n")
    fragment = edit(lines)
    rows = _run(tmp_path, name, lines)
    new = [r for r in rows if r not in baseline[name]]
    hits = [r for r in new if r[0] == check_id and r[1] == level]
    assert hits, new
    if fragment:  # a missing table is reported for the whole document
        where = {
            b.location
            for b in read_document(tmp_path / "raw" / "2024" / name, f"2024/{name}").blocks
            if fragment in compact(b.text) or fragment in b.text
        }
        assert where and any(_within(w, loc) for w in where for _, _, loc, _ in hits), (where, hits)
    if kind in WORDS_ONLY:  # a word changed: no figure moved, so no other new error
        assert {c for c, s, _, _ in new if s == "error"} <= {check_id}, new


# -- planted in a copy of a real PDF ---------------------------------------------------------

GHZYJ_PDF = "shpt_ghzyj_2024_final.pdf"


def _pdf_run(root: Path, data: bytes) -> tuple[list[tuple[str, str, str, str]], int]:
    """The errors and warnings of one PDF report, and the errors its review counts."""
    raw = root / "raw" / "2024"
    raw.mkdir(parents=True)
    (raw / GHZYJ_PDF).write_bytes(data)
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT check_id, severity, source_location, message FROM quality.check_result "
            "WHERE NOT passed AND severity IN ('error', 'warning')"
        ).fetchall()
        (errors,) = con.execute("SELECT errors FROM mart.quality_scorecard").fetchone()
    return rows, errors


def _truth(name: str) -> dict:
    import json

    return json.loads((real_file(name).parent / "truth" / f"{Path(name).stem}.json").read_text())


def _page_with(data: bytes, *words: str) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        for number, page in enumerate(pdf, start=1):
            text = compact(page.get_textpage().get_text_range())
            if all(w in text for w in words):
                return number
    finally:
        pdf.close()
    raise AssertionError(f"no page with {words}")


def blank_three_public_cell(data: bytes) -> tuple[bytes, int, float]:
    """The 公务接待费 决算数 of the 三公 table (its right-most cell) left blank; the narrative
    still states it."""
    from tests.helpers.pdf_edit import edit_figure

    value = _truth(GHZYJ_PDF)["tables"]["three_public"]["reception"]
    assert value > 0
    page = _page_with(data, "三公", "经费支出决算表", "公务接待费", "决算数")
    return edit_figure(data, page, f"{value:.2f}", None, nth=-1), page, value


def change_table_total(data: bytes) -> tuple[bytes, int, float]:
    """The 合计 of the 一般公共预算财政拨款支出决算表 printed 10.00 higher; its 类 lines, the
    narrative and the other tables unchanged."""
    from tests.helpers.pdf_edit import edit_figure

    value = _truth(GHZYJ_PDF)["tables"]["gpb_expenditure_total"]
    page = _page_with(data, f"合计{value:.2f}", "一般公共预算财政拨款支出情况")
    return edit_figure(data, page, f"{value:.2f}", f"{value + 10:.2f}"), page, value + 10


@pytest.fixture(scope="module")
def pdf_baseline(tmp_path_factory: pytest.TempPathFactory):
    data = real_file(GHZYJ_PDF).read_bytes()
    rows, errors = _pdf_run(tmp_path_factory.mktemp("pdf_baseline"), data)
    return data, set(rows), errors


@pytest.mark.parametrize(
    ("edit", "checks"),
    [
        # the narrative's figure against the blank (zero) cell; the table's total against parts
        (blank_three_public_cell, {"cross_section.amount", "sum.three_public_total"}),
        # the 类 lines and the 基本/项目 columns against the total; the narrative against it
        (
            change_table_total,
            {"sum.function_classes", "sum.basic_project_columns", "cross_section.amount"},
        ),
    ],  # fmt: skip
    ids=["three_public_cell_blanked", "table_total_changed"],
)
def test_planted_in_a_real_pdf_is_found_at_its_level_and_place(
    edit, checks: set[str], pdf_baseline, tmp_path: Path
) -> None:
    original, baseline, errors_before = pdf_baseline
    data, page, value = edit(original)
    rows, errors = _pdf_run(tmp_path, data)
    new = [r for r in rows if r not in baseline]
    assert {c for c, s, _, _ in new if s == "error"} == checks, new
    assert all(s == "error" for _, s, _, _ in new), new
    # each names the edited table cell: its page, its table and row
    cell = f"第{page}页表格"
    for check_id, _, location, message in new:
        assert cell in location or cell in message, (check_id, location, message)
    # the narrative sentences that state the figure are quoted at their own place
    narrative = [r for r in new if r[0] == "cross_section.amount"]
    assert narrative and all(re.match(r"第\d+页第\d+行", loc) for _, _, loc, _ in narrative)
    # what was there before is still there, unchanged: nothing else moved
    assert baseline <= set(rows)
    # one planted figure, one more error in the review, however many checks it breaks
    assert len(new) >= 2 and errors == errors_before + 1
    if value:  # the changed total is quoted as printed
        assert any(f"{value:,.2f}" in m for c, _, _, m in new if c.startswith("sum."))
