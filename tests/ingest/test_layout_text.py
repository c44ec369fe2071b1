"""Tables in text laid out with spaces (as ``pdftotext -layout`` prints them), written for these
tests: rows are rebuilt from the columns their figures stand in, whatever the template."""

from __future__ import annotations

from pipelines.ingest.extract import extract_statements
from pipelines.ingest.readers.layout_tables import find_layout_tables
from pipelines.ingest.readers.txt_reader import read_txt


def _laid_out(widths: list[int], rows: list[list[str]]) -> str:
    """Lines as pdftotext -layout prints a table: each column at a fixed character position,
    figures right-aligned in it, words left-aligned (one character a CJK glyph)."""
    lines = []
    for row in rows:
        if len(row) == 1:
            lines.append(row[0])
            continue
        line = ""
        for width, cell in zip(widths, row, strict=False):
            figure = "." in cell and cell.replace(",", "").replace(".", "").isdigit()
            line += (cell.rjust(width) if figure else cell.ljust(width)) + "  "
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


SUMMARY_WIDTHS = [16, 4, 10, 14, 4, 10]
NATIONAL_SUMMARY = _laid_out(
    SUMMARY_WIDTHS,
    [
        ["                收入支出决算总表"],
        ["编制部门：某某县测试局                    金额单位：万元"],
        ["项目", "行次", "决算数", "项目", "行次", "决算数"],
        ["栏次", "", "1", "栏次", "", "2"],
        ["一、一般公共预算财政拨款收入", "1", "1,200.00", "一、一般公共服务支出", "31", "1,000.00"],
        ["二、政府性基金预算财政拨款收入", "2", "", "二、外交支出", "32", ""],
        ["三、事业收入", "3", "30.50", "三、教育支出", "33", "230.50"],
        ["", "4", "", "四、科学技术支出", "34", ""],
        ["本年收入合计", "5", "1,230.50", "本年支出合计", "35", "1,230.50"],
        ["年初结转和结余", "6", "10.00", "年末结转和结余", "36", "10.00"],
        ["总计", "7", "1,240.50", "总计", "37", "1,240.50"],
        ["注：本表反映部门本年度的总收支和年末结转结余情况。"],
    ],
)

GPB_TABLE = _laid_out(
    [8, 16, 10, 10, 10],
    [
        ["         一般公共预算财政拨款支出决算表"],
        ["编制部门：某某县测试局              金额单位：万元"],
        ["科目代码", "科目名称", "小计", "基本支出", "项目支出"],
        ["", "栏次", "1", "2", "3"],
        ["", "合计", "1,000.00", "700.00", "300.00"],
        ["201", "一般公共服务支出", "1,000.00", "700.00", "300.00"],
        ["20103", "政府办公厅（室）及相关机构事务", "1,000.00", "700.00", "300.00"],
        ["2010301", "行政运行", "700.00", "700.00", ""],
        ["2010302", "一般行政管理事务", "300.00", "", "300.00"],
    ],
)

WRAPPED_NAMES = _laid_out(
    [8, 10, 10, 10, 10],
    [
        ["          支出决算表"],
        ["部门：某某县测试局                      单位：万元"],
        ["科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出"],
        ["", "社会保障和就业支"],
        ["208", "", "76.20", "76.20", "0.00"],
        ["", "出"],
        ["", "行政事业单位养老"],
        ["20805", "", "76.20", "76.20", "0.00"],
        ["", "支出"],
        ["2080505", "机关事业单位基本", "50.00", "50.00", "0.00"],
        ["", "养老保险缴费支出"],
        ["2080506", "机关事业单位职业", "26.20", "26.20", "0.00"],
        ["", "年金缴费支出"],
    ],
)


def _rows(text: str) -> list[tuple[str, ...]]:
    tables = find_layout_tables(text.splitlines())
    assert len(tables) == 1
    return [cells for _, cells in tables[0].rows]


def test_two_sided_table_with_row_numbers(resolver):
    doc = read_txt(NATIONAL_SUMMARY.encode(), "2023/测试局.txt")
    sts = extract_statements(doc, 2023, resolver)
    got = {s.metric: s.amount_wan for s in sts if s.part == "table" and s.metric}
    assert got["income_general_budget"] == 1200.00
    assert got["income_current_year"] == 1230.50
    assert got["expenditure_current_year"] == 1230.50
    assert got["income_total"] == got["expenditure_total"] == 1240.50
    assert got["carryover_end"] == 10.00
    assert not [s for s in sts if s.part == "table" and s.amount_wan in (1, 5, 7, 35, 37)]


