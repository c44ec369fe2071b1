"""Tables in page text that keeps no columns (pdfplumber's ``extract_text``), written for these
tests: cells one space apart, a blank cell leaves no trace, long names cut around the line that
holds their code. Figures are put in their columns by the table's identities, never guessed."""

from __future__ import annotations

from pipelines.ingest.extract import extract_statements
from pipelines.ingest.readers.layout_tables import find_layout_tables
from pipelines.ingest.readers.txt_reader import read_txt


def _statements(text: str, resolver):
    doc = read_txt(text.encode(), "2023/测试局.txt")
    return extract_statements(doc, 2023, resolver)


def _subject_rows(sts, metric="gpb_by_function"):
    return {
        s.subject_code: (s.amount_wan, s.basic_wan, s.project_wan)
        for s in sts
        if s.metric == metric and s.subject_code
    }


# 基本支出 and 项目支出 of 20103 are both printed; its two 项 print one figure each beside their
# total: only one placement makes 20103's columns the sums of its children's.
GPB_BLANK_CELLS = """\
一般公共预算财政拨款支出决算表
单位：万元
科目 科目 基本 项目
编码 名称 合计 支出 支出
合计 1,000.00 700.00 300.00
201 一般公共服务支出 1,000.00 700.00 300.00
政府办公厅（室）
20103 1,000.00 700.00 300.00
及相关机构事务
2010301 行政运行 700.00 700.00
2010302 一般行政管理事务 300.00 300.00
"""


def test_blank_cells_are_placed_by_the_parent_columns_sums(resolver):
    """Rule: a row with fewer figures than columns gets the placement under which every
    parent column is the sum of its children's (header words broken over two lines)."""
    rows = _subject_rows(_statements(GPB_BLANK_CELLS, resolver))
    assert rows == {
        "201": (1000.0, 700.0, 300.0),
        "20103": (1000.0, 700.0, 300.0),
        "2010301": (700.0, 700.0, None),
        "2010302": (300.0, None, 300.0),
    }


def test_two_placements_that_both_add_up_leave_the_parts_unstated(resolver):
    """Ambiguous: two 项 of 100.00 each under a 款 of 100.00 + 100.00; either may be the 基本
    支出 one. Only the totals are certain."""
    text = """\
一般公共预算财政拨款支出决算表
单位：万元
科目编码 科目名称 合计 基本支出 项目支出
201 一般公共服务支出 200.00 100.00 100.00
20103 政府办公厅（室）及相关机构事务 200.00 100.00 100.00
2010301 行政运行 100.00 100.00
2010302 一般行政管理事务 100.00 100.00
"""
    rows = _subject_rows(_statements(text, resolver))
    assert rows["2010301"] == (100.0, None, None)
    assert rows["2010302"] == (100.0, None, None)
    assert rows["20103"] == (200.0, 100.0, 100.0)  # every column printed: read as printed


def test_a_header_with_words_outside_the_template_keeps_only_totals(resolver):
    """Rule: the header must hold the template's column names and nothing else; a column the
    template does not know (年初预算数) means the order of the figures is not known."""
    text = GPB_BLANK_CELLS.replace(
        "编码 名称 合计 支出 支出", "编码 名称 年初预算数 合计 支出 支出"
    )
    rows = _subject_rows(_statements(text, resolver))
    assert rows["2010301"] == (700.0, None, None)
    assert rows["201"][0] == 1000.0


NATIONAL = """\
收入支出决算总表
公开01表
编制部门：某某县测试局 金额单位：万元
收入 支出
项目 行次 金额 项目 行次 金额
栏次 1 栏次 2
一、一般公共预
1 1000.00 一、基本支出 9 700.00
算财政拨款收入
二、事业收入 2 二、项目支出 10 300.00
三、其他收入 3 三、上缴上级支出 11
四、上级补助收入 4 四、经营支出 12
五、对附属
五、经营收入 5 13
单位补助支出
六、附属单
6
位上缴收入
本年收入合计 7 1000.00 本年支出合计 14 1000.00
总计 8 1000.00 总计 15 1000.00
支出决算表
公开03表
编制部门：某某县测试局 金额单位：万元
本年支 基本 项目 上缴上 经营 对附属单位
项目 出合计 支出 支出 级支出 支出 补助支出
科目 科目
编码 名称 行次
栏次 1 2 3 4 5 6
合计 1 1000.00 700.00 300.00
201 一般公共服务支出 2 1000.00 700.00 300.00
20103 政府办公厅（室）及相关机构事务 3 1000.00 700.00 300.00
2010301 行政运行 4 700.00 700.00
2010302 一般行政管理事务 5 300.00 300.00
"""


