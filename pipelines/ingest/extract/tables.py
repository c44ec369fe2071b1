"""Statements from table rows (Word tables, tab-separated lines).

Three row shapes are recognized, whatever the table: subject rows that start with a
functional code (joined "2010301" or split "201 | 03 | 01"), label/number pairs
("本年收入合计 | 2,946.25"), and chart data (n labels followed by n numbers). Which metric a
subject row feeds depends on the table's title; which number is which on its header.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from pipelines.catalogue import Resolver
from pipelines.ingest.document import Block
from pipelines.ingest.extract.statement import Statement
from pipelines.ingest.extract.vocabulary import METRICS, metrics_for_label
from pipelines.text import compact

FISCAL_VARIANT = {
    "income_current_year": "fiscal_income_current_year",
    "expenditure_current_year": "fiscal_expenditure_current_year",
    "carryover_begin": "fiscal_carryover_begin",
    "carryover_end": "fiscal_carryover_end",
}
# Accounting negatives count: "(1,706.99)" (either width of bracket; with decimals, so that
# a "(1)" row marker stays text) and "△6238.99".
_NUM = re.compile(r"^(?:[-△]?\d[\d,]*(?:\.\d+)?|[(（]\d[\d,]*\.\d+[)）])$")
_CODE_JOINED = re.compile(r"^(2\d{2}(?:\d{2}){0,2})(?:\s+(\S.*))?$")

# What the recognizer calls each table (by words in its title), most specific first.
TABLE_NAMES = [
    ("财政拨款收入支出决算总表", ("财政拨款收入支出决算总表",)),
    ("收入支出决算总表", ("收入支出决算总表",)),
    ("一般公共预算财政拨款基本支出决算表", ("基本支出决算表",)),
    ("一般公共预算财政拨款支出决算表", ("一般公共预算财政拨款支出决算表",)),
    ("财政拨款“三公”经费支出决算表", ("三公",)),
    ("政府性基金预算财政拨款收入支出决算表", ("政府性基金",)),
    ("国有资本经营预算财政拨款收入支出决算表", ("国有资本经营",)),
    ("收入决算表", ("收入决算表",)),
    ("支出决算表", ("支出决算表",)),
    ("项目支出绩效目标完成情况表", ("绩效目标",)),
    ("政府采购情况表", ("政府采购",)),
    ("项目支出决算表", ("项目支出",)),
]


def standard_table_name(title: str) -> str | None:
    """Which standard table a title names (收入支出决算总表 …), None for any other text."""
    text = compact(title)
    return next((n for n, words in TABLE_NAMES if any(w in text for w in words)), None)


TABLE_KINDS = [
    # (words in the title, metric of subject rows, metric of the 合计 row)
    (("三公",), None, "three_public_total"),
    (("一般公共预算财政拨款基本支出",), None, None),
    (("基本支出决算表",), None, None),
    (("一般公共预算财政拨款支出",), "gpb_by_function", "gpb_expenditure"),
    (("政府性基金",), "gov_fund_by_function", "gov_fund_expenditure"),
    (("国有资本经营",), "state_capital_by_function", "state_capital_expenditure"),
    (("收入决算表",), "income_by_function", "income_current_year"),
    (("支出决算表",), "expenditure_by_function_all", "expenditure_current_year"),
]

_ROLE_WORDS = [
    ("basic", ("基本支出",)),
    ("project", ("项目支出",)),
    ("budget", ("年初预算", "预算数")),
    ("total", ("合计", "决算数", "本年支出", "金额", "小计")),
]


# An expenditure word and then an income word (or the other way) in one label, not the
# compounds "收入支出"/"收支": two labels of a two-sided table run together.
_TWO_SIDES = re.compile(r"支出(?!决算).*收入|收入(?!支出).*支出")
# The income side of 财政拨款收入支出决算总表 names each fund without the word 收入.
_FUND_INCOME = {
    "一般公共预算财政拨款": "fiscal_income_general_budget",
    "政府性基金预算财政拨款": "fiscal_income_gov_fund",
    "国有资本经营预算财政拨款": "fiscal_income_state_capital",
}


def unit_name(factor: float) -> str:
    """The printed unit of a table whose amounts are multiplied by ``factor`` to give 万元."""
    return {1.0: "万元", 0.1: "千元", 10000.0: "亿元"}.get(factor, "元")


def _is_number(cell: str) -> bool:
    return bool(_NUM.match(cell.replace(" ", "")))


def _number(cell: str) -> float:
    text = cell.replace(",", "").replace(" ", "")
    if text[:1] in "(（△":  # an accounting negative (see _NUM)
        return -float(text.strip("()（）△"))
    return float(text)


class TableExtractor:
    def __init__(self, resolver: Resolver, fiscal_year: int | None) -> None:
        self.resolver = resolver
        self.fiscal_year = fiscal_year
        self.recognized: list[dict] = []  # one entry per table: what the recognizer saw
        self._last_title: str | None = None
        self._last_roles: dict[int, str] = {}
        self._last_class: str | None = None  # the 类 and 款 above, for rows printing neither
        self._last_kuan: str | None = None
        self._last_width = 0
        self._past_current_totals = False

    @staticmethod
    def kind_of(title: str) -> tuple | None:
        return next((k for k in TABLE_KINDS if all(w in compact(title) for w in k[0])), None)

    def empty_table(
        self, note: Block, title: str, part: str, section: str, next_no: int
    ) -> list[Statement]:
        """ "本表无数据": the table's total is stated as zero (the 三公 or a fund table left empty)."""
        if self.recognized:
            self.recognized[-1]["is_empty"] = True
        kind = self.kind_of(title)
        if kind is None or kind[2] is None:
            return []
        st = self._statement(note, "本表无数据", kind[2], part, section)
        st.statement_no, st.amount_wan, st.unit, st.value_text = next_no, 0.0, "万元", "本表无数据"
        return [st]

    def extract(
        self,
        rows: list[Block],
        title: str,
        unit_factor: float,
        part: str,
        section: str,
        next_no: int,
    ) -> list[Statement]:
        kind = next((k for k in TABLE_KINDS if all(w in compact(title) for w in k[0])), None)
        rows = [r for r in rows if not _is_column_number_row(r)]
        if not rows:
            return []
        ordinal = _ordinal_columns(rows)
        if ordinal:
            rows = [_without_columns(r, ordinal) for r in rows]
        roles = _column_roles(rows)
        width = max(len(_cells(r)) for r in rows)
        if not roles and title == self._last_title and width <= self._last_width:
            # The table's next page, printed without its header; columns blank on every row
            # of that page may be missing at its right.
            roles = {j: r for j, r in self._last_roles.items() if j < width}
        else:
            self._last_roles, self._last_width = roles, width
        paired = _paired_columns(rows)
        grid = (
            _three_public_grid(rows)
            if not paired and kind is not None and kind[2] == "three_public_total"
            else {}
        )
        self.recognized.append(
            {
                "table_no": len(self.recognized) + 1,
                "title": title.strip() or None,
                "table_name": standard_table_name(title),
                "unit": unit_name(unit_factor),
                "header_rows": len(_header_rows(rows)),
                "ordinal_columns": ", ".join(str(j) for j in sorted(ordinal)) or None,
                "columns": ", ".join(f"{j}:{g}/{sub}" for j, (g, sub) in sorted(paired.items()))
                or ", ".join(f"{j}:{m}/{side}" for j, (m, side) in sorted(grid.items()))
                or ", ".join(f"{j}:{r}" for j, r in sorted(roles.items())),
                "row_count": len(rows),
                "is_empty": False,
                # no figure under the header at all: an empty table (a note should say why)
                "all_blank": not any(
                    _is_number(c) for r in rows[len(_header_rows(rows)) :] for c in _cells(r)
                ),
                "section": section,
                "reader_doubt": next((r.doubt for r in rows if r.doubt), None),
                "rebuilt": any(r.rebuilt for r in rows),
                "first_location": rows[0].location,
                "last_location": rows[-1].location,
            }
        )
        two_sided = "收入支出" in compact(title) or "收支" in compact(title)
        fiscal = "财政拨款" in compact(title)
        out: list[Statement] = []
        if title != self._last_title:  # a table continued on the next page keeps its place
            self._past_current_totals = False  # below 本年收入合计: carry-overs and their parts
        self._last_title = title
        for row in rows:
            cells = [c.strip() for c in row.cells] or row.text.split("\t")
            if any("本年收入合计" in compact(c) for c in cells):
                self._past_current_totals = True
            if grid and any(_is_number(c) for c in cells):
                self._grid_row(row, cells, grid, unit_factor, part, section, out)
                continue
            if paired and any(_is_number(c) for c in cells):
                out.extend(
                    self._paired_row(
                        row, cells, paired, kind, factor=unit_factor, section=section, part=part
                    )
                )
                continue
            if two_sided:
                made = self._two_sided_totals(row, cells, fiscal, unit_factor, part, section)
                if made:
                    out.extend(made)
                    continue
            made = self._subject_row(row, cells, kind, roles, unit_factor, part, section)
            if made is None:
                made = self._chart_row(row, cells, title, unit_factor, section)
            if made is None:
                made = self._label_pairs(
                    row, cells, kind, roles, unit_factor, part, section, fiscal=two_sided and fiscal
                )
            out.extend(made)
        for offset, st in enumerate(out):
            st.statement_no = next_no + offset
        return out

    def _subject_row(
        self, row, cells, kind, roles, factor, part, section
    ) -> list[Statement] | None:
        digits: list[str] = []
        first_digit_at: int | None = None
        i = 0
        while i < len(cells) and (re.fullmatch(r"\d{2,7}", cells[i]) or cells[i] == ""):
            if cells[i]:
                digits.append(cells[i])
                first_digit_at = i if first_digit_at is None else first_digit_at
            i += 1
        code_text = "".join(digits)
        if digits and all(len(d) == 2 for d in digits) and first_digit_at in (1, 2):
            # Split code columns printing only the 款 and 项 of a row ("" | 06 | 01): its 类
            # (and 款) are those of the rows above it.
            above = self._last_class if first_digit_at == 1 else self._last_kuan
            code_text = (above or "") + code_text
        if len(code_text) == 3:
            self._last_class, self._last_kuan = code_text, None
        elif len(code_text) == 5:
            self._last_class, self._last_kuan = code_text[:3], code_text
        name = None
        if i < len(cells) and not digits:
            m = _CODE_JOINED.match(cells[i])
            if m and m.group(2):
                code_text, name = m.group(1), m.group(2)
                i += 1
        if not re.fullmatch(r"2\d{2}(?:\d{2}){0,2}", code_text):
            return None
        if kind is None or kind[1] is None:
            return []  # a subject row in a table we do not normalize (e.g. economic codes)
        while name is None and i < len(cells):
            if cells[i] and not _is_number(cells[i]):
                name = cells[i]
            i += 1
        numbers = {
            j: _number(c) * factor for j, c in enumerate(cells) if j >= i and c and _is_number(c)
        }
        if not numbers:
            return []
        res = self.resolver.resolve_row(code_text, name, self.fiscal_year)
        st = self._statement(row, name or code_text, kind[1], part, section)
        st.subject_code, st.subject_level, st.subject_name = res.code, res.level, name
        if res.warnings:
            st.resolution_warning = "；".join(res.warnings)
        _fill_columns(st, numbers, roles)
        st.unit = unit_name(factor)
        return [st]

    def _paired_row(self, row, cells, paired, kind, factor, section, part) -> list[Statement]:
        """A wide row under a two-level header ("因公出国（境）费" over "预算数 | 决算数")."""
        out = []
        budgets = {
            group: cells[j]
            for j, (group, sub) in paired.items()
            if j < len(cells) and "预算" in sub
        }
        for j, (group, sub) in paired.items():
            if j >= len(cells) or "决算" not in sub:
                continue
            if not cells[j]:
                cells = list(cells)
                cells[j] = "0.00"  # a blank 决算数 cell in a row with figures is zero
            elif not _is_number(cells[j]):
                continue
            clean = compact(group)
            if clean in {"合计", "总计"} and kind and kind[2]:
                metric = kind[2]
            else:
                metric = next(iter(metrics_for_label(clean, section)), None)
            st = self._statement(row, clean, metric, part, section)
            st.amount_wan = _number(cells[j]) * factor
            st.value_text = cells[j]
            st.unit = unit_name(factor)
            if group in budgets and _is_number(budgets[group]):
                st.budget_wan = _number(budgets[group]) * factor
            out.append(st)
        return out

    def _grid_row(self, row, cells, grid, factor, part, section, out) -> None:
        """A row of a 三公 table laid out as a grid: parts across, 预算数/决算数 either as a
        column group above them or as the row's own label ("预算数 | 593.46 | …").

        预算数 and 决算数 of one part become one statement (决算数 with its budget), whichever
        comes first; a blank cell in a row with figures is zero."""
        label = compact(next((c for c in cells if c), ""))
        row_side = "budget" if "预算" in label else "final" if "决算" in label else None
        by_metric = {st.metric: st for st in out if st.part == part and st.label == "三公表格"}
        for j, (metric, col_side) in grid.items():
            side = row_side or col_side
            if side is None or j >= len(cells):
                continue
            text = cells[j] or "0.00"
            if not _is_number(text):
                continue
            st = by_metric.get(metric)
            if st is None:
                st = self._statement(row, "三公表格", metric, part, section)
                st.unit = unit_name(factor)
                by_metric[metric] = st
                out.append(st)
            value = _number(text) * factor
            if side == "budget":
                st.budget_wan = value
            else:
                st.amount_wan, st.value_text = value, text
                st.source_text, st.source_location = row.text, row.location

    def _two_sided_totals(self, row, cells, fiscal, factor, part, section) -> list[Statement]:
        """ "总计" appears twice in a 收入支出 table: the income side first, then expenditure."""
        out = []
        sides = (
            ["fiscal_income_total", "fiscal_expenditure_total"]
            if fiscal
            else ["income_total", "expenditure_total"]
        )
        seen = 0
        for j, cell in enumerate(cells):
            if compact(cell) != "总计":
                continue
            nxt = next((k for k in range(j + 1, len(cells)) if cells[k]), None)
            if nxt is not None and _is_number(cells[nxt]) and seen < 2:
                st = self._statement(row, "总计", sides[seen], part, section)
                st.amount_wan = _number(cells[nxt]) * factor
                st.value_text = cells[nxt]
                st.unit = unit_name(factor)
                out.append(st)
            seen += 1
        return out

    def _chart_row(self, row, cells, title, factor, section) -> list[Statement] | None:
        filled = [c for c in cells if c]
        if filled and re.fullmatch(r"(?:单位[:：])?(?:万元|元)", filled[0]):
            filled = filled[1:]  # chart data exported with its axis unit first
        n = len(filled) // 2
        if n < 2 or len(filled) % 2 or not all(_is_number(c) for c in filled[n:]):
            return None
        labels = filled[:n]
        if any(_is_number(c) for c in labels):
            return None
        out = []
        for label, value in zip(labels, filled[n:], strict=True):
            st = self._statement(row, label, None, "chart", section)
            res = self.resolver.resolve_path(label, year=self.fiscal_year)
            metrics = metrics_for_label(compact(label), section)
            if res.code and not metrics:
                st.metric = (
                    "gpb_by_function"
                    if "一般公共预算" in compact(title)
                    else "expenditure_by_function_all"
                )
                st.subject_code, st.subject_level, st.subject_name = res.code, res.level, label
            else:
                st.metric = metrics[0] if metrics else None
            st.amount_wan = _number(value) * factor
            st.value_text = value
            st.unit = unit_name(factor)
            out.append(st)
        return out

    def _label_pairs(
        self, row, cells, kind, roles, factor, part, section, fiscal=False
    ) -> list[Statement]:
        out = []
        j = 0
        while j < len(cells):
            label = cells[j]
            nxt = next((k for k in range(j + 1, len(cells)) if cells[k]), None)
            if not label or _is_number(label) or nxt is None or not _is_number(cells[nxt]):
                j += 1
                continue
            clean = re.sub(r"^[一二三四五六七八九十\d]+[、.．]", "", compact(label)).rstrip(":：")
            if clean in {"合计", "总计"} and kind and kind[2]:
                metrics = [kind[2]]
            elif _TWO_SIDES.search(clean):
                # "二、项目支出预算财政拨款收入": an income label and an expenditure label run
                # together by a text layout; which the figure is, is a guess.
                metrics = []
            else:
                metrics = metrics_for_label(clean, section)
                if fiscal:
                    # In 财政拨款收入支出决算总表 the totals are of 财政拨款 only.
                    metrics = [FISCAL_VARIANT.get(m, m) for m in metrics]
                    fund = _FUND_INCOME.get(clean)
                    if fund is not None:
                        # A bare fund name on the income side is that fund's income; below the
                        # 本年收入合计 row it is one part of the carry-over (not stored).
                        metrics = [] if self._past_current_totals else [fund]
                if kind is not None and kind[1] is None and kind[2] is None:
                    # The 基本支出 table lists economic items (公务接待费, 办公费 …) that are
                    # not the 三公 figures; only its two totals are metrics.
                    metrics = [
                        m
                        for m in metrics
                        if m in ("personnel_expenses", "public_expenses", "gpb_basic")
                    ]
            numbers = {
                k: _number(cells[k]) * factor
                for k in range(nxt, len(cells))
                if cells[k] and _is_number(cells[k])
            }
            st = self._statement(row, clean, metrics[0] if metrics else None, part, section)
            if clean in {"合计", "总计"} and kind and kind[2]:
                _fill_columns(st, numbers, roles)
                st.unit = unit_name(factor)
                out.append(st)
                break
            st.amount_wan = numbers[nxt]
            st.value_text = cells[nxt]
            st.unit = unit_name(factor)
            out.append(st)
            j = nxt + 1
        return out

    def _statement(
        self, row: Block, label: str, metric: str | None, part: str, section: str
    ) -> Statement:
        return Statement(
            statement_no=0,
            block_index=row.index,
            part=part,
            section=section,
            label=label,
            metric=metric,
            source_text=row.text,
            source_location=row.location,
        )


