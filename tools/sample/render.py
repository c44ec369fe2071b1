"""Wording of a synthetic report: blocks (title, headings, paragraphs, tables) plus ground-truth facts.

Every number printed goes through :class:`ReportWriter`, which records one fact per stated figure,
so the truth file is exactly what the document states. Style choices are drawn once per
department (``Style``) and phrasing choices per statement, all from seeded ``random.Random``
instances: the same seed gives the same document.

Phrasings (each statement has several; see the module-level tuples below):

* year over year: 与{上年}相比，X增加/减少…，增长/下降/增加/减少…% | 较上年… | 比上年度… |
  比{上年}年度… | 同比… | 与上年持平 / 与{上年}年度持平 / 较上年持平 / 同比持平
* shares: 占12.34% | 占 12.34% | 占12.34 (no %) ; 100% and 0% sometimes whole numbers
* 类 names: 一般公共服务（类）支出N | 一般公共服务支出（类）N | 一般公共服务（类）N ; （类） or (类)
* amounts: 1234.56万元 | 1,234.56万元 | 1234.56 万元 ; small ones sometimes in 元 (3,200.00元)
* digits sometimes full-width (１２３４.５６) in a narrative paragraph
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from tools.sample.generator import (
    COMMON_REASONS_DOWN,
    COMMON_REASONS_UP,
    EXPENSE_KEYS,
    REGION,
    Department,
    SubjectCatalogue,
    YearFigures,
    change_pct,
    group_shares,
    pct,
    wan,
)

LAYOUTS = ("sichuan", "national", "shanghai", "consolidated", "yuan")
# The 政府性基金 spending of a department, in the national template's 收入决算表/支出决算表.
GOV_FUND_ITEM = "2120803"  # 城乡社区支出 / 国有土地使用权出让收入安排的支出 / 城市建设支出
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CN_NUM = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    if n <= 10:
        return CN_NUM[n - 1]
    if n < 20:
        return "十" + CN_NUM[n - 11]
    tens, ones = divmod(n, 10)
    return CN_NUM[tens - 1] + "十" + (CN_NUM[ones - 1] if ones else "")


@dataclass
class Block:
    kind: str  # title | heading | para | table
    text: str = ""
    level: int = 1
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    # Lines printed between a table's title and its grid (number, 编制部门, unit).
    head: list[str] = field(default_factory=lambda: ["单位：万元"])


@dataclass
class Style:
    """Per-department habits of the author."""

    numbering: str  # cn | arabic | mixed
    sub_numbering: str  # paren_cn | arabic_dot | half_paren
    list_marker: str  # "1." | "1、" | "1．" | "（1）"
    class_forms: tuple[int, ...]
    half_brackets: bool
    pct_sign_missing: float  # probability a percent is printed without "%"
    thousands: bool
    zero_plain: bool  # "0万元" instead of "0.00万元"
    spaced: bool  # "123.45 万元" (a space before the unit)
    fullwidth: float  # probability a narrative paragraph gets full-width digits
    yuan_small: bool
    old_names: bool
    list_zero_sources: bool
    split_fiscal: bool
    dir2_plain: bool  # 增加/减少 instead of 增长/下降 for percents
    yoy_forms: tuple[int, ...]
    tables_first: bool
    table_summary: bool
    table_three: bool
    split_codes: bool
    total_row_top: bool
    blank_zero_cells: bool
    annex: bool
    budget_lines: float  # probability a 具体 line states 年初预算
    title_form: int
    bookmarks: bool
    blank_lines: bool
    basic_shares: bool

    @classmethod
    def draw(cls, rng: random.Random) -> Style:
        return cls(
            numbering=rng.choice(("cn", "cn", "arabic", "mixed")),
            sub_numbering=rng.choice(("paren_cn", "paren_cn", "arabic_dot", "half_paren")),
            list_marker=rng.choice(("1.", "1、", "1．", "（1）")),
            class_forms=tuple(sorted(rng.sample((0, 1, 2), rng.choice((1, 1, 2))))),
            half_brackets=rng.random() < 0.2,
            pct_sign_missing=rng.choice((0.0, 0.0, 0.0, 0.15)),
            thousands=rng.random() < 0.2,
            zero_plain=rng.random() < 0.5,
            spaced=rng.random() < 0.2,
            fullwidth=rng.choice((0.0, 0.2, 0.3)),
            yuan_small=rng.random() < 0.6,
            old_names=rng.random() < 0.4,
            list_zero_sources=rng.random() < 0.5,
            split_fiscal=rng.random() < 0.6,
            dir2_plain=rng.random() < 0.35,
            yoy_forms=tuple(sorted(rng.sample(range(5), 2))),
            tables_first=rng.random() < 0.35,
            table_summary=rng.random() < 0.75,
            table_three=rng.random() < 0.5,
            split_codes=rng.random() < 0.5,
            total_row_top=rng.random() < 0.5,
            blank_zero_cells=rng.random() < 0.4,
            annex=rng.random() < 0.6,
            budget_lines=rng.choice((0.0, 0.5, 1.0)),
            title_form=rng.randrange(3),
            bookmarks=rng.random() < 0.25,
            blank_lines=rng.random() < 0.6,
            basic_shares=rng.random() < 0.3,
        )


GLOSSARY = (
    (
        "财政拨款收入",
        "指单位从本级财政部门取得的财政预算资金，包括一般公共预算、政府性基金预算和国有资本经营预算财政拨款。",
    ),
    ("事业收入", "指事业单位开展专业业务活动及其辅助活动取得的收入。"),
    ("其他收入", "指单位取得的除上述各项收入以外的各项收入。"),
    ("年初结转和结余", "指以前年度尚未完成、结转到本年按有关规定继续使用的资金。"),
    (
        "年末结转和结余",
        "指本年度或以前年度预算安排、因客观条件变化无法按原计划实施，需延迟到以后年度按规定继续使用的资金。",
    ),
    ("基本支出", "指为保障机构正常运转、完成日常工作任务而发生的人员经费和公用经费。"),
    ("项目支出", "指在基本支出之外为完成特定行政任务和事业发展目标所发生的支出。"),
    (
        "“三公”经费",
        "指部门用财政拨款安排的因公出国（境）费、公务用车购置及运行维护费和公务接待费。",
    ),
    (
        "机关运行经费",
        "指为保障行政单位（含参照公务员法管理的事业单位）运行，用于购买货物和服务的各项公用经费。",
    ),
)

PERSONNEL_ITEMS = "基本工资、津贴补贴、奖金、绩效工资、机关事业单位基本养老保险缴费、职业年金缴费、职工基本医疗保险缴费、住房公积金、退休费及其他对个人和家庭的补助"
PUBLIC_ITEMS = "办公费、印刷费、水电费、邮电费、物业管理费、差旅费、维修（护）费、会议费、培训费、公务接待费、工会经费、福利费、公务用车运行维护费及其他商品和服务支出"

SAME_FORMS = ("与上年持平", "与{py}年度持平", "较上年持平", "同比持平")
TABLE_ZERO = "0.00"

INCOME_LABELS = {
    "general_budget": ("一般公共预算财政拨款收入", "income_general_budget"),
    "gov_fund": ("政府性基金预算财政拨款收入", "income_gov_fund"),
    "state_capital": ("国有资本经营预算财政拨款收入", "income_state_capital"),
    "superior_subsidy": ("上级补助收入", "income_superior_subsidy"),
    "business": ("事业收入", "income_business"),
    "operating": ("经营收入", "income_operating"),
    "subsidiary": ("附属单位上缴收入", "income_subsidiary"),
    "other": ("其他收入", "income_other"),
}
EXPENSE_LABELS = {
    "basic": ("基本支出", "expenditure_basic"),
    "project": ("项目支出", "expenditure_project"),
    "to_superior": ("上缴上级支出", "expenditure_to_superior"),
    "operating": ("经营支出", "expenditure_operating"),
    "subsidiary": ("对附属单位补助支出", "expenditure_subsidiary"),
}


class ReportWriter:
    """Builds the blocks and facts of one department's report for one year."""

    def __init__(
        self,
        dept: Department,
        year: int,
        catalogue: SubjectCatalogue,
        style: Style,
        rng: random.Random,
        layout: str = "sichuan",
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
        self.layout = layout
        self.dept = dept
        self.year = year
        self.py = year - 1
        self.cat = catalogue
        self.s = style
        self.rng = rng
        self.fig: YearFigures = dept.figures[year]
        self.prev: YearFigures = dept.figures[year - 1]
        self.blocks: list[Block] = []
        self.facts: list[dict] = []
        self._section_no = 0
        self._sub_no = 0

    # ------------------------------------------------------------------ facts and numbers --
    def fact(
        self,
        metric: str,
        value: int,
        *,
        unit: str = "万元",
        code: str | None = None,
        share: Decimal | None = None,
        change: int | None = None,
        change_p: Decimal | None = None,
        budget: int | None = None,
        completion: Decimal | None = None,
        section: str = "narrative",
        label: str = "",
    ) -> None:
        money = unit == "万元"
        self.facts.append(
            {
                "metric": metric,
                "subject_code": code,
                "value": float(wan(value)) if money else int(value),
                "unit": unit,
                "share_pct": None if share is None else float(share),
                "change": None if change is None else float(wan(change)),
                "change_pct": None if change_p is None else float(change_p),
                "budget": None if budget is None else float(wan(budget)),
                "completion_pct": None if completion is None else float(completion),
                "section": section,
                "label": label,
            }
        )

    def num(self, fen: int) -> str:
        if fen == 0 and self.s.zero_plain:
            return "0"
        d = wan(fen)
        return f"{d:,.2f}" if self.s.thousands else f"{d:.2f}"

    def amt(self, fen: int, *, small_yuan: bool = False) -> str:
        """An amount with its unit; figures under 1 万元 may be written in 元."""
        if small_yuan and self.s.yuan_small and 0 <= fen < 100 and self.rng.random() < 0.7:
            yuan = fen * 100
            number, unit = (f"{yuan:,}.00" if self.rng.random() < 0.6 else str(yuan)), "元"
        else:
            number, unit = self.num(fen), "万元"
        return f" {number} {unit}" if self.s.spaced else number + unit

    def pct_text(self, p: Decimal, *, whole_ok: bool = True) -> str:
        """A non-negative percentage as printed: 12.34% / 12.34 / 100%."""
        if whole_ok and p == p.to_integral_value() and self.rng.random() < 0.5:
            body = str(int(p))
        else:
            body = f"{p:.2f}"
        sign = "" if self.rng.random() < self.s.pct_sign_missing else "%"
        return f" {body}{sign}" if self.s.spaced else body + sign

    def share(self, p: Decimal) -> str:
        return "占" + self.pct_text(p)

    # ------------------------------------------------------------------ year over year ----
    def yoy(self, cur: int, prior: int, label: str) -> tuple[str, int, Decimal | None]:
        """A change clause; returns (text, change in 分, change %)."""
        change = cur - prior
        cp = change_pct(cur, prior)
        form = self.rng.choice(self.s.yoy_forms)
        if change == 0:
            text = self.rng.choice(SAME_FORMS).format(py=self.py)
            if form == 0 and label:
                text = f"与{self.py}年相比，{label}持平"
            return text, 0, (Decimal("0.00") if prior else None)
        up = change > 0
        d1 = "增加" if up else "减少"
        if self.s.dir2_plain or self.rng.random() < 0.15:
            d2 = d1
        else:
            d2 = "增长" if up else "下降"
        body = f"{d1}{self.amt(abs(change))}"
        if cp is not None:
            body += f"，{d2}{self.pct_text(abs(cp), whole_ok=False)}"
        lead = {
            0: f"与{self.py}年相比，{label}",
            1: "较上年",
            2: "比上年度",
            3: f"比{self.py}年度",
            4: "同比",
        }[form]
        return lead + body, change, cp

    @staticmethod
    def labeled(label: str, clause: str) -> str:
        """Put the subject before a change clause unless the clause already names it."""
        return clause if clause.startswith("与") else label + clause

    def reason(self, change: int) -> str:
        if change == 0 or self.rng.random() < 0.35:
            return ""
        pool = COMMON_REASONS_UP if change > 0 else COMMON_REASONS_DOWN
        return f"主要原因是{self.rng.choice(pool)}。"

    # ------------------------------------------------------------------ blocks -------------
    def title(self, text: str) -> None:
        self.blocks.append(Block("title", text))

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(Block("heading", text, level=level))

    def para(self, text: str, *, narrative: bool = True) -> None:
        if narrative and self.s.fullwidth and self.rng.random() < self.s.fullwidth:
            text = text.translate(FULLWIDTH)
        self.blocks.append(Block("para", text))

    def table(
        self, title: str, rows: list[list[str]], note: str = "", head: list[str] | None = None
    ) -> None:
        block = Block("table", title, rows=rows, note=note)
        if head is not None:
            block.head = head
        self.blocks.append(block)

    def section(self, title: str) -> None:
        self._section_no += 1
        n = self._section_no
        if self.s.numbering == "cn":
            mark = cn_number(n) + "、"
        elif self.s.numbering == "arabic":
            mark = f"{n}、"
        else:
            mark = f"{n}、" if n <= 3 or n == 9 else cn_number(n) + "、"
        self._sub_no = 0
        self.heading(mark + title, level=2)

    def subsection(self, title: str) -> None:
        self._sub_no += 1
        n = self._sub_no
        mark = {
            "paren_cn": f"（{cn_number(n)}）",
            "arabic_dot": f"{n}.",
            "half_paren": f"({cn_number(n)})",
        }[self.s.sub_numbering]
        self.heading(mark + title, level=3)

    def marker(self, n: int) -> str:
        m = self.s.list_marker
        return f"（{n}）" if m.startswith("（") else f"{n}{m[1:]}"

    # ------------------------------------------------------------------ names --------------
    def bracket(self, word: str) -> str:
        return f"({word})" if self.s.half_brackets else f"（{word}）"

    def subject_name(self, code: str, *, narrative: bool = True) -> str:
        name = self.cat.name(code, self.year)
        if narrative and self.s.old_names:
            others = self.cat.other_names(code, self.year)
            if others and self.rng.random() < 0.5:
                name = self.rng.choice(others)
        return name

    def class_label(self, code: str) -> tuple[str, str]:
        """(name without trailing 支出, full name) of a 类."""
        full = self.subject_name(code)
        short = full[:-2] if full.endswith("支出") and len(full) > 4 else full
        return short, full

    def path(self, code: str) -> str:
        short, full = self.class_label(code[:3])
        cls = self.rng.choice((short, full))
        return (
            cls
            + self.bracket("类")
            + self.subject_name(code[:5])
            + self.bracket("款")
            + self.subject_name(code)
            + self.bracket("项")
        )

    # ------------------------------------------------------------------ the report ---------
    def render(self) -> None:
        d, y = self.dept.name, self.year
        if self.layout == "consolidated":
            # A department and its units in one report: "（汇总）" after the name, the year on
            # the next line, then the cover's review lines.
            self.title(f"{d}（汇总）")
            self.title(f"{y}年度部门决算")
            self.para("保密审查情况：已审查", narrative=False)
            self.para("部门主要负责人审签情况：已审签", narrative=False)
        elif self.s.title_form == 0:
            self.title(f"{d}{y}年度部门决算")
        elif self.s.title_form == 1:
            self.title(f"{y}年度{d}部门决算")
        else:
            self.title(d)
            self.title(f"{y}年部门决算")
        # Shanghai's district reports put the tables straight after the overview; the
        # consolidated ones keep them for the end; the others follow the author's habit.
        tables_first = {"shanghai": True, "consolidated": False}.get(
            self.layout, self.s.tables_first
        )
        part = 1
        self.heading(
            f"第{cn_number(part)}部分 部门概况"
            if self.rng.random() < 0.6
            else f"第{cn_number(part)}部分 {d}概况"
        )
        self.overview()
        if tables_first:
            part += 1
            self.heading(f"第{cn_number(part)}部分 {y}年度部门决算表")
            self.tables()
        part += 1
        self.heading(f"第{cn_number(part)}部分 {y}年度部门决算情况说明")
        self.explanation()
        part += 1
        self.heading(f"第{cn_number(part)}部分 名词解释")
        for i, (term, text) in enumerate(GLOSSARY, start=1):
            self.para(f"{self.marker(i)}{term}：{text}", narrative=False)
        if self.layout == "consolidated":
            if self.s.annex:
                part += 1
                self.heading(f"第{cn_number(part)}部分 附件")
                self.annex(1)
            part += 1
            self.heading(f"第{cn_number(part)}部分 {y}年度部门决算表")
            self.tables()
            return
        if self.s.annex or not tables_first:
            part += 1
            self.heading(f"第{cn_number(part)}部分 附件")
            k = 0
            if self.s.annex:
                k += 1
                self.annex(k)
            if not tables_first:
                k += 1
                self.heading(f"附件{k} {d}{y}年度部门决算公开表", level=2)
                self.tables()

    # part one ---------------------------------------------------------------------------------
    def overview(self) -> None:
        t, f = self.dept.type, self.fig
        self._section_no = 0
        self.section(self.rng.choice(("部门职责", "主要职能")))
        for i, duty in enumerate(t.duties, start=1):
            self.para(f"{self.marker(i)}{duty}。", narrative=False)
        self.para("承办县委、县政府交办的其他事项。", narrative=False)
        self.section("机构设置")
        text = f"本部门内设{'、'.join(t.offices)}等机构。"
        if t.subunits:
            units = "、".join(REGION + u for u in t.subunits)
            text += f"下属事业单位有：{units}。"
        else:
            text += "本部门无下属事业单位。"
        self.para(text, narrative=False)
        self.section(self.rng.choice(("人员构成", "人员情况")))
        form = self.rng.randrange(3)
        if form == 0:
            text = f"截至{self.year}年底，本部门编制{f.staff_authorized}名，在职人员{f.staff_active}人，退休人员{f.staff_retired}人。"
        elif form == 1:
            text = f"本部门核定编制{f.staff_authorized}名；年末实有在职人员{f.staff_active}人；离退休人员{f.staff_retired}人。"
        else:
            text = f"人员构成：编制{f.staff_authorized}名，在职{f.staff_active}人，退休{f.staff_retired}人。"
        self.para(text)
        self.fact("staff_authorized", f.staff_authorized, unit="人", label="编制")
        self.fact("staff_active", f.staff_active, unit="人", label="在职人员")
        self.fact("staff_retired", f.staff_retired, unit="人", label="退休人员")

    # part two ---------------------------------------------------------------------------------
    def explanation(self) -> None:
        self._section_no = 0
        self.s_totals()
        self.s_income()
        self.s_expense()
        self.s_fiscal()
        self.s_gpb()
        self.s_basic()
        self.s_three()
        self.s_gov_fund()
        self.s_state_capital()
        self.s_other()

    def s_totals(self) -> None:
        f, p, y = self.fig, self.prev, self.year
        self.section("收入支出决算总体情况说明")
        form = self.rng.randrange(3)
        cb, ce = f.carry_begin, f.carry_end
        if form == 1:
            c, ch, cp = self.yoy(f.income_total, p.income_total, "收入支出总计")
            text = f"{self.dept.name}{y}年度收入支出总计{self.amt(f.income_total)}，{c}。"
            text += self.reason(ch)
            text += f"其中：年初结转和结余{self.amt(cb)}，年末结转和结余{self.amt(ce)}。"
            for m in ("income_total", "expenditure_total"):
                self.fact(m, f.income_total, change=ch, change_p=cp, label="收入支出总计")
        else:
            ci, chi, cpi = self.yoy(f.income_total, p.income_total, "收入总计")
            ce_, che, cpe = self.yoy(f.expense_total, p.expense_total, "支出总计")
            if form == 0:
                text = (
                    f"{y}年度收入总计{self.amt(f.income_total)}，其中年初结转和结余{self.amt(cb)}；"
                    f"支出总计{self.amt(f.expense_total)}，其中年末结转和结余{self.amt(ce)}。"
                    f"{self.labeled('收入总计', ci)}；{self.labeled('支出总计', ce_)}。"
                )
            else:
                text = (
                    f"{y}年收入总计{self.amt(f.income_total)}，{ci}；支出总计{self.amt(f.expense_total)}，{ce_}。"
                    f"其中：年初结转和结余{self.amt(cb)}，年末结转和结余{self.amt(ce)}。"
                )
            text += self.reason(chi)
            self.fact("income_total", f.income_total, change=chi, change_p=cpi, label="收入总计")
            self.fact(
                "expenditure_total", f.expense_total, change=che, change_p=cpe, label="支出总计"
            )
        self.fact("carryover_begin", cb, label="年初结转和结余")
        self.fact("carryover_end", ce, label="年末结转和结余")
        self.para(text)

    def s_income(self) -> None:
        f, p = self.fig, self.prev
        self.section("收入决算情况说明")
        if self.s.split_fiscal:
            keys = list(INCOME_LABELS)
            entries = [(INCOME_LABELS[k][0], f.income[k], INCOME_LABELS[k][1]) for k in keys]
        else:
            entries = [("财政拨款收入", f.income_fiscal, "income_fiscal")] + [
                (INCOME_LABELS[k][0], f.income[k], INCOME_LABELS[k][1])
                for k in list(INCOME_LABELS)[3:]
            ]
        shares = group_shares([e[1] for e in entries])
        lead = f"{self.year}年本年收入合计" if self.rng.random() < 0.6 else "本年收入合计"
        text = f"{lead}{self.amt(f.income_current)}"
        if self.rng.random() < 0.4:
            c, ch, cp = self.yoy(f.income_current, p.income_current, "本年收入合计")
            text += f"，{c}"
            self.fact(
                "income_current_year",
                f.income_current,
                change=ch,
                change_p=cp,
                label="本年收入合计",
            )
        else:
            self.fact("income_current_year", f.income_current, label="本年收入合计")
        parts = []
        for (label, value, metric), sh in zip(entries, shares, strict=True):
            if value == 0 and not self.s.list_zero_sources:
                continue
            parts.append(f"{label}{self.amt(value)}，{self.share(sh)}")
            self.fact(metric, value, share=sh, label=label)
        text += "，其中：" + "；".join(parts) + "。"
        self.para(text)

    def s_expense(self) -> None:
        f = self.fig
        self.section("支出决算情况说明")
        values = [f.expense[k] for k in EXPENSE_KEYS]
        shares = group_shares(values)
        lead = f"{self.year}年本年支出合计" if self.rng.random() < 0.6 else "本年支出合计"
        text = f"{lead}{self.amt(f.expense_current)}，其中："
        self.fact("expenditure_current_year", f.expense_current, label="本年支出合计")
        parts = []
        for k, v, sh in zip(EXPENSE_KEYS, values, shares, strict=True):
            label, metric = EXPENSE_LABELS[k]
            if v == 0 and k not in ("basic", "project") and not self.s.list_zero_sources:
                continue
            parts.append(f"{label}{self.amt(v)}，{self.share(sh)}")
            self.fact(metric, v, share=sh, label=label)
        self.para(text + "；".join(parts) + "。")

    def s_fiscal(self) -> None:
        f, p, y = self.fig, self.prev, self.year
        self.section("财政拨款收入支出决算总体情况说明")
        ci, chi, cpi = self.yoy(f.fiscal_income_total, p.fiscal_income_total, "财政拨款收入总计")
        ce, che, cpe = self.yoy(f.fiscal_expense_total, p.fiscal_expense_total, "财政拨款支出总计")
        if self.rng.random() < 0.5:
            text = (
                f"{y}年度财政拨款收入总计{self.amt(f.fiscal_income_total)}，{ci}；"
                f"财政拨款支出总计{self.amt(f.fiscal_expense_total)}，{ce}。"
            )
        else:
            text = (
                f"{y}年度财政拨款收入总计{self.amt(f.fiscal_income_total)}，财政拨款支出总计"
                f"{self.amt(f.fiscal_expense_total)}。{self.labeled('财政拨款收入总计', ci)}；{self.labeled('财政拨款支出总计', ce)}。"
            )
        text += self.reason(chi)
        self.fact(
            "fiscal_income_total",
            f.fiscal_income_total,
            change=chi,
            change_p=cpi,
            label="财政拨款收入总计",
        )
        self.fact(
            "fiscal_expenditure_total",
            f.fiscal_expense_total,
            change=che,
            change_p=cpe,
            label="财政拨款支出总计",
        )
        self.para(text)

    def s_gpb(self) -> None:
        f, p, y = self.fig, self.prev, self.year
        self.section("一般公共预算财政拨款支出决算情况说明")
        self.subsection("一般公共预算财政拨款支出决算总体情况")
        sh = pct(f.gpb_total, f.expense_current)
        c, ch, cp = self.yoy(f.gpb_total, p.gpb_total, "一般公共预算财政拨款支出")
        text = f"{y}年一般公共预算财政拨款支出{self.amt(f.gpb_total)}，占本年支出合计的{self.pct_text(sh)}。{self.labeled('一般公共预算财政拨款支出', c)}。"
        self.para(text + self.reason(ch))
        self.fact(
            "gpb_expenditure",
            f.gpb_total,
            share=sh,
            change=ch,
            change_p=cp,
            label="一般公共预算财政拨款支出",
        )

        self.subsection("一般公共预算财政拨款支出决算结构情况")
        classes = f.by_level(3)
        shares = group_shares([v[0] for v in classes.values()])
        parts = []
        for (code, (total, _, _)), s in zip(classes.items(), shares, strict=True):
            short, full = self.class_label(code)
            form = self.rng.choice(self.s.class_forms)
            br = self.bracket("类")
            if form == 0:
                parts.append(f"{short}{br}支出{self.amt(total)}，{self.share(s)}")
            elif form == 1:
                parts.append(f"{full}{br}{self.amt(total)}，{self.share(s)}")
            else:
                parts.append(f"{short}{br}{self.amt(total)}，{self.share(s)}")
            self.fact("gpb_by_function", total, code=code, share=s, label=full)
        text = (
            f"{y}年一般公共预算财政拨款支出{self.amt(f.gpb_total)}，主要用于以下方面："
            + "；".join(parts)
            + "。"
        )
        self.fact("gpb_expenditure", f.gpb_total, label="一般公共预算财政拨款支出")
        self.para(text)

        self.subsection("一般公共预算财政拨款支出决算具体情况")
        comp = pct(f.gpb_total, f.gpb_budget)
        form = self.rng.randrange(3)
        if form == 0:
            text = (
                f"{y}年一般公共预算财政拨款支出年初预算为{self.amt(f.gpb_budget)}，支出决算为"
                f"{self.amt(f.gpb_total)}，完成年初预算的{self.pct_text(comp)}。其中："
            )
            self.fact(
                "gpb_expenditure",
                f.gpb_total,
                budget=f.gpb_budget,
                completion=comp,
                label="一般公共预算财政拨款支出",
            )
        elif form == 1:
            text = f"{y}年一般公共预算支出决算数为{self.amt(f.gpb_total)}，完成预算{self.pct_text(comp)}。其中："
            self.fact(
                "gpb_expenditure", f.gpb_total, completion=comp, label="一般公共预算支出决算数"
            )
        else:
            text = "具体支出情况如下："
        self.para(text)
        for i, line in enumerate(sorted(f.lines, key=lambda x: x.code), start=1):
            lc = pct(line.total, line.budget)
            lead = (
                f"{self.marker(i)}{self.path(line.code)}{'：' if self.rng.random() < 0.7 else ': '}"
            )
            if self.rng.random() < self.s.budget_lines:
                body = (
                    f"年初预算为{self.amt(line.budget)}，支出决算为{self.amt(line.total)}，"
                    f"完成年初预算的{self.pct_text(lc)}。"
                )
                self.fact(
                    "gpb_by_function",
                    line.total,
                    code=line.code,
                    budget=line.budget,
                    completion=lc,
                    label=self.cat.name(line.code, y),
                )
            else:
                body = f"支出决算为{self.amt(line.total)}，完成预算{self.pct_text(lc)}。"
                self.fact(
                    "gpb_by_function",
                    line.total,
                    code=line.code,
                    completion=lc,
                    label=self.cat.name(line.code, y),
                )
            if line.total == line.budget:
                body += "决算数与预算数持平。" if self.rng.random() < 0.5 else ""
            elif line.total > line.budget:
                body += "决算数大于预算数的主要原因是年中追加了预算。"
            elif self.rng.random() < 0.6:
                body += "决算数小于预算数的主要原因是厉行节约，严格控制支出。"
            self.para(lead + body)

    def s_basic(self) -> None:
        f, y = self.fig, self.year
        self.section("一般公共预算财政拨款基本支出决算情况说明")
        if self.s.basic_shares:
            sp, su = group_shares([f.personnel, f.public])
            text = (
                f"{y}年一般公共预算财政拨款基本支出{self.amt(f.gpb_basic)}，其中：人员经费{self.amt(f.personnel)}，"
                f"{self.share(sp)}，主要包括：{PERSONNEL_ITEMS}；公用经费{self.amt(f.public)}，{self.share(su)}，"
                f"主要包括：{PUBLIC_ITEMS}。"
            )
        else:
            sp = su = None
            text = f"{y}年一般公共预算财政拨款基本支出{self.amt(f.gpb_basic)}，其中："
            text += f"人员经费{self.amt(f.personnel)}，主要包括：{PERSONNEL_ITEMS}；"
            text += f"公用经费{self.amt(f.public)}，主要包括：{PUBLIC_ITEMS}。"
        self.fact("gpb_basic", f.gpb_basic, label="一般公共预算财政拨款基本支出")
        self.fact("personnel_expenses", f.personnel, share=sp, label="人员经费")
        self.fact("public_expenses", f.public, share=su, label="公用经费")
        self.para(text)

    def s_three(self) -> None:
        f, p, y = self.fig, self.prev, self.year
        tb = f.three_budget
        self.section("“三公”经费财政拨款支出决算情况说明")
        self.subsection("“三公”经费财政拨款支出决算总体情况说明")
        comp = pct(f.three_total, f.three_total_budget)
        c, ch, cp = self.yoy(f.three_total, p.three_total, "“三公”经费财政拨款支出")
        if self.rng.random() < 0.5:
            text = f"{y}年度“三公”经费财政拨款支出决算为{self.amt(f.three_total)}，完成预算{self.pct_text(comp)}，{c}。"
            self.fact(
                "three_public_total",
                f.three_total,
                completion=comp,
                change=ch,
                change_p=cp,
                label="“三公”经费",
            )
        else:
            text = (
                f"“三公”经费财政拨款支出年初预算为{self.amt(f.three_total_budget)}，支出决算为"
                f"{self.amt(f.three_total)}，完成预算的{self.pct_text(comp)}。{self.labeled(f'{y}年度“三公”经费财政拨款支出', c)}。"
            )
            self.fact(
                "three_public_total",
                f.three_total,
                budget=f.three_total_budget,
                completion=comp,
                change=ch,
                change_p=cp,
                label="“三公”经费",
            )
        text += self.reason(ch)
        if f.three_total < f.three_total_budget:
            text += "决算数小于预算数的主要原因是严格执行中央八项规定精神，压减“三公”经费支出。"
        self.para(text)

        self.subsection("“三公”经费财政拨款支出决算具体情况说明")
        amounts = [f.three["overseas"], f.vehicle_cost, f.reception]
        s_over, s_veh, s_rec = group_shares(amounts)
        text = (
            f"{y}年度“三公”经费财政拨款支出决算中，因公出国（境）费支出决算{self.amt(amounts[0], small_yuan=True)}，{self.share(s_over)}；"
            f"公务用车购置及运行维护费支出决算{self.amt(amounts[1], small_yuan=True)}，{self.share(s_veh)}；"
            f"公务接待费支出决算{self.amt(amounts[2], small_yuan=True)}，{self.share(s_rec)}。具体情况如下："
        )
        self.para(text)
        self.fact("three_public_overseas", amounts[0], share=s_over, label="因公出国（境）费")
        self.fact("three_public_vehicle", amounts[1], share=s_veh, label="公务用车购置及运行维护费")
        self.fact("three_public_reception", amounts[2], share=s_rec, label="公务接待费")

        # 1. overseas
        ov, ovb = f.three["overseas"], tb["overseas"]
        text = f"{self.marker(1)}因公出国（境）费支出{self.amt(ov, small_yuan=True)}"
        comp = pct(ov, ovb) if ovb else None
        if comp is not None:
            text += f"，完成预算{self.pct_text(comp)}"
        c, ch, cp = self.yoy(ov, p.three["overseas"], "因公出国（境）费")
        text += f"，{c}。"
        text += "主要用于开展对外交流和考察学习。" if ov else "本年度未安排因公出国（境）团组。"
        self.para(text)
        self.fact(
            "three_public_overseas",
            ov,
            completion=comp,
            change=ch,
            change_p=cp,
            label="因公出国（境）费",
        )

        # 2. vehicles
        vc, vb = f.vehicle_cost, tb["purchase"] + tb["operation"]
        comp = pct(vc, vb)
        text = f"{self.marker(2)}公务用车购置及运行维护费支出{self.amt(vc, small_yuan=True)}，完成预算{self.pct_text(comp)}。"
        self.fact("three_public_vehicle", vc, completion=comp, label="公务用车购置及运行维护费")
        pu, pub = f.three["purchase"], tb["purchase"]
        text += f"其中：公务用车购置支出{self.amt(pu, small_yuan=True)}"
        pcomp = pct(pu, pub) if pub else None
        if pcomp is not None:
            text += f"，完成预算{self.pct_text(pcomp)}"
        text += "，主要用于更新报废公务用车；" if pu else "，本年度未购置公务用车；"
        self.fact("three_public_vehicle_purchase", pu, completion=pcomp, label="公务用车购置费")
        op = f.three["operation"]
        ocomp = pct(op, tb["operation"])
        c, ch, cp = self.yoy(op, p.three["operation"], "公务用车运行维护费")
        text += f"公务用车运行维护费支出{self.amt(op, small_yuan=True)}，完成预算{self.pct_text(ocomp)}，{c}，"
        text += "主要用于公务用车燃料费、维修费、过路过桥费和保险费等支出。"
        self.fact(
            "three_public_vehicle_operation",
            op,
            completion=ocomp,
            change=ch,
            change_p=cp,
            label="公务用车运行维护费",
        )
        if self.rng.random() < 0.5:
            text += f"截至{y}年12月31日，单位共有公务用车{f.vehicles_total}辆。"
        else:
            text += f"{y}年末本部门公务用车保有量为{f.vehicles_total}辆。"
        self.fact("vehicles_total", f.vehicles_total, unit="辆", label="公务用车")
        self.para(text)

        # 3. reception
        rc = f.reception
        rcomp = pct(rc, tb["reception"])
        c, ch, cp = self.yoy(rc, p.reception, "公务接待费")
        text = f"{self.marker(3)}公务接待费支出{self.amt(rc, small_yuan=True)}，完成预算{self.pct_text(rcomp)}，{c}。"
        self.fact(
            "three_public_reception",
            rc,
            completion=rcomp,
            change=ch,
            change_p=cp,
            label="公务接待费",
        )
        dom, fo = f.three["reception_domestic"], f.three["reception_foreign"]
        text += (
            f"其中：国内公务接待支出{self.amt(dom, small_yuan=True)}，共接待{f.reception_batches}批次、"
            f"{f.reception_persons}人次（不包括陪同人员），主要用于上级部门检查指导、兄弟单位考察交流等公务活动；"
        )
        self.fact("reception_domestic", dom, label="国内公务接待")
        self.fact("reception_batches", f.reception_batches, unit="批次", label="国内公务接待批次")
        self.fact("reception_persons", f.reception_persons, unit="人次", label="国内公务接待人次")
        if fo or self.rng.random() < 0.5:
            text += f"外事接待支出{self.amt(fo, small_yuan=True)}。"
            self.fact("reception_foreign", fo, label="外事接待")
        else:
            text += "未发生外事接待支出。"
        self.para(text)

    def s_gov_fund(self) -> None:
        f, y = self.fig, self.year
        self.section("政府性基金预算财政拨款收入支出决算情况说明")
        if f.gov_fund_exp:
            text = (
                f"{y}年度政府性基金预算财政拨款收入{self.amt(f.income['gov_fund'])}，"
                f"支出{self.amt(f.gov_fund_exp)}，主要用于专项建设项目。"
            )
            self.fact("income_gov_fund", f.income["gov_fund"], label="政府性基金预算财政拨款收入")
            self.fact("gov_fund_expenditure", f.gov_fund_exp, label="政府性基金预算财政拨款支出")
        elif self.rng.random() < 0.5:
            text = f"{y}年政府性基金预算拨款支出{self.amt(0)}。"
            self.fact("gov_fund_expenditure", 0, label="政府性基金预算拨款支出")
        else:
            text = f"本部门{y}年度无政府性基金预算财政拨款收入，也未使用政府性基金预算财政拨款安排支出。"
        self.para(text)

    def s_state_capital(self) -> None:
        f, y = self.fig, self.year
        self.section("国有资本经营预算财政拨款收入支出决算情况说明")
        if f.state_capital_exp or self.rng.random() < 0.5:
            text = f"{y}年国有资本经营预算拨款支出{self.amt(f.state_capital_exp)}。"
            self.fact(
                "state_capital_expenditure", f.state_capital_exp, label="国有资本经营预算拨款支出"
            )
        else:
            text = f"本部门{y}年度无国有资本经营预算财政拨款收入和支出。"
        self.para(text)

    def s_other(self) -> None:
        f, p, y = self.fig, self.prev, self.year
        self.section("其他重要事项的情况说明")
        self.subsection("机关运行经费支出情况")
        c, ch, cp = self.yoy(f.admin_operating, p.admin_operating, "机关运行经费")
        if self.rng.random() < 0.5:
            text = f"{y}年度本部门机关运行经费支出{self.amt(f.admin_operating)}，{c}。"
        else:
            text = f"{y}年，机关运行经费支出{self.amt(f.admin_operating)}，{c}。"
        self.para(text + self.reason(ch))
        self.fact(
            "admin_operating_expenses",
            f.admin_operating,
            change=ch,
            change_p=cp,
            label="机关运行经费",
        )

        self.subsection("政府采购支出情况")
        pr = f.procurement
        if f.procurement_total == 0 and self.rng.random() < 0.5:
            text = f"{y}年度本部门未发生政府采购支出。"
        else:
            text = (
                f"{y}年度政府采购支出总额{self.amt(f.procurement_total)}，其中：政府采购货物支出{self.amt(pr['goods'])}、"
                f"政府采购工程支出{self.amt(pr['works'])}、政府采购服务支出{self.amt(pr['services'])}。"
            )
            self.fact("procurement_total", f.procurement_total, label="政府采购支出总额")
            self.fact("procurement_goods", pr["goods"], label="货物")
            self.fact("procurement_works", pr["works"], label="工程")
            self.fact("procurement_services", pr["services"], label="服务")
        self.para(text)

        self.subsection("国有资产占有使用情况")
        kinds = [(k, v) for k, v in f.vehicles.items() if v or self.s.list_zero_sources]
        detail = "、".join(f"{k}{v}辆" for k, v in kinds)
        text = f"截至{y}年12月31日，本部门共有车辆{f.vehicles_total}辆"
        text += f"，其中：{detail}" if detail else ""
        text += f"；单价50万元以上通用设备{f.equipment_general}台（套）。"
        self.fact("vehicles_total", f.vehicles_total, unit="辆", label="车辆")
        for k, v in kinds:
            self.fact("vehicles_by_type", v, unit="辆", label=k)
        self.fact(
            "equipment_general",
            f.equipment_general,
            unit="台套",
            label="单价50万元以上通用设备",
        )
        self.para(text)

        self.subsection("预算绩效管理情况")
        if self.rng.random() < 0.5:
            text = (
                f"根据预算绩效管理要求，本部门在年初预算编制阶段组织对{f.performance_projects}个项目编制了绩效目标，"
                "预算执行中开展了绩效运行监控，年度终了对项目绩效目标完成情况进行了自评。"
            )
        else:
            text = (
                f"{y}年度本部门共有{f.performance_projects}个项目设置了绩效目标并开展绩效自评，"
                "自评结果总体良好，绩效目标基本实现。"
            )
        self.fact(
            "performance_projects", f.performance_projects, unit="个", label="编制绩效目标的项目"
        )
        self.para(text)

    # annex ------------------------------------------------------------------------------------
    def annex(self, k: int) -> None:
        f, d, y = self.fig, self.dept.name, self.year
        self.heading(f"附件{k} {d}{y}年度部门整体支出绩效自评报告（摘要）", level=2)
        self.heading("一、部门收支情况", level=3)
        self.para(
            f"{y}年本部门本年支出合计{self.amt(f.expense_current)}，其中基本支出{self.amt(f.expense['basic'])}，"
            f"项目支出{self.amt(f.expense['project'])}。"
        )
        self.fact(
            "expenditure_current_year", f.expense_current, section="annex", label="本年支出合计"
        )
        self.fact("expenditure_basic", f.expense["basic"], section="annex", label="基本支出")
        self.fact("expenditure_project", f.expense["project"], section="annex", label="项目支出")
        self.heading("二、厉行节约情况", level=3)
        text = f"全年“三公”经费支出{self.amt(f.three_total)}"
        self.fact("three_public_total", f.three_total, section="annex", label="“三公”经费")
        if self.rng.random() < 0.5:
            text += f"，机关运行经费支出{self.amt(f.admin_operating)}"
            self.fact(
                "admin_operating_expenses", f.admin_operating, section="annex", label="机关运行经费"
            )
        self.para(text + "，各项支出均控制在预算范围内。")

    # tables -----------------------------------------------------------------------------------
    def money(self, fen: int) -> str:
        """An amount as a table prints it: 万元, or 元 (×10000) in the 元 layout; 2 decimals."""
        if self.layout == "yuan":
            yuan = fen * 100
            return f"{yuan:,}.00" if self.s.thousands else f"{yuan}.00"
        return f"{wan(fen):.2f}"

    def cell(self, fen: int) -> str:
        if fen == 0:
            return "" if self.s.blank_zero_cells else TABLE_ZERO
        return self.money(fen)

    def table_fact(self, metric: str, fen: int, **kw) -> None:
        if fen == 0 and self.s.blank_zero_cells:
            return
        self.fact(metric, fen, section="table", **kw)

    def numbered(self, number: int, name: str) -> tuple[str, list[str]]:
        """A table's title and the lines under it, as the layout numbers and heads them."""
        unit = "元" if self.layout == "yuan" else "万元"
        d = self.dept.name
        if self.layout == "national":
            return name, [f"公开{number:02d}表", f"编制部门：{d}    金额单位：{unit}"]
        if self.layout == "shanghai":
            return name, [f"部门：{d}    单位：{unit}"]
        if self.layout == "consolidated":
            return f"表{number} {name}", [f"单位：{unit}"]
        return name, [f"单位：{unit}"]

    def tables(self) -> None:
        if self.layout == "national":
            self.table_summary_national()
            self.table_by_function_national("income")
            self.table_by_function_national("expense")
            self.table_fiscal_national()
            self.table_gpb()
            self.table_basic_national()
            self.table_fund_national(
                7, "政府性基金预算财政拨款收入支出决算表", "政府性基金预算", "gov_fund_expenditure",
                self.fig.gov_fund_exp,
            )  # fmt: skip
            self.table_fund_national(
                8, "国有资本经营预算财政拨款支出决算表", "国有资本经营预算",
                "state_capital_expenditure", self.fig.state_capital_exp,
            )  # fmt: skip
            self.table_three_rows()
            return
        if self.layout == "shanghai":
            self.table_summary()
            self.table_gpb()
            self.table_three()
            return
        if self.layout == "consolidated":
            self.table_summary()
            self.table_gpb()
            self.table_three_columns()
            return
        if self.s.table_summary:
            self.table_summary()
        self.table_gpb()
        if self.s.table_three:
            self.table_three()

    _INCOME_ROWS = (
        ("一、一般公共预算财政拨款收入", "general_budget"),
        ("二、政府性基金预算财政拨款收入", "gov_fund"),
        ("三、国有资本经营预算财政拨款收入", "state_capital"),
        ("四、上级补助收入", "superior_subsidy"),
        ("五、事业收入", "business"),
        ("六、经营收入", "operating"),
        ("七、附属单位上缴收入", "subsidiary"),
        ("八、其他收入", "other"),
    )
    _EXPENSE_ROWS = (
        ("一、基本支出", "basic"),
        ("二、项目支出", "project"),
        ("三、上缴上级支出", "to_superior"),
        ("四、经营支出", "operating"),
        ("五、对附属单位补助支出", "subsidiary"),
    )

    def table_summary(self) -> None:
        f = self.fig
        inc, exp = self._INCOME_ROWS, self._EXPENSE_ROWS
        rows = [["收入", "", "支出", ""], ["项目", "决算数", "项目", "决算数"]]
        for i in range(len(inc)):
            il, ik = inc[i]
            row = [il, self.cell(f.income[ik])]
            self.table_fact(INCOME_LABELS[ik][1], f.income[ik], label=il[2:])
            if i < len(exp):
                el, ek = exp[i]
                row += [el, self.cell(f.expense[ek])]
                self.table_fact(EXPENSE_LABELS[ek][1], f.expense[ek], label=el[2:])
            else:
                row += ["", ""]
            rows.append(row)
        for label_i, vi, mi, label_e, ve, me in (
            (
                "本年收入合计",
                f.income_current,
                "income_current_year",
                "本年支出合计",
                f.expense_current,
                "expenditure_current_year",
            ),
            (
                "年初结转和结余",
                f.carry_begin,
                "carryover_begin",
                "年末结转和结余",
                f.carry_end,
                "carryover_end",
            ),
            ("总计", f.income_total, "income_total", "总计", f.expense_total, "expenditure_total"),
        ):
            rows.append([label_i, self.cell(vi), label_e, self.cell(ve)])
            self.table_fact(mi, vi, label=label_i)
            self.table_fact(me, ve, label=label_e)
        title, head = self.numbered(1, "收入支出决算总表")
        self.table(
            title, rows, note="注：本表反映部门本年度的总收支和年末结转结余情况。", head=head
        )

    def _two_sided(
        self,
        income: list[tuple[str, str | None, int]],
        expense: list[tuple[str, str | None, int]],
    ) -> list[list[str]]:
        """The national template's two sides, each "项目 | 行次 | 金额": row numbers run down the
        income side and go on down the expenditure side; a 栏次 row under the header."""
        rows = [
            ["收入", "", "", "支出", "", ""],
            ["项目", "行次", "金额", "项目", "行次", "金额"],
            ["栏次", "", "1", "栏次", "", "2"],
        ]
        first_exp = len(income) + 1
        for i in range(max(len(income), len(expense))):
            row: list[str] = []
            for side, start in ((income, 1), (expense, first_exp)):
                if i < len(side):
                    label, metric, fen = side[i]
                    row += [label, str(start + i), self.cell(fen)]
                    if metric:
                        self.table_fact(
                            metric, fen, label=re.sub(r"^[一二三四五六七八九]、", "", label)
                        )
                else:
                    row += ["", "", ""]
            rows.append(row)
        return rows

    def table_summary_national(self) -> None:
        f = self.fig
        income = [(label, INCOME_LABELS[k][1], f.income[k]) for label, k in self._INCOME_ROWS]
        income += [
            ("本年收入合计", "income_current_year", f.income_current),
            ("使用非财政拨款结余", "income_nonfiscal_balance", 0),
            ("年初结转和结余", "carryover_begin", f.carry_begin),
            ("总计", "income_total", f.income_total),
        ]
        expense = [(label, EXPENSE_LABELS[k][1], f.expense[k]) for label, k in self._EXPENSE_ROWS]
        expense += [("", None, 0)] * (len(self._INCOME_ROWS) - len(expense))
        expense += [
            ("本年支出合计", "expenditure_current_year", f.expense_current),
            ("结余分配", "surplus_distribution", 0),
            ("年末结转和结余", "carryover_end", f.carry_end),
            ("总计", "expenditure_total", f.expense_total),
        ]
        rows = self._two_sided(income, [e for e in expense])
        # blank padding rows of the expenditure side carry no label, number or amount
        for row in rows[3 : 3 + len(self._INCOME_ROWS)]:
            if not row[3]:
                row[4] = row[5] = ""
        self._renumber_expense(rows)
        title, head = self.numbered(1, "收入支出决算总表")
        self.table(title, rows, head=head)

    @staticmethod
    def _renumber_expense(rows: list[list[str]]) -> None:
        """Row numbers of the expenditure side run on from the income side's last, skipping
        the blank padding rows."""
        last = max(int(r[1]) for r in rows[3:] if r[1])
        for row in rows[3:]:
            if row[3]:
                last += 1
                row[4] = str(last)

    def by_function_all(self) -> dict[str, dict[str, int]]:
        """Income and expenditure of all funds by subject code (类, 款 and 项), for 收入决算表
        and 支出决算表: the 一般公共预算 lines, the 政府性基金 spending on a fund 项, and the
        money outside the budget (and the year's carry-over) on the largest line.

        Keys of each code: exp_total, basic, project, to_superior, operating, subsidiary;
        inc_total, fiscal and the non-fiscal sources of ``INCOME_LABELS``."""
        f = self.fig
        items: dict[str, dict[str, int]] = {}
        for line in f.lines:
            row = items.setdefault(line.code, defaultdict(int))
            row["basic"] += line.basic
            row["project"] += line.project
            row["fiscal"] += line.total
        anchor = max(f.lines, key=lambda x: (x.total, x.code)).code
        a = items[anchor]
        a["basic"] += f.expense["basic"] - f.gpb_basic
        a["project"] += f.expense["project"] - f.gpb_project - f.gov_fund_exp - f.state_capital_exp
        for key in ("to_superior", "operating", "subsidiary"):
            a[key] += f.expense[key]
        # the budget money not spent this year (or spent from last year's) sits on the anchor
        a["fiscal"] += f.income["general_budget"] - f.gpb_total
        for key in ("superior_subsidy", "business", "operating", "subsidiary", "other"):
            a["src_" + key] += f.income[key]
        if f.gov_fund_exp or f.income["gov_fund"]:
            fund = items.setdefault(GOV_FUND_ITEM, defaultdict(int))
            fund["project"] += f.gov_fund_exp
            fund["fiscal"] += f.income["gov_fund"]
        out: dict[str, dict[str, int]] = {}
        for code, row in items.items():
            row["exp_total"] = sum(
                row[k] for k in ("basic", "project", "to_superior", "operating", "subsidiary")
            )
            row["inc_total"] = row["fiscal"] + sum(
                row["src_" + k]
                for k in ("superior_subsidy", "business", "operating", "subsidiary", "other")
            )
            for prefix in (code[:3], code[:5], code):
                acc = out.setdefault(prefix, defaultdict(int))
                for k, v in row.items():
                    acc[k] += v
        return dict(sorted(out.items()))

    def table_by_function_national(self, side: str) -> None:
        """公开02表 收入决算表 or 公开03表 支出决算表: a row per 类/款/项 with 行次 and a 栏次 row."""
        f, y = self.fig, self.year
        rows_by_code = self.by_function_all()
        if side == "income":
            number, name, total_metric, total_value = (
                2,
                "收入决算表",
                "income_current_year",
                f.income_current,
            )
            cols = [
                ("本年收入合计", "inc_total", "income_by_function"),
                ("财政拨款收入", "fiscal", "income_by_function_fiscal"),
                ("上级补助收入", "src_superior_subsidy", "income_by_function_superior_subsidy"),
                ("事业收入", "src_business", "income_by_function_business"),
                ("经营收入", "src_operating", "income_by_function_operating"),
                ("附属单位上缴收入", "src_subsidiary", "income_by_function_subsidiary"),
                ("其他收入", "src_other", "income_by_function_other"),
            ]
        else:
            number, name, total_metric, total_value = (
                3,
                "支出决算表",
                "expenditure_current_year",
                f.expense_current,
            )
            cols = [
                ("本年支出合计", "exp_total", "expenditure_by_function_all"),
                ("基本支出", "basic", "expenditure_all_basic"),
                ("项目支出", "project", "expenditure_all_project"),
                ("上缴上级支出", "to_superior", "expenditure_by_function_to_superior"),
                ("经营支出", "operating", "expenditure_by_function_operating"),
                ("对附属单位补助支出", "subsidiary", "expenditure_by_function_subsidiary"),
            ]
        rows = [
            ["项目", "", "", *[c[0] for c in cols]],
            ["科目编码", "科目名称", "行次", *[""] * len(cols)],
            ["栏次", "", "", *[str(k) for k in range(1, len(cols) + 1)]],
        ]
        totals = defaultdict(int)
        for code, row in rows_by_code.items():
            if len(code) == 3:
                for k, v in row.items():
                    totals[k] += v
        assert totals[cols[0][1]] == total_value, (self.dept.name, y, side)
        rows.append(["合计", "", "1", *[self.cell(totals[c[1]]) for c in cols]])
        for k, (_label, key, metric) in enumerate(cols):
            # the 合计 row's first column is the table's total; the others its columns' totals
            self.table_fact(total_metric if k == 0 else metric, totals[key], label="合计")
        for i, (code, row) in enumerate(rows_by_code.items(), start=2):
            label = self.cat.name(code, y)
            rows.append([code, label, str(i), *[self.cell(row[c[1]]) for c in cols]])
            for _label, key, metric in cols:
                self.table_fact(metric, row[key], code=code, label=label)
        title, head = self.numbered(number, name)
        self.table(title, rows, head=head)

    def table_fiscal_national(self) -> None:
        f = self.fig
        income = [
            # the 财政拨款 table's income by fund: figures of their own (the same amounts as the
            # 收入支出决算总表's 财政拨款收入 by fund)
            (
                "一、一般公共预算财政拨款",
                "fiscal_income_general_budget",
                f.income["general_budget"],
            ),
            ("二、政府性基金预算财政拨款", "fiscal_income_gov_fund", f.income["gov_fund"]),
            (
                "三、国有资本经营预算财政拨款",
                "fiscal_income_state_capital",
                f.income["state_capital"],
            ),
            ("本年收入合计", "fiscal_income_current_year", f.income_fiscal),
            ("年初财政拨款结转和结余", "fiscal_carryover_begin", f.carry_begin),
            ("总计", "fiscal_income_total", f.fiscal_income_total),
        ]
        expense = [
            ("一、一般公共预算财政拨款支出", "gpb_expenditure", f.gpb_total),
            ("二、政府性基金预算财政拨款支出", "gov_fund_expenditure", f.gov_fund_exp),
            ("三、国有资本经营预算财政拨款支出", "state_capital_expenditure", f.state_capital_exp),
            ("本年支出合计", "fiscal_expenditure_current_year", f.fiscal_exp),
            ("年末财政拨款结转和结余", "fiscal_carryover_end", f.carry_end),
            ("总计", "fiscal_expenditure_total", f.fiscal_expense_total),
        ]
        rows = self._two_sided(income, expense)
        title, head = self.numbered(4, "财政拨款收入支出决算总表")
        self.table(title, rows, head=head)

    def table_gpb(self) -> None:
        f, y = self.fig, self.year
        split = self.layout == "shanghai" or (self.layout == "sichuan" and self.s.split_codes)
        split = split or (self.layout == "yuan" and self.s.split_codes)
        if self.layout == "national":
            # 项目 over code and name, 本年支出 over the three amounts, then the 栏次 row
            rows = [
                ["项目", "", "本年支出", "", ""],
                ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
                ["栏次", "", "1", "2", "3"],
            ]
        elif self.layout == "shanghai":
            rows = [
                ["项目", "", "", "", "本年支出", "", ""],
                ["科目代码", "", "", "科目名称", "合计", "基本支出", "项目支出"],
                ["类", "款", "项", "", "", "", ""],
            ]
        elif split:
            rows = [
                ["科目编码", "", "", "科目名称", "合计", "基本支出", "项目支出"],
                ["类", "款", "项", "", "", "", ""],
            ]
        else:
            rows = [["科目编码", "科目名称", "合计", "基本支出", "项目支出"]]
        pad = ["", "", ""] if split else [""]
        total_row = (
            ["合计"]
            + pad[1:]
            + [""]
            + [self.cell(f.gpb_total), self.cell(f.gpb_basic), self.cell(f.gpb_project)]
        )

        def total_facts() -> None:
            self.table_fact("gpb_expenditure", f.gpb_total, label="合计")
            self.table_fact("gpb_basic", f.gpb_basic, label="合计")
            self.table_fact("gpb_project", f.gpb_project, label="合计")

        total_top = self.s.total_row_top or self.layout == "national"
        if total_top:
            rows.append(total_row)
            total_facts()
        classes, kuans = f.by_level(3), f.by_level(5)
        for c3, (t3, b3, p3) in classes.items():
            entries = [(c3, t3, b3, p3)]
            for c5, (t5, b5, p5) in kuans.items():
                if c5[:3] != c3:
                    continue
                entries.append((c5, t5, b5, p5))
                for line in sorted(f.lines, key=lambda x: x.code):
                    if line.code[:5] == c5:
                        entries.append((line.code, line.total, line.basic, line.project))
            for code, tot, bas, pro in entries:
                if split:
                    codes = [code[:3], code[3:5], code[5:7]]
                else:
                    codes = [code]
                name = self.cat.name(code, y)
                rows.append(codes + [name, self.cell(tot), self.cell(bas), self.cell(pro)])
                self.table_fact("gpb_by_function", tot, code=code, label=name)
                self.table_fact("gpb_basic", bas, code=code, label=name)
                self.table_fact("gpb_project", pro, code=code, label=name)
        if not total_top:
            rows.append(total_row)
            total_facts()
        title, head = self.numbered(5, "一般公共预算财政拨款支出决算表")
        note = (
            ""
            if self.layout == "national"
            else "注：本表反映部门本年度一般公共预算财政拨款支出情况。"
        )
        self.table(title, rows, note=note, head=head)

    def _three_parts(self) -> list[tuple[str, str, str, int, int]]:
        """(group, part, metric, budget, actual) of the 三公 table, in column order."""
        f = self.fig
        tb = f.three_budget
        vb = tb["purchase"] + tb["operation"]
        return [
            ("合计", "", "three_public_total", f.three_total_budget, f.three_total),
            ("因公出国（境）费", "", "three_public_overseas", tb["overseas"], f.three["overseas"]),
            ("公务用车购置及运行维护费", "小计", "three_public_vehicle", vb, f.vehicle_cost),
            (
                "",
                "公务用车购置费",
                "three_public_vehicle_purchase",
                tb["purchase"],
                f.three["purchase"],
            ),
            (
                "",
                "公务用车运行维护费",
                "three_public_vehicle_operation",
                tb["operation"],
                f.three["operation"],
            ),
            ("公务接待费", "", "three_public_reception", tb["reception"], f.reception),
        ]

    def table_three(self) -> None:
        head, sub, vals = [], [], []
        for group, part, metric, budget, actual in self._three_parts():
            label = {"合计": "合计", "": part}.get(group, group)
            if part == "小计":
                label = group + "小计"
            head += [label, ""]
            sub += ["预算数", "决算数"]
            vals += [self.money(budget), self.money(actual)]
            self.fact(metric, actual, section="table", budget=budget, label=label)
        title, head_lines = self.numbered(7, "财政拨款“三公”经费支出决算表")
        self.table(
            title,
            [head, sub, vals],
            note="注：本表反映部门本年度“三公”经费支出预决算情况。",
            head=head_lines,
        )

    def table_three_columns(self) -> None:
        """预算数 and 决算数 as two column groups over the parts: one wide data row."""
        parts = self._three_parts()
        top, groups, subs, vals = [], [], [], []
        for side in ("预算数", "决算数"):
            for k, (group, part, _metric, budget, actual) in enumerate(parts):
                top.append(side if k == 0 else "")
                groups.append(group)
                subs.append(part)
                vals.append(self.money(budget if side == "预算数" else actual))
        for group, part, metric, budget, actual in parts:
            label = part if part and part != "小计" else group
            self.fact(metric, actual, section="table", budget=budget, label=label)
        title, head = self.numbered(7, "财政拨款“三公”经费支出决算表")
        self.table(title, [top, groups, subs, vals], head=head)

    def table_basic_national(self) -> None:
        """公开06表 一般公共预算财政拨款基本支出决算表, as its two totals (人员经费合计 and
        公用经费合计) under the two halves of the economic classification."""
        f = self.fig
        rows = [
            ["人员经费", "", "", "公用经费", "", ""],
            ["科目编码", "科目名称", "决算数", "科目编码", "科目名称", "决算数"],
            ["", "人员经费合计", self.money(f.personnel), "", "公用经费合计", self.money(f.public)],
        ]
        self.table_fact("personnel_expenses", f.personnel, label="人员经费合计")
        self.table_fact("public_expenses", f.public, label="公用经费合计")
        title, head = self.numbered(6, "一般公共预算财政拨款基本支出决算表")
        self.table(title, rows, head=head)

    def table_fund_national(
        self, number: int, name: str, fund: str, metric: str, spent: int
    ) -> None:
        """公开07表 / 公开08表: the fund's 合计, or the table left empty with the note saying why
        (a county department has no such fund most years)."""
        rows = [
            ["项目", "", "本年支出", "", ""],
            ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
            ["", "合计", self.money(spent) if spent else "", "", ""],
        ]
        title, head = self.numbered(number, name)
        if spent:
            self.table_fact(metric, spent, label="合计")
            self.table(title, rows, head=head)
            return
        self.fact(metric, 0, section="table", label="本表无数据")
        self.table(
            title, rows, note=f"注：本部门本年度无{fund}财政拨款收支，故本表无数据。", head=head
        )

    def table_three_rows(self) -> None:
        """The national template's 9th table: 三公 with 会议费 and 培训费, parts across and
        预算数 / 决算数 as two rows; part names may wrap over the two header lines."""
        f = self.fig
        tb = f.three_budget
        # meetings and training: figures of this table only (no narrative states them)
        meet_rng = random.Random(f"{self.dept.seed_key}:meetings:{self.year}")
        meeting = _fen_of(meet_rng.uniform(0.3, 6.0))
        training = _fen_of(meet_rng.uniform(0.5, 9.0))
        meeting_b = int(meeting * meet_rng.uniform(1.0, 1.3))
        training_b = int(training * meet_rng.uniform(1.0, 1.3))
        foreign_b = f.three["reception_foreign"]
        cols = [
            ("“三公”经费合计", "", "three_public_total", f.three_total_budget, f.three_total),
            ("因公出国（境）费", "", "three_public_overseas", tb["overseas"], f.three["overseas"]),
            (
                "公务用车购置及运行维护费",
                "小计",
                "three_public_vehicle",
                tb["purchase"] + tb["operation"],
                f.vehicle_cost,
            ),
            (
                "",
                "公务用车购置费",
                "three_public_vehicle_purchase",
                tb["purchase"],
                f.three["purchase"],
            ),
            (
                "",
                "公务用车运行维护费",
                "three_public_vehicle_operation",
                tb["operation"],
                f.three["operation"],
            ),
            ("公务接待费", "小计", "three_public_reception", tb["reception"], f.reception),
            (
                "",
                "国内接待费",
                "reception_domestic",
                tb["reception"] - foreign_b,
                f.three["reception_domestic"],
            ),
            ("", "国（境）外接待费", "reception_foreign", foreign_b, f.three["reception_foreign"]),
            ("会议费", "", "meeting_expenses", meeting_b, meeting),
            ("培训费", "", "training_expenses", training_b, training),
        ]
        h1, h2 = ["项目"], [""]
        wrap = self.rng.random() < 0.5
        for group, part, *_ in cols:
            if wrap and group == "因公出国（境）费":
                h1.append("因公出国")  # the name wrapped over the two header lines
                h2.append("（境）费")
            else:
                h1.append(group)
                h2.append(part)
        rows = [h1, h2, ["栏次"] + [str(k) for k in range(1, len(cols) + 1)]]
        rows.append(["预算数"] + [self.money(c[3]) for c in cols])
        rows.append(["决算数"] + [self.money(c[4]) for c in cols])
        for group, part, metric, budget, actual in cols:
            label = part if part and part != "小计" else group
            self.fact(metric, actual, section="table", budget=budget, label=label)
        title, head = self.numbered(9, "财政拨款“三公”经费、会议费、培训费支出决算表")
        self.table(title, rows, head=head)


def _fen_of(wan_amount: float) -> int:
    return int(round(wan_amount * 100))
