"""Figures no report can state: refused at extraction, with a warning the bureau can read.

A number of 400 digits parses to ``inf``; a misprinted one can be a thousand times too large.
Either would poison every sum, share and export it enters (XlsxWriter refuses ``inf``, so a
single such figure used to stop a year's exports). A statement whose amount or count is not
finite or beyond the plausible size (``pipelines.ingest.limits``, ``amount_wan``) is dropped whole,
with what it said (its share, its change go with it, never to a neighbour); a non-finite or
implausible secondary figure (change, budget, rate) is cleared on an otherwise good statement.
"""

from __future__ import annotations

import math

from pipelines.ingest.extract.narrative import UNREADABLE
from pipelines.ingest.extract.statement import Statement
from pipelines.ingest.limits import env_name, limit

_MAIN = ("amount_wan", "count_value")
_AMOUNTS = ("change_wan", "budget_wan", "basic_wan", "project_wan")
_RATES = ("share_pct", "change_pct", "completion_pct")


def _bad(value: float | None, bound: float | None) -> bool:
    if value is None:
        return False
    return not math.isfinite(value) or (bound is not None and abs(value) > bound)


def refuse_implausible(statements: list[Statement]) -> tuple[list[Statement], list[Statement]]:
    """(statements kept, statements dropped or with a figure cleared): the second list is
    what the warnings name (``refusal_message``); a statement in both lists was cleared."""
    bound = limit("amount_wan")
    kept: list[Statement] = []
    flagged: list[Statement] = []
    for st in statements:
        if st.resolution_warning == UNREADABLE or any(_bad(getattr(st, f), bound) for f in _MAIN):
            flagged.append(st)
            continue
        cleared = False
        for f in _AMOUNTS:
            if _bad(getattr(st, f), bound):
                setattr(st, f, None)
                cleared = True
        for f in _RATES:
            if _bad(getattr(st, f), None):
                setattr(st, f, None)
                cleared = True
        if cleared:
            flagged.append(st)
        kept.append(st)
    return kept, flagged


def refusal_message(st: Statement, dropped: bool) -> str:
    printed = (st.value_text or "")[:40] + ("…" if len(st.value_text or "") > 40 else "")
    bound = limit("amount_wan")
    what = f"数字“{printed}”" if printed else "其中的数字"
    if st.resolution_warning == UNREADABLE:
        return (
            f"{what}无法识别为数值（如 NaN、科学计数法或大写数字），该数据未入库，"
            "其后的占比、增减也未归到其他数字上。请核对原文，改为阿拉伯数字。"
        )
    if dropped:
        return (
            f"{what}无法作为金额或数量使用（不是有限的数，或超过 {bound:,.0f} 万元的合理上限），"
            "该数据未入库，其占比、增减也不计入任何检查。请核对原文是否有误印；"
            f"上限可由数据工程师通过环境变量 {env_name('amount_wan')} 调整。"
        )
    return (
        "该句中的增减额、预算数或百分比无法使用（不是有限的数，或金额超过合理上限），已忽略该项，"
        "金额本身照常入库。请核对原文是否有误印。"
    )
