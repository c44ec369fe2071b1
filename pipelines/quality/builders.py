"""Check builders: from warehouse rows to one check frame per family.

Each frame row is one check with the numbers it compares: ``observed`` (the stated figure),
``lower``/``upper`` (the interval the other stated figures allow, rounding included), or a
``status`` for categorical checks. The Great Expectations suites decide which rows fail;
these builders only say what each row means, in Chinese, with its quote and location.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.resolver import name_key
from pipelines.ingest.extract.table_doubt import SUBJECT_METRICS
from pipelines.ingest.extract.vocabulary import BREAKDOWNS, METRIC_NAMES
from pipelines.quality.intervals import (
    EPS,
    Interval,
    amount_half,
    around,
    change_pct_interval,
    pct_half,
    share_interval,
    sum_interval,
)

FRAME_COLUMNS = [
    "row_id",
    "report_id",
    "check_id",
    "family",
    "severity",
    "observed",
    "expected",
    "lower",
    "upper",
    "status",
    "message",
    "message_ok",
    "source_text",
    "source_location",
    "statement_no",
    "figure_refs",
]


def _name(metric: str | None, code: str | None = None, label: str | None = None) -> str:
    if code:
        return f"{label or ''}（{code}）" if label else code
    return METRIC_NAMES.get(metric or "", label or metric or "")


def _pct(value: float, decimals, sign: bool = False) -> str:
    """A percentage as the report printed it (same number of decimals)."""
    d = 2 if decimals is None or pd.isna(decimals) else int(decimals)
    return f"{value:+.{d}f}" if sign else f"{value:.{d}f}"


_TRUNCATED = "（疑为直接截去尾数而非四舍五入）"


def _truncation_note(stated: float, exact: float | None, decimals) -> str:
    """Authors sometimes cut digits instead of rounding; say so when that explains the figure."""
    if exact is None:
        return ""
    d = 2 if decimals is None or pd.isna(decimals) else int(decimals)
    scale = 10**d
    truncated = math.floor(abs(exact) * scale + 1e-9) / scale * (1 if exact >= 0 else -1)
    if abs(truncated - stated) < 1e-9 and abs(round(exact, d) - stated) > 1e-9:
        return _TRUNCATED
    return ""


def _bound_digits(lo: float, hi: float, stated: float | None) -> int:
    """As many decimals (two at least) as it takes for ``stated`` to be visibly outside
    [lo, hi] once both are printed."""
    digits = 2
    while digits < _MAX_BOUND_DIGITS and stated is not None:
        lo_s, hi_s = round(lo, digits), round(hi, digits)
        if not lo_s <= round(stated, digits) <= hi_s:
            break
        digits += 1
    return digits


def _bounds(lo: float, hi: float, stated: float | None, unit: str = "%") -> str:
    """The interval a stated figure had to fall in, with as many decimals as it takes for the
    stated figure to be visibly outside it (88.26 against 88.2605%–88.2687%, not 88.26%–88.27%)."""
    digits = _bound_digits(lo, hi, stated)
    return f"{lo:,.{digits}f}{unit}–{hi:,.{digits}f}{unit}"


def _amount_bounds(lo: float, hi: float, stated: float | None) -> str:
    """An interval of amounts, as _bounds: "62.285–62.315万元" against a stated 62.32."""
    digits = _bound_digits(lo, hi, stated)
    return f"{lo:,.{digits}f}–{hi:,.{digits}f}万元"


_MAX_BOUND_DIGITS = 6


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:,.{digits}f}"


@dataclass
class Row:
    report_id: str
    check_id: str
    family: str
    severity: str
    observed: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    message: str
    message_ok: str
    source_text: str | None
    source_location: str | None
    statement_no: int | None = None
    status: str | None = None
    # every figure the check compares (the statement it reports on included): a statement's
    # number, or "<number>:basic" / "<number>:project" for a column of a table row; what tells
    # that two failed checks rest on one figure (pipelines/quality/grouping.py)
    involves: Iterable[int | str | None] | None = None


def _involved(r: Row) -> str | None:
    """The row's figure_refs: JSON list of statement numbers and column references."""
    refs = r.involves if r.involves is not None else (r.statement_no,)
    kept = {
        ref if isinstance(ref, str) else int(ref)
        for ref in refs
        if ref is not None and (isinstance(ref, str) or not pd.isna(ref))
    }
    ordered = sorted(kept, key=lambda x: (str(x).split(":")[0].zfill(9), str(x)))
    return json.dumps(ordered) if ordered else None


def _frame(rows: Iterable[Row], family: str) -> pd.DataFrame:
    records = [{**r.__dict__, "figure_refs": _involved(r)} for r in rows]
    df = pd.DataFrame(records, columns=[c for c in FRAME_COLUMNS if c != "row_id"])
    df.insert(0, "row_id", [f"{family}-{i}" for i in range(len(df))])
    for col in ("observed", "expected", "lower", "upper"):
        df[col] = df[col].astype("float64")
    df["statement_no"] = df["statement_no"].astype("Int64")
    return df


def _records(st: pd.DataFrame) -> list:
    """Rows as tuples in report and statement order, missing values as None.

    The builders group many small sets of rows (one report, one metric); plain dicts of lists
    are far faster for that than pandas group-bys.
    """
    ordered = st.sort_values(["report_id", "statement_no"], kind="stable")
    clean = ordered.astype(object).where(ordered.notna(), None)
    return list(clean.itertuples(index=False, name="Fact"))


def _group(records: list, *keys: str) -> dict[tuple, list]:
    groups: dict[tuple, list] = defaultdict(list)
    for r in records:
        groups[tuple(getattr(r, k) for k in keys)].append(r)
    return groups


