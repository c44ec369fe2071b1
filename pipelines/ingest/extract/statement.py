"""One stated number and everything the sentence says about it."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Statement:
    statement_no: int
    block_index: int
    part: str  # overview, narrative, table, chart, glossary, annex
    section: str  # heading path, e.g. "五、一般公共预算财政拨款支出决算情况说明 > （三）…具体情况"
    label: str  # the label as written (normalized width), e.g. "本年收入合计"
    metric: str | None  # normalized metric name (see vocabulary.METRICS); None when unknown
    source_text: str  # the quoted sentence or table row, as printed
    source_location: str  # line, paragraph or table/row
    subject_code: str | None = None
    subject_level: str | None = None
    subject_name: str | None = None  # the subject name as printed
    amount_wan: float | None = None  # amounts in 万元
    count_value: float | None = None  # counts (辆, 人, 批次 ...)
    unit: str | None = None  # the unit as printed: 万元, 元, 亿元, 辆 ...
    value_text: str | None = None  # the number as printed
    unit_assumed: bool = False  # no unit printed; 万元 assumed from context
    share_pct: float | None = None
    share_of: str | None = None  # metric (or label) the share is of
    change_wan: float | None = None
    change_pct: float | None = None
    flat: bool = False  # stated as 持平
    budget_wan: float | None = None
    completion_pct: float | None = None
    basic_wan: float | None = None  # table columns 基本支出 / 项目支出
    project_wan: float | None = None
    resolution_warning: str | None = None
    # Printed decimals of the percentages (their rounding half-unit is 0.5 × 10^-decimals).
    share_decimals: int | None = None
    change_pct_decimals: int | None = None
    completion_decimals: int | None = None
    subject_parent: str | None = (
        None  # for an unresolved path: the code of its deepest resolved level
    )
    doubtful: bool = False  # its table fails its own identities in a pattern (table_doubt)
    # What the words say of 决算 against 预算 ("决算数大于年初预算数"): above, below or equal.
    budget_direction: str | None = None

    def as_row(self) -> dict:
        # every field is a scalar: a shallow copy is what asdict() would give, ten times faster
        return {name: getattr(self, name) for name in STATEMENT_COLUMNS}


STATEMENT_COLUMNS = [f.name for f in fields(Statement)]
