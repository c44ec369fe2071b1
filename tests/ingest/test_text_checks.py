"""What a reviewer marks on reading, on lines written for these tests: placeholders, wrong
years, and the defects an edit leaves behind. Each is found at its level, with its line."""

from __future__ import annotations

from pipelines.ingest.document import Block, Document
from pipelines.ingest.extract.text_checks import text_findings


def _doc(*lines: str) -> Document:
    doc = Document("2023/测试局.txt", "txt")
    for i, line in enumerate(lines):
        doc.blocks.append(Block(i, "paragraph", line, f"第{i + 1}行"))
    return doc


def _found(*lines: str, year: int = 2023) -> set[tuple[str, str, str]]:
    return {(f.check_id, f.severity, f.source_location) for f in text_findings(_doc(*lines), year)}


CLEAN = (
    "云溪县测试局2023年度部门决算",
    "第二部分 2023年度部门决算情况说明",
    "2023年度收入总计500.00万元，与2022年度相比增加10.00万元，增长2.04%。",
    "其中：基本支出300.00万元，占60.00%；项目支出200.00万元，占40.00%。",
    "截至2023年12月31日，本部门共有车辆2辆。",
    "2022年决算数为490.00万元，本年占地面积12.50亩。",
)


def test_a_clean_report_has_no_finding():
    assert _found(*CLEAN) == set()


def test_placeholder_name_is_an_error():
    assert _found("XX局2023年度部门决算") == {("identity.placeholder_name", "error", "第1行")}
    assert ("identity.placeholder_name", "error", "第1行") in _found("部门：某某单位")


def test_wrong_year_in_a_heading_and_in_the_asset_date():
    found = _found(
        "第二部分 2022年度部门决算情况说明",
        "截至2022年12月31日，本部门共有车辆2辆。",
        "与2022年度部门决算相比，支出增加。",
    )
    assert found == {
        ("identity.wrong_year", "error", "第1行"),
        ("identity.wrong_year", "error", "第2行"),
    }


def test_text_defects_are_warnings_with_their_line():
    found = _found(
        "本年支出合计500.00万元。。",
        "决算数大小于预算数的主要原因是：业务增加。",
        "基本支出300.00万元，占 60.00；项目支出200.00万元，占40.00%。",
        "202 年度本部门无政府采购。",
    )
    assert found == {
        ("text.doubled_punctuation", "warning", "第1行"),
        ("text.left_over_edit", "warning", "第2行"),
        ("text.share_without_percent", "warning", "第3行"),
        ("text.truncated_year", "warning", "第4行"),
    }


def test_a_repeated_page_header_is_one_finding():
    assert len(text_findings(_doc("XX局决算", "XX局决算"), 2023)) == 1
