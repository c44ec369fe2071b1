"""Reading rules that the national template and its regional variants need, on tables and
sentences written for these tests (synthetic: no report's text or figures).

Each rule is general (a header word, arithmetic on a column, a vocabulary entry), and each
test would fail if the rule were fitted to one document.
"""

from __future__ import annotations

from helpers.documents import lines_document

from pipelines.ingest.document import Document
from pipelines.ingest.extract import extract_statements
from pipelines.ingest.extract.extractor import extract_document
from pipelines.ingest.identify import document_kind, from_content


def _doc(*lines: str) -> Document:
    return lines_document(*lines)


def _metric(statements, metric):
    return [s for s in statements if s.metric == metric]


def test_row_numbers_headed_xingci_are_never_amounts(resolver):
    sts = extract_statements(
        _doc(
            "收入支出决算总表",
            "单位：万元",
            "项目\t行次\t决算数\t项目\t行次\t决算数",
            "栏次\t\t1\t栏次\t\t2",
            "一、一般公共预算财政拨款收入\t1\t812.40\t一、一般公共服务支出\t31\t500.00",
            "二、事业收入\t2\t20.00\t二、教育支出\t32\t332.40",
            "本年收入合计\t3\t832.40\t本年支出合计\t33\t832.40",
            "年初结转和结余\t4\t6.00\t年末结转和结余\t34\t6.00",
            "总计\t5\t838.40\t总计\t35\t838.40",
        ),
        2023,
        resolver,
    )
    assert _metric(sts, "income_general_budget")[0].amount_wan == 812.40
    assert _metric(sts, "income_current_year")[0].amount_wan == 832.40
    assert _metric(sts, "expenditure_current_year")[0].amount_wan == 832.40
    assert [s.amount_wan for s in _metric(sts, "income_total")] == [838.40]
    assert not any(s.amount_wan in (1, 2, 3, 4, 5, 31, 32, 33) for s in sts)


def test_a_column_counting_one_two_three_is_row_numbers_without_its_header(resolver):
    """A continuation page repeats no header: the column is known by its values 11, 12, 13…
    (one mistyped number does not hide it)."""
    sts = extract_statements(
        _doc(
            "财政拨款收入支出决算总表",
            "\t11\t\t十一、城乡社区支出\t41\t15.00",
            "\t12\t\t十二、农林水支出\t24\t0.00",
            "\t13\t\t十三、交通运输支出\t43\t0.00",
            "本年收入合计\t14\t600.00\t本年支出合计\t44\t600.00",
        ),
        2023,
        resolver,
    )
    current = _metric(sts, "fiscal_income_current_year") + _metric(sts, "income_current_year")
    assert [s.amount_wan for s in current] == [600.00]
    assert not any(s.amount_wan in (14, 44) for s in sts)


def test_split_code_columns_are_not_row_numbers(resolver):
    sts = extract_statements(
        _doc(
            "一般公共预算财政拨款支出决算表",
            "类\t款\t项\t科目名称\t合计\t基本支出\t项目支出",
            "201\t\t\t一般公共服务支出\t300.00\t200.00\t100.00",
            "201\t01\t\t人大事务\t300.00\t200.00\t100.00",
            "201\t01\t01\t行政运行\t200.00\t200.00\t0.00",
            "201\t01\t02\t一般行政管理事务\t100.00\t0.00\t100.00",
        ),
        2023,
        resolver,
    )
    rows = {s.subject_code: s.amount_wan for s in _metric(sts, "gpb_by_function")}
    assert rows == {"201": 300.0, "20101": 300.0, "2010101": 200.0, "2010102": 100.0}


def test_score_columns_hold_no_amounts(resolver):
    sts = extract_statements(
        _doc(
            "项目绩效自评结果",
            "项目名称\t自评分数",
            "聘请专家人员经费\t96.53",
            "办公设备更新\t100",
        ),
        2023,
        resolver,
    )
    assert not [s for s in sts if s.amount_wan is not None]


def test_table_title_is_not_the_note_under_it(resolver):
    """PDF text puts the 注 line before the table: the title is still the named table."""
    _, tables, _ = extract_document(
        _doc(
            "一般公共预算财政拨款支出决算表",
            "公开05表",
            "编制部门：测试局 金额单位：万元",
            "注：本表反映部门本年度一般公共预算财政拨款实际支出情况。",
            "科目代码\t科目名称\t合计",
            "201\t一般公共服务支出\t10.00",
        ),
        2023,
        resolver,
    )
    assert tables[0]["table_name"] == "一般公共预算财政拨款支出决算表"