def test_two_sided_table_with_row_numbers_and_cut_labels(resolver):
    """Rule: a label cut around its line goes where the line lacks one; row numbers (行次)
    part the two sides and are never amounts; a line of a row number alone goes on with the
    table."""
    sts = _statements(NATIONAL, resolver)
    got = {s.metric: s.amount_wan for s in sts if s.part == "table" and not s.subject_code}
    assert got["income_general_budget"] == 1000.0
    assert got["expenditure_basic"] == 700.0 and got["expenditure_project"] == 300.0
    assert got["income_current_year"] == got["income_total"] == 1000.0
    assert got["expenditure_total"] == 1000.0
    assert not [s for s in sts if s.part == "table" and s.amount_wan in (1, 9, 13, 14, 15)]
    labels = [c for _, cells in find_layout_tables(NATIONAL.splitlines())[0].rows for c in cells]
    assert "一、一般公共预算财政拨款收入" in labels and "五、对附属单位补助支出" in labels
    assert "六、附属单位上缴收入" in labels


def test_all_funds_table_total_row_takes_its_columns_from_the_summary(resolver):
    """Rule: with blank zeros no row of 支出决算表 tells 基本支出 from 上缴上级支出; the 合计 row
    repeats 收入支出决算总表's expenditure side (上缴上级支出 blank there: zero), which fixes it."""
    rows = _subject_rows(_statements(NATIONAL, resolver), "expenditure_by_function_all")
    assert rows["2010301"] == (700.0, 700.0, None)
    assert rows["2010302"] == (300.0, None, 300.0)
    alone = NATIONAL[NATIONAL.index("支出决算表\n公开03表") :]
    rows = _subject_rows(_statements(alone, resolver), "expenditure_by_function_all")
    # without the summary every part column is as likely: only the totals are certain
    assert rows["2010301"] == (700.0, None, None)
    assert rows["201"][1:] == (None, None)


# Six 项 under one 款, in a table of five part columns: too many ways to fill the columns to
# count from below; the 款's own placement, fixed from above, decides theirs.
MANY_CHILDREN = (
    NATIONAL[: NATIONAL.index("支出决算表\n公开03表")]
    .replace("1000.00", "6205.39")
    .replace("700.00", "2458.92")
    .replace("300.00", "3746.47")
    + """\
支出决算表
公开03表
编制部门：某某县测试局 金额单位：万元
本年支 基本 项目 上缴上 经营 对附属单位
项目 出合计 支出 支出 级支出 支出 补助支出
科目 科目
编码 名称 行次
栏次 1 2 3 4 5 6
合计 1 6205.39 2458.92 3746.47
213 农林水支出 2 6205.39 2458.92 3746.47
21301 农业农村 3 6205.39 2458.92 3746.47
2130101 行政运行 4 1632.43 1473.22 159.21
2130102 一般行政管理事务 5 790.61 790.61
2130104 事业运行 6 1246.06 985.70 260.36
2130106 科技转化与推广服务 7 1541.31 1541.31
2130109 农产品质量安全 8 526.59 526.59
2130110 执法监管 9 468.39 468.39
"""
)


def test_many_children_are_placed_once_their_parent_is(resolver):
    """Rule: when a parent's children can be filled in too many ways to count from below, the
    parent's placement (fixed by the rows above it) is enough to place them, one at a time."""
    rows = _subject_rows(_statements(MANY_CHILDREN, resolver), "expenditure_by_function_all")
    assert rows["21301"] == (6205.39, 2458.92, 3746.47)
    assert rows["2130101"] == (1632.43, 1473.22, 159.21)
    assert rows["2130102"] == (790.61, None, 790.61)
    assert rows["2130104"] == (1246.06, 985.70, 260.36)
    assert rows["2130110"] == (468.39, None, 468.39)