def test_subject_table_columns_from_figures_and_header(resolver):
    doc = read_txt(GPB_TABLE.encode(), "2023/测试局.txt")
    sts = extract_statements(doc, 2023, resolver)
    rows = {
        s.subject_code: (s.amount_wan, s.basic_wan, s.project_wan)
        for s in sts
        if s.metric == "gpb_by_function"
    }
    assert rows == {
        "201": (1000.0, 700.0, 300.0),
        "20103": (1000.0, 700.0, 300.0),
        "2010301": (700.0, 700.0, None),
        "2010302": (300.0, None, 300.0),  # a blank 基本支出 cell stays blank
    }


def test_names_wrapped_above_and_below_their_code():
    rows = _rows(WRAPPED_NAMES)
    names = {r[0]: r[1] for r in rows[1:]}
    assert names == {
        "208": "社会保障和就业支出",
        "20805": "行政事业单位养老支出",
        "2080505": "机关事业单位基本养老保险缴费支出",
        "2080506": "机关事业单位职业年金缴费支出",
    }
    assert rows[0][2:] == ("本年支出合计", "基本支出", "项目支出")


def test_figures_printed_apart_from_their_labels_make_the_table_doubtful(resolver):
    text = _laid_out(
        SUMMARY_WIDTHS,
        [
            ["        财政拨款收入支出决算总表"],
            ["项目", "", "决算数", "项目", "", "合计"],
            ["一、一般公共预算财政拨款", "", "500.00", "一、一般公共服务支出", "", "500.00"],
            ["", "", "500.00", "", "", "500.00"],  # the figures of the next line's labels
            ["本年收入合计", "", "", "本年支出合计", "", "9.00"],
            ["总计", "", "510.00", "总计", "", "510.00"],
        ],
    )
    doc = read_txt(text.encode(), "2023/测试局.txt")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert rows and all(b.doubt and "不在同一行" in b.doubt for b in rows)
    sts = extract_statements(doc, 2023, resolver)
    assert all(s.doubtful for s in sts if s.part == "table")


def test_narrative_lines_are_never_table_rows():
    text = (
        "一般公共预算财政拨款支出 500.00 万元，占本年支出合计的 100.00%。\n"
        "其中：基本支出 300.00 万元，项目支出 200.00 万元。\n"
    )
    assert find_layout_tables(text.splitlines()) == []


PLUMBER = """\
一般公共预算财政拨款支出决算表
单位：万元
科目编码 科目名称 合计 基本支出 项目支出
合计 1,000.00 700.00 300.00
201 一般公共服务支出 1,000.00 700.00 300.00
20103 政府办公厅（室）及相关机构事务 1,000.00 700.00 300.00
机关事务
2010301 700.00 700.00
管理运行
2010302 一般行政管理事务 300.00 300.00
"""


def test_page_text_without_columns_keeps_codes_names_and_totals(resolver):
    """Page text as pdfplumber gives it: cells one space apart, a name broken around its code.
    A blank cell leaves no trace: the lone part figure of a 项 is placed by its 款's columns
    (tests/ingest/test_ordered_tables.py has the rules)."""
    doc = read_txt(PLUMBER.encode(), "2023/测试局.txt")
    sts = extract_statements(doc, 2023, resolver)
    rows = {
        s.subject_code: (s.amount_wan, s.subject_name) for s in sts if s.metric == "gpb_by_function"
    }
    assert rows == {
        "201": (1000.0, "一般公共服务支出"),
        "20103": (1000.0, "政府办公厅（室）及相关机构事务"),
        "2010301": (700.0, "机关事务管理运行"),
        "2010302": (300.0, "一般行政管理事务"),
    }
    parts = {
        s.subject_code: (s.basic_wan, s.project_wan) for s in sts if s.metric == "gpb_by_function"
    }
    assert parts["2010301"] == (700.0, None) and parts["2010302"] == (None, 300.0)


def test_figures_printed_below_a_wrapped_name_join_its_row():
    rows = _rows(
        _laid_out(
            [8, 16, 10, 10],
            [
                ["        支出决算表"],
                ["科目编码", "科目名称", "合计", "基本支出"],
                ["208", "社会保障和就业支出", "10.82", "10.82"],
                ["2080505", "机关事业单位基本养老保险缴费"],
                ["", "支出"],
                ["", "", "6.18", "6.18"],
                ["2080506", "机关事业单位职业年金缴费支出", "4.64", "4.64"],
            ],
        )
    )
    by_code = {r[0]: r[1:] for r in rows[1:]}
    assert by_code["2080505"] == ("机关事业单位基本养老保险缴费支出", "6.18", "6.18")
    assert len(rows) == 4  # the header and three rows: no row of figures alone


