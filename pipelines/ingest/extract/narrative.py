"""Statements from narrative paragraphs.

A paragraph is scanned for numbers with their units. Each number's label is the text
between it and the previous number or clause delimiter; the label decides what the number
is (a value, a change, a budget, a share, a completion rate, a count) and which metric it
belongs to (vocabulary). Subject paths "X（类）Y（款）Z（项）" govern the generic labels
that follow them ("支出决算为…").
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

from pipelines.catalogue import Resolver
from pipelines.ingest.extract.statement import Statement
from pipelines.ingest.extract.vocabulary import (
    COUNT_UNITS,
    COUNTERPART,
    FISCAL_OF,
    count_metric,
    metrics_for_label,
)

_NUMBER = re.compile(r"(?<![\d.])(-?\d[\d,]*(?:\.\d+)?)")
# A figure printed in a form no amount takes: a float's spelling ("NaN", "inf"), scientific
# notation ("1.7995e2"), capital numerals ("叁佰陆拾伍点陆"). Before a unit it is an unreadable
# figure: recorded as such, and its share or change never goes to a neighbouring figure.
_UNREADABLE = re.compile(
    r"(?<![A-Za-z])[+-]?(?:nan|inf(?:inity)?)(?![A-Za-z])"
    r"|(?<![\d.])\d[\d,]*(?:\.\d+)?[eE][+-]?\d+"
    r"|[壹贰叁肆伍陆柒捌玖拾佰仟][零〇壹贰叁肆伍陆柒捌玖拾佰仟萬点]*",
    re.IGNORECASE,
)
# The note on such a figure's statement; pipelines.ingest.extract.guard takes it out with a warning.
UNREADABLE = "unreadable_figure"
_DECREASE_MARK = "△"  # "△6238.99": a decrease, as accounts print it
_UNIT = re.compile(rf"\s*(亿元|万元|元|%|{COUNT_UNITS})")
_DELIMS = "，,；;：:、"
_SENTENCE_END = "。!?！？"
# A subject name is at most a few dozen characters: bounded, so that finding the paths of a
# long paragraph costs linear time (an unbounded lazy name rescanned the rest of the text
# from every position).
_NAME = r"(?:[^()\s,，。；;:：、\"]|\((?!类\)|款\)|项\))[^()]{1,8}\)){1,60}?"
_PATH = re.compile(
    rf"(?P<c>{_NAME})\s*\(类\)(?:\s*(?P<k>{_NAME})\s*\(款\))?(?:\s*(?P<x>{_NAME})\s*\(项\))?"
)
_NAME_NOISE = re.compile(
    r"^(?:[\d一二三四五六七八九十]+\s*[、.)]|\(\w{1,3}\)|其中|主要用于以下方面|主要用于)+"
)

_UP = "增加|增长|上升|提高|超支|多支出"
_DOWN = "减少|下降|降低|节约|节支|减支|少支出"
_CHANGE_VERB = re.compile(rf"(?P<verb>{_UP}|{_DOWN})了?(?:支出)?$")
_BUDGET = re.compile(r"(?:年初|全年|调整后)?预算(?:数|金额|安排)?(?:为|是|共)?$")
_COMPLETION = re.compile(r"完成(?:了)?(?:年初|全年|调整后)?预算(?:数)?的?$")
_SHARE = re.compile(r"占(?P<of>[^占]{0,20}?的)?(?:比重|比例)?(?:为)?$")
_THRESHOLD_LEFT = re.compile(r"单价$|单价在?$")
_FUND_QUALIFIER = re.compile(r"(?:政府性基金|国有资本经营)预算(?:财政)?拨款")
_ALL_FUNDS_TOTALS = {
    "carryover_begin",
    "carryover_end",
    "income_total",
    "expenditure_total",
    "income_current_year",
    "expenditure_current_year",
}
# "财政拨款收入总计、支出总计均为…": a qualifier printed once for both totals.
_SHARED_QUALIFIER = re.compile(r"(?P<q>[^，,；;。、]*?财政拨款)收入(?:总计|合计)、")
# "共涉及资金940.15万元", "涉及一般公共预算支出0万元": the funds an evaluation covers (often a
# budget), not the metric the words name; its share is of no stated figure either.
_SCOPE_LABEL = re.compile(r"涉及|覆盖")
_THRESHOLD_RIGHT = re.compile(r"^\s*(?:\(含\))?\s*(?:以上|以下|以内)")

_CLEAN = [
    re.compile(r"\s+"),
    re.compile(r"[\"'“”‘’《》「」]"),
    re.compile(
        r"(?:与|较|比|同比)(?:上年度?|上一年度?|去年|\d{4}年度?)(?:同期)?(?:相比|比较)?|同比"
    ),
    re.compile(r"截至\d{4}年\d{1,2}月(?:\d{1,2}日|底|末)?"),
    re.compile(r"\d{4}\s*年(?:度|末|底|初)?"),
    re.compile(r"^[\s\d一二三四五六七八九十]+[、.)]"),
    re.compile(r"^\(\w{1,3}\)"),
    re.compile(
        r"^(?:其中|主要用于以下方面|主要用于|包括|分别为|具体情况如下|全年|当年|本部门|本单位)+"
    ),
    re.compile(r"(?:为|是|达到|达|共计|共)$"),
    re.compile(r"\s+"),
]
_GENERIC = re.compile(
    r"(?:支出|决算|数|金额|资金|合计|共计|总额|费用|实际|执行数?|的|本年度?|全年|当年|其中)*"
)


def clean_label(text: str) -> str:
    for pattern in _CLEAN:
        text = pattern.sub("", text)
    return text.strip(" ,，;；:：、.")


def is_generic(label: str) -> bool:
    """A label that names no metric of its own ("支出决算为"): it refers to the current subject."""
    return bool(_GENERIC.fullmatch(label)) and not metrics_for_label(label)


# A number printed letter-spaced ("9 9 9 . 8 3万元", PDF layout with character spacing): at
# least three single characters of a number, one space apart. Two ("共 7 个") are left alone.
_SPACED_NUMBER = re.compile(r"(?<![\d.,])\d(?: [\d.,]){2,}(?![\d])")


def normalize_with_map(original: str) -> tuple[str, list[int]]:
    """NFKC per character, keeping for each normalized char the index of its original char;
    a letter-spaced number is closed up."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(original):
        n = unicodedata.normalize("NFKC", ch)
        n = n.replace("“", '"').replace("”", '"').replace("\u3000", " ").replace("\xa0", " ")
        out.append(n)
        index.extend([i] * len(n))
    norm = "".join(out)
    if " " not in norm:
        return norm, index
    drop: set[int] = set()
    for m in _SPACED_NUMBER.finditer(norm):
        drop.update(k for k in range(m.start(), m.end()) if norm[k] == " ")
    if not drop:
        return norm, index
    keep = [k for k in range(len(norm)) if k not in drop]
    return "".join(norm[k] for k in keep), [index[k] for k in keep]