SUMMARY_NO_NUMBERS = """\
收入支出决算总表
单位：万元
收入 支出
项目 决算数 项目 决算数
一、一般公共预算财政拨款收入 900.00 一、基本支出 700.00
二、政府性基金
二、项目支出 300.00
预算财政拨款收入
三、国有资本经营
三、上缴上级支出
预算财政拨款收入
五、对附属
四、事业收入 100.00
单位补助支出
本年收入合计 1000.00 本年支出合计 1000.00
总计 1000.00 总计 1000.00
"""


def test_a_figure_either_side_could_hold_goes_where_the_sums_hold(resolver):
    """Rule: "四、事业收入 100.00" with the other side's label cut around it: the figure is
    either side's; 一…四 must add up to 本年收入合计, so it is the income side's."""
    rows = [cells for _, cells in find_layout_tables(SUMMARY_NO_NUMBERS.splitlines())[0].rows]
    assert ("四、事业收入", "100.00", "五、对附属单位补助支出", "") in rows
    assert ("二、政府性基金预算财政拨款收入", "", "二、项目支出", "300.00") in rows


def test_a_figure_the_sums_cannot_place_is_left_out(resolver):
    """Ambiguous: without the 本年收入合计 figure neither side's sum can be checked."""
    text = SUMMARY_NO_NUMBERS.replace(
        "本年收入合计 1000.00 本年支出合计 1000.00", "本年收入合计 本年支出合计"
    )
    rows = [cells for _, cells in find_layout_tables(text.splitlines())[0].rows]
    assert ("四、事业收入", "", "五、对附属单位补助支出", "") in rows
    sts = _statements(text, resolver)
    assert not [s for s in sts if s.amount_wan == 100.0]


THREE_PUBLIC = """\
财政拨款“三公”经费支出决算表
单位：万元
因公出国 公务用车购置及 公务用车 公务用车运 公务接
合计 （境）费 运行维护费小计 购置费 行维护费 待费
预算数 决算数 预算数 决算数 预算数 决算数 预算数 决算数 预算数 决算数 预算数 决算数
30.00 25.00 0.00 0.00 20.00 18.00 0.00 0.00 20.00 18.00 10.00 7.00
"""


def test_three_public_parts_read_from_the_header_words(resolver):
    """Rule: the parts are the 三公 vocabulary the header's characters spell (in the template's
    order), accepted when 合计 and 公务用车 小计 are the sums of their parts."""
    sts = _statements(THREE_PUBLIC, resolver)
    got = {s.metric: (s.amount_wan, s.budget_wan) for s in sts if s.part == "table"}
    assert got["three_public_total"] == (25.0, 30.0)
    assert got["three_public_vehicle"] == (18.0, 20.0)
    assert got["three_public_vehicle_operation"] == (18.0, 20.0)
    assert got["three_public_reception"] == (7.0, 10.0)


def test_three_public_table_whose_sums_fail_is_not_rebuilt():
    """The order of the parts is only trusted when the sums hold."""
    text = THREE_PUBLIC.replace("30.00 25.00", "31.00 25.00")
    tables = find_layout_tables(text.splitlines())
    assert not any(t.exact for t in tables)


def test_three_public_blank_cells_placed_where_the_sums_hold(resolver):
    """Rule: blank cells (zero, printed as nothing) leave no trace; they are placed where every
    order-keeping placement that lets both sides' sums hold puts them, and stay blank."""
    text = THREE_PUBLIC.replace(
        "30.00 25.00 0.00 0.00 20.00 18.00 0.00 0.00 20.00 18.00 10.00 7.00",
        "30.00 25.00 20.00 18.00 5.00 3.00 15.00 15.00 10.00 7.00",
    )
    sts = _statements(text, resolver)
    got = {s.metric: (s.amount_wan, s.budget_wan) for s in sts if s.part == "table"}
    assert got["three_public_total"] == (25.0, 30.0)
    assert got["three_public_vehicle"] == (18.0, 20.0)
    assert got["three_public_vehicle_purchase"] == (3.0, 5.0)
    assert got["three_public_vehicle_operation"] == (15.0, 15.0)
    assert got["three_public_reception"] == (7.0, 10.0)
    # blank cells: no budget figure, and the 决算数 read as a Word table's blank cell is
    assert got.get("three_public_overseas", (0.0, None)) == (0.0, None)
    assert not any(s.doubtful for s in sts)


