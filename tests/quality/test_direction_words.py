"""Words against numbers: "决算数大于/小于/等于预算数" against the figures they describe, on
sentences written for these tests."""

from __future__ import annotations

import pandas as pd

from pipelines.ingest.document import Block, Document
from pipelines.ingest.extract import extract_statements
from pipelines.quality.builders import budget_checks


def _directions(resolver, *lines: str) -> list[tuple[str, bool]]:
    doc = Document("2023/测试局.txt", "txt")
    for i, line in enumerate(lines):
        doc.blocks.append(Block(i, "paragraph", line, f"第{i + 1}行"))
    rows = [{"report_id": "r", **s.as_row()} for s in extract_statements(doc, 2023, resolver)]
    frame = budget_checks(pd.DataFrame(rows))
    frame = frame[frame["check_id"] == "budget.direction"]
    return [
        (loc, bool(lo - 1e-9 <= obs <= hi + 1e-9))
        for loc, obs, lo, hi in frame[["source_location", "observed", "lower", "upper"]].itertuples(
            index=False
        )
    ]


def test_words_that_agree_with_the_figures_pass(resolver):
    assert _directions(
        resolver,
        "1.一般公共服务支出（类）人大事务（款）行政运行（项）。年初预算100.00万元，支出决算120.00万元，"
        "决算数大于年初预算数的主要原因是：人员增加。",
        "2.一般公共服务支出（类）人大事务（款）一般行政管理事务（项）。年初预算为45.00万元，"
        "支出决算为45.00万元，完成年初预算的100.00%。决算数同预算数持平。",
    ) == [("第1行", True), ("第2行", True)]


def test_a_flipped_direction_word_is_an_error(resolver):
    assert _directions(
        resolver,
        "1.一般公共服务支出（类）人大事务（款）行政运行（项）。年初预算100.00万元，支出决算120.00万元，"
        "决算数小于年初预算数的主要原因是：人员增加。",
    ) == [("第1行", False)]


def test_roughly_equal_is_no_claim(resolver):
    assert (
        _directions(
            resolver,
            "机关运行经费年初预算30.00万元，支出决算29.00万元，决算数与预算数基本持平。",
        )
        == []
    )