@dataclass
class _Token:
    start: int
    end: int
    value: float | None  # None: an unreadable figure ("NaN万元", "叁佰…万元")
    text: str
    unit: str | None


@dataclass
class _ParagraphState:
    statements: list[Statement] = field(default_factory=list)
    path: tuple[int, int, Statement | None, object] | None = None  # (start, end, -, Resolution)
    pending_budget: tuple[float, str | None] | None = None


class NarrativeExtractor:
    def __init__(self, resolver: Resolver, fiscal_year: int | None) -> None:
        self.resolver = resolver
        self.fiscal_year = fiscal_year
        self.carry: re.Match | None = (
            None  # a subject path whose figures follow in later paragraphs
        )
        # the previous paragraph's last figure with both 决算 and 预算
        self.budgeted: Statement | None = None

    def extract(
        self, original: str, block_index: int, location: str, part: str, section: str, next_no: int
    ) -> list[Statement]:
        norm, back = normalize_with_map(original)
        state = _ParagraphState()
        paths = [(m.start(), m.end(), m) for m in _PATH.finditer(norm)] if "(类)" in norm else []
        if not paths and self.carry is not None:
            # "1、X（类）Y（款）Z（项）。" alone, its figures in the next paragraph (layouts
            # that break after the item's title): the path still governs them.
            paths = [(0, 0, self.carry)]
        sentences = _sentence_spans(norm)
        for s_start, s_end in sentences:
            quote = original[back[s_start] : back[s_end - 1] + 1].strip() if s_end > s_start else ""
            self._sentence(
                norm, s_start, s_end, quote, paths, state, block_index, location, part, section
            )
        self._flush_budget(state, original.strip(), block_index, location, part, section)
        previous = self.budgeted
        if previous is not None and any(
            st.amount_wan is not None or st.metric != previous.metric for st in state.statements
        ):
            previous = None  # the paragraph states figures of its own, or of something else
        _budget_directions(norm, original, back, state.statements, previous)
        # A claim in the next paragraph may still concern this one's figure: text layouts
        # break a paragraph where a sentence ends at the end of a line.
        self.budgeted = next(
            (
                st
                for st in reversed(state.statements)
                if st.amount_wan is not None and st.budget_wan is not None
            ),
            None,
        )
        if _dangling_level(norm, paths):
            # "…（款）机关事业单位基本养老" + figures + "保险缴费支出（项）": a text layout put
            # the figures inside the subject's name; which subject they are is a guess.
            for st in state.statements:
                if st.subject_level:
                    st.doubtful = True
        used = any(st.subject_level for st in state.statements)
        if paths and paths[-1][1] > 0 and not used:
            self.carry = paths[-1][2]  # a path with no figure yet
        elif used or (paths and paths[-1][1] > 0) or state.statements:
            # A paragraph without any figure ("主要用于：…") keeps the carried path.
            self.carry = None
        for offset, st in enumerate(state.statements):
            st.statement_no = next_no + offset
        return state.statements

    def reset(self) -> None:
        """A heading ends what a subject path governs."""
        self.carry = None
        self.budgeted = None

    # -- one sentence -------------------------------------------------------------------
    def _sentence(
        self, norm, s_start, s_end, quote, paths, state, block_index, location, part, section
    ):
        tokens = list(_tokens(norm, s_start, s_end))
        head_metric: str | None = None
        topic: list[str] = []
        sentence_stmts: list[Statement] = []
        last_change: list[Statement] = []
        cursor = s_start
        in_scope = False  # after "涉及…" the sentence lists the funds an evaluation covers
        fund_sentence = False  # the sentence is about one fund's figures

        def new(label: str, metric: str | None, **kw) -> Statement:
            st = Statement(
                statement_no=0,
                block_index=block_index,
                part=part,
                section=section,
                label=label,
                metric=metric,
                source_text=quote,
                source_location=location,
                **kw,
            )
            state.statements.append(st)
            sentence_stmts.append(st)
            return st

        # A leading clause without numbers may name the sentence's subject ("…决算中，").
        first_clause_end = _next_delim(norm, s_start, s_end)
        if not tokens or tokens[0].start > first_clause_end:
            lead = clean_label(norm[s_start:first_clause_end])
            found = metrics_for_label(lead, section)
            if found:
                head_metric = found[0]
                topic = found

        next_delim = _NextDelim(norm, s_end)
        blocked = False  # after an unreadable figure, until the next readable amount
        for tok in tokens:
            if tok.value is None:
                # "NaN万元，占12%": the share belongs to the unreadable figure, not the one before
                self._unreadable(tok, norm, cursor, s_start, new)
                cursor = tok.end
                blocked = True
                last_change = []
                continue
            # the last delimiter since the previous figure (a delimiter before it changes nothing)
            left_start = max(cursor, _last_delim(norm, max(cursor, s_start), tok.start))
            governing = _governing_path(paths, tok.start, s_start)
            if governing is not None and governing[1] > left_start:
                left_start = governing[1]
            raw_left = norm[left_start : tok.start]
            cursor = tok.end
            label = clean_label(raw_left)
            if label.startswith("支出"):
                shared = _SHARED_QUALIFIER.search(norm, s_start, left_start)
                if shared and shared.end() == left_start:
                    # "财政拨款收入总计、支出总计均为X": the qualifier names both totals.
                    label = clean_label(shared.group("q") + label)
            right = norm[tok.end : next_delim(tok.end)]

            if tok.unit in ("万元", "元", "亿元") or tok.unit is None:
                if _THRESHOLD_LEFT.search(raw_left.strip()) or _THRESHOLD_RIGHT.match(
                    norm[tok.end : tok.end + 40]
                ):
                    continue  # "单价50万元以上": a threshold, not a figure
                amount = _to_wan(tok.value, tok.unit)
                change = _CHANGE_VERB.search(label)
                if tok.unit is not None:
                    blocked = False  # a readable amount: what follows is about it
                if tok.unit is None:
                    # A bare number counts only as an amount after "为" with a known metric.
                    if not raw_left.rstrip().endswith(("为", "是")) or change:
                        # A rate printed without "%": "占 76.23", "完成年初预算的 82.48",
                        # "增长13.95" right after a stated change.
                        left = raw_left.rstrip()
                        if not blocked and (
                            left.endswith("占")
                            or _SHARE.search(left)
                            or _COMPLETION.search(left)
                            or (change and last_change)
                        ):
                            self._percent(
                                tok,
                                raw_left,
                                state,
                                sentence_stmts,
                                last_change,
                                head_metric,
                                quote,
                            )
                        continue
                if change:
                    sign = 1 if re.fullmatch(_UP, change.group("verb")) else -1
                    target_label = clean_label(label[: change.start()])
                    metrics = (
                        [] if is_generic(target_label) else metrics_for_label(target_label, section)
                    )
                    last_change = self._attach_change(
                        # the verb gives the sign: "减少△6238.99" is a decrease, not two
                        metrics,
                        sign * abs(amount),
                        state,
                        new,
                        target_label,
                        tok,
                        governing,
                    )
                    for st in last_change:
                        _cite(st, quote)
                    continue
                budget = _BUDGET.search(label)
                if budget and not _COMPLETION.search(label):
                    target_label = clean_label(label[: budget.start()])
                    metric = (
                        None
                        if is_generic(target_label)
                        else next(iter(metrics_for_label(target_label, section)), None)
                    )
                    state.pending_budget = (amount, metric or (topic[0] if topic else None))
                    if metric:
                        topic = [metric]  # "X年初预算为A，支出决算为B": B is X too
                    continue
                metrics: list[str] = []
                subject = None
                if is_generic(label) and governing is not None:
                    subject = governing[2]
                    metrics = [_function_metric(section)]
                elif not is_generic(label):
                    metrics = metrics_for_label(label, section)
                elif topic:
                    metrics = topic
                    if "支出" in label and topic[0] in COUNTERPART:
                        metrics = [COUNTERPART[topic[0]]]
                if _SCOPE_LABEL.search(label):
                    in_scope = True  # "涉及一般公共预算支出0万元，政府性基金预算支出0万元"
                if in_scope:
                    metrics = []
                if _FUND_QUALIFIER.search(label):
                    fund_sentence = True
                elif fund_sentence:
                    # "政府性基金预算财政拨款年初结转和结余A万元，…，年末结转和结余B万元": the
                    # fund named once governs the list; B is not the all-funds figure.
                    metrics = [m for m in metrics if m not in _ALL_FUNDS_TOTALS]
                if tok.unit is None and not metrics:
                    continue
                for metric in metrics or [None]:
                    st = new(
                        label or raw_left.strip(),
                        metric,
                        amount_wan=amount,
                        unit=tok.unit or "万元",
                        unit_assumed=tok.unit is None,
                        value_text=tok.text,
                    )
                    if subject is not None:
                        self._set_subject(st, subject)
                    self._take_budget(st, state)
                if metrics:
                    topic = metrics
            elif tok.unit == "%":
                if not blocked:
                    self._percent(
                        tok, raw_left, state, sentence_stmts, last_change, head_metric, quote
                    )
            else:
                metric = count_metric(tok.unit, label, right)
                new(
                    label or right,
                    metric,
                    count_value=tok.value,
                    unit=tok.unit,
                    value_text=tok.text,
                )
                # "国内公务接待232批次，…，共计支出56.41万元": the count's label is the topic.
                topic = metrics_for_label(label, section) or topic
        self._flat_clauses(norm[s_start:s_end], state, sentence_stmts, quote)

    def _unreadable(self, tok, norm, cursor, s_start, new) -> None:
        """Record an unreadable figure as a statement without a value and with a warning, so
        that the bureau sees it and nothing it says is given to another figure."""
        left = norm[max(cursor, _last_delim(norm, max(cursor, s_start), tok.start)) : tok.start]
        st = new(
            clean_label(left) or tok.text,
            None,
            unit=tok.unit,
            value_text=tok.text,
        )
        st.resolution_warning = UNREADABLE

    # -- attachments --------------------------------------------------------------------
    def _percent(self, tok, raw_left, state, sentence_stmts, last_change, head_metric, quote=""):
        left = raw_left.strip()
        # the last figure with an amount, of the sentence, else of the paragraph (found from the
        # end: building the whole list for every rate was quadratic in a long paragraph)
        last = _last_amount(sentence_stmts) or _last_amount(state.statements)
        values = [last] if last is not None else []
        change = _CHANGE_VERB.search(clean_label(left))
        if _COMPLETION.search(left):
            if values:
                _cite(values[-1], quote)
                values[-1].completion_pct = tok.value
                values[-1].completion_decimals = _decimals(tok.text)
            return
        if change and last_change and all(st.change_pct is None for st in last_change):
            sign = 1 if re.fullmatch(_UP, change.group("verb")) else -1
            for st in last_change:
                _cite(st, quote)
                st.change_pct = sign * tok.value
                st.change_pct_decimals = _decimals(tok.text)
            return
        if change and (last_change or values[-1:] and values[-1].change_pct is not None):
            return  # the figure has its rate: this one is of something the clause left unnamed
        if change and values:
            sign = 1 if re.fullmatch(_UP, change.group("verb")) else -1
            _cite(values[-1], quote)
            values[-1].change_pct = sign * tok.value
            values[-1].change_pct_decimals = _decimals(tok.text)
            return
        share = _SHARE.search(left)
        if share and values and not self._share_of_other(left, share, values[-1]):
            target = values[-1]
            target.share_pct = tok.value
            target.share_decimals = _decimals(tok.text)
            of = share.group("of")
            head = (
                None
                if head_metric
                else next((s for s in sentence_stmts if s.amount_wan is not None), None)
            )
            if of:
                of_label = clean_label(of[:-1])
                of_metrics = metrics_for_label(of_label)
                target.share_of = of_metrics[0] if of_metrics else of_label
            elif head is not None and head is not target and head.metric:
                # "本年收入合计X万元，其中：A万元，占S%": a share of the sentence's head figure.
                target.share_of = head.metric
            elif head_metric:
                target.share_of = head_metric

    @staticmethod
    def _share_of_other(left: str, share: re.Match, target: Statement) -> bool:
        """Whether a share belongs to something other than the last figure: a scope amount
        ("涉及资金…"), or a clause that names its own subject without a figure
        ("货物采购授予中小企业合同金额占…的4.07%")."""
        if _SCOPE_LABEL.search(target.label):
            return True
        subject = clean_label(left[: share.start()])
        if not subject or is_generic(subject) or subject == target.label:
            return False
        named = metrics_for_label(subject)
        return not (named and target.metric in named)

    def _attach_change(self, metrics, change, state, new, target_label, tok, governing):
        """Attach a stated change to its figure in the same paragraph, else record it alone."""
        attached: list[Statement] = []
        if not metrics:
            last = _last_amount(state.statements)
            values = [last] if last is not None else []
            if values and values[-1].change_wan is None:
                values[-1].change_wan = change
                return [values[-1]]
            # The last figure already has its change: this one is about something else.
            return [new(target_label, None, change_wan=change, unit=tok.unit, value_text=tok.text)]
        for metric in metrics:
            match = next(
                (
                    s
                    for s in reversed(state.statements)
                    if s.metric == metric and s.change_wan is None
                ),
                None,
            )
            if match is None and metric in FISCAL_OF:
                # "财政拨款收入总计、支出总计均为X，与上年相比收入总计、支出总计均增加Y": the
                # paragraph's 财政拨款 total is the one that changed.
                match = next(
                    (
                        s
                        for s in reversed(state.statements)
                        if s.metric == FISCAL_OF[metric] and s.change_wan is None
                    ),
                    None,
                )
            if match is None:
                match = new(
                    target_label, metric, change_wan=change, unit=tok.unit, value_text=tok.text
                )
            else:
                match.change_wan = change
            attached.append(match)
        return attached

    def _flat_clauses(self, text, state, sentence_stmts, quote=""):
        """ "…与上年持平": a zero change for the named metric or for the last figure."""
        for clause in _flat_labels(text):
            if "预算" in clause:
                continue  # "决算数与预算数基本持平" compares with the budget, not the prior year
            label = clean_label(clause)
            metrics = [] if is_generic(label) else metrics_for_label(label)
            targets = []
            for metric in metrics:
                found = next((s for s in reversed(state.statements) if s.metric == metric), None)
                targets.append(found or self._flat_only(state, sentence_stmts, label, metric))
            if not metrics:
                values = [s for s in state.statements if s.amount_wan is not None]
                if values:
                    targets.append(values[-1])
            for st in targets:
                _cite(st, quote)
                st.flat = True
                st.change_wan = 0.0 if st.change_wan is None else st.change_wan

    def _flat_only(self, state, sentence_stmts, label, metric) -> Statement:
        ref = (
            sentence_stmts[-1]
            if sentence_stmts
            else (state.statements[-1] if state.statements else None)
        )
        st = Statement(
            statement_no=0,
            block_index=ref.block_index if ref else -1,
            part=ref.part if ref else "narrative",
            section=ref.section if ref else "",
            label=label,
            metric=metric,
            source_text=ref.source_text if ref else label,
            source_location=ref.source_location if ref else "",
        )
        state.statements.append(st)
        return st

    def _take_budget(self, st: Statement, state: _ParagraphState) -> None:
        if state.pending_budget is None:
            return
        amount, metric = state.pending_budget
        if metric is None or metric == st.metric or st.subject_code is not None:
            st.budget_wan = amount
            state.pending_budget = None

    def _flush_budget(self, state, quote, block_index, location, part, section):
        if state.pending_budget is None:
            return
        amount, metric = state.pending_budget
        values = [s for s in state.statements if s.amount_wan is not None and s.budget_wan is None]
        if values and (metric is None or values[-1].metric == metric):
            values[-1].budget_wan = amount
        else:
            state.statements.append(
                Statement(
                    0,
                    block_index,
                    part,
                    section,
                    "预算",
                    metric,
                    quote,
                    location,
                    budget_wan=amount,
                )
            )
        state.pending_budget = None

    def _set_subject(self, st: Statement, match: re.Match) -> None:
        names = [_clean_name(match.group(g)) if match.group(g) else None for g in ("c", "k", "x")]
        res = self.resolver.resolve_path(*names, year=self.fiscal_year)
        st.subject_code = res.code
        st.subject_level = res.level
        st.subject_name = res.name
        st.subject_parent = res.parent_code
        st.label = "".join(f"{n}({lv})" for n, lv in zip(names, "类款项", strict=True) if n)
        if res.warnings:
            st.resolution_warning = "；".join(res.warnings)