# Columns that number the rows (the national template's 行次, a 序号) hold no amounts.
_ORDINAL_HEADER = re.compile(r"行次|行号|序号|栏次")
# 三公 parts and the group a "小计" over them totals.
THREE_PUBLIC_PARENT = {
    "three_public_vehicle_purchase": "three_public_vehicle",
    "three_public_vehicle_operation": "three_public_vehicle",
    "reception_domestic": "three_public_reception",
    "reception_foreign": "three_public_reception",
}
_SUBTOTAL = "subtotal"
_SIDE_WORDS = re.compile(r"(?:预算|决算)数?")
# The end of a word wrapped alone onto the next header line ("费用" -> "用").
_STRAY_SYLLABLE = 2
# Columns of scores, counts or rates: "自评分数", "人数", "完成率(%)".
_NOT_AMOUNT_HEADER = re.compile(r"分数|得分|评分|分值|权重|人数|人次|个数|批次|比例|比重|率|%")
_COLUMN_NUMBER_LABEL = {"栏次", "栏号"}
_ORDINAL_CELL = re.compile(r"[1-9]\d{0,2}")
# A column is read as row numbers when most of its values sit where a run n, n+1, n+2 …
# would put them (authors mistype a few).
_ORDINAL_MIN_VALUES = 3
_ORDINAL_MIN_STEP_SHARE = 0.6  # of the values at their place in the run