def test_a_column_holding_two_figures_of_one_line_is_two_columns():
    """One wide figure of another row overlaps both columns' ranges; the line that holds two
    figures there shows they are two columns."""
    text = "\n".join(
        [
            "一般公共预算财政拨款支出决算表",
            "科目编码  科目名称        合计      基本支出",
            "201       一般公共服务支出  1234567.89 1000.00",
            "20101     人大事务          300.00     300.00",
        ]
    )
    rows = _rows(text + "\n")
    assert rows[-1] == ("20101", "人大事务", "300.00", "300.00")
    assert rows[-2] == ("201", "一般公共服务支出", "1234567.89", "1000.00")


def test_a_figure_run_into_the_next_columns_label_stays_a_figure():
    """A right-aligned figure of one side ends where the other side's labels begin on other
    lines: figures and labels make their columns apart, so neither swallows the other."""
    text = "\n".join(
        [
            "                 收入支出决算总表",
            "项目                 行次      金额    项目            行次      金额",
            "一、一般公共预算财政拨款收入  1    1,200.00 一、基本支出       13    900.00",
            "二、事业收入          2         二、项目支出          14    300.00",
            "本年收入合计          3    1,200.00 本年支出合计       15  1,200.00",
            "总计              4    1,200.00 总计           16  1,200.00",
        ]
    )
    rows = _rows(text + "\n")
    first = ["一、一般公共预算财政拨款收入", "1", "1,200.00", "一、基本支出", "13", "900.00"]
    assert [c for c in rows[1] if c] == first
    assert [c for c in rows[2] if c] == ["二、事业收入", "2", "二、项目支出", "14", "300.00"]
    # the blank 金额 of 二、事业收入 stays in the income side's figure column
    assert rows[2][rows[1].index("1,200.00")] == ""


def test_figures_go_to_columns_in_their_order_when_positions_drift():
    """A layout that places text by its left edge prints a wider figure further left: one
    row's second figure may start inside the first column's range of other rows. The order
    of a row's figures decides; positions only choose among the columns for a shorter row."""
    text = "\n".join(
        [
            "          支出决算表",
            "科目编码  科目名称            合计      基本支出    项目支出",
            "          合计           10846.66 7030.07  3816.59",
            "204       公共安全支出      8983.95     5167.36     3816.59",
            "2040201   行政运行          5167.36     5167.36",
            "2040202   一般行政管理事务   796.69                  796.69",
        ]
    )
    rows = _rows(text + "\n")
    by_name = {r[1]: r[2:] for r in rows[1:]}
    assert by_name["合计"] == ("10846.66", "7030.07", "3816.59")
    assert by_name["行政运行"] == ("5167.36", "5167.36", "")
    assert by_name["一般行政管理事务"] == ("796.69", "", "796.69")
    assert rows[0][2:] == ("合计", "基本支出", "项目支出")


def test_a_table_continued_on_the_next_page_keeps_its_columns():
    """The next page lays the table out anew (other positions); its rows still fill the
    first page's columns, and the page number between is no piece of a name."""
    page1 = [
        "          支出决算表",
        "科目编码  科目名称                  合计      基本支出     项目支出",
        "205       教育支出             1,000.00       700.00       300.00",
        "20501     教育管理事务           700.00       700.00",
        "",
        "                    -7-",
    ]
    page2 = [
        "2050101   行政运行      700.00  700.00",
        "2050102   一般行政管理事务      300.00           300.00",
        "2050201   学前教育       10.00    5.00    5.00",
    ]
    rows = _rows("\n".join(page1) + "\n\f" + "\n".join(page2) + "\n")
    header = rows[0]
    column = {word: header.index(word) for word in ("合计", "基本支出", "项目支出")}
    by_code = {r[0]: r for r in rows[1:]}
    assert "-7-" not in "".join(by_code["20501"])
    for code, total, basic, project in [
        ("20501", "700.00", "700.00", ""),
        ("2050101", "700.00", "700.00", ""),
        ("2050102", "300.00", "", "300.00"),
        ("2050201", "10.00", "5.00", "5.00"),
    ]:
        row = by_code[code]
        assert (row[column["合计"]], row[column["基本支出"]], row[column["项目支出"]]) == (
            total,
            basic,
            project,
        )


def test_columns_no_row_fills_together_stay_apart():
    """No row has both 基本支出 and 项目支出: the ranges the figures fill, apart from each
    other, are the columns, and each row's figures go to the ones they stand in."""
    rows = _rows(
        "\n".join(
            [
                "          支出决算表",
                "213       农林水支出           1560000.00               1560000.00",
                "21301     农业农村             1560000.00               1560000.00",
                "221       住房保障支出          323100.00   323100.00",
                "22102     住房改革支出          323100.00   323100.00",
            ]
        )
        + "\n"
    )
    by_code = {r[0]: [c for c in r[2:]] for r in rows}
    assert by_code["213"] == ["1560000.00", "", "1560000.00"]
    assert by_code["221"] == ["323100.00", "323100.00", ""]