def _cite(st: Statement, quote: str) -> None:
    """A figure whose change or rate is stated in a later sentence quotes both sentences."""
    if quote and quote not in st.source_text:
        st.source_text = f"{st.source_text}{quote}"


def _clean_name(name: str) -> str:
    return _NAME_NOISE.sub("", name.strip()).strip()


def _function_metric(section: str) -> str:
    if "政府性基金" in section:
        return "gov_fund_by_function"
    if "国有资本经营" in section:
        return "state_capital_by_function"
    return "gpb_by_function"


def _governing_path(paths, position: int, sentence_start: int):
    """The last subject path that ends before ``position`` (a path governs its paragraph).
    Paths are found left to right without overlap, so their ends ascend: a binary search."""
    i = bisect_right(paths, position, key=lambda p: p[1])
    return paths[i - 1] if i else None


def _last_amount(statements: list[Statement]) -> Statement | None:
    return next((s for s in reversed(statements) if s.amount_wan is not None), None)


_FLAT_STOPS = "，,；;。"


def _flat_labels(text: str):
    """The clause before each "持平" (from the previous stop or 持平), as
    ``re.finditer(r"([^，,；;。]*?)持平")`` gives it, in linear time."""
    start = 0
    i = text.find("持平")
    while i >= 0:
        clause_start = max([start] + [text.rfind(c, start, i) + 1 for c in _FLAT_STOPS])
        yield text[clause_start:i]
        start = i + 2
        i = text.find("持平", start)