def _cells(row: Block) -> list[str]:
    return [c.strip() for c in row.cells] or row.text.split("\t")


def _is_column_number_row(row: Block) -> bool:
    """The "栏次 | 1 | 2 | 3" row under the header (or "甲 | 乙 | 1 | 2"): column numbers."""
    filled = [compact(c) for c in _cells(row) if c.strip()]
    if not filled:
        return False
    if len(filled) >= _ORDINAL_MIN_VALUES and filled == [str(k) for k in range(1, len(filled) + 1)]:
        return True  # "1 | 2 | 3 | … | 12" under a header, without the word 栏次
    labels = [c for c in filled if not _ORDINAL_CELL.fullmatch(c)]
    numbers = [int(c) for c in filled if _ORDINAL_CELL.fullmatch(c)]
    if not numbers or numbers != sorted(numbers):
        return False
    return bool(labels) and all(
        c in _COLUMN_NUMBER_LABEL or c in {"甲", "乙", "丙"} for c in labels
    )


def _ordinal_columns(rows: list[Block]) -> set[int]:
    """Columns that hold no amount: headed 行次/序号 or as scores, counts or rates, or integers
    running 1, 2, 3 … down.

    Row numbers have no decimals and no leading zero (a split 款/项 code column "01, 02, 03"
    has), and an amount column of whole numbers does not step by one.
    """
    table = [_cells(r) for r in rows]
    header = _header_rows(rows)
    found = {
        j
        for cells in header
        for j, c in enumerate(cells)
        if _ORDINAL_HEADER.search(compact(c)) or _NOT_AMOUNT_HEADER.search(compact(c))
    }
    width = max(len(c) for c in table)
    for j in range(width):
        if j in found:
            continue
        values = [cells[j] for cells in table[len(header) :] if j < len(cells) and cells[j]]
        if len(values) < _ORDINAL_MIN_VALUES or not all(_ORDINAL_CELL.fullmatch(v) for v in values):
            continue
        # Row numbers sit at first + k down the column; the most common offset is that first.
        offsets = Counter(int(v) - k for k, v in enumerate(values))
        if offsets.most_common(1)[0][1] >= _ORDINAL_MIN_STEP_SHARE * len(values):
            found.add(j)
    return found