# -- share -----------------------------------------------------------------------------------


def share_checks(st: pd.DataFrame) -> pd.DataFrame:
    """Every stated share against the interval its rounded amounts allow; groups against 100%."""
    rows: list[Row] = []
    records = _records(st)
    amounts = [r for r in records if r.amount_wan is not None]
    by_metric = _group(amounts, "report_id", "metric")
    by_label = _group(amounts, "report_id", "label")
    group_members: dict[tuple, list[tuple[Row, float, float]]] = {}
    firsts: dict[int, _Firsts] = {}  # per candidate list, built once (was a scan per share)
    for r in amounts:
        if r.share_pct is None or r.share_of is None:
            continue
        whole = _find_whole(by_metric, by_label, r, firsts)
        if whole is None:
            continue
        iv = share_interval(
            r.amount_wan, amount_half(r.unit), whole.amount_wan, amount_half(whole.unit)
        )
        if iv is None:
            continue
        sh = pct_half(r.share_decimals)
        allowed = iv.widen(sh + EPS)
        exact = 100 * r.amount_wan / whole.amount_wan if whole.amount_wan else None
        expected = round(exact, 2) if exact is not None else None
        what = _name(r.metric, r.subject_code, r.subject_name or r.label)
        of = _name(whole.metric, whole.subject_code, whole.label)
        row = Row(
            r.report_id,
            "share.interval",
            "share",
            "error",
            r.share_pct,
            expected,
            allowed.lo,
            allowed.hi,
            f"{what}占比写为{_pct(r.share_pct, r.share_decimals)}%，按金额{_fmt(r.amount_wan)}万元÷{of}"
            f"{_fmt(whole.amount_wan)}万元计算应为{_fmt(expected)}%（允许舍入区间 "
            f"{_bounds(allowed.lo, allowed.hi, r.share_pct)}）"
            f"{_truncation_note(r.share_pct, exact, r.share_decimals)}。",
            f"{what}占比{_pct(r.share_pct, r.share_decimals)}%与金额一致。",
            r.source_text,
            r.source_location,
            r.statement_no,
            involves=(r.statement_no, whole.statement_no),
        )
        rows.append(row)
        group_members.setdefault((r.report_id, r.block_index, r.share_of), []).append(
            (row, sh, r.amount_wan)
        )
    rows.extend(_share_groups(group_members, by_metric))
    return _frame(rows, "share")


class _Firsts:
    """The first two candidates of one list by block, by part and overall: two, because the
    first may be the share's own statement. Linear to build; each look-up is constant."""

    def __init__(self, candidates: list) -> None:
        self.by_block: dict[object, list] = {}
        self.by_part: dict[object, list] = {}
        self.overall: list = candidates[:2]
        for w in candidates:
            for index, key in ((self.by_block, w.block_index), (self.by_part, w.part)):
                firsts = index.setdefault(key, [])
                if len(firsts) < 2:
                    firsts.append(w)


def _find_whole(by_metric: dict, by_label: dict, r, firsts: dict[int, _Firsts]) -> object | None:
    """The figure a share is of: same block first, then the same part, then anywhere in the report."""
    same = by_metric.get((r.report_id, r.share_of)) or by_label.get((r.report_id, r.share_of)) or []
    if not same:
        return None
    index = firsts.get(id(same))
    if index is None:
        index = firsts[id(same)] = _Firsts(same)
    for subset in (
        index.by_block.get(r.block_index, ()),
        index.by_part.get(r.part, ()),
        index.overall,
    ):
        for w in subset:
            if w.statement_no != r.statement_no:
                return w
    return None


def _share_groups(
    groups: dict[tuple, list[tuple[Row, float, float]]], by_metric: dict
) -> list[Row]:
    """A group of shares of one whole whose amounts add up to it must add up to 100%.

    Authors often move one share by 0.01 so that the printed shares add to exactly 100.00%;
    a share off by no more than that, in such a group, is an informational note. When an item
    already fails on its own, the group total would only repeat that mistake and is skipped.
    """
    out: list[Row] = []
    for (report_id, _block, of), members in groups.items():
        if len(members) < 2:
            continue
        whole_rows = by_metric.get((report_id, of))
        if not whole_rows:
            continue
        whole = whole_rows[0].amount_wan
        parts_total = sum(a for _, _, a in members)
        if abs(parts_total - whole) > (len(members) + 1) * 0.005 + EPS:
            continue  # not a full breakdown of the whole
        shares_total = sum(row.observed for row, _, _ in members)
        failing = [
            row
            for row, _, _ in members
            if not Interval(row.lower, row.upper).contains(row.observed)
        ]
        if failing:
            if abs(shares_total - 100) < 1e-6 and len(failing) == 1:
                row = failing[0]
                if Interval(row.lower, row.upper).distance(row.observed) <= 0.01 + 1e-6:
                    row.severity = "info"
                    # one explanation per finding: this one, not also "cut, not rounded"
                    row.message = row.message.replace(_TRUNCATED, "")
                    row.message += "各项占比合计恰为100%，应是为凑足100%调整了0.01个百分点，属常见做法，仅作提示。"
            continue
        spread = sum(h for _, h, _ in members) + 0.01
        allowed = Interval(100 - spread - EPS, 100 + spread + EPS)
        first = members[0][0]
        out.append(
            Row(
                report_id,
                "share.group_total",
                "share",
                "error",
                shares_total,
                100.0,
                allowed.lo,
                allowed.hi,
                f"各项占比合计为{shares_total:.2f}%，各项金额合计等于总额，占比合计应为100%"
                f"（允许舍入区间 {_bounds(allowed.lo, allowed.hi, shares_total)}）。",
                f"各项占比合计{shares_total:.2f}%。",
                first.source_text,
                first.source_location,
                first.statement_no,
                involves=[row.statement_no for row, _, _ in members] + [whole_rows[0].statement_no],
            )
        )
    return out