# ------------------------------------------------------------------ the 三公 table's header --
def _three_statements(text: str, resolver) -> dict[str, tuple[float | None, float | None]]:
    """metric -> (决算数, 预算数) of the table's statements that accuse (not doubted)."""
    doc = read_txt(text.encode(), "2023/测试局.txt")
    sts = extract_statements(doc, 2023, resolver)
    return {
        s.metric: (s.amount_wan, s.budget_wan)
        for s in sts
        if s.part == "table" and s.metric and not s.doubtful
    }


# Parts' names broken over narrow cells, the vehicle group over its 小计 and parts, 预算数 and
# 决算数 over the two halves of one wide row (as the consolidated layout prints it).
THREE_HALVES = """\
                              财政拨款“三公”经费支出决算表
                                                                    单位：万元

预算数                                                   决算数
             因公出     公务用                                        因公出      公务用
              国      车购置                     公务接                 国       车购置                           公务接
 合计                                                    合计
             （境）     及运行                      待费                （境）      及运行                            待费
              费      维护费                                         费       维护费
                             公务用     公务用                                           公务用       公务用
                     小计      车购置     车运行                                 小计        车购置       车运行
                              费      维护费                                            费        维护费
      2.87    0.00    2.23    0.00    2.23    0.64       2.53     0.00    1.91      0.00        1.91      0.62
"""


def test_three_public_header_rebuilt_from_word_stacks(resolver):
    got = _three_statements(THREE_HALVES, resolver)
    assert got["three_public_total"] == (2.53, 2.87)
    assert got["three_public_overseas"] == (0.0, 0.0)
    assert got["three_public_vehicle"] == (1.91, 2.23)
    assert got["three_public_vehicle_purchase"] == (0.0, 0.0)
    assert got["three_public_vehicle_operation"] == (1.91, 2.23)
    assert got["three_public_reception"] == (0.62, 0.64)


# 预算数 and 决算数 rows, a 栏次 row numbering ten columns, 小计 columns under two groups,
# 会议费 and 培训费; "（境）费" printed on a line whose other words push it under the next stack.
THREE_ROWS = """\
                        财政拨款“三公”经费、会议费、培训费支出决算表
                                                                                                                     公开09表
                                                             编制部门：某某县测试局                                 金额单位：万元

                 公务用车
       “三公”                                                        公务接待
 项目         因公出国 购置及运                                                                                        会议费      培训费
       经费合计                                                          费
                 行维护费
                                                 公务用车
                                            公务用车                                  国内接待 国（境）
                    （境）费            小计           运行维护                  小计
                                             购置费                                    费  外接待费
                                                   费
栏次     1            2           3           4          5           6              7           8          9           10
预算数          4.87        0.00        1.75       0.00        1.75           3.12        3.10       0.02        2.04         7.07
决算数          4.80        0.00        1.70       0.00        1.70           3.10        3.10                   1.85         5.80
"""


def test_three_public_rows_with_column_numbers_and_a_drifted_piece(resolver):
    got = _three_statements(THREE_ROWS, resolver)
    assert got["three_public_total"] == (4.80, 4.87)
    assert got["three_public_overseas"] == (0.0, 0.0)
    assert got["three_public_vehicle"] == (1.70, 1.75)
    assert got["three_public_vehicle_purchase"] == (0.0, 0.0)
    assert got["three_public_reception"] == (3.10, 3.12)
    assert got["reception_domestic"] == (3.10, 3.10)
    # a blank cell, placed under its column by the 预算数 row's figures: zero
    assert got["reception_foreign"] == (0.0, 0.02)


# 预算数 | 决算数 under each part; one cell left blank. Header words drift from the figures, so
# the blank is placed by the sums: only under 公务接待费's 决算数 can they hold.
THREE_PAIRS = """\
                                        财政拨款“三公”经费支出决算表
                                                                                        单位：万元

                                             公务用
                         因公出
                                             车购置             公务用             公务用
                          国                                                                        公务接
 合计                                          及运行             车购置             车运行
                         （境）                                                                        待费
                                             维护费              费              维护费
                          费
                                              小计
预算数          决算数         预算数         决算数     预算数     决算数     预算数     决算数     预算数     决算数           预算数        决算数
      9.61        9.39        0.00    0.00    2.11    2.08    0.00    0.00    2.11         2.08       7.50
"""