class _NextDelim:
    """``_next_delim(norm, pos, end)`` for ascending positions, each character scanned once."""

    def __init__(self, norm: str, end: int) -> None:
        self.norm, self.end = norm, end
        self.scanned_from, self.found = -1, -1

    def __call__(self, pos: int) -> int:
        if not (self.scanned_from <= pos <= self.found):
            self.scanned_from = pos
            self.found = _next_delim(self.norm, pos, self.end)
        return self.found


# "决算数大于年初预算数", "决算数小于预算数", "决算数同预算数持平": what the words say of the
# figure against its budget. "基本持平" is no claim of equality.
_DIRECTION_WORDS = {
    "大于": "above",
    "高于": "above",
    "超过": "above",
    "超出": "above",
    "多于": "above",
    "小于": "below",
    "低于": "below",
    "少于": "below",
    "等于": "equal",
}
_BUDGET_DIRECTION = re.compile(
    r"决算数?(?:(?P<cmp>大于|高于|超过|超出|多于|小于|低于|少于|等于)(?:年初|全年|调整后)?预算"
    r"|(?:与|同|和)(?:年初|全年|调整后)?预算数?(?P<basic>基本)?(?:持平|相等|一致|相同))"
)


def _budget_directions(
    norm: str, original: str, back: list[int], statements: list, previous=None
) -> None:
    """Record each claim on the last figure before it that has both 决算 and 预算; with none in
    its paragraph, on ``previous``: the paragraph before's, when no heading came between and
    this one states no figure of its own, only changes of that figure's metric (a text layout
    broke one paragraph where a sentence ended at the end of a line)."""
    for m in _BUDGET_DIRECTION.finditer(norm):
        if m.group("basic"):
            continue
        direction = _DIRECTION_WORDS[m.group("cmp")] if m.group("cmp") else "equal"
        target = next(
            (
                st
                for st in reversed(statements)
                if st.amount_wan is not None and st.budget_wan is not None
            ),
            previous,
        )
        if target is not None and target.budget_direction is None:
            target.budget_direction = direction
            claim = original[back[m.start()] : back[m.end() - 1] + 1]
            if claim not in target.source_text:
                target.source_text = f"{target.source_text}…{claim}"