# -- sum -------------------------------------------------------------------------------------

# parent metric -> alternative lists of child metrics (the first list whose members are stated)
HIERARCHIES = BREAKDOWNS
# Children that must be stated for the sum to be checked; the others count as 0 when absent
# (reports often leave out a zero source). Checking a total against an incomplete breakdown
# would raise false errors, so the parts that are always printed are required.
_REQUIRED_CHILDREN = {
    "income_total": {"income_current_year", "carryover_begin"},
    "expenditure_total": {"expenditure_current_year", "carryover_end"},
    "expenditure_current_year": {"expenditure_basic", "expenditure_project"},
    "gpb_basic": {"personnel_expenses", "public_expenses"},
    "three_public_total": {"three_public_vehicle", "three_public_reception"},
    "three_public_vehicle": {"three_public_vehicle_purchase", "three_public_vehicle_operation"},
    "three_public_reception": {"reception_domestic"},
    "procurement_total": {"procurement_goods", "procurement_works", "procurement_services"},
}


def sum_checks(st: pd.DataFrame) -> pd.DataFrame:
    """Children against parents in every hierarchy a report states, within one part.

    A list of parts ("其中：基本支出A万元，项目支出B万元") is compared for equality with its total
    only when it is known to be complete: every part of the breakdown it leaves out is stated
    as zero elsewhere in the report, or the report's tables state the total and show no such
    part. When another part of the report gives a left-out part an amount, or nothing says
    whether it is zero, the list may be a selection: the parts must then not exceed the total
    (rounding included), and that is all that is checked.
    """
    rows: list[Row] = []
    records = _records(st)
    report_amounts = _group(
        [r for r in records if r.amount_wan is not None and r.part != "chart" and r.metric],
        "report_id",
        "metric",
    )
    for (report_id, part), group in _group(records, "report_id", "part").items():
        if part == "chart":
            continue
        amounts = [r for r in group if r.amount_wan is not None]
        by_metric: dict[str, object] = {}
        for r in amounts:
            if r.metric:
                by_metric.setdefault(r.metric, r)
        for parent_metric, alternatives in HIERARCHIES.items():
            parent = by_metric.get(parent_metric)
            if parent is None:
                continue
            for children in alternatives:
                stated = [by_metric[c] for c in children if c in by_metric]
                # With several possible breakdowns, the one used must have its main part stated.
                required = _REQUIRED_CHILDREN.get(parent_metric, {children[0]})
                if len(stated) < 2 or not required <= {c.metric for c in stated}:
                    continue
                missing = [c for c in children if c not in by_metric]
                open_parts = _open_parts(report_id, part, parent_metric, missing, report_amounts)
                rows.append(
                    _sum_row(
                        report_id, parent, stated, f"sum.{parent_metric}", open_parts=open_parts
                    )
                )
                break
        rows.extend(_function_sums(report_id, amounts))
        rows.extend(_count_sums(report_id, group))
        rows.extend(_column_sums(report_id, amounts))
    return _frame(rows, "sum")


def _column_sums(report_id: str, amounts: list) -> list[Row]:
    """A table row's 合计 against its 基本支出 + 项目支出 (a blank cell counts as zero)."""
    out: list[Row] = []
    for r in amounts:
        if r.basic_wan is None and r.project_wan is None:
            continue
        basic, project = r.basic_wan or 0.0, r.project_wan or 0.0
        total = basic + project
        allowed = sum_interval([0.005, 0.005, 0.005], total).widen(EPS)
        what = _name(r.metric, r.subject_code, r.subject_name or r.label)
        out.append(
            Row(
                report_id,
                "sum.basic_project_columns",
                "sum",
                "error",
                r.amount_wan,
                round(total, 2),
                allowed.lo,
                allowed.hi,
                f"{what}合计写为{_fmt(r.amount_wan)}万元，而基本支出{_fmt(basic)}万元＋项目支出{_fmt(project)}万元"
                f"＝{_fmt(total)}万元（允许舍入区间 {_amount_bounds(allowed.lo, allowed.hi, r.amount_wan)}）。",
                f"{what}合计与基本支出、项目支出之和一致。",
                r.source_text,
                r.source_location,
                r.statement_no,
                involves=(r.statement_no, f"{r.statement_no}:basic", f"{r.statement_no}:project"),
            )
        )
    return out


def _open_parts(
    report_id: str, part: str, parent_metric: str, missing: list[str], report_amounts: dict
) -> list[str]:
    """The parts of a breakdown a list leaves out that may hold an amount: stated non-zero
    elsewhere in the report, or stated nowhere while no table of the report states the total
    (the tables, where they give the total, show every part that is not zero)."""
    tables_give_total = part == "table" or any(
        r.part == "table" for r in report_amounts.get((report_id, parent_metric), ())
    )
    out = []
    for metric in missing:
        elsewhere = report_amounts.get((report_id, metric), ())
        if any(abs(r.amount_wan) > amount_half(r.unit) + EPS for r in elsewhere):
            out.append(metric)
        elif not elsewhere and not tables_give_total:
            out.append(metric)
    return out