def test_three_public_blank_cells_two_placements_explain_are_doubted(resolver):
    """公务用车 20.00 = 购置 + 运行维护 with one of them blank: which one printed 20.00 cannot be
    told, so the table is doubted rather than read one way."""
    text = THREE_PUBLIC.replace(
        "30.00 25.00 0.00 0.00 20.00 18.00 0.00 0.00 20.00 18.00 10.00 7.00",
        "30.00 25.00 6.00 5.00 20.00 18.00 20.00 18.00 4.00 2.00",
    )
    sts = _statements(text, resolver)
    assert not [s for s in sts if s.part == "table" and s.amount_wan is not None]
    assert [t.doubt for t in find_layout_tables(text.splitlines()) if t.doubt]


def test_three_public_blank_cell_no_placement_explains_is_doubted(resolver):
    """A row one figure short whose sums hold under no placement of the blank: where the blank
    was cannot be told, so the table is doubted and none of its figures is read."""
    text = THREE_PUBLIC.replace(
        "30.00 25.00 0.00 0.00 20.00 18.00 0.00 0.00 20.00 18.00 10.00 7.00",
        "30.00 25.00 6.00 20.00 18.00 0.00 0.00 20.00 18.00 4.00 2.00",
    )
    tables = [t for t in find_layout_tables(text.splitlines()) if t.doubt]
    assert len(tables) == 1
    assert "只有11个数字" in tables[0].doubt
    sts = _statements(text, resolver)
    assert not [s for s in sts if s.part == "table" and s.amount_wan is not None]


EMPTY_AND_ONE_LINE = """\
一般公共预算财政拨款基本支出决算表
公开06表
编制部门：某某县测试局 金额单位：万元
人员 公用
经费 经费
科目 科目 科目 科目
编码 名称 决算数 编码 名称 决算数
人员经费合计 340.13 公用经费合计 76.53
国有资本经营预算财政拨款支出决算表
公开08表
编制部门：某某县测试局 金额单位：万元
本年
项目 支出
科目 科目 基本 项目
编码 名称 合计 支出 支出
合计
注：本部门本年度无国有资本经营预算财政拨款收支，故本表无数据。
"""


def test_one_line_tables_and_empty_tables_under_their_title(resolver):
    """Rule: a single line of figures under a table's title and header is a table; a title,
    header and a note "本表无数据" is an empty table (its total is zero)."""
    sts = _statements(EMPTY_AND_ONE_LINE, resolver)
    got = {s.metric: s.amount_wan for s in sts if s.part == "table"}
    assert got["personnel_expenses"] == 340.13
    assert got["public_expenses"] == 76.53
    assert got["state_capital_expenditure"] == 0.0


def test_a_page_number_between_two_pages_of_a_table_is_no_row(resolver):
    """Rule: a line holding one integer and nothing else inside a table of subjects is the
    page's number (pdfplumber prints it where the page ends), not a row."""
    lines = GPB_BLANK_CELLS.splitlines()
    lines.insert(lines.index("2010301 行政运行 700.00 700.00"), "7")
    rows = _subject_rows(_statements("\n".join(lines) + "\n", resolver))
    assert rows["2010301"] == (700.0, 700.0, None)
    assert rows["2010302"] == (300.0, None, 300.0)


def test_header_words_broken_over_many_lines_and_page_numbers(resolver):
    """As pdfplumber prints a narrow-columned header (each word over up to ten lines, centred)
    and the page's number ("- 5 -") where the page ends inside a table."""
    text = """\
财政拨款“三公”经费支出决算表
单位：万元
公务用
因公出
车购置 公务用 公务用
国 公务接
合计 及运行 车购置 车运行
（境） 待费
维护费 费 维护费
费
小计
预算数 决算数 预算数 决算数 预算数 决算数 预算数 决算数 预算数 决算数 预算数 决算数
30.00 25.00 0.00 0.00 20.00 18.00 0.00 0.00 20.00 18.00 10.00 7.00
- 5 -
"""
    got = {s.metric: (s.amount_wan, s.budget_wan) for s in _statements(text, resolver)}
    assert got["three_public_total"] == (25.0, 30.0)
    assert got["three_public_reception"] == (7.0, 10.0)
    lines = GPB_BLANK_CELLS.splitlines()
    lines.insert(lines.index("2010302 一般行政管理事务 300.00 300.00"), "- 5 -")
    rows = _subject_rows(_statements("\n".join(lines) + "\n", resolver))
    assert rows["2010302"] == (300.0, None, 300.0)