def _dangling_level(norm: str, paths: list) -> bool:
    """A "（项）" or "（款）" that no subject path ends at: the path was cut in two."""
    covered = [(start, end) for start, end, _ in paths]
    return any(
        not any(s <= m.start() < e for s, e in covered) for m in re.finditer(r"\((?:项|款)\)", norm)
    )


def _tokens(norm: str, start: int, end: int):
    unreadable = _unreadable_tokens(norm, start, end)
    bad = next(unreadable, None)
    for m in _NUMBER.finditer(norm, start, end):
        while bad is not None and bad.end <= m.start():
            yield bad
            bad = next(unreadable, None)
        if bad is not None and bad.start < m.end():
            continue  # the digits of "1.7995e2万元": part of an unreadable figure
        after = norm[m.end() : m.end() + 6]
        if re.match(r"\s*(?:年|月|日|号|岁|周岁|次会议)", after):
            continue
        tok_start, num_end, negative = m.start(), m.end(), False
        # accounting negatives: "(1,706.99)万元" (decimals, so that "(1)" stays a list
        # marker) and "△6238.99万元"
        if (
            m.start() > start
            and norm[m.start() - 1] == "("
            and norm.startswith(")", m.end())
            and "." in m.group(1)
            and not m.group(1).startswith("-")
        ):
            tok_start, num_end, negative = m.start() - 1, m.end() + 1, True
        elif m.start() > start and norm[m.start() - 1] == _DECREASE_MARK:
            tok_start, negative = m.start() - 1, not m.group(1).startswith("-")
        unit_m = _UNIT.match(norm, num_end, end)
        unit = unit_m.group(1) if unit_m else None
        if unit == "台" and norm.startswith("(套)", unit_m.end()):
            unit_end = unit_m.end() + 3
            unit = "台(套)"
        else:
            unit_end = unit_m.end() if unit_m else num_end
        try:
            value = float(m.group(1).replace(",", ""))
        except ValueError:
            continue
        text = m.group(1)
        if negative:
            value, text = -value, "-" + text
        yield _Token(tok_start, unit_end, value, text, unit)
    while bad is not None:
        yield bad
        bad = next(unreadable, None)