def _sum_row(
    report_id: str,
    parent,
    children: list,
    check_id: str,
    what: str | None = None,
    open_parts: list[str] | None = None,
) -> Row:
    total = sum(c.amount_wan for c in children)
    halves = [amount_half(c.unit) for c in children] + [amount_half(parent.unit)]
    allowed = sum_interval(halves, total).widen(EPS)
    what = what or _name(parent.metric, None, parent.label)
    parts = "、".join(
        f"{_name(c.metric, c.subject_code, c.subject_name or c.label)}{_fmt(c.amount_wan)}"
        for c in children
    )
    places = list(dict.fromkeys([parent.source_location] + [c.source_location for c in children]))
    stated = _fmt(parent.amount_wan)
    if open_parts:
        # The list may leave parts out: only "the parts listed do not exceed the total".
        others = "、".join(_name(m) for m in open_parts)
        lower, upper = allowed.lo, max(parent.amount_wan, allowed.lo) + amount_half(parent.unit)
        lowest = f"{lower:,.{_bound_digits(lower, upper, parent.amount_wan)}f}"
        failed = (
            f"{what}写为{stated}万元，小于其中列出的组成部分（{parts}万元）之和{_fmt(total)}万元，"
            f"相差{_fmt(total - parent.amount_wan)}万元（未列出的{others}只会使合计更大；"
            f"合计至少应为 {lowest}万元）。"
        )
        passed = f"{what}{stated}万元不小于其中列出的组成部分之和（未列出{others}，故只核对不超过合计）。"
    else:
        lower, upper = allowed.lo, allowed.hi
        failed = (
            f"{what}写为{stated}万元，而其组成部分（{parts}万元）合计为{_fmt(total)}万元，"
            f"相差{_fmt(parent.amount_wan - total)}万元（允许舍入区间 "
            f"{_amount_bounds(lower, upper, parent.amount_wan)}）。"
        )
        passed = f"{what}{stated}万元与其组成部分合计一致。"
    return Row(
        report_id,
        check_id,
        "sum",
        "error",
        parent.amount_wan,
        round(total, 2),
        lower,
        upper,
        failed,
        passed,
        parent.source_text,
        "、".join(places),
        parent.statement_no,
        involves=[parent.statement_no] + [c.statement_no for c in children],
    )


def _function_sums(report_id: str, amounts: list) -> list[Row]:
    """项 → 款 → 类 → 合计, by code prefix, in every table of functional subjects (一般公共预算
    财政拨款支出 in the text and its table; the all-funds 收入决算表 and 支出决算表; the 政府性基金
    and 国有资本经营 ones)."""
    out: list[Row] = []
    for metric, total_metric in SUBJECT_METRICS.items():
        out.extend(_subject_sums(report_id, amounts, metric, total_metric))
    return out


def _subject_sums(report_id: str, amounts: list, metric: str, total_metric: str) -> list[Row]:
    out: list[Row] = []
    by_code: dict[str, object] = {}
    for r in amounts:
        if r.metric == metric and r.subject_code:
            by_code.setdefault(r.subject_code, r)
    if not by_code:
        return out
    # A line whose name could not be resolved has an unknown place under its parent: that
    # parent's sum cannot be checked (the code family reports the name instead).
    unknown_under = [
        r.subject_parent or "" for r in amounts if r.metric == metric and not r.subject_code
    ]
    for code, parent in by_code.items():
        if len(code) == 7 or any(p.startswith(code) or not p for p in unknown_under):
            continue
        kids = [r for c, r in by_code.items() if len(c) == len(code) + 2 and c.startswith(code)]
        if not kids and len(code) == 3:
            kids = [r for c, r in by_code.items() if len(c) == 7 and c.startswith(code)]
        if kids:
            name = f"{parent.subject_name or parent.label}（{code}）"
            out.append(_sum_row(report_id, parent, kids, "sum.function_subjects", what=name))
    classes = [r for c, r in by_code.items() if len(c) == 3]
    totals = [r for r in amounts if r.metric == total_metric and not r.subject_code]
    if classes and totals and not any(not p for p in unknown_under):
        if metric == "gpb_by_function":
            # The total stated with the 类 breakdown (same block) if any, else the first one.
            blocks = {c.block_index for c in classes}
            near = [t for t in totals if t.block_index in blocks]
            out.append(_sum_row(report_id, (near or totals)[0], classes, "sum.function_classes"))
        else:
            # The 合计 row of the same table (a summary table's 本年支出合计 is another figure).
            sections = {c.section for c in classes}
            near = [t for t in totals if t.section in sections]
            if near:
                out.append(_sum_row(report_id, near[0], classes, "sum.function_classes"))
    return out


def _count_sums(report_id: str, group: list) -> list[Row]:
    """Vehicles by type against the stated total, within the sentence that states both."""
    out: list[Row] = []
    for b in _group([r for r in group if r.count_value is not None], "block_index").values():
        totals = [r for r in b if r.metric == "vehicles_total"]
        if not totals:
            continue
        total = totals[0]
        parts = [
            r for r in b if r.metric == "vehicles_by_type" and r.statement_no > total.statement_no
        ]
        if len(parts) < 2:
            continue
        s = float(sum(p.count_value for p in parts))
        out.append(
            Row(
                report_id,
                "sum.vehicles",
                "sum",
                "error",
                total.count_value,
                s,
                s - EPS,
                s + EPS,
                f"车辆总数写为{total.count_value:g}辆，分类合计为{s:g}辆。",
                "车辆总数与分类合计一致。",
                total.source_text,
                total.source_location,
                total.statement_no,
                involves=[total.statement_no] + [p.statement_no for p in parts],
            )
        )
    return out


# -- yoy --------------------------------------------------------------------------------------