def _without_columns(row: Block, columns: set[int]) -> Block:
    """The row with the given columns blanked (indices kept, so header roles still line up)."""
    cells = tuple("" if j in columns else c for j, c in enumerate(_cells(row)))
    return replace(row, cells=cells)


def _header_rows(rows: list[Block]) -> list[list[str]]:
    header = []
    for row in rows:
        cells = [c.strip() for c in row.cells]
        if any(_is_number(c) for c in cells if c and not re.fullmatch(r"\d{3,7}", c)):
            break
        header.append(cells)
    return header


def _paired_columns(rows: list[Block]) -> dict[int, tuple[str, str]]:
    """Column -> (group, sub-label) when the header is groups over "预算数 | 决算数" pairs.

    Group names may sit on different header rows ("合计", "因公出国（境）费" on one row,
    "公务接待费" on the next) and span merged cells; a "小计" names its parent group.
    """
    header = _header_rows(rows)
    for k in range(1, len(header)):
        subs = header[k]
        if sum("决算" in compact(c) for c in subs) >= 2 and any("预算" in compact(c) for c in subs):
            above = header[:k]
            filled = [_forward_fill(r, len(subs)) for r in above]
            out = {}
            for j in range(len(subs)):
                group = ""
                for r in range(k - 1, -1, -1):  # the nearest text in the column itself
                    if j < len(above[r]) and above[r][j]:
                        group, level = above[r][j], r
                        break
                else:
                    # Else the merged cell it lies under: of the header rows, the one whose
                    # nearest text to the left is closest (a lower row wins a tie).
                    best = -1
                    for r in range(k - 1, -1, -1):
                        left = max(
                            (i for i in range(min(j, len(above[r]) - 1) + 1) if above[r][i]),
                            default=-1,
                        )
                        if left > best:
                            best, group, level = left, above[r][left], r
                if compact(group) in {"小计", "合计"} and level > 0:
                    parent = next(
                        (filled[r][j] for r in range(level - 1, -1, -1) if filled[r][j]), ""
                    )
                    if parent and compact(parent) not in {"合计", "小计"}:
                        group = parent
                if group:
                    out[j] = (group, compact(subs[j]))
            return out
    return {}


def _three_public_grid(rows: list[Block]) -> dict[int, tuple[str, str | None]]:
    """Column -> (三公 metric, "budget" | "final" | None) from a header of groups and parts.

    A merged cell spans the blanks to its right, but never beyond the span of the cell above
    it ("预算数 | … | 决算数" over two sets of parts). A part's name may wrap onto the next
    header row ("因公出国" / "（境）费"); "小计" names its group, "合计" the whole table.
    """
    header = [[compact(c) for c in cells] for cells in _header_rows(rows)]
    if not header:
        return {}
    width = max(len(c) for c in header)
    filled: list[list[str]] = []
    spans: list[list[int]] = []  # for each row and column: the column its text comes from
    for r, cells in enumerate(header):
        row_fill, row_span, current, origin = [], [], "", -1
        for j in range(width):
            text = cells[j] if j < len(cells) else ""
            boundary = r > 0 and j > 0 and spans[r - 1][j] != spans[r - 1][j - 1]
            if text or boundary or j == 0:
                current, origin = text, j
            row_fill.append(current)
            row_span.append(origin)
        filled.append(row_fill)
        spans.append(row_span)
    columns: list[tuple[str | None, str | None]] = []
    for j in range(width):
        column = [filled[r][j] for r in range(len(header))]
        path = "".join(column)
        side = "budget" if "预算" in path else "final" if "决算" in path else None
        columns.append((_three_public_part(column), side))
    # A bare "小计" whose group name went elsewhere (header words centred over their group in
    # text laid out with spaces) heads the parts that follow it: its group is their parent.
    for j, (metric, side) in enumerate(columns):
        if metric == _SUBTOTAL:
            following = columns[j + 1][0] if j + 1 < len(columns) else None
            columns[j] = (THREE_PUBLIC_PARENT.get(following or "", "three_public_total"), side)
    _sides_by_repeat(columns)
    return {j: (m, side) for j, (m, side) in enumerate(columns) if m}