def test_three_public_blank_cell_placed_under_its_side_word(resolver):
    doc = read_txt(THREE_PAIRS.encode(), "2023/测试局.txt")
    rows = [b.cells for b in doc.blocks if b.kind == "table_row"]
    assert rows[-1][-2:] == ("7.50", "")
    got = _three_statements(THREE_PAIRS, resolver)
    assert got["three_public_total"] == (9.39, 9.61)
    assert got["three_public_vehicle_operation"] == (2.08, 2.11)
    assert got["three_public_reception"] == (0.0, 7.50)  # the blank cell, read as zero


def test_three_public_blank_cell_the_sums_cannot_place_goes_by_position_or_not_at_all():
    """预算数 and 决算数 of 公务接待费 equal: the sums hold with the blank under either. The row's
    positions decide when one place is clearly nearer (the last figure under 预算数, so the
    blank is 决算数's); a figure half way between the two leaves the table to the general
    reader, never read by a guess."""
    from pipelines.ingest.readers.layout_tables import _Line, _tokens
    from pipelines.ingest.readers.layout_three_public import three_public_table

    text = THREE_PAIRS.replace("9.61", "9.42").replace("7.50", "7.31")

    def read(text: str):
        parsed = [_Line(k + 1, _tokens(line)) for k, line in enumerate(text.splitlines())]
        first = len(parsed) - 1
        return three_public_table(parsed, first, [parsed[first]])

    assert read(text).rows[-1][1][-2:] == ("7.31", "")
    halfway = text.replace("       2.08       7.31", "       2.08          7.31")
    assert halfway != text and read(halfway) is None


def test_three_public_header_with_a_word_it_does_not_know_is_left_to_the_general_reader():
    from pipelines.ingest.readers.layout_tables import _Line, _tokens
    from pipelines.ingest.readers.layout_three_public import three_public_table

    text = THREE_HALVES.replace("公务接", "公务招")
    lines = text.splitlines()
    parsed = [_Line(k + 1, _tokens(line)) for k, line in enumerate(lines)]
    first = len(lines) - 1
    assert three_public_table(parsed, first, [parsed[first]]) is None
    assert (
        three_public_table(
            [_Line(k + 1, _tokens(line)) for k, line in enumerate(THREE_HALVES.splitlines())],
            first,
            [parsed[first]],
        )
        is not None
    )


def test_a_share_wrapped_after_its_first_digit_is_one_figure(resolver):
    """ "占２" + "９.３１。": the next line starts with a figure, not a "9." heading."""
    text = (
        "（二）“三公”经费财政拨款支出决算具体情况说明\n"
        "   ２０２４年度“三公”经费财政拨款支出决算中，因公出国（境）费支出决算０万元，占０.００%；\n"
        "公务用车购置及运行维护费支出决算２.７５万元，占７０.６９%；公务接待费支出决算１.１４万元，占２\n"
        "９.３１。具体情况如下：\n"
    )
    doc = read_txt(text.encode(), "2024/测试局.txt")
    sts = extract_statements(doc, 2024, resolver)
    shares = {s.metric: s.share_pct for s in sts if s.metric}
    assert shares["three_public_reception"] == 29.31


# ------------------------------------------------------ national template: 栏次 and blanks --
# 公开03表 as the national template prints it: six figure columns numbered by the 栏次 row, the
# last three blank in every row; header words stacked over narrow cells.
NATIONAL_EXPENSES = """\

                                          支出决算表
                                                                                                         公开03表
                                                                  编制部门：某某县测试局                       金额单位：万元

                                                                                                               对附属
                                                     本年支出           上缴上                              经营支
  项目                                                      基本支出 项目支出                                            单位补
                                                      合计            级支出                               出
                                                                                                               助支出
科目编码                科目名称                      行次
栏次                                                   1            2            3            4       5          6
合计                                        1          9870.30      7230.16      2640.14
204       公共安全支出                          2          7975.28      5335.14      2640.14
20402     公安                              3          7975.28      5335.14      2640.14
2040201   行政运行                            4          5335.14      5335.14
2040202   一般行政管理事务                        5              433.48                    433.48
2040219   信息化建设                           6          1248.20                   1248.20
"""


def test_column_numbers_give_the_header_its_blank_columns():
    rows = _rows(NATIONAL_EXPENSES)
    header = rows[0]
    assert header[-6:] == (
        "本年支出合计",
        "基本支出",
        "项目支出",
        "上缴上级支出",
        "经营支出",
        "对附属单位补助支出",
    )
    by_code = {r[0]: r[-6:] for r in rows[1:]}
    assert by_code["204"] == ("7975.28", "5335.14", "2640.14", "", "", "")
    assert by_code["2040201"] == ("5335.14", "5335.14", "", "", "", "")
    assert by_code["2040202"] == ("433.48", "", "433.48", "", "", "")


# Lines of figures one space apart drift from each other: positions cannot put the figures
# under the 栏次 numbers, so each row is read by the order of its figures and the table's sums.
DRIFTING_FIGURES = """\

                                       支出决算表
                                                                                                          公开03表
                                               编制部门：某某县测试局                                      金额单位：万元

                                                                                         对附属
                                                   本年支          基本支          项目支 上缴上 经营支
 项目                                                                                      单位补
                                                   出合计           出            出  级支出  出
                                                                                         助支出
科目编码                 科目名称                     行次
栏次                                                 1            2            3           4          5          6
合计                                        1        1093.77 880.09 213.68                     0.00       0.00       0.00
201       一般公共服务支出                        2        1093.77          880.09 213.68            0.00       0.00       0.00
20103     政府办公厅（室）及相关机构事务                 3        1093.77          880.09 213.68            0.00       0.00       0.00
2010301   行政运行                            4            880.09       880.09        0.00       0.00       0.00       0.00
2010302   一般行政管理事务                        5            118.44         0.00 118.44            0.00       0.00       0.00
2010399   其他政府办公厅（室）及相关机构事务支出             6             95.24         0.00       95.24       0.00       0.00       0.00
"""


def test_figures_drifting_off_their_numbers_are_read_by_order_and_sums(resolver):
    doc = read_txt(DRIFTING_FIGURES.encode(), "2024/测试局.txt")
    sts = extract_statements(doc, 2024, resolver)
    rows = {
        s.subject_code: (s.amount_wan, s.basic_wan, s.project_wan)
        for s in sts
        if s.metric == "expenditure_by_function_all" and not s.doubtful
    }
    assert rows["201"] == (1093.77, 880.09, 213.68)
    assert rows["2010302"] == (118.44, 0.0, 118.44)
    assert rows["2010399"] == (95.24, 0.0, 95.24)


# 公开06表 (one line of figures under a title and header) and 公开07表 left empty with its note.
ONE_LINE_AND_EMPTY = """\
                       一般公共预算财政拨款基本支出决算表
                                                                                      公开06表
                                                编制部门：某某县测试局                   金额单位：万元

  人员经费                                       公用经费
  科目编码          科目名称          决算数            科目编码          科目名称                       决算数
           人员经费合计                 6213.05           公用经费合计                             1017.11





                               政府性基金预算财政拨款收入支出决算表
                                                                                                                  公开07表
                                                                        编制部门：某某县测试局                       金额单位：万元

       项目                                              本年支出
科目编码                    科目名称                     合计                    基本支出                      项目支出
                        合计

注：本部门本年度无政府性基金预算财政拨款收支，故本表无数据。


"""


def test_a_one_line_table_and_an_empty_table_in_aligned_text(resolver):
    doc = read_txt(ONE_LINE_AND_EMPTY.encode(), "2024/测试局.txt")
    got = {s.metric: s.amount_wan for s in extract_statements(doc, 2024, resolver) if s.metric}
    assert got["personnel_expenses"] == 6213.05
    assert got["public_expenses"] == 1017.11
    assert got["gov_fund_expenditure"] == 0.0  # 本表无数据


def test_a_row_of_labels_left_blank_keeps_the_total_below_in_the_table(resolver):
    text = _laid_out(
        [16, 10, 14, 10],
        [
            ["        收入支出决算总表"],
            ["部门：某某县测试局                  单位：万元"],
            ["项目", "决算数", "项目", "决算数"],
            ["一、一般公共预算财政拨款收入", "500.00", "一、基本支出", "500.00"],
            ["本年收入合计", "500.00", "本年支出合计", "500.00"],
            ["年初结转和结余", "", "年末结转和结余", ""],
            ["总计", "500.00", "总计", "500.00"],
        ],
    )
    doc = read_txt(text.encode(), "2023/测试局.txt")
    got = {s.metric: s.amount_wan for s in extract_statements(doc, 2023, resolver) if s.metric}
    assert got["income_total"] == got["expenditure_total"] == 500.00


def test_figures_each_after_their_own_label_are_read_as_a_word_table(resolver):
    """Label, row number, figure on both sides: paired by order, so one failing sum is the
    report's contradiction (年末结转和结余 misprinted), not a doubt on the reading."""
    text = NATIONAL_SUMMARY.replace("36         10.00", "36         12.00")
    assert text != NATIONAL_SUMMARY
    tables = find_layout_tables(text.splitlines())
    assert tables[0].exact and tables[0].doubt is None
    doc = read_txt(text.encode(), "2023/测试局.txt")
    sts = extract_statements(doc, 2023, resolver)
    end = next(s for s in sts if s.metric == "carryover_end" and s.part == "table")
    assert end.amount_wan == 12.00 and not end.doubtful


