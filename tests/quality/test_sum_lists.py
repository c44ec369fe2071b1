"""A list of parts under "其中" is compared for equality with its total only when it is known to
be complete; a list that leaves out a part the report states elsewhere, or one nothing says is
zero, must only not exceed its total (rounding included). Documents written for these tests."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.ingest.extract import extract_statements
from pipelines.quality.builders import sum_checks
from tests.helpers.documents import lines_document

NARRATIVE = (
    "第二部分 情况说明",
    "三、支出决算情况说明",
    "本年支出合计130.00万元，其中：基本支出100.00万元，占76.92%；项目支出20.00万元，占15.38%；"
    "经营支出10.00万元，占7.69%。",
)


def _checks(resolver, *lines: str) -> pd.DataFrame:
    doc = lines_document(*lines)
    rows = [{"report_id": "r", **s.as_row()} for s in extract_statements(doc, 2023, resolver)]
    frame = sum_checks(pd.DataFrame(rows))
    return frame[frame["check_id"] == "sum.expenditure_current_year"]


def _failed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["observed"] < frame["lower"]) | (frame["observed"] > frame["upper"])]


def test_a_selection_of_parts_with_the_rest_stated_elsewhere_is_no_error(resolver):
    checks = _checks(
        resolver,
        *NARRATIVE,
        "第三部分 附件",
        "一、部门收支情况",
        "2023年本部门本年支出合计130.00万元，其中基本支出100.00万元，项目支出20.00万元。",
    )
    annex = checks[checks["source_location"].str.contains("第6行")]
    assert len(annex) == 1
    assert _failed(checks).empty, _failed(checks)["message"].tolist()


def test_a_selection_whose_parts_exceed_the_total_is_an_error(resolver):
    checks = _checks(
        resolver,
        *NARRATIVE,
        "第三部分 附件",
        "一、部门收支情况",
        "2023年本部门本年支出合计130.00万元，其中基本支出100.00万元，项目支出30.02万元。",
    )
    failed = _failed(checks)
    assert len(failed) == 1
    (message,) = failed["message"]
    assert message.startswith("本年支出合计写为130.00万元，小于其中列出的组成部分")
    assert "经营支出" in message


def test_a_list_nothing_completes_only_bounds_its_total(resolver):
    # No table and no other sentence says whether the department had other expenditure.
    checks = _checks(
        resolver,
        "第二部分 情况说明",
        "三、支出决算情况说明",
        "本年支出合计130.00万元，其中：基本支出100.00万元，项目支出20.00万元。",
    )
    assert len(checks) == 1
    assert _failed(checks).empty


def test_a_list_the_report_shows_complete_must_add_up(resolver):
    # The other parts are stated as zero elsewhere: the two listed must make the total.
    checks = _checks(
        resolver,
        "第二部分 情况说明",
        "三、支出决算情况说明",
        "本年支出合计130.00万元，其中：基本支出100.00万元，项目支出20.00万元，经营支出0.00万元，"
        "对附属单位补助支出0.00万元，上缴上级支出0.00万元。",
        "第三部分 附件",
        "一、部门收支情况",
        "2023年本部门本年支出合计130.00万元，其中基本支出100.00万元，项目支出20.00万元。",
    )
    failed = _failed(checks)
    assert len(failed) == 2  # the narrative and the annex both miss 10.00
    assert all("合计为120.00万元" in m for m in failed["message"])


EXPENDITURE_TABLE = (
    "第一部分 部门决算表",
    "支出决算表",
    "单位：万元",
    "科目编码\t科目名称\t本年支出合计\t基本支出\t项目支出",
    "合计\t\t{total}\t100.00\t30.00",
    "201\t一般公共服务支出\t110.00\t90.00\t20.00",
    "20103\t政府办公厅（室）及相关机构事务\t110.00\t90.00\t20.00",
    "2010301\t行政运行\t110.00\t90.00\t20.00",
    "221\t住房保障支出\t20.00\t10.00\t10.00",
    "22102\t住房改革支出\t20.00\t10.00\t10.00",
    "2210201\t住房公积金\t20.00\t10.00\t10.00",
)


def _class_sums(resolver, total: str, lead: tuple[str, ...] = ()) -> pd.DataFrame:
    table = EXPENDITURE_TABLE[1:] if lead else EXPENDITURE_TABLE  # the lead is its own part
    doc = lines_document(*lead, *(line.format(total=total) for line in table))
    rows = [{"report_id": "r", **s.as_row()} for s in extract_statements(doc, 2023, resolver)]
    frame = sum_checks(pd.DataFrame(rows))
    return frame[frame["check_id"].isin({"sum.function_classes", "sum.function_subjects"})]


def test_the_all_funds_expenditure_table_adds_up_by_subject(resolver):
    checks = _class_sums(resolver, "130.00")
    assert len(checks) == 5  # 201, 20103, 221, 22102 and 合计 against its 类
    assert _failed(checks).empty


@pytest.mark.parametrize(
    "lead", [(), ("第四部分 附件", "附件1 某某局2024年度部门决算公开表")], ids=["tables", "annexed"]
)
def test_a_wrong_total_of_the_all_funds_table_is_an_error(resolver, lead):
    failed = _failed(_class_sums(resolver, "143.76", lead))
    assert list(failed["check_id"]) == ["sum.function_classes"]
    (message,) = failed["message"]
    assert "143.76" in message and "合计为130.00万元" in message