def _sides_by_repeat(columns: list[tuple[str | None, str | None]]) -> None:
    """Columns whose 预算数/决算数 word sits over another column of their group: the parts
    repeat once per group, in the order the header names the groups (预算数 first, or not)."""
    if all(side for m, side in columns if m):
        return
    order = list(dict.fromkeys(side for m, side in columns if m and side))
    seen: dict[str, int] = {}
    for j, (metric, side) in enumerate(columns):
        if not metric:
            continue
        k = seen.get(metric, 0)
        seen[metric] = k + 1
        if side is None and k < len(order) and len(order) == 2:
            columns[j] = (metric, order[k])


def _three_public_part(column: list[str]) -> str | None:
    """The 三公 metric a header column names: its lowest text ("小计" its group's, "合计" the
    whole table's), joined with the text above when the name wrapped."""
    texts = [_SIDE_WORDS.sub("", t) for t in column]
    texts = [t for t in texts if t and not re.search(r"项目|栏次", t)]
    if not texts:
        return None
    text, above = texts[-1], texts[:-1]
    if text.endswith("小计") and text != "小计":
        # "公务用车购置及运行费小计": a group and its 小计 joined by a text layout
        group = metrics_for_label(text[:-2])
        if group and group[0] in THREE_PUBLIC_PARENT.values():
            return group[0]
        text = "小计"
    if text in {"小计", "合计"}:
        groups = [t for t in above if t not in {"小计", "合计"}]
        if text == "合计":
            return "three_public_total"
        if not groups:
            return _SUBTOTAL
        text, above = groups[-1], []
    found = metrics_for_label(text) or (above and _wrapped_name(above[-1], text))
    if not found and above and len(text) <= _STRAY_SYLLABLE:
        found = metrics_for_label(above[-1])  # "因公出国（境）费" + a stray "用" of 费用
    if found and found[0].startswith(("three_public", "reception")):
        return found[0]
    return None


def _wrapped_name(above: str, below: str) -> list[str]:
    """The metric of a name wrapped over two header rows ("因公出国" / "（境）费"): one that
    only the two together spell, across the break (not "…三公经费" + "会议费")."""
    joined = above + below
    for metric, pattern, _family in METRICS:
        m = pattern.search(joined)
        if m and m.start() < len(above) < m.end():
            return [metric]
    return []


def _forward_fill(cells: list[str], width: int) -> list[str]:
    out, current = [], ""
    for j in range(width):
        current = (cells[j] if j < len(cells) else "") or current
        out.append(current)
    return out


def _column_roles(rows: list[Block]) -> dict[int, str]:
    """Column index -> role, read from the header rows (those before the first number)."""
    roles: dict[int, str] = {}
    for row in rows:
        cells = list(row.cells)
        if any(_is_number(c) for c in cells if c and not re.fullmatch(r"\d{3,7}", c)):
            break
        for j, cell in enumerate(cells):
            text = compact(cell)
            for role, words in _ROLE_WORDS:
                if any(w in text for w in words) and j not in roles:
                    roles[j] = role
                    break
    return roles


def _fill_columns(st: Statement, numbers: dict[int, float], roles: dict[int, str]) -> None:
    """Put a row's numbers in their columns; without a usable header, the first is the total.

    A blank 基本支出 or 项目支出 cell is left unstated (None): the report printed no number there.
    """
    by_role = {roles[j]: v for j, v in numbers.items() if j in roles}
    first = numbers[min(numbers)]
    st.amount_wan = by_role.get("total", first)
    st.basic_wan = by_role.get("basic")
    st.project_wan = by_role.get("project")
    placed = {j for j in numbers if j in roles} | {min(numbers)}
    if (st.basic_wan is None or st.project_wan is None) and set(numbers) - placed:
        # A figure sits in a column the header gave no role: which of 基本/项目 it is, or
        # whether the other is blank, cannot be told; neither is stated.
        st.basic_wan = st.project_wan = None
    st.budget_wan = by_role.get("budget")
    st.unit = "万元"
    st.value_text = f"{st.amount_wan:.2f}"