def test_one_misprinted_total_is_the_reports_error_not_a_doubt(resolver):
    """合计 changed: it fails 合计 = Σ类 and 合计 = 基本 + 项目, and both say what it should be:
    one misprint, reported. A figure that only one sum disputes still makes the table doubtful."""
    changed = GPB_TABLE.replace("合计                  1,000.00", "合计                  1,010.00")
    assert changed != GPB_TABLE
    sts = extract_statements(read_txt(changed.encode(), "2023/测试局.txt"), 2023, resolver)
    total = next(s for s in sts if s.metric == "gpb_expenditure" and s.part == "table")
    assert total.amount_wan == 1010.00 and not total.doubtful
    one = GPB_TABLE.replace("300.00                  300.00", "310.00                  300.00")
    assert one != GPB_TABLE
    sts = extract_statements(read_txt(one.encode(), "2023/测试局.txt"), 2023, resolver)
    assert all(s.doubtful for s in sts if s.metric == "gpb_by_function")


def test_a_total_printed_where_codes_stand_labels_its_row():
    """Codes split into 类 | 款 | 项 columns and 合计 printed under them, left of the names: the
    合计 row's figures have their label; the table is not doubted."""
    text = "\n".join(
        [
            "                             一般公共预算财政拨款支出决算表",
            "                                                                    单位：万元",
            "",
            "科目编码                                    科目名称    合计        基本支出      项目支出",
            "      类        款        项",
            "合计                                              1815.26    506.60    1308.66",
            "208                         社会保障和就业支出           1815.26    506.60    1308.66",
            "208       02                民政管理事务              1815.26    506.60    1308.66",
            "208       02       01       行政运行                 647.03    506.60     140.43",
            "208       02       02       一般行政管理事务             1168.23               1168.23",
        ]
    )
    tables = find_layout_tables((text + "\n").splitlines())
    assert tables[0].doubt is None
    assert [c for c in tables[0].rows[1][1] if c] == ["合计", "1815.26", "506.60", "1308.66"]


# ------------------------------------------------ rules of the reader with no test before --
def test_label_above_codes_begins_the_first_rows_name():
    """The first row's name printed on the line above its code (the cell's text centred): it
    is that row's name, not a header line."""
    rows = _rows(
        _laid_out(
            [8, 16, 10, 10],
            [
                ["        支出决算表"],
                ["科目编码", "科目名称", "合计", "基本支出"],
                ["", "社会保障和就业支出"],
                ["208", "", "10.82", "10.82"],
                ["20805", "行政事业单位养老支出", "10.82", "10.82"],
            ],
        )
    )
    by_code = {r[0]: r[1] for r in rows[1:]}
    assert by_code == {"208": "社会保障和就业支出", "20805": "行政事业单位养老支出"}
    assert "社会保障" not in "".join(rows[0])


def test_two_figures_of_one_line_in_one_column_make_the_table_doubtful(resolver):
    """A next page laid out with more figure columns than the first: two figures of one of its
    lines land in one of the first page's columns. Which is which is a guess, so the table's
    figures accuse no one."""
    page1 = [
        "          支出决算表",
        "科目编码  科目名称                  合计      基本支出     项目支出",
        "205       教育支出             1,000.00       700.00       300.00",
        "20501     教育管理事务           700.00       700.00",
        "",
        "                    -7-",
    ]
    page2 = [
        "2050101   行政运行      700.00  700.00  0.00  0.00",
        "2050102   一般行政管理事务      300.00  0.00  300.00  0.00",
    ]
    text = "\n".join(page1) + "\n\f" + "\n".join(page2) + "\n"
    table = find_layout_tables(text.splitlines(), {7})[0]
    assert table.doubt and "同一列" in table.doubt
    doc = read_txt(text.encode(), "2023/测试局.txt")
    sts = [s for s in extract_statements(doc, 2023, resolver) if s.part == "table"]
    assert sts and all(s.doubtful for s in sts)