def yoy_checks(st: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Stated change % against change / (current − change); 持平 against a change; prior years."""
    rows: list[Row] = []
    for r in st[st["change_wan"].notna() & st["amount_wan"].notna()].itertuples():
        what = _name(r.metric, r.subject_code, r.subject_name or r.label)
        if r.change_pct is not None and not pd.isna(r.change_pct) and not r.flat:
            iv = change_pct_interval(
                r.amount_wan, amount_half(r.unit), r.change_wan, amount_half(r.unit)
            )
            if iv is None:
                continue
            allowed = iv.widen(pct_half(r.change_pct_decimals) + EPS)
            prior = r.amount_wan - r.change_wan
            expected = round(100 * r.change_wan / prior, 2)
            rows.append(
                Row(
                    r.report_id,
                    "yoy.change_pct",
                    "yoy",
                    "error",
                    r.change_pct,
                    expected,
                    allowed.lo,
                    allowed.hi,
                    f"{what}变动率写为{_pct(r.change_pct, r.change_pct_decimals, sign=True)}%，按本年{_fmt(r.amount_wan)}万元、变动{_fmt(r.change_wan)}万元"
                    f"（上年应为{_fmt(prior)}万元）计算应为{expected:+.2f}%（允许舍入区间 "
                    f"{_bounds(allowed.lo, allowed.hi, r.change_pct)}）。",
                    f"{what}变动率{r.change_pct:+g}%与变动额一致。",
                    r.source_text,
                    r.source_location,
                    r.statement_no,
                )
            )
    for r in st[st["flat"].fillna(False).astype(bool)].itertuples():
        change = 0.0 if pd.isna(r.change_wan) else r.change_wan
        pct = 0.0 if pd.isna(r.change_pct) else r.change_pct
        what = _name(r.metric, r.subject_code, r.subject_name or r.label)
        rows.append(
            Row(
                r.report_id,
                "yoy.flat",
                "yoy",
                "error",
                change,
                0.0,
                -EPS,
                EPS,
                f"{what}写为与上年持平，但同时写明变动{_fmt(change)}万元（{pct:+g}%）。",
                f"{what}与上年持平，未见矛盾。",
                r.source_text,
                r.source_location,
                r.statement_no,
            )
        )
    rows.extend(_prior_year_rows(st, reports))
    return _frame(rows, "yoy")


def _prior_year_rows(st: pd.DataFrame, reports: pd.DataFrame) -> list[Row]:
    """This year's implied prior figure against the figure last year's report states."""
    out: list[Row] = []
    meta = reports.set_index("report_id")[["department", "fiscal_year"]]
    stated = st[st["amount_wan"].notna()].join(meta, on="report_id")
    narrative = stated[stated["part"] == "narrative"].sort_values("statement_no")
    last_year = narrative.drop_duplicates(["department", "fiscal_year", "metric", "subject_code"])
    index = {
        (
            r.department,
            r.fiscal_year,
            r.metric,
            r.subject_code if isinstance(r.subject_code, str) else None,
        ): r
        for r in last_year.itertuples()
    }
    with_change = narrative[
        narrative["change_wan"].notna() | narrative["flat"].fillna(False).astype(bool)
    ]
    for r in with_change.drop_duplicates(["report_id", "metric", "subject_code"]).itertuples():
        code = r.subject_code if isinstance(r.subject_code, str) else None
        prev = index.get((r.department, r.fiscal_year - 1, r.metric, code))
        if prev is None or not r.metric:
            continue
        change = 0.0 if pd.isna(r.change_wan) else r.change_wan
        implied = r.amount_wan - change
        half = 2 * amount_half(r.unit) + amount_half(prev.unit)
        allowed = around(implied, half + EPS)
        what = _name(r.metric, code, r.subject_name or r.label)
        out.append(
            Row(
                r.report_id,
                "yoy.prior_year",
                "yoy",
                "error",
                prev.amount_wan,
                round(implied, 2),
                allowed.lo,
                allowed.hi,
                f"{what}：本年{_fmt(r.amount_wan)}万元、较上年变动{_fmt(change)}万元，推算上年为{_fmt(implied)}万元；"
                f"但{r.fiscal_year - 1}年度决算报告写为{_fmt(prev.amount_wan)}万元（{prev.source_location}）。",
                f"{what}推算的上年数与{r.fiscal_year - 1}年度报告一致。",
                r.source_text,
                r.source_location,
                r.statement_no,
            )
        )
    return out


# -- budget -----------------------------------------------------------------------------------


def budget_checks(st: pd.DataFrame) -> pd.DataFrame:
    """Stated completion % against 决算 ÷ 预算. The budget may be stated with the figure or
    elsewhere in the report for the same item (e.g. the 预算数 column of the 三公 table)."""
    rows: list[Row] = []
    records = [r for r in _records(st) if r.amount_wan is not None]
    budgets: dict[tuple, object] = {}
    for r in records:
        if r.budget_wan is not None and r.metric:
            budgets.setdefault((r.report_id, r.metric, r.subject_code), r)
    for r in records:
        if r.completion_pct is None:
            continue
        source = (
            r if r.budget_wan is not None else budgets.get((r.report_id, r.metric, r.subject_code))
        )
        if source is None:
            continue
        budget = source.budget_wan
        iv = share_interval(r.amount_wan, amount_half(r.unit), budget, amount_half(source.unit))
        if iv is None:
            continue
        allowed = iv.widen(pct_half(r.completion_decimals) + EPS)
        exact = 100 * r.amount_wan / budget
        what = _name(r.metric, r.subject_code, r.subject_name or r.label)
        where = "" if source is r else f"（预算数见{source.source_location}）"
        rows.append(
            Row(
                r.report_id,
                "budget.completion",
                "budget",
                "error",
                r.completion_pct,
                round(exact, 2),
                allowed.lo,
                allowed.hi,
                f"{what}完成预算写为{_pct(r.completion_pct, r.completion_decimals)}%，按决算{_fmt(r.amount_wan)}万元÷"
                f"预算{_fmt(budget)}万元{where}计算应为{exact:.2f}%（允许舍入区间 "
                f"{_bounds(allowed.lo, allowed.hi, r.completion_pct)}）"
                f"{_truncation_note(r.completion_pct, exact, r.completion_decimals)}。",
                f"{what}完成预算{_pct(r.completion_pct, r.completion_decimals)}%与决算、预算数一致。",
                r.source_text,
                r.source_location,
                r.statement_no,
            )
        )
    rows.extend(_direction_rows(records))
    return _frame(rows, "budget")


_DIRECTION_NAMES = {"above": "大于", "below": "小于", "equal": "等于"}
_UNBOUNDED = 1e15


def _direction_rows(records: list) -> list[Row]:
    """What the words say of 决算 against 预算 ("决算数大于预算数") against the two figures.
    observed = 决算 − 预算; the words allow it above, below or at zero, within rounding."""
    rows = []
    for r in records:
        if not r.budget_direction or r.budget_wan is None:
            continue
        diff = r.amount_wan - r.budget_wan
        slack = 2 * amount_half(r.unit) + EPS  # two rounded figures may print equal
        lo, hi = {
            "above": (-slack, _UNBOUNDED),
            "below": (-_UNBOUNDED, slack),
            "equal": (-slack, slack),
        }[r.budget_direction]
        what = _name(r.metric, r.subject_code, r.subject_name or r.label)
        actual = "大于" if diff > slack else "小于" if diff < -slack else "等于"
        said = _DIRECTION_NAMES[r.budget_direction]
        rows.append(
            Row(
                r.report_id,
                "budget.direction",
                "budget",
                "error",
                round(diff, 2),
                0.0,
                lo,
                hi,
                f"{what}文字写“决算数{said}预算数”，但决算{_fmt(r.amount_wan)}万元、预算{_fmt(r.budget_wan)}万元，"
                f"决算数实际{actual}预算数（相差{_fmt(diff)}万元），文字与数字不符。",
                f"{what}“决算数{said}预算数”与数字一致。",
                r.source_text,
                r.source_location,
                r.statement_no,
            )
        )
    return rows


# -- cross_section ------------------------------------------------------------------------------

# How the messages name the parts of a report (also used by pipelines.quality.grouping).
PART_NAMES = {
    "narrative": "正文",
    "table": "决算表",
    "annex": "附件",
    "chart": "图表数据",
    "overview": "部门概况",
}

# 基本支出, 项目支出, 人员经费 and 公用经费 are stated on two bases: all funds (支出决算表, the
# 收入支出 overview) and 一般公共预算财政拨款 only (基本支出决算表 and its 情况说明). A figure is
# compared only with figures of its own basis, and the finding names both, because a figure
# copied from the other basis is the usual cause of the disagreement.
_BASIS_METRICS = {
    "expenditure_basic",
    "expenditure_project",
    "gpb_basic",
    "personnel_expenses",
    "public_expenses",
}
_BASIS_NAMES = {"gpb": "一般公共预算财政拨款口径", "all": "全部资金口径"}
# A 基本支出 stated on the 一般公共预算 basis is the same figure as gpb_basic.
_AS_GPB = {"expenditure_basic": "gpb_basic"}
_BASIS_TWIN = {"gpb_basic": "expenditure_basic", "expenditure_basic": "gpb_basic"}


def _basis(r) -> str | None:
    """The funds a statement of a basis metric covers, from its own words, then its heading
    (the table's title for a table row); None when neither says."""
    if r.metric not in _BASIS_METRICS:
        return None
    if r.metric == "gpb_basic" or "一般公共预算" in (r.label or ""):
        return "gpb"
    heading = (r.section or "").rsplit(">", 1)[-1]
    if "一般公共预算" in heading or "财政拨款基本支出" in heading:
        return "gpb"
    if "支出决算" in heading and "财政拨款" not in heading:
        return "all"
    return None


def _with_basis(amounts: list) -> list[tuple[object, str, str | None, object]]:
    """(record, metric compared, basis, figure) for every amount, plus the 基本/项目 columns of
    the two expenditure tables' 合计 rows as statements of their own: 支出决算表 (all funds) and
    一般公共预算财政拨款支出决算表 (一般公共预算). ``figure`` names the figure compared: the
    statement's number, or "<number>:basic" / "<number>:project" for a column of its row."""
    out: list[tuple[object, str, str | None, object]] = []
    for r in amounts:
        basis = _basis(r)
        metric = _AS_GPB.get(r.metric, r.metric) if basis == "gpb" else r.metric
        out.append((r, metric, basis, r.statement_no))
        if r.part != "table" or r.subject_code:
            continue
        if r.metric == "gpb_expenditure" and r.basic_wan is not None:
            out.append(
                (
                    r._replace(amount_wan=r.basic_wan, change_wan=None),
                    "gpb_basic",
                    "gpb",
                    f"{r.statement_no}:basic",
                )
            )
        elif r.metric == "expenditure_current_year":
            for metric, value, column in (
                ("expenditure_basic", r.basic_wan, "basic"),
                ("expenditure_project", r.project_wan, "project"),
            ):
                if value is not None:
                    out.append(
                        (
                            r._replace(amount_wan=value, change_wan=None),
                            metric,
                            "all",
                            f"{r.statement_no}:{column}",
                        )
                    )
    return out


def cross_section_checks(st: pd.DataFrame) -> pd.DataFrame:
    """One figure stated in several places must agree; so must its stated change."""
    rows: list[Row] = []
    amounts = [r for r in _records(st) if r.amount_wan is not None and r.metric]
    # A subject line whose code is unknown cannot be matched with its other statements.
    amounts = [r for r in amounts if r.subject_code or not r.subject_level]
    groups: dict[tuple, list[tuple[object, str | None]]] = defaultdict(list)
    other_basis: dict[tuple, list] = defaultdict(list)
    figure: dict[int, object] = {}  # id of a compared record -> the figure it stands for
    for r, metric, basis, ref in _with_basis(amounts):
        groups[(r.report_id, metric, r.subject_code)].append((r, basis))
        figure[id(r)] = ref
        if basis:
            other_basis[(r.report_id, metric, basis)].append(r)
    for (report_id, metric, code), members in groups.items():
        if len(members) < 2:
            continue
        g = [r for r, _ in members]
        bases = [b for _, b in members]
        what = _name(metric, code, g[0].subject_name or g[0].label)
        for i, (other, basis) in enumerate(members[1:], 1):
            # The first earlier statement of the same basis (or of an unknown one).
            ref_i = next(
                (j for j in range(i) if not basis or not bases[j] or bases[j] == basis), None
            )
            if ref_i is None:
                continue
            ref = g[ref_i]
            if other.block_index == ref.block_index:
                continue  # one sentence that names a figure twice is not two places
            row = _agreement_row(
                report_id,
                what,
                ref,
                other,
                "amount_wan",
                "cross_section.amount",
                "写为",
                bases=(bases[ref_i], basis),
            )
            row.involves = (figure[id(ref)], figure[id(other)])
            if not row.lower <= row.observed <= row.upper:
                row.message += _other_basis_note(
                    other_basis, report_id, metric, (bases[ref_i], basis), (ref, other)
                )
            rows.append(row)
        with_change = [r for r in g if r.change_wan is not None]
        for other in with_change[1:]:
            if other.block_index != with_change[0].block_index:
                rows.append(
                    _agreement_row(
                        report_id,
                        what,
                        with_change[0],
                        other,
                        "change_wan",
                        "cross_section.change",
                        "较上年变动写为",
                    )
                )
    rows.extend(_part_changes(amounts))
    return _frame(rows, "cross_section")


def _other_basis_note(other_basis: dict, report_id: str, metric: str, bases, pair) -> str:
    """When one side's figure is the same metric on the other basis, say so: that is why."""
    twin = _BASIS_TWIN.get(metric, metric)
    for basis, r in zip(bases, pair, strict=True):
        if basis is None:
            continue
        flip = "all" if basis == "gpb" else "gpb"
        for o in other_basis.get((report_id, twin, flip), []):
            if o.block_index != r.block_index and abs(o.amount_wan - r.amount_wan) < EPS + 0.005:
                return (
                    f"{PART_NAMES.get(r.part, r.part)}（{r.source_location}）所写{_fmt(r.amount_wan)}万元"
                    f"与{PART_NAMES.get(o.part, o.part)}（{o.source_location}）{_BASIS_NAMES[flip]}的数字相同，"
                    f"疑将{_BASIS_NAMES[flip]}的数字当作{_BASIS_NAMES[basis]}。"
                )
    return ""


def _agreement_row(
    report_id: str,
    what: str,
    ref,
    other,
    field: str,
    check_id: str,
    verb: str,
    bases: tuple[str | None, str | None] = (None, None),
) -> Row:
    half = amount_half(ref.unit) + amount_half(other.unit) + EPS
    a, b = getattr(ref, field), getattr(other, field)

    def place(r, basis: str | None) -> str:
        said = f"，{_BASIS_NAMES[basis]}" if basis else ""
        return f"{PART_NAMES.get(r.part, r.part)}（{r.source_location}{said}）"

    return Row(
        report_id,
        check_id,
        "cross_section",
        "error",
        b,
        a,
        a - half,
        a + half,
        f"{what}在{place(other, bases[1])}{verb}{_fmt(b)}万元，在{place(ref, bases[0])}{verb}{_fmt(a)}万元，两处不一致。",
        f"{what}各处一致。",
        other.source_text,
        other.source_location,
        other.statement_no,
        involves=(ref.statement_no, other.statement_no),
    )


def _part_changes(amounts: list) -> list[Row]:
    """A total's stated change against its parts' stated changes (持平 counts as 0)."""
    out: list[Row] = []
    for (report_id, _part), g in _group(amounts, "report_id", "part").items():
        by_metric: dict[str, object] = {}
        for r in g:
            by_metric.setdefault(r.metric, r)
        for parent_metric, alternatives in HIERARCHIES.items():
            parent = by_metric.get(parent_metric)
            if parent is None or parent.change_wan is None:
                continue
            children = [by_metric[c] for c in alternatives[0] if c in by_metric]
            known = [c for c in children if c.change_wan is not None]
            if len(children) < 2 or len(known) != len(children):
                continue
            total = sum(c.change_wan for c in known)
            half = (len(known) + 1) * 0.005 + EPS
            what = _name(parent_metric, None, parent.label)
            parts = "、".join(
                f"{_name(c.metric, None, c.label)}{_fmt(c.change_wan)}" for c in known
            )
            out.append(
                Row(
                    report_id,
                    "cross_section.part_changes",
                    "cross_section",
                    "error",
                    parent.change_wan,
                    round(total, 2),
                    total - half,
                    total + half,
                    f"{what}较上年变动写为{_fmt(parent.change_wan)}万元，但各组成部分的变动（{parts}万元）"
                    f"合计为{_fmt(total)}万元。",
                    f"{what}变动额与各组成部分变动一致。",
                    parent.source_text,
                    parent.source_location,
                    parent.statement_no,
                    involves=[parent.statement_no] + [c.statement_no for c in known],
                )
            )
    return out


# -- code -------------------------------------------------------------------------------------


def code_checks(
    functions: pd.DataFrame, reports: pd.DataFrame, catalogue: Catalogue
) -> pd.DataFrame:
    """Every subject code exists in that year's catalogue; its printed name matches (old name: warning)."""
    rows: list[Row] = []
    years = reports.set_index("report_id")["fiscal_year"].to_dict()
    for r in functions.itertuples():
        year = years.get(r.report_id)
        printed = r.subject_name if isinstance(r.subject_name, str) else ""
        if not isinstance(r.subject_code, str):
            rows.append(
                Row(
                    r.report_id, "code.unresolved", "code", "warning", None, None, None, None,
                    f"科目“{printed}”无法对应到{year}年政府收支分类科目，金额{_fmt(r.amount_wan)}万元已保留、编码为空，请核对科目名称。",
                    "", r.source_text, r.source_location, r.statement_no, status="unresolved",
                )
            )  # fmt: skip
            continue
        code = r.subject_code
        status, severity, message = "ok", "error", ""
        if not catalogue.exists(code):
            # The project's catalogue is its own copy and lacks some 项: a code it does not know
            # is a question for the reviewer, never an accusation.
            status, severity = "unknown_code", "warning"
            parents_known = all(catalogue.exists(code[:n]) for n in (3, 5) if n < len(code))
            message = (
                f"科目编码{code}（报告印为“{printed}”）不在本系统的政府收支分类科目目录中；"
                "其类、款均存在，已按报告所印名称保留，请核对编码。"
                if parents_known and printed
                else f"科目编码{code}不在政府收支分类科目中，请核对编码。"
            )
        elif year is not None and not catalogue.exists(code, year):
            status, severity = "not_in_year", "warning"
            message = f"科目编码{code}（{catalogue.name(code)}）在{year}年的科目目录中不存在（已停用或尚未设立）。"
        elif printed:
            official = catalogue.name(code, year)
            if name_key(printed) != name_key(official or ""):
                known = {name_key(n) for n in catalogue.names(code)}
                severity = "warning"
                if name_key(printed) in known:
                    status = "old_name"
                    message = f"科目{code}写作“{printed}”，{year}年科目名称为“{official}”（使用了旧名称）。"
                else:
                    status = "name_mismatch"
                    message = f"科目{code}写作“{printed}”，与{year}年科目名称“{official}”不符，请核对编码与名称。"
        rows.append(
            Row(
                r.report_id, f"code.{status if status != 'ok' else 'valid'}", "code", severity,
                None, None, None, None, message, f"科目{code}编码与名称正确。",
                r.source_text, r.source_location, r.statement_no, status=status,
            )
        )  # fmt: skip
    return _frame(rows, "code")


# -- completeness -----------------------------------------------------------------------------

REQUIRED_METRICS = [
    "income_total",
    "expenditure_total",
    "income_current_year",
    "expenditure_current_year",
    "expenditure_basic",
    "expenditure_project",
    "fiscal_income_total",
    "gpb_expenditure",
    "personnel_expenses",
    "public_expenses",
    "three_public_total",
    "admin_operating_expenses",
    "procurement_total",
    "vehicles_total",
]


def completeness_checks(st: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """The mandatory statements of a 部门决算 are present (a missing one is a warning)."""
    rows: list[Row] = []
    present = st[st["amount_wan"].notna() | st["count_value"].notna()]
    stated = present.groupby("report_id")["metric"].apply(set).to_dict()
    classes = (
        present[(present["metric"] == "gpb_by_function") & (present["subject_level"] == "类")]
        .groupby("report_id")
        .size()
        .to_dict()
    )
    for rep in reports.itertuples():
        have = stated.get(rep.report_id, set())
        for metric in REQUIRED_METRICS:
            ok = metric in have
            rows.append(
                _completeness_row(rep.report_id, f"completeness.{metric}", METRIC_NAMES[metric], ok)
            )
        rows.append(
            _completeness_row(
                rep.report_id,
                "completeness.gpb_by_class",
                "一般公共预算财政拨款支出按功能分类（类）",
                classes.get(rep.report_id, 0) > 0,
            )
        )
    return _frame(rows, "completeness")


def _completeness_row(report_id: str, check_id: str, name: str, ok: bool) -> Row:
    return Row(
        report_id,
        check_id,
        "completeness",
        "warning",
        None,
        None,
        None,
        None,
        f"未找到“{name}”的说明或数据。部门决算应公开该项内容，请核对是否遗漏（或表述方式是否特殊）。",
        f"已说明“{name}”。",
        None,
        "全文",
        None,
        status="present" if ok else "missing",
    )


def build_all(
    st: pd.DataFrame, functions: pd.DataFrame, reports: pd.DataFrame, catalogue: Catalogue
) -> dict[str, pd.DataFrame]:
    """Every family's check frame, for the whole warehouse at once.

    Figures of a table that failed its own identities (``doubtful``, see
    extract/table_doubt.py) accuse no one: they feed no sum, share or cross-section check.
    """
    doubtful = (
        st["doubtful"].fillna(False).astype(bool)
        if "doubtful" in st
        else pd.Series(False, index=st.index)
    )
    confident = st[~doubtful]
    # A narrative figure whose subject is in doubt still says its 类 has a part whose place is
    # unknown: that 类's sum cannot be checked (as for a name that could not be resolved).
    unplaced = st[doubtful & (st["part"] == "narrative") & st["subject_code"].notna()].assign(
        subject_parent=lambda d: d["subject_code"].str[:3],
        subject_code=None,
        basic_wan=None,
        project_wan=None,
    )
    return {
        "share": share_checks(confident),
        "sum": sum_checks(pd.concat([confident, unplaced]) if len(unplaced) else confident),
        "yoy": yoy_checks(st, reports),
        "budget": budget_checks(st),
        "cross_section": cross_section_checks(confident),
        "code": code_checks(functions, reports, catalogue),
        "completeness": completeness_checks(st, reports),
    }