def test_thousand_yuan_tables(resolver):
    sts = extract_statements(
        _doc(
            "一般公共预算财政拨款支出决算表",
            "单位：千元",
            "科目编码\t科目名称\t合计",
            "201\t一般公共服务支出\t1234.5",
        ),
        2023,
        resolver,
    )
    row = _metric(sts, "gpb_by_function")[0]
    assert (round(row.amount_wan, 5), row.unit) == (123.45, "千元")


def test_fiscal_table_income_side_and_carry_over_parts(resolver):
    sts = extract_statements(
        _doc(
            "财政拨款收入支出决算总表",
            "项目\t行次\t金额\t项目\t行次\t合计",
            "一、一般公共预算财政拨款\t1\t700.00\t一、一般公共服务支出\t30\t700.00",
            "本年收入合计\t2\t700.00\t本年支出合计\t31\t700.00",
            "年初财政拨款结转和结余\t3\t9.00\t年末财政拨款结转和结余\t32\t9.00",
            "一般公共预算财政拨款\t4\t9.00\t\t33\t",
        ),
        2023,
        resolver,
    )
    assert [s.amount_wan for s in _metric(sts, "fiscal_income_general_budget")] == [700.00]
    assert not _metric(sts, "gpb_expenditure")  # the carry-over's part is no expenditure


def test_three_public_grid_with_budget_and_final_groups(resolver):
    """预算数 | 决算数 as column groups over the parts, names wrapped over two header rows,
    a column-number row without the word 栏次, one data row."""
    sts = extract_statements(
        _doc(
            "财政拨款“三公”经费支出决算表",
            "预算数\t\t\t\t\t\t决算数\t\t\t\t\t",
            "\t因公出国\t公务用车购置及运行费\t\t\t公务接待\t\t因公出国\t公务用车购置及运行费\t\t\t公务接待",
            "合计\t（境）费\t小计\t公务用车购置费\t公务用车运行费\t费\t合计\t（境）费\t小计\t公务用车购置费\t公务用车运行费\t费",
            "1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12",
            "9.00\t2.00\t5.00\t0.00\t5.00\t2.00\t7.50\t1.50\t4.00\t0.00\t4.00\t2.00",
        ),
        2023,
        resolver,
    )
    got = {s.metric: (s.amount_wan, s.budget_wan) for s in sts}
    assert got == {
        "three_public_total": (7.5, 9.0),
        "three_public_overseas": (1.5, 2.0),
        "three_public_vehicle": (4.0, 5.0),
        "three_public_vehicle_purchase": (0.0, 0.0),
        "three_public_vehicle_operation": (4.0, 5.0),
        "three_public_reception": (2.0, 2.0),
    }


def test_three_public_grid_with_budget_and_final_rows(resolver):
    """Rows 预算数 / 决算数, parts across, 会议费 and 培训费 beside them (not 三公)."""
    sts = extract_statements(
        _doc(
            "财政拨款“三公”经费及会议费、培训费支出决算表",
            "\t财政拨款安排的“三公”经费\t\t\t\t\t\t\t",
            "项目\t\t因公出国（境）费\t公务用车购置及运行维护费\t\t\t\t会议费\t培训费",
            "\t小计\t用\t小计\t公务用车购置费\t公务用车运行维护费\t公务接待费\t\t",
            "栏次\t1\t2\t3\t4\t5\t6\t7\t8",
            "预算数\t12.00\t\t10.00\t4.00\t6.00\t2.00\t3.00\t8.00",
            "决算数\t11.00\t\t9.50\t4.00\t5.50\t1.50\t3.00\t7.00",
        ),
        2023,
        resolver,
    )
    got = {s.metric: (s.amount_wan, s.budget_wan) for s in sts}
    assert got == {
        "three_public_total": (11.0, 12.0),
        "three_public_overseas": (0.0, 0.0),
        "three_public_vehicle": (9.5, 10.0),
        "three_public_vehicle_purchase": (4.0, 4.0),
        "three_public_vehicle_operation": (5.5, 6.0),
        "three_public_reception": (1.5, 2.0),
    }


