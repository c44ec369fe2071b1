"""Doubt before accusing: a table whose own identities fail in a pattern was probably misread.

A table of functional subjects must add up within itself: each 类 is the sum of its 款, each 款
of its 项, the 合计 of its 类, and a row's 合计 is its 基本支出 plus 项目支出. One failing identity
is a contradiction of the document, for the checks to report. Many failing together (half of
them or more, and at least ``MIN_FAILURES``) is a pattern: values read against the wrong rows,
row numbers or codes in an amount column, a column that is not what its header says. Then the
table's figures are marked doubtful: they feed no sum, share or cross-section error, and the
table gets one finding of its own, with the evidence, for the reviewer to look at the page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pipelines.ingest.extract.statement import Statement
from pipelines.ingest.extract.vocabulary import BREAKDOWNS

# Metrics of the rows of a table of functional subjects, and of its 合计 row.
SUBJECT_METRICS = {
    "gpb_by_function": "gpb_expenditure",
    "gov_fund_by_function": "gov_fund_expenditure",
    "state_capital_by_function": "state_capital_expenditure",
    "expenditure_by_function_all": "expenditure_current_year",
    "income_by_function": "income_current_year",
}
# The 三公 table's own identities (its 合计 and its 公务用车 小计).
THREE_PUBLIC_PARTS = {
    parent: tuple(BREAKDOWNS[parent][0])
    for parent in ("three_public_total", "three_public_vehicle")
}
# The summary tables' own identities (收入支出决算总表 and the 财政拨款 one): a parent and the
# parts the table states beside it (a part left out is a blank, zero).
SUMMARY_PARTS = [
    (parent, tuple(parts))
    for parent in (
        "income_current_year",
        "expenditure_current_year",
        "income_total",
        "expenditure_total",
    )
    for parts in BREAKDOWNS[parent]
] + [
    ("fiscal_income_total", ("fiscal_income_current_year", "fiscal_carryover_begin")),
    (
        "fiscal_income_current_year",
        ("fiscal_income_general_budget", "fiscal_income_gov_fund", "fiscal_income_state_capital"),
    ),
    ("fiscal_expenditure_total", ("fiscal_expenditure_current_year", "fiscal_carryover_end")),
]
MIN_FAILURES = 2
# Identities that a single misprinted figure breaks agree on its value within this (万元).
MISPRINT_AGREEMENT_WAN = 0.03
FAILING_SHARE = 0.5
HALF_UNIT_WAN = 0.005  # a figure printed to 0.01 万元
# Moving every amount one row up mends most identities (the last row has nothing to move).
OFF_BY_ONE_SHARE = 0.75


@dataclass
class Doubt:
    section: str
    checks: int
    failures: int
    evidence: list[str]
    first_location: str
    last_location: str

    def message(self) -> str:
        what = "；".join(self.evidence[:3])
        return (
            f"表格（{self.first_location}至{self.last_location}）的数字与其自身的合计关系大面积不符"
            f"（{self.checks}项勾稽中{self.failures}项不符），疑似错行或无法可靠读取：{what}。"
            "该表数字未用于求和、占比和前后一致性校验，请对照原文核实；如原文确实如此，"
            "说明该表数字填错了行。"
        )


def doubt_tables(statements: list[Statement], strict: set[str] = frozenset()) -> list[Doubt]:
    """Mark the statements of every table that fails its own identities in a pattern; return
    one Doubt per such table. A table continued over pages (same section) is one table.

    A table rebuilt from text laid out with spaces (``strict``: its sections) is doubted on one
    failing identity: its rows were paired by position, and a misplaced figure is likelier
    than a misprinted one. Neither holds when one figure explains every failure and two
    identities agree on the value it should have (``_one_misprint``: a blanked or changed
    cell breaks every sum it is in): that is the report's misprint, for the checks."""
    by_table: dict[str, list[Statement]] = defaultdict(list)
    for st in statements:
        if st.part in ("table", "annex") and st.amount_wan is not None:
            by_table[st.section].append(st)
    doubts = []
    for section, rows in by_table.items():
        misfits: list[dict[tuple[int, str], float]] = []
        checks, failures = _identities(rows, misfits)
        pattern = len(failures) >= MIN_FAILURES and len(failures) >= FAILING_SHARE * checks
        if (pattern or (section in strict and failures)) and not _one_misprint(misfits):
            evidence = _pattern(rows) or failures
            mark_doubtful(statements, section)
            doubts.append(
                Doubt(
                    section,
                    checks,
                    len(failures),
                    evidence,
                    rows[0].source_location,
                    rows[-1].source_location,
                )
            )
    return doubts


def mark_doubtful(statements: list[Statement], section: str) -> None:
    """Every figure of one table (all its pages) accuses no one."""
    for st in statements:
        if st.section == section and st.part in ("table", "annex", "chart"):
            st.doubtful = True


