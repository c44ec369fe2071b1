"""The statement extractor on phrasings written for these tests (not taken from any report)."""

from __future__ import annotations

from pipelines.ingest.document import Block, Document
from pipelines.ingest.extract import extract_statements


def extract(resolver, *lines: str, year: int = 2024, fmt: str = "txt"):
    doc = Document("2024/测试局.txt", fmt)
    for i, line in enumerate(lines):
        cells = tuple(line.split("\t")) if "\t" in line else ()
        kind = "table_row" if cells else "paragraph"
        doc.blocks.append(
            Block(i, kind, line, f"第{i + 1}行", cells, 0 if cells else None, i if cells else None)
        )
    return extract_statements(doc, year, resolver)


def by_metric(statements, metric):
    return [s for s in statements if s.metric == metric]


def test_totals_with_change_phrasings(resolver):
    sts = extract(
        resolver,
        "本年收入合计356.20万元，较上年减少12.30万元，下降3.34%。",
        "本年支出合计356.20万元，比上年度增加1.00万元，增长0.3%。",
        "机关运行经费支出41.70万元，与上年持平。",
    )
    income = by_metric(sts, "income_current_year")[0]
    assert (income.amount_wan, income.change_wan, income.change_pct) == (356.2, -12.3, -3.34)
    spend = by_metric(sts, "expenditure_current_year")[0]
    assert (spend.change_wan, spend.change_pct) == (1.0, 0.3)
    admin = by_metric(sts, "admin_operating_expenses")[0]
    assert admin.flat and admin.change_wan == 0.0


def test_shares_without_percent_sign_and_of_target(resolver):
    sts = extract(
        resolver,
        "本年支出合计500.00万元，其中：基本支出381.15万元，占 76.23；项目支出118.85万元，占23.77%。",
    )
    basic = by_metric(sts, "expenditure_basic")[0]
    assert basic.share_pct == 76.23 and basic.share_of == "expenditure_current_year"
    assert by_metric(sts, "expenditure_project")[0].share_pct == 23.77


def test_full_width_digits_and_yuan(resolver):
    sts = extract(resolver, "公务接待费支出３，２００．００元，完成预算的８０％。")
    reception = by_metric(sts, "three_public_reception")[0]
    assert (
        reception.amount_wan == 0.32 and reception.unit == "元" and reception.completion_pct == 80.0
    )


def test_subject_path_with_budget_before_value(resolver):
    sts = extract(
        resolver,
        "3、教育支出（类）普通教育（款）小学教育（项）。主要用于：学校日常运转。年初预算为 210.50 万元，支出决算为208.00万元，完成年初预算的98.81%。",
    )
    item = by_metric(sts, "gpb_by_function")[0]
    assert (item.subject_code, item.amount_wan, item.budget_wan, item.completion_pct) == (
        "2050202",
        208.0,
        210.5,
        98.81,
    )


def test_class_structure_line(resolver):
    sts = extract(
        resolver,
        "一般公共预算财政拨款支出800.00万元，主要用于以下方面：教育支出（类）600.00万元，占75.00%；住房保障（类）支出200.00万元，占25.00%。",
    )
    classes = {
        s.subject_code: (s.amount_wan, s.share_pct, s.share_of)
        for s in by_metric(sts, "gpb_by_function")
    }
    assert classes == {
        "205": (600.0, 75.0, "gpb_expenditure"),
        "221": (200.0, 25.0, "gpb_expenditure"),
    }


def test_wrapped_lines_are_rejoined(resolver):
    sts = extract(
        resolver,
        "2024年度一般公共预算财政拨款支出年初预算为1200.00万元，支出决算为11",
        "80.00万元，完成年初预算的98.33%。",
    )
    gpb = by_metric(sts, "gpb_expenditure")[0]
    assert (gpb.amount_wan, gpb.budget_wan, gpb.completion_pct) == (1180.0, 1200.0, 98.33)
    assert gpb.source_location == "第1行–第2行"


def test_thresholds_are_not_amounts(resolver):
    sts = extract(
        resolver,
        "截至2024年12月31日，共有车辆3辆，单价100万元（含）以上设备（不含车辆）2台（套）。",
    )
    assert [s.amount_wan for s in sts if s.amount_wan is not None] == []
    assert by_metric(sts, "vehicles_total")[0].count_value == 3
    assert by_metric(sts, "equipment_valuable")[0].count_value == 2


def test_three_public_parts_share_of_total(resolver):
    sts = extract(
        resolver,
        "“三公”经费财政拨款支出决算中，因公出国（境）费支出决算0万元，占0%；公务用车购置及运行维护费支出决算8.00万元，占40.00%；公务接待费支出决算12.00万元，占60.00%。",
    )
    parts = [s for s in sts if s.share_pct is not None]
    assert {s.share_of for s in parts} == {"three_public_total"}
    assert [s.metric for s in parts] == [
        "three_public_overseas",
        "three_public_vehicle",
        "three_public_reception",
    ]


def test_reception_counts(resolver):
    sts = extract(resolver, "国内公务接待15批次，120人次，共计支出3.60万元。")
    assert by_metric(sts, "reception_batches")[0].count_value == 15
    assert by_metric(sts, "reception_persons")[0].count_value == 120
    assert [s.amount_wan for s in by_metric(sts, "reception_domestic")] == [3.6]


def test_unknown_subject_is_kept_with_warning(resolver):
    sts = extract(resolver, "1.不存在的类（类）某款（款）某项（项）：支出决算为5.00万元。")
    item = sts[0]
    assert item.subject_code is None and item.amount_wan == 5.0 and item.resolution_warning


def test_table_rows_with_split_and_joined_codes(resolver):
    sts = extract(
        resolver,
        "一般公共预算财政拨款支出决算表",
        "单位：万元",
        "科目编码\t\t\t科目名称\t合计\t基本支出\t项目支出",
        "201\t\t\t一般公共服务支出\t1,500.00\t1,200.00\t300.00",
        "201\t03\t01\t行政运行\t1,200.00\t1,200.00\t",
        "2010302\t\t\t一般行政管理事务\t300.00\t\t300.00",
        "\t\t\t合计\t1,500.00\t1,200.00\t300.00",
    )
    rows = {
        s.subject_code: (s.amount_wan, s.basic_wan, s.project_wan)
        for s in by_metric(sts, "gpb_by_function")
    }
    assert rows == {
        "201": (1500.0, 1200.0, 300.0),
        "2010301": (1200.0, 1200.0, None),  # a blank cell states nothing
        "2010302": (300.0, None, 300.0),
    }
    total = by_metric(sts, "gpb_expenditure")[0]
    assert total.part == "table" and total.amount_wan == 1500.0


def test_glossary_numbers_are_ignored(resolver):
    sts = extract(
        resolver,
        "第三部分 名词解释",
        "1.一般公共服务（类）行政运行（项）：反映行政单位的基本支出5万元。",
    )
    assert sts == []