def test_consolidated_titles_name_the_department():
    doc = _doc("某某市测试管理委员会（汇总）", "2023年度部门决算", "目录")
    assert from_content(doc) == ("某某市测试管理委员会", 2023)
    doc = _doc("某某县测试局（本级）2023年度部门决算")
    assert from_content(doc) == ("某某县测试局", 2023)


def test_tables_only_budget_is_refused_by_its_table_titles():
    doc = _doc(
        "部门：某某办公厅 单位：万元",
        "收支预算总表",
        "项目\t金额",
        "一、一般公共预算\t10.00",
        "财政拨款支出预算表（功能科目）",
    )
    assert document_kind(doc) == ("budget", "收支预算总表")
    final = _doc("收入支出决算总表", "项目\t金额", "本年收入合计\t10.00", "项目支出预算表")
    assert document_kind(final) is None


def test_letter_spaced_numbers(resolver):
    sts = extract_statements(
        _doc(
            "1.教育支出（类）普通教育（款）学前教育（项）。年初预算 1 2 3 . 4 5万元，"
            "支出决算 1 , 0 2 0 . 5 0万元，完成年初预算的 8 2 6 . 6 3%。"
        ),
        2023,
        resolver,
    )
    row = _metric(sts, "gpb_by_function")[0]
    assert (row.amount_wan, row.budget_wan, row.completion_pct) == (1020.50, 123.45, 826.63)


def test_one_fund_named_once_governs_its_list(resolver):
    sts = extract_statements(
        _doc(
            "政府性基金预算财政拨款年初结转和结余30.00万元，收入决算200.00万元，"
            "支出决算230.00万元，年末结转和结余0万元。"
        ),
        2023,
        resolver,
    )
    assert not [
        s for s in sts if s.metric in ("carryover_begin", "carryover_end", "fiscal_carryover_end")
    ]


def test_shared_qualifier_and_its_change(resolver):
    sts = extract_statements(
        _doc(
            "2023年度财政拨款收入总计、支出总计均为880.00万元，与上年相比收入总计、"
            "支出总计均增加80.00万元，增长10%，主要原因是：专项收入增加，"
            "其中政府性基金预算财政拨款收入与上年相比，增加150.00%。"
        ),
        2023,
        resolver,
    )
    fiscal = _metric(sts, "fiscal_expenditure_total")
    assert [(s.amount_wan, s.change_wan, s.change_pct) for s in fiscal] == [(880.0, 80.0, 10.0)]
    assert not _metric(sts, "expenditure_total")


def test_funds_an_evaluation_covers_are_no_metric(resolver):
    sts = extract_statements(
        _doc(
            "本年支出合计500.00万元，其中项目支出200.00万元。",
            "组织对5个项目开展绩效自评，共涉及资金210.00万元，占项目支出总额的100%；"
            "涉及一般公共预算支出0万元，政府性基金预算支出0万元。",
        ),
        2023,
        resolver,
    )
    assert [s.amount_wan for s in _metric(sts, "expenditure_project")] == [200.0]
    assert not _metric(sts, "gpb_expenditure") and not _metric(sts, "gov_fund_expenditure")
    assert all(s.share_pct is None for s in sts)


def test_a_share_of_a_subject_without_figure_is_not_passed_on(resolver):
    sts = extract_statements(
        _doc(
            "政府采购支出总额100.00万元，其中：授予小微企业合同金额30.00万元，占30.00%；"
            "服务采购授予中小企业合同金额占政府采购服务支出合同的55.00%。"
        ),
        2023,
        resolver,
    )
    small = [s for s in sts if s.amount_wan == 30.0][0]
    assert small.share_pct == 30.0
    assert _metric(sts, "procurement_total")[0].amount_wan == 100.0


def test_narrative_item_takes_the_code_its_own_table_prints(resolver):
    """A 项 the catalogue lacks: the report's 一般公共预算 table prints its code."""
    sts = extract_statements(
        _doc(
            "1.一般公共服务支出（类）发展与改革事务（款）测试调节事务（项）。支出决算12.00万元。",
            "一般公共预算财政拨款支出决算表",
            "科目编码\t科目名称\t合计",
            "2010498\t测试调节事务\t12.00",
        ),
        2023,
        resolver,
    )
    narrative = [s for s in _metric(sts, "gpb_by_function") if s.part == "narrative"][0]
    assert narrative.subject_code == "2010498"