# ------------------------------------------------------- narrative wrapped by the layout --
def test_a_direction_claim_after_a_paragraph_break_concerns_the_figure_before_it(resolver):
    """The layout ended a paragraph where a sentence ended a line; the next one states only the
    figure's change, then the claim: it is the 三公 total's claim. A numbered item with its own
    figure keeps its claim to itself."""
    text = (
        "（一）“三公”经费财政拨款支出决算总体情况说明\n"
        "   “三公”经费财政拨款支出年初预算为 62.34 万元，支出决算为 40.65 万元，完成预算的 65.21%。\n"
        "2024年度“三公”经费财政拨款支出同比增加 31.26 万元，增长 332.91%。主要原因是人员工资标准调整\n"
        "及人员增加。决算数大于预算数的主要原因是严格执行中央八项规定精神，压减“三公”经费支出。\n"
    )
    sts = extract_statements(read_txt(text.encode(), "2024/测试局.txt"), 2024, resolver)
    total = next(s for s in sts if s.metric == "three_public_total" and s.budget_wan)
    assert total.budget_direction == "above"
    items = (
        "（二）一般公共预算财政拨款支出决算具体情况\n"
        "   9．城乡社区支出(类)城乡社区管理事务(款)行政运行(项)：年初预算为331.64万元，支出决算为\n"
        "291.08万元，完成年初预算的87.77%。\n"
        "   10．住房保障支出(类)住房改革支出(款)住房公积金(项)：支出决算为78.74万元，完成预算10\n"
        "7.79%。决算数大于预算数的主要原因是年中追加了预算。\n"
    )
    sts = extract_statements(read_txt(items.encode(), "2024/测试局.txt"), 2024, resolver)
    running = next(s for s in sts if s.subject_code == "2120101")
    assert running.budget_direction is None


def test_a_wrapped_as_of_date_is_read_whole():
    from pipelines.ingest.extract.text_checks import text_findings

    text = (
        "   主要用于公务用车燃料费、维修费、过路过桥费和保险费等支出。截至{}年12月31\n"
        "日，单位共有公务用车2辆。\n"
    )
    wrong = read_txt(text.format(2022).encode(), "2023/测试局.txt")
    found = [f for f in text_findings(wrong, 2023) if f.check_id == "identity.wrong_year"]
    assert len(found) == 1 and "2022" in found[0].message
    right = read_txt(text.format(2023).encode(), "2023/测试局.txt")
    assert not [f for f in text_findings(right, 2023) if f.check_id == "identity.wrong_year"]


def test_a_page_laid_out_anew_is_read_by_order_and_sums_when_positions_fail(resolver):
    """The next page puts a row's two figures under one of the first page's columns; the
    table's sums tell which columns they are (卫生健康支出's figures are 基本支出: the 合计
    row's 基本支出 needs them), so the table is read by each row's order and its sums."""
    page1 = [
        "          一般公共预算财政拨款支出决算表",
        "                                                       单位：万元",
        "  科目编码    科目名称             合计        基本支出      项目支出",
        "合计                              400.00      250.00      150.00",
        "207       文化旅游体育与传媒支出     250.00      100.00      150.00",
        "20701     文化和旅游                250.00      100.00      150.00",
        "2070101   行政运行                  100.00      100.00",
        "2070102   一般行政管理事务            150.00                  150.00",
        "",
        "                    -5-",
    ]
    page2 = [
        "210         卫生健康支出                                       150.00      150.00",
        "21011       行政事业单位医疗                                    150.00      150.00",
        "2101101     行政单位医疗                                        150.00      150.00",
    ]
    text = "\n".join(page1) + "\n\f" + "\n".join(page2) + "\n"
    sts = extract_statements(read_txt(text.encode(), "2023/测试局.txt"), 2023, resolver)
    rows = {
        s.subject_code: (s.amount_wan, s.basic_wan, s.project_wan)
        for s in sts
        if s.metric == "gpb_by_function" and not s.doubtful
    }
    assert rows["210"] == (150.0, 150.0, None)
    assert rows["2070102"] == (150.0, None, 150.0)


def test_a_blanked_subtotal_breaking_both_three_public_sums_is_the_reports_error(resolver):
    """公务用车 小计 (决算数) left blank: 合计 = its parts and 小计 = 购置费 + 运行维护费 both fail,
    and both say it should be 1.91. One blanked figure, not a misread table: it is reported."""
    blanked = THREE_HALVES.replace(
        "2.53     0.00    1.91      0.00", "2.53     0.00              0.00"
    )
    assert blanked != THREE_HALVES
    doc = read_txt(blanked.encode(), "2023/测试局.txt")
    rows = [b.cells for b in doc.blocks if b.kind == "table_row"]
    assert rows[-1][4:6] == ("2.23", "")  # 小计: 预算数, 决算数
    got = _three_statements(blanked, resolver)
    assert got["three_public_vehicle"] == (0.0, 2.23)  # not doubted: the blank accuses
    assert got["three_public_total"] == (2.53, 2.87)


def test_the_tables_subject_over_the_whole_header_names_no_column(resolver):
    """ "财政拨款“三公”经费" printed over all the parts is the table's subject, not a column."""
    lines = THREE_PAIRS.splitlines()
    text = (
        "\n".join(lines[:3] + ["                            财政拨款“三公”经费"] + lines[3:]) + "\n"
    )
    got = _three_statements(text, resolver)
    assert got["three_public_total"] == (9.39, 9.61)
    assert got["three_public_vehicle"] == (2.08, 2.11)
