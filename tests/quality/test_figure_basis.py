"""基本支出, 项目支出, 人员经费 and 公用经费 on their two bases (全部资金 and 一般公共预算财政拨款):
each figure is compared with the tables of its own basis, and a disagreement names both, on
documents written for these tests."""

from __future__ import annotations

import pandas as pd

from pipelines.ingest.extract import extract_statements
from pipelines.quality.builders import cross_section_checks
from tests.helpers.documents import lines_document

TABLES = (
    "支出决算表",
    "单位：万元",
    "项目\t本年支出合计\t基本支出\t项目支出",
    "合计\t130.00\t100.00\t30.00",
    "一般公共预算财政拨款支出决算表",
    "单位：万元",
    "项目\t合计\t基本支出\t项目支出",
    "合计\t120.00\t90.00\t30.00",
    "一般公共预算财政拨款基本支出决算表",
    "单位：万元",
    "人员经费合计\t80.00\t公用经费合计\t10.00",
)


def _failures(resolver, *narrative: str) -> list[tuple[str, str]]:
    doc = lines_document(*TABLES, *narrative)
    rows = [{"report_id": "r", **s.as_row()} for s in extract_statements(doc, 2023, resolver)]
    frame = cross_section_checks(pd.DataFrame(rows))
    failed = frame[(frame["observed"] < frame["lower"]) | (frame["observed"] > frame["upper"])]
    return list(failed[["source_location", "message"]].itertuples(index=False, name=None))


def test_each_basis_agrees_with_its_own_tables(resolver):
    assert (
        _failures(
            resolver,
            "三、支出决算情况说明",
            "本年支出合计130.00万元，其中：基本支出100.00万元，占76.92%；项目支出30.00万元，占23.08%。",
            "六、一般公共预算财政拨款基本支出决算情况说明",
            "一般公共预算财政拨款基本支出90.00万元。其中：人员经费80.00万元；公用经费10.00万元。",
        )
        == []
    )


def test_the_all_funds_figure_given_as_the_general_budget_one_is_named(resolver):
    failures = _failures(
        resolver,
        "三、支出决算情况说明",
        "本年支出合计130.00万元，其中：基本支出100.00万元，占76.92%；项目支出30.00万元，占23.08%。",
        "六、一般公共预算财政拨款基本支出决算情况说明",
        "一般公共预算财政拨款基本支出100.00万元。其中：人员经费80.00万元；公用经费20.00万元。",
    )
    assert [loc for loc, _ in failures] == ["第15行", "第15行"]
    basic, public = (m for _, m in failures)
    assert basic.startswith(
        "一般公共预算财政拨款基本支出在正文（第15行，一般公共预算财政拨款口径）写为100.00万元，"
        "在决算表（第8行，一般公共预算财政拨款口径）写为90.00万元"
    )
    assert (
        "与决算表（第4行）全部资金口径的数字相同，疑将全部资金口径的数字当作一般公共预算财政拨款口径"
        in basic
    )
    assert (
        "公用经费在正文" in public and "写为10.00万元" in public and "口径的数字相同" not in public
    )


def test_a_basic_expenditure_under_the_general_budget_heading_is_on_that_basis(resolver):
    # No 一般公共预算 in the sentence: its heading gives the basis, and the all-funds 100.00 of
    # the 支出决算表 is not what it is compared with.
    failures = _failures(
        resolver,
        "六、一般公共预算财政拨款基本支出决算情况说明",
        "基本支出100.00万元。其中：人员经费80.00万元；公用经费10.00万元。",
    )
    assert [loc for loc, _ in failures] == ["第13行"]
    assert "在决算表（第8行，一般公共预算财政拨款口径）写为90.00万元" in failures[0][1]