_SHIFTED_TABLE = (
    "一般公共预算财政拨款支出决算表",
    "科目编码\t科目名称\t合计",
    # each amount printed one row too low (the 合计 620.00 stands beside 201, and so on)
    "合计\t\t",
    "201\t一般公共服务支出\t620.00",
    "20101\t人大事务\t500.00",
    "2010101\t行政运行\t500.00",
    "2010102\t一般行政管理事务\t300.00",
    "205\t教育支出\t200.00",
    "20502\t普通教育\t120.00",
    "2050201\t学前教育\t120.00",
    "2050202\t小学教育\t40.00",
)


def test_a_table_failing_its_own_sums_in_a_pattern_is_doubted_not_used(resolver):
    sts, tables, _ = extract_document(_doc(*_SHIFTED_TABLE), 2023, resolver)
    assert tables[0]["doubt"] and "整体错位一行" in tables[0]["doubt"]
    assert all(s.doubtful for s in sts if s.part == "table")


def test_one_wrong_total_is_the_document_s_error_not_a_doubt(resolver):
    lines = list(_SHIFTED_TABLE)
    lines[4:] = [
        "201\t一般公共服务支出\t380.00",
        "20101\t人大事务\t380.00",
        "2010101\t行政运行\t300.00",
        "2010102\t一般行政管理事务\t80.00",
        "205\t教育支出\t120.00",
        "20502\t普通教育\t120.00",
        "2050201\t学前教育\t40.00",
        "2050202\t小学教育\t80.00",
    ]
    lines[2] = "合计\t\t510.00"  # the total alone is wrong: 380 + 120 = 500
    sts, tables, _ = extract_document(_doc(*lines), 2023, resolver)
    assert tables[0]["doubt"] is None
    assert not any(s.doubtful for s in sts)


def test_an_empty_table_with_its_note_is_empty_not_missing(resolver):
    sts, tables, _ = extract_document(
        _doc(
            "国有资本经营预算财政拨款支出决算表",
            "科目编码\t科目名称\t合计",
            "合计\t\t",
            "注：本部门本年度无国有资本经营预算财政拨款收支，故公开空表。",
        ),
        2023,
        resolver,
    )
    assert tables[0]["is_empty"]
    assert [(s.metric, s.amount_wan) for s in sts] == [("state_capital_expenditure", 0.0)]


def test_split_codes_printed_only_in_the_kuan_and_xiang_columns(resolver):
    sts = extract_statements(
        _doc(
            "一般公共预算财政拨款支出决算表",
            "类\t款\t项\t科目名称\t合计",
            "201\t\t\t一般公共服务支出\t300.00",
            "\t03\t\t政府办公厅（室）及相关机构事务\t300.00",
            "\t\t01\t行政运行\t200.00",
            "\t\t02\t一般行政管理事务\t100.00",
        ),
        2023,
        resolver,
    )
    rows = {s.subject_code: s.amount_wan for s in _metric(sts, "gpb_by_function")}
    assert rows == {"201": 300.0, "20103": 300.0, "2010301": 200.0, "2010302": 100.0}


def test_a_subject_path_cut_by_the_layout_accuses_no_one(resolver):
    """ "…（款）机关事业单位基本养老" / figures / "保险缴费支出（项）": the figures' subject is a
    guess, so they are marked doubtful."""
    sts = extract_statements(
        _doc(
            "6、社会保障和就业支出（类）行政事业单位养老支出（款）机关事业单位基本养老"
            "161.62万元，支出决算为160.75万元。保险缴费支出（项）。主要用于：养老保险。"
        ),
        2023,
        resolver,
    )
    placed = [s for s in sts if s.subject_level]
    assert placed and all(s.doubtful for s in placed)


def test_a_page_number_between_two_pages_of_a_sentence_is_skipped(resolver):
    sts = extract_statements(
        _doc(
            "2023年度收入总计500.00万元，与上年相比，收入总计减少30.00万元，减少",
            "-3-",
            "5.66%，主要原因是项目减少。",
        ),
        2023,
        resolver,
    )
    total = _metric(sts, "income_total")[0]
    assert (total.change_wan, total.change_pct) == (-30.0, -5.66)


def test_two_labels_run_together_name_no_metric(resolver):
    sts = extract_statements(
        _doc(
            "收入支出决算总表",
            "项目\t决算数",
            "二、项目支出预算财政拨款收入\t421.42",
            "本年收入合计\t800.00",
        ),
        2023,
        resolver,
    )
    assert not [s for s in sts if s.amount_wan == 421.42 and s.metric]