def _identities(
    rows: list[Statement], misfits: list[dict[tuple[int, str], float]] | None = None
) -> tuple[int, list[str]]:
    """(number of identities checked, a description of each failing one). ``misfits`` gets,
    for each failing identity, the value it implies for each of its figures (keyed by the
    statement's id and the field: amount, basic or project)."""
    checks, failures = 0, []
    misfits = [] if misfits is None else misfits

    def misfit(total: Statement, parts: list[Statement]) -> None:
        stated = total.amount_wan
        whole = sum(p.amount_wan for p in parts)
        implied = {(id(total), "amount"): whole}
        for p in parts:
            implied[(id(p), "amount")] = stated - (whole - p.amount_wan)
        misfits.append(implied)

    for metric, total_metric in SUBJECT_METRICS.items():
        lines: dict[str, Statement] = {}
        for st in rows:
            if st.metric == metric and st.subject_code:
                lines.setdefault(st.subject_code, st)
        if not lines:
            continue
        for code, parent in lines.items():
            if len(code) == 7:
                continue
            kids = [s for c, s in lines.items() if len(c) == len(code) + 2 and c.startswith(code)]
            if not kids:
                continue
            checks += 1
            total = sum(k.amount_wan for k in kids)
            if abs(parent.amount_wan - total) > HALF_UNIT_WAN * (len(kids) + 1) + 1e-6:
                failures.append(f"{code}写为{parent.amount_wan:,.2f}，其下级合计{total:,.2f}")
                misfit(parent, kids)
        classes = [s for c, s in lines.items() if len(c) == 3]
        totals = [s for s in rows if s.metric == total_metric and s.subject_code is None]
        if classes and totals:
            checks += 1
            total = sum(k.amount_wan for k in classes)
            if abs(totals[0].amount_wan - total) > HALF_UNIT_WAN * (len(classes) + 1) + 1e-6:
                failures.append(f"合计写为{totals[0].amount_wan:,.2f}，各类合计{total:,.2f}")
                misfit(totals[0], classes)
    by_metric = {st.metric: st for st in rows if st.metric and st.amount_wan is not None}
    best: dict[str, tuple[str, ...]] = {}
    for parent, parts in SUMMARY_PARTS:  # of a parent's breakdowns, the one the table states
        count = sum(p in by_metric for p in parts)
        if parts[0] in by_metric and count > sum(p in by_metric for p in best.get(parent, ())):
            best[parent] = parts
    for parent, parts in best.items():
        present = [p for p in parts if p in by_metric]
        if parent in by_metric and len(present) >= 2:
            checks += 1
            total = sum(by_metric[p].amount_wan for p in present)
            stated = by_metric[parent].amount_wan
            if abs(stated - total) > HALF_UNIT_WAN * (len(present) + 1) + 1e-6:
                failures.append(f"{parent}写为{stated:,.2f}，表内各项合计{total:,.2f}")
                misfit(by_metric[parent], [by_metric[p] for p in present])
    for parent, parts in THREE_PUBLIC_PARTS.items():
        if parent in by_metric and all(p in by_metric for p in parts):
            checks += 1
            total = sum(by_metric[p].amount_wan for p in parts)
            stated = by_metric[parent].amount_wan
            if abs(stated - total) > HALF_UNIT_WAN * (len(parts) + 1) + 1e-6:
                failures.append(f"三公表中{parent}写为{stated:,.2f}，各部分合计{total:,.2f}")
                misfit(by_metric[parent], [by_metric[p] for p in parts])
    for st in rows:
        if st.basic_wan is None or st.project_wan is None:
            continue
        checks += 1
        if abs(st.amount_wan - st.basic_wan - st.project_wan) > 3 * HALF_UNIT_WAN + 1e-6:
            failures.append(
                f"{st.source_location}合计{st.amount_wan:,.2f}≠基本支出{st.basic_wan:,.2f}"
                f"＋项目支出{st.project_wan:,.2f}"
            )
            misfits.append(
                {
                    (id(st), "amount"): st.basic_wan + st.project_wan,
                    (id(st), "basic"): st.amount_wan - st.project_wan,
                    (id(st), "project"): st.amount_wan - st.basic_wan,
                }
            )
    return checks, failures


def _one_misprint(misfits: list[dict[tuple[int, str], float]]) -> bool:
    """Whether one figure explains every failing identity of a table, and at least two of them
    agree on the value it should have: a figure misprinted by the report (a changed total),
    not figures read into the wrong places (which break identities that disagree)."""
    if len(misfits) < MIN_FAILURES:
        return False
    common = set.intersection(*(set(m) for m in misfits))
    for key in common:
        values = [m[key] for m in misfits]
        if max(values) - min(values) <= MISPRINT_AGREEMENT_WAN:
            return True
    return False


def _pattern(rows: list[Statement]) -> list[str]:
    """What the failures look like, when it is one of the known misreadings."""
    coded = [s for s in rows if s.subject_code]
    as_codes = [s for s in coded if s.amount_wan == float(s.subject_code)]
    if len(as_codes) >= MIN_FAILURES:
        return [f"金额列出现科目编码（如{as_codes[0].subject_code}）"]
    amounts = [s.amount_wan for s in coded]
    run = sum(
        1 for a, b in zip(amounts, amounts[1:], strict=False) if a.is_integer() and b == a + 1
    )
    if amounts and run >= FAILING_SHARE * len(amounts):
        return ["金额列为1、2、3……的连续整数（疑为行次）"]
    shifted = [
        s
        for s, nxt in zip(coded, coded[1:], strict=False)
        if s.subject_code and nxt.subject_code and len(nxt.subject_code) > len(s.subject_code)
    ]
    fixed = _off_by_one(coded)
    if shifted and sum(fixed) >= OFF_BY_ONE_SHARE * len(fixed):
        return ["各行数字整体错位一行"]
    return []


def _off_by_one(coded: list[Statement]) -> list[bool]:
    """Whether moving every amount one row up makes each parent the sum of its children."""
    moved = {s.subject_code: nxt.amount_wan for s, nxt in zip(coded, coded[1:], strict=False)}
    results = []
    for code, value in moved.items():
        if len(code) == 7:
            continue
        kids = [v for c, v in moved.items() if len(c) == len(code) + 2 and c.startswith(code)]
        if kids:
            results.append(abs(value - sum(kids)) <= HALF_UNIT_WAN * (len(kids) + 1) + 1e-6)
    return results or [False]