def _unreadable_tokens(norm: str, start: int, end: int):
    """Figures that cannot be read (see _UNREADABLE), as tokens without a value, where a unit
    follows them (elsewhere such text is no figure at all)."""
    for m in _UNREADABLE.finditer(norm, start, end):
        unit_m = _UNIT.match(norm, m.end(), end)
        if unit_m is not None:
            yield _Token(m.start(), unit_m.end(), None, m.group(), unit_m.group(1))


def _decimals(number_text: str) -> int:
    """Printed decimals of a number: "8.14" -> 2, "100" -> 0. Sets its rounding half-unit."""
    return len(number_text.split(".", 1)[1]) if "." in number_text else 0


def _to_wan(value: float, unit: str | None) -> float:
    if unit == "元":
        return round(value / 10000, 6)
    if unit == "亿元":
        return round(value * 10000, 6)
    return value


def _last_delim(norm: str, lo: int, hi: int) -> int:
    for i in range(hi - 1, lo - 1, -1):
        if norm[i] in _DELIMS:
            return i + 1
    return lo


def _next_delim(norm: str, lo: int, hi: int) -> int:
    for i in range(lo, hi):
        if norm[i] in _DELIMS:
            return i
    return hi


# A sentence longer than this is cut (at its last clause delimiter before the length, else
# between two characters that are not digits): every figure quotes its sentence, so an
# endless "sentence" would make every quote, and every quote's search, as long as the text.
# Real sentences stay far below it.
MAX_SENTENCE_CHARS = 5000


def _sentence_spans(norm: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for i, ch in enumerate(norm):
        if ch in _SENTENCE_END:
            spans.extend(_bounded(norm, start, i + 1))
            start = i + 1
    if start < len(norm) and norm[start:].strip():
        spans.extend(_bounded(norm, start, len(norm)))
    return spans


def _bounded(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = _last_delim(norm, start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        if cut == start + MAX_SENTENCE_CHARS // 2:  # no delimiter: do not split a number
            cut = start + MAX_SENTENCE_CHARS
            while cut > start + 1 and (
                norm[cut - 1] in "0123456789.,-" or norm[cut] in "0123456789.,%"
            ):
                cut -= 1
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans
