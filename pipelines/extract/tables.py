"""Statements from table rows (Word tables, tab-separated lines).

Three row shapes are recognized, whatever the table: subject rows that start with a
functional code (joined "2010301" or split "201 | 03 | 01"), label/number pairs
("本年收入合计 | 2,946.25"), and chart data (n labels followed by n numbers). Which metric a
subject row feeds depends on the table's title; which number is which on its header.
"""

from __future__ import annotations

import re

from pipelines.catalogue import Resolver
from pipelines.document import Block
from pipelines.extract.statement import Statement
from pipelines.extract.vocabulary import metrics_for_label
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
        roles = _column_roles(rows)
        paired = _paired_columns(rows)
        self.recognized.append(
            {
                "table_no": len(self.recognized) + 1,
                "title": title.strip() or None,
                "table_name": next(
                    (n for n, words in TABLE_NAMES if any(w in compact(title) for w in words)), None
                ),
                "unit": "万元" if unit_factor == 1 else "元",
                "header_rows": len(_header_rows(rows)),
                "columns": ", ".join(f"{j}:{r}" for j, r in sorted(roles.items()))
                or ", ".join(f"{j}:{g}/{sub}" for j, (g, sub) in sorted(paired.items())),
                "row_count": len(rows),
                "is_empty": False,
                "first_location": rows[0].location,
                "last_location": rows[-1].location,
            }
        )
        two_sided = "收入支出" in compact(title) or "收支" in compact(title)
        fiscal = "财政拨款" in compact(title)
        out: list[Statement] = []
        for row in rows:
            cells = [c.strip() for c in row.cells] or row.text.split("\t")
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
        i = 0
        while i < len(cells) and (re.fullmatch(r"\d{2,7}", cells[i]) or cells[i] == ""):
            if cells[i]:
                digits.append(cells[i])
            i += 1
        code_text = "".join(digits)
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
            st.unit = "万元" if factor == 1 else "元"
            if group in budgets and _is_number(budgets[group]):
                st.budget_wan = _number(budgets[group]) * factor
            out.append(st)
        return out

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
                st.unit = "万元" if factor == 1 else "元"
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
            st.unit = "万元" if factor == 1 else "元"
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
            else:
                metrics = metrics_for_label(clean, section)
                if fiscal:
                    # In 财政拨款收入支出决算总表 the totals are of 财政拨款 only.
                    metrics = [FISCAL_VARIANT.get(m, m) for m in metrics]
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
                out.append(st)
                break
            st.amount_wan = numbers[nxt]
            st.value_text = cells[nxt]
            st.unit = "万元" if factor == 1 else "元"
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
    st.budget_wan = by_role.get("budget")
    st.unit = "万元"
    st.value_text = f"{st.amount_wan:.2f}"
