"""Faults on demand: plant one real, rounding-proof contradiction in a copy of a synthetic report.

The generator (:mod:`tools.sample.writers`) writes reports whose every stated figure is
consistent, with a ``.truth.json`` listing those figures. :func:`inject_fault` picks one stated
figure from the truth, finds its printed text in the document, and rewrites exactly one number so
that the report contradicts itself in a way a check must flag (DESIGN.md §2: a stated figure is a
rounded figure, so each fault is verified to lie outside every interval the rounded amounts
allow). The fault is recorded in ``<name>.faults.json`` beside the document, so a test can ask
whether the checks found it.

Kinds and the check family that must find them:

* ``share`` (share): one 占X% moves 0.02-0.5 pp, outside [lower, upper] of (a±0.005)/(T∓0.005)
  widened by the printed half-unit and by the 0.01 an author may move one share to reach 100%.
* ``item_amount`` (sum): one 项 amount in the narrative 具体情况 list moves 1.00-50.00 万元, so the
  项 no longer add up to their 类 (the 类 line is untouched).
* ``sum`` (sum): one 类 amount in the structure paragraph moves by ≥ 1.00 万元, so the 类 no longer
  add up to the total (its share, left as printed, becomes inconsistent too).
* ``yoy`` (yoy): one stated change % moves ≥ 0.5 pp, outside change/(current - change).
* ``budget`` (budget): one 完成预算X% whose budget is stated moves ≥ 0.5 pp, outside actual/budget.
* ``cross_section`` (cross_section): a figure stated in the narrative and again in the annex or a
  table changes by ≥ 1.00 万元 in the annex/table copy only.
* ``table_total`` (sum): the 合计 of the 一般公共预算财政拨款支出决算表 (or of the 支出决算表) moves
  by ≥ 1.00 万元, so its 类 lines no longer add up to it.

The kinds of :mod:`tools.sample.review_faults` (a placeholder name, a wrong year, a flipped
direction word, doubled punctuation, a removed table, a blanked 三公 cell) change words and
layout instead, and name the check and level that must answer them.

Documents are edited in place (callers pass a copy): .txt keeps its encoding (UTF-8, UTF-8 with
BOM, GB18030) and line ends; .docx is edited run by run with python-docx, everything else kept.
"""

from __future__ import annotations

import copy
import io
import json
import math
import random
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from tools.sample.review_faults import PLANNERS as REVIEW_PLANNERS
from tools.sample.review_faults import REVIEW_KINDS, TextEdit
from tools.sample.writers import (
    ATTACHMENT_SUFFIX,
    generate_county,
    load_truth,
    normalize_zip,
)

NUMBER_KINDS = ("share", "sum", "yoy", "budget", "cross_section", "item_amount", "table_total")
FAULT_KINDS = NUMBER_KINDS + REVIEW_KINDS
FAMILY = {
    "share": "share",
    "sum": "sum",
    "yoy": "yoy",
    "budget": "budget",
    "cross_section": "cross_section",
    "item_amount": "sum",
    "table_total": "sum",
    "placeholder": "identity",
    "wrong_year": "identity",
    "direction": "budget",
    "doubled_punctuation": "text",
    "table_removed": "package",
    "blank_cell": "cross_section",
}

ROUND_HALF = Decimal("0.005")  # half a unit of a figure printed to 0.01
GROUP_NUDGE = Decimal("0.01")  # an author may move one share by 0.01 so a group adds to 100
SHARE_SHIFT = (Decimal("0.02"), Decimal("0.50"))
PCT_SHIFT = (Decimal("0.50"), Decimal("3.00"))
AMOUNT_SHIFT = (Decimal("1.00"), Decimal("50.00"))
MIN_HITS_PER_KIND = 3  # make_faulty_corpus: how many documents each kind should hit at least

PROJECT_RAW = Path(__file__).resolve().parents[2] / "raw"  # the landing folder: never edited


@dataclass
class Fault:
    kind: str  # one of FAULT_KINDS
    family: str  # check family expected to find it: share, sum, yoy, budget, cross_section
    metric: str  # metric of the altered figure (truth metric names)
    subject_code: str | None
    true_value: float  # what the consistent report printed
    printed_value: float  # what the faulty report prints
    field: str  # value, share_pct, change_pct, completion_pct
    section: str  # narrative / table / annex
    quote: str  # sentence or table row as printed after the change
    line_hint: str  # substring identifying where it is
    # Word and layout faults (review_faults): the finding that must answer them, by check id and
    # level, and the text it must quote. None for a changed number, answered by its family.
    check_id: str | None = None
    level: str = "error"
    marker: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------------------
# Numbers as printed
# ----------------------------------------------------------------------------------------------

# One-to-one character mapping, so offsets in the mapped text are offsets in the original.
_ASCII = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_TO_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_NUMBER = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)")
_UNIT = re.compile(r"\s*(万元|亿元|元|%)")
_SENTENCE_END = "。！？!?"
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_ANNEX_HEADING = re.compile(
    r"^\s*(?:附件\s*[0-9一二三四五六七八九十]|第[一二三四五六七八九十]+部分\s*附件)"
)

SHARE_PRE = re.compile(r"^\s*[，,]\s*占[^\d。；;]{0,12}$")
CHANGE_AMOUNT_PRE = re.compile(r"(?:增加|减少)\s*$")
CHANGE_PCT_PRE = re.compile(r"^\s*[，,]\s*(?:增长|下降|增加|减少)\s*$")
COMPLETION_PRE = re.compile(r"^\s*[，,]\s*完成(?:年初)?预算的?\s*$")


@dataclass
class Token:
    start: int  # number span in the unit text (unit excluded)
    end: int
    text: str  # the number as printed, digits mapped to ASCII
    value: Decimal  # as printed (commas removed)
    decimals: int
    unit: str | None  # 万元, 亿元, 元, % or None
    unit_end: int
    pre: str  # text between the previous number (and its unit) and this one, digits mapped

    def wan(self) -> Decimal | None:
        """The amount in 万元, or None when the number is not an amount."""
        if self.unit == "万元":
            return self.value
        if self.unit == "元":
            return self.value / 10000
        if self.unit == "亿元":
            return self.value * 10000
        return None


def tokenize(text: str) -> list[Token]:
    mapped = text.translate(_ASCII)
    tokens: list[Token] = []
    prev_end = 0
    for m in _NUMBER.finditer(mapped):
        raw = m.group(0)
        um = _UNIT.match(mapped, m.end())
        unit = um.group(1) if um else None
        unit_end = um.end() if um else m.end()
        tokens.append(
            Token(
                start=m.start(),
                end=m.end(),
                text=raw,
                value=Decimal(raw.replace(",", "")),
                decimals=len(raw.split(".", 1)[1]) if "." in raw else 0,
                unit=unit,
                unit_end=unit_end,
                pre=mapped[prev_end : m.start()],
            )
        )
        prev_end = unit_end
    return tokens


def format_like(original: str, value: Decimal) -> str:
    """``value`` printed the way ``original`` was: decimals, thousands separators, digit width."""
    mapped = original.translate(_ASCII)
    decimals = len(mapped.split(".", 1)[1]) if "." in mapped else 0
    body = f"{value:,.{decimals}f}" if "," in mapped else f"{value:.{decimals}f}"
    if any("０" <= ch <= "９" for ch in original):
        body = body.translate(_TO_FULLWIDTH)
    if "．" in original:
        body = body.replace(".", "．")
    return body


def _dec(x: float | int | str | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _amount_is(tok: Token, value: Decimal) -> bool:
    wan = tok.wan()
    return wan is not None and wan == value


def _pct_is(tok: Token, value: Decimal) -> bool:
    return tok.unit in ("%", None) and tok.value == value


# ----------------------------------------------------------------------------------------------
# Documents as editable units (a paragraph / text line, or a table row)
# ----------------------------------------------------------------------------------------------


@dataclass
class Unit:
    kind: str  # para | row
    text: str  # as printed; a row's cells joined by tabs
    section: str = "narrative"  # narrative | annex | table
    cells: list[str] = field(default_factory=list)
    editable: bool = True
    ref: object = None  # format-specific handle
    _tokens: list[Token] | None = None

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = tokenize(self.text)
        return self._tokens


class _TextDoc:
    """A .txt report: decoded text, encoding and BOM kept; units are lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = path.read_bytes()
        self.bom = data.startswith(b"\xef\xbb\xbf")
        try:
            self.text = data.decode("utf-8-sig")
            self.encoding = "utf-8"
        except UnicodeDecodeError:
            self.text = data.decode("gb18030")
            self.encoding = "gb18030"
        if self._encode(self.text) != data:
            raise ValueError(f"{path.name}: text does not round-trip through {self.encoding}")
        self.units: list[Unit] = []
        offset = 0
        for line in self.text.split("\n"):
            body = line[:-1] if line.endswith("\r") else line
            kind = "row" if "\t" in body else "para"
            self.units.append(
                Unit(
                    kind=kind,
                    text=body,
                    cells=body.split("\t") if kind == "row" else [],
                    ref=offset,
                )
            )
            offset += len(line) + 1

    def _encode(self, text: str) -> bytes:
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode(self.encoding)

    def replace(self, unit: Unit, start: int, end: int, new: str) -> None:
        base = unit.ref
        assert isinstance(base, int)
        self.text = self.text[: base + start] + new + self.text[base + end :]

    def save(self) -> None:
        self.path.write_bytes(self._encode(self.text))


class _DocxDoc:
    """A .docx report: body paragraphs and table rows in order; edits go into the runs."""

    def __init__(self, path: Path) -> None:
        from docx import Document  # python-docx, imported lazily
        from docx.table import Table, _Cell
        from docx.text.paragraph import Paragraph

        self.path = path
        self.doc = Document(str(path))
        self.units: list[Unit] = []
        for element in self.doc.element.body.iterchildren():
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "p":
                para = Paragraph(element, self.doc)
                pieces = [(run, run.text) for run in para.runs]
                text = para.text
                self.units.append(
                    Unit(
                        kind="para",
                        text=text,
                        editable="".join(t for _, t in pieces) == text,
                        ref=pieces,
                    )
                )
            elif tag == "tbl":
                table = Table(element, self.doc)
                for tr in table._tbl.tr_lst:
                    pieces: list[tuple[object, str]] = []
                    cells: list[str] = []
                    editable = True
                    for ci, tc in enumerate(tr.tc_lst):
                        cell = _Cell(tc, table)
                        if ci:
                            pieces.append((None, "\t"))
                        for pi, para in enumerate(cell.paragraphs):
                            if pi:
                                pieces.append((None, "\n"))
                            runs = [(run, run.text) for run in para.runs]
                            editable &= "".join(t for _, t in runs) == para.text
                            pieces.extend(runs)
                        cells.append(cell.text)
                    self.units.append(
                        Unit(
                            kind="row",
                            text="\t".join(cells),
                            cells=cells,
                            editable=editable and "".join(t for _, t in pieces) == "\t".join(cells),
                            ref=pieces,
                        )
                    )

    def replace(self, unit: Unit, start: int, end: int, new: str) -> None:
        pieces = unit.ref
        assert isinstance(pieces, list)
        pos = 0
        placed = False
        for run, text in pieces:
            lo, hi = pos, pos + len(text)
            pos = hi
            if run is None or hi <= start or lo >= end:
                continue
            a, b = max(start, lo) - lo, min(end, hi) - lo
            insert = "" if placed else new
            run.text = text[:a] + insert + text[b:]
            placed = True
        if not placed:
            raise ValueError("number not inside any run")

    def save(self) -> None:
        buf = io.BytesIO()
        self.doc.save(buf)
        self.path.write_bytes(normalize_zip(buf.getvalue()))


def _open(path: Path) -> _TextDoc | _DocxDoc:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        doc: _TextDoc | _DocxDoc = _TextDoc(path)
    elif suffix == ".docx":
        doc = _DocxDoc(path)
    else:
        raise ValueError(f"unsupported document format: {path.name}")
    in_annex = False
    for unit in doc.units:
        if unit.kind == "row":
            unit.section = "table"
            continue
        if _ANNEX_HEADING.match(_BOOKMARK.sub("", unit.text)):
            in_annex = True
        unit.section = "annex" if in_annex else "narrative"
    return doc


def document_text(path: Path | str) -> str:
    """The document's text: .txt decoded; .docx paragraphs and table rows (cells tab-joined)."""
    return "\n".join(u.text for u in _open(Path(path)).units)


# ----------------------------------------------------------------------------------------------
# Locating printed figures
# ----------------------------------------------------------------------------------------------


def find_pairs(
    units: Iterable[Unit],
    amount: Decimal,
    pct: Decimal,
    pct_pre: re.Pattern[str],
    sections: Sequence[str] = ("narrative",),
    *,
    amount_pre: re.Pattern[str] | None = None,
    unit_word: str | None = None,
) -> list[tuple[Unit, Token, Token]]:
    """Adjacent numbers "<amount>万元 ... <pct>%" with the text between them matching ``pct_pre``.

    ``amount_pre`` constrains the text before the amount; ``unit_word`` requires the unit (line or
    paragraph) to contain that word in brackets, e.g. 类 for "（类）".
    """
    found = []
    for unit in units:
        if unit.section not in sections:
            continue
        if unit_word and f"{unit_word}）" not in unit.text and f"{unit_word})" not in unit.text:
            continue
        toks = unit.tokens
        for a, b in zip(toks, toks[1:], strict=False):
            if (
                _amount_is(a, amount)
                and _pct_is(b, pct)
                and pct_pre.search(b.pre)
                and (amount_pre is None or amount_pre.search(a.pre))
            ):
                found.append((unit, a, b))
    return found


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(_ASCII))


def _table_cells_match(unit: Unit, label: str, code: str | None, value: Decimal) -> int | None:
    """Index of the value cell of a table row stating ``label`` (and ``code``) = ``value``."""
    label_re = re.compile(r"^(?:[一二三四五六七八九十]+、)?" + re.escape(_clean(label)) + "$")
    cells = [_clean(c) for c in unit.cells]
    for i, cell in enumerate(cells[:-1]):
        if not label_re.match(cell):
            continue
        if code is not None and "".join(cells[:i]) != code:
            continue
        nxt = cells[i + 1].replace(",", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", nxt) and Decimal(nxt) == value:
            return i + 1
    return None


# ----------------------------------------------------------------------------------------------
# Planning one edit
# ----------------------------------------------------------------------------------------------


@dataclass
class _Edit:
    unit: Unit
    token: Token
    new_value: Decimal
    fact: dict
    field: str
    anchor: Token  # the token that carries the fact's label (the amount before a percentage)
    label_cell: int | None = None  # table rows: index of the label cell


def _narr(facts: list[dict]) -> list[dict]:
    return [f for f in facts if f.get("section") == "narrative"]


def _shifts(lo: Decimal, hi: Decimal, step: Decimal) -> list[Decimal]:
    n_lo = int((lo / step).to_integral_value(rounding="ROUND_CEILING"))
    n_hi = int((hi / step).to_integral_value(rounding="ROUND_FLOOR"))
    return [step * k for k in range(max(n_lo, 1), n_hi + 1)]


def ratio_bounds(
    num: Decimal, den: Decimal, num_half: Decimal, den_half: Decimal
) -> tuple[Decimal, Decimal] | None:
    """[lower, upper] of num/den*100 over num±num_half, den±den_half (non-negative num)."""
    if den - den_half <= 0:
        return None
    lower = max(Decimal(0), num - num_half) / (den + den_half) * 100
    upper = (num + num_half) / (den - den_half) * 100
    return lower, upper


def _outside(
    x: Decimal,
    bounds: tuple[Decimal, Decimal],
    printed_half: Decimal,
    margin: Decimal,
    shift: tuple[Decimal, Decimal],
    step: Decimal,
    *,
    upper_cap: Decimal | None = None,
    positive: bool = False,
) -> list[Decimal]:
    """Printable values x ± s (s in ``shift``) strictly outside the widened interval."""
    lo = bounds[0] - printed_half - margin
    hi = bounds[1] + printed_half + margin
    out = []
    for s in _shifts(shift[0], shift[1], step):
        for new in (x + s, x - s):
            if new < 0 or (positive and new <= 0):
                continue
            if upper_cap is not None and new > upper_cap:
                continue
            if new < lo or new > hi:
                out.append(new)
    return out


def _step(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _share_group(fact: dict) -> str | None:
    m, code = fact["metric"], fact.get("subject_code")
    if m in ("income_total", "income_current_year"):
        return None
    if m.startswith("income_"):
        return "income"
    if m.startswith("expenditure_") and m not in ("expenditure_total", "expenditure_current_year"):
        return "expense"
    if m == "gpb_by_function" and code and len(code) == 3:
        return "class"
    if m in ("three_public_overseas", "three_public_vehicle", "three_public_reception"):
        return "three"
    if m in ("personnel_expenses", "public_expenses"):
        return "basic"
    if m == "gpb_expenditure":
        return "gpb_of_expense"
    return None


def _share_denominator(fact: dict, facts: list[dict]) -> tuple[Decimal, int] | None:
    """(denominator, number of rounded amounts it is made of) for a stated share."""
    group = _share_group(fact)
    if group is None:
        return None
    if group == "gpb_of_expense":
        tot = [f for f in _narr(facts) if f["metric"] == "expenditure_current_year"]
        return (_dec(tot[0]["value"]), 1) if tot else None
    members = [
        f for f in _narr(facts) if f.get("share_pct") is not None and _share_group(f) == group
    ]
    total = sum((_dec(f["value"]) for f in members), Decimal(0))
    return (total, len(members)) if total > 0 else None


def _plan_share(doc, facts, rng) -> Iterable[_Edit]:
    cands = [
        f
        for f in _narr(facts)
        if f.get("share_pct") is not None and f.get("unit") == "万元" and f["value"] > 0
    ]
    rng.shuffle(cands)
    for f in cands:
        den = _share_denominator(f, facts)
        if den is None:
            continue
        total, n = den
        a, s = _dec(f["value"]), _dec(f["share_pct"])
        hits = find_pairs(doc.units, a, s, SHARE_PRE)
        if len(hits) != 1:
            continue
        unit, ta, tb = hits[0]
        if tb.decimals != 2:  # whole or one-decimal shares cannot move by 0.02-0.5 pp
            continue
        bounds = ratio_bounds(a, total, ROUND_HALF, ROUND_HALF * max(1, n))
        if bounds is None:
            continue
        options = _outside(
            tb.value,
            bounds,
            _step(2) / 2,
            GROUP_NUDGE,
            SHARE_SHIFT,
            _step(2),
            upper_cap=Decimal(100),
        )
        if options:
            yield _Edit(unit, tb, rng.choice(options), f, "share_pct", anchor=ta)


def _plan_yoy(doc, facts, rng) -> Iterable[_Edit]:
    cands = [
        f
        for f in _narr(facts)
        if f.get("change_pct") is not None and f.get("change") and f.get("unit") == "万元"
    ]
    rng.shuffle(cands)
    for f in cands:
        change, cp = _dec(f["change"]), _dec(f["change_pct"])
        prior = _dec(f["value"]) - change
        if prior <= 0:
            continue
        c = abs(change)

        hits = find_pairs(doc.units, c, abs(cp), CHANGE_PCT_PRE, amount_pre=CHANGE_AMOUNT_PRE)
        if len(hits) != 1:
            continue
        unit, ta, tb = hits[0]
        # change ± 0.005; prior = current - change, each rounded, so ± 0.01
        bounds = ratio_bounds(c, prior, ROUND_HALF, 2 * ROUND_HALF)
        if bounds is None:
            continue
        step = _step(tb.decimals)
        options = _outside(tb.value, bounds, step / 2, Decimal(0), PCT_SHIFT, step, positive=True)
        if options:
            yield _Edit(unit, tb, rng.choice(options), f, "change_pct", anchor=ta)


def _plan_budget(doc, facts, rng) -> Iterable[_Edit]:
    narr = _narr(facts)
    same = [f for f in narr if f.get("completion_pct") is not None and f.get("budget")]
    elsewhere = []
    for f in narr:
        if f.get("completion_pct") is None or f.get("budget"):
            continue
        for g in facts:
            if (
                g is not f
                and g.get("budget")
                and (g["metric"], g.get("subject_code"), g["value"])
                == (f["metric"], f.get("subject_code"), f["value"])
            ):
                elsewhere.append({**f, "budget": g["budget"]})
                break
    rng.shuffle(same)
    rng.shuffle(elsewhere)
    for f in same + elsewhere:
        if f.get("unit") != "万元" or f["value"] <= 0:
            continue
        v, b, comp = _dec(f["value"]), _dec(f["budget"]), _dec(f["completion_pct"])
        hits = find_pairs(doc.units, v, comp, COMPLETION_PRE)
        if len(hits) != 1:
            continue
        unit, ta, tb = hits[0]
        bounds = ratio_bounds(v, b, ROUND_HALF, ROUND_HALF)
        if bounds is None:
            continue
        step = _step(tb.decimals)
        shift = (max(PCT_SHIFT[0], step), PCT_SHIFT[1])
        options = _outside(tb.value, bounds, step / 2, Decimal(0), shift, step, positive=True)
        if options:
            yield _Edit(unit, tb, rng.choice(options), f, "completion_pct", anchor=ta)


def _amount_options(value: Decimal, rng: random.Random) -> Decimal | None:
    """value ± d with d in [1.00, 50.00] (at most 30% of the value when that is larger than 1)."""
    cap = min(AMOUNT_SHIFT[1], max(AMOUNT_SHIFT[0], (value * Decimal("0.3")).quantize(_step(2))))
    d = Decimal(rng.randint(int(AMOUNT_SHIFT[0] * 100), int(cap * 100))) / 100
    signs = [s for s in (1, -1) if value + s * d > 0]
    if not signs:
        return None
    return value + rng.choice(signs) * d


def _plan_class_sum(doc, facts, rng) -> Iterable[_Edit]:
    cands = [
        f
        for f in _narr(facts)
        if f["metric"] == "gpb_by_function"
        and len(f.get("subject_code") or "") == 3
        and f.get("share_pct") is not None
        and f["value"] > 0
    ]
    total_stated = any(f["metric"] == "gpb_expenditure" for f in _narr(facts))
    n_classes = len(cands)
    rng.shuffle(cands)
    for f in cands if total_stated else []:
        a, s = _dec(f["value"]), _dec(f["share_pct"])
        hits = find_pairs(doc.units, a, s, SHARE_PRE, unit_word="类")
        if len(hits) != 1 or hits[0][1].unit != "万元":
            continue
        new = _amount_options(a, rng)
        # the 类 sum now misses the total by |new - a| >= 1.00, far beyond n x 0.005
        if new is not None and abs(new - a) > ROUND_HALF * (n_classes + 1):
            unit, ta, _ = hits[0]
            yield _Edit(unit, ta, new, f, "value", anchor=ta)


def _plan_item_amount(doc, facts, rng) -> Iterable[_Edit]:
    narr = _narr(facts)
    classes = {
        f["subject_code"]
        for f in narr
        if f["metric"] == "gpb_by_function" and len(f.get("subject_code") or "") == 3
    }
    cands = [
        f
        for f in narr
        if f["metric"] == "gpb_by_function"
        and len(f.get("subject_code") or "") == 7
        and f["subject_code"][:3] in classes
        and f.get("completion_pct") is not None
        and f["value"] > 0
    ]
    rng.shuffle(cands)
    for f in cands:
        v, comp = _dec(f["value"]), _dec(f["completion_pct"])
        n_items = sum(
            1
            for g in narr
            if g["metric"] == "gpb_by_function"
            and len(g.get("subject_code") or "") == 7
            and g["subject_code"][:3] == f["subject_code"][:3]
        )
        hits = find_pairs(doc.units, v, comp, COMPLETION_PRE, unit_word="项")
        if len(hits) != 1 or hits[0][1].unit != "万元":
            continue
        new = _amount_options(v, rng)
        if new is not None and abs(new - v) > ROUND_HALF * (n_items + 1):
            unit, ta, _ = hits[0]
            yield _Edit(unit, ta, new, f, "value", anchor=ta)


_CROSS_FIRST = ("three_public_total", "admin_operating_expenses")


def _plan_cross_section(doc, facts, rng) -> Iterable[_Edit]:
    narrative_keys = {
        (f["metric"], f.get("subject_code"), f["value"]) for f in _narr(facts) if f["value"] > 0
    }
    copies = [
        f
        for f in facts
        if f.get("section") in ("annex", "table")
        and f.get("unit") == "万元"
        and (f["metric"], f.get("subject_code"), f["value"]) in narrative_keys
    ]
    tiers: list[list[dict]] = [[], [], []]
    for f in copies:
        if f["section"] == "annex":
            tiers[0 if f["metric"] in _CROSS_FIRST else 1].append(f)
        else:
            tiers[2].append(f)
    for tier in tiers:
        rng.shuffle(tier)
    for f in tiers[0] + tiers[1] + tiers[2]:
        v = _dec(f["value"])
        if f["section"] == "annex":
            label = _clean(f.get("label") or "")
            hits = [
                (u, t)
                for u in doc.units
                if u.section == "annex"
                for t in u.tokens
                if t.unit == "万元" and t.value == v and label and label in _clean(t.pre)
            ]
            label_cell = None
        else:
            hits = []
            label_cell = None
            for u in doc.units:
                if u.section != "table":
                    continue
                idx = _table_cells_match(u, f.get("label") or "", f.get("subject_code"), v)
                if idx is None:
                    continue
                cell_start = sum(len(c) + 1 for c in u.cells[:idx])
                toks = [t for t in u.tokens if t.start == cell_start + _lead_ws(u.cells[idx])]
                if len(toks) == 1:
                    hits.append((u, toks[0]))
                    label_cell = idx - 1
        if len(hits) != 1:
            continue
        new = _amount_options(v, rng)
        if new is not None and abs(new - v) >= AMOUNT_SHIFT[0]:
            unit, tok = hits[0]
            yield _Edit(unit, tok, new, f, "value", anchor=tok, label_cell=label_cell)


def _lead_ws(cell: str) -> int:
    return len(cell) - len(cell.lstrip())


_TOTAL_METRICS = ("gpb_expenditure", "expenditure_current_year")


def _plan_table_total(doc, facts, rng) -> Iterable[_Edit]:
    """A table's 合计 row: its first figure moves, its 类 rows stay."""
    cands = [
        f
        for f in facts
        if f.get("section") == "table"
        and f["metric"] in _TOTAL_METRICS
        and f.get("unit") == "万元"
        and f["value"] > 0
    ]
    rng.shuffle(cands)
    for f in cands:
        v = _dec(f["value"])
        hits = []
        for u in doc.units:
            if u.section != "table" or not u.cells or _clean(u.cells[0]) != "合计":
                continue
            # The row's first amount (past an empty name cell and a 行次 number) is its total.
            idx = next(
                (
                    k
                    for k, c in enumerate(u.cells[1:], 1)
                    if re.fullmatch(r"[\d,]+\.\d+", _clean(c))
                ),
                None,
            )
            if idx is None or _dec(_clean(u.cells[idx]).replace(",", "")) != v:
                continue
            cell_start = sum(len(c) + 1 for c in u.cells[:idx])
            toks = [t for t in u.tokens if t.start == cell_start + _lead_ws(u.cells[idx])]
            if len(toks) == 1:
                hits.append((u, toks[0], idx - 1))
        if len(hits) != 1:
            continue
        new = _amount_options(v, rng)
        if new is not None and abs(new - v) >= AMOUNT_SHIFT[0]:
            unit, tok, label_cell = hits[0]
            yield _Edit(unit, tok, new, f, "value", anchor=tok, label_cell=label_cell)


_PLANNERS = {
    "share": _plan_share,
    "sum": _plan_class_sum,
    "yoy": _plan_yoy,
    "budget": _plan_budget,
    "cross_section": _plan_cross_section,
    "item_amount": _plan_item_amount,
    "table_total": _plan_table_total,
}


# ----------------------------------------------------------------------------------------------
# Quote and hint
# ----------------------------------------------------------------------------------------------


def _sentence(text: str, pos: int) -> str:
    start = max((text.rfind(ch, 0, pos) for ch in _SENTENCE_END), default=-1) + 1
    ends = [i for i in (text.find(ch, pos) for ch in _SENTENCE_END) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end].strip()


def _hint(edit: _Edit, new_unit_text: str, new_number: str, whole_text: str, quote: str) -> str:
    """The shortest of: label cells, fact label, the phrase before the figure, that phrase with
    the figure, the text from the line start — that occurs once in the faulty document."""
    anchor, tok = edit.anchor, edit.token
    anchor_end = anchor.start + len(new_number) if anchor is tok else anchor.end
    candidates: list[str] = []
    if edit.unit.kind == "row" and edit.label_cell is not None:
        candidates.append("\t".join(edit.unit.cells[: edit.label_cell + 1]).strip())
    candidates.append(edit.fact.get("label") or "")
    before = new_unit_text[: anchor.start]
    phrase = re.split(r"[，,；;：:。、]", before)[-1]
    phrase = re.sub(r"^\s*(?:[（(]\d+[）)]|\d+[、.．])", "", phrase)
    candidates.append(phrase.strip())
    path = re.search(r"(?:[（(]\d+[）)]|\d+[、.．])?([^，,；;：:。\s]+[（(]项[）)])", before)
    if path:  # a 类…款…项 path names the line better than "支出决算为"
        candidates.append(path.group(1))
    phrase_start = anchor.start - len(phrase)
    candidates.append(new_unit_text[phrase_start:anchor_end].strip())
    candidates.append(_BOOKMARK.sub("", before).strip())
    for c in candidates:
        if len(c) >= 2 and c in quote and whole_text.count(c) == 1:
            return c
    return quote


# ----------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------


def faults_path(doc_path: Path) -> Path:
    return doc_path.with_name(doc_path.stem + ".faults.json")


def load_faults(doc_path: Path | str) -> list[Fault]:
    path = faults_path(Path(doc_path))
    if not path.exists():
        return []
    return [Fault(**d) for d in json.loads(path.read_text(encoding="utf-8"))]


def inject_fault(doc_path: Path, kind: str, rng: random.Random) -> Fault:
    """Change exactly one printed number of ``doc_path`` (in place) so the report contradicts itself.

    The target is chosen from the truth file beside the document (so the consistent value is
    known) among figures whose printed text is found exactly once; raises ValueError when no
    candidate of ``kind`` exists. Appends the fault to ``<name>.faults.json``.
    """
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
    doc_path = Path(doc_path)
    if doc_path.resolve().is_relative_to(PROJECT_RAW):
        raise ValueError(f"refusing to edit {doc_path}: inject faults into a copy, never raw/")
    truth = load_truth(doc_path)
    facts = truth["facts"]
    doc = _open(doc_path)
    if kind in REVIEW_KINDS:
        return _apply_text_edit(doc, doc_path, kind, truth, rng)
    edit = next(
        (e for e in _PLANNERS[kind](doc, facts, rng) if e.unit.editable),
        None,
    )
    if edit is None:
        raise ValueError(f"no {kind} fault can be placed in {doc_path.name}")
    unit, tok = edit.unit, edit.token
    original = unit.text[tok.start : tok.end]
    new_text = format_like(original, edit.new_value)
    doc.replace(unit, tok.start, tok.end, new_text)
    doc.save()

    new_unit_text = unit.text[: tok.start] + new_text + unit.text[tok.end :]
    quote = new_unit_text if unit.kind == "row" else _sentence(new_unit_text, tok.start)
    whole = "\n".join(new_unit_text if u is unit else u.text for u in doc.units)
    if unit.kind == "row":
        unit.cells = new_unit_text.split("\t")
    fact = edit.fact
    fault = Fault(
        kind=kind,
        family=FAMILY[kind],
        metric=fact["metric"],
        subject_code=fact.get("subject_code"),
        true_value=float(tok.value),
        printed_value=float(edit.new_value),
        field=edit.field,
        section=unit.section,
        quote=quote,
        line_hint=_hint(edit, new_unit_text, new_text, whole, quote),
    )
    path = faults_path(doc_path)
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    existing.append(fault.to_dict())
    path.write_text(json.dumps(existing, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return fault


def _apply_text_edit(doc, doc_path: Path, kind: str, truth: dict, rng: random.Random) -> Fault:
    """Plant a word or layout fault (review_faults) and record it like a changed number."""
    edit: TextEdit | None = next(
        (e for e in REVIEW_PLANNERS[kind](doc, truth, rng) if e.unit.editable), None
    )
    if edit is None:
        raise ValueError(f"no {kind} fault can be placed in {doc_path.name}")
    quote = edit.unit.text[: edit.start] + edit.new + edit.unit.text[edit.end :]
    # Later units first: a .txt's offsets after an edit would move.
    for u in reversed(edit.blanked):
        if u.text:
            doc.replace(u, 0, len(u.text), "")
    doc.replace(edit.unit, edit.start, edit.end, edit.new)
    doc.save()
    removed = edit.unit.text if not edit.new and edit.start == 0 else None
    fault = Fault(
        kind=kind,
        family=FAMILY[kind],
        metric="",
        subject_code=None,
        true_value=0.0,
        printed_value=0.0,
        field="text",
        section=edit.section,
        quote=removed or (quote if edit.unit.kind == "row" else _sentence(quote, edit.start)),
        line_hint=edit.marker,
        check_id=edit.check_id,
        level=edit.level,
        marker=edit.marker,
    )
    path = faults_path(doc_path)
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    existing.append(fault.to_dict())
    path.write_text(json.dumps(existing, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return fault


def make_faulty_corpus(
    out_dir: Path,
    n_departments: int,
    years: Iterable[int],
    seed: int,
    kinds: Sequence[str] = FAULT_KINDS,
    *,
    formats: Sequence[str] = ("txt", "docx"),
    layouts: Sequence[str] = ("sichuan",),
) -> list[tuple[Path, Fault]]:
    """Clean county under ``out_dir/clean``; one-fault copies under ``out_dir/faulty/<kind>/<year>/``.

    Kinds are dealt round-robin over the documents; each document takes as many kinds as needed
    for every kind to hit at least MIN_HITS_PER_KIND documents (when there are enough). A kind that
    cannot be placed in a document is skipped for it. Deterministic for a seed.
    A .pdf, or a PDF's text (formats "pdftotext", "pdfplumber"), is not edited in place: the
    fault is planted in the report's blocks (see :func:`_inject_via_blocks`) and the copy is
    rendered again in its format.
    """
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in FAULT_KINDS]
    if not kinds or bad:
        raise ValueError(f"kinds must be a non-empty subset of {FAULT_KINDS}, got {kinds}")
    out_dir = Path(out_dir)
    blocks: dict[Path, list] = {}
    docs = generate_county(
        out_dir / "clean",
        n_departments,
        tuple(years),
        seed,
        formats=formats,
        layouts=layouts,
        collect=blocks,
    )
    rounds = min(len(kinds), max(1, math.ceil(MIN_HITS_PER_KIND * len(kinds) / len(docs))))
    dealt = [
        (src, kinds[(i * rounds + r) % len(kinds)])
        for i, src in enumerate(docs)
        for r in range(rounds)
    ]
    results = _plant(out_dir, blocks, dealt, seed)
    # A kind that fits few documents (a removed table needs a full set of tables) is tried on
    # the others, in order, until it hits MIN_HITS_PER_KIND of them.
    for kind in kinds:
        hits = {path.name for path, fault in results if fault.kind == kind}
        for src in docs:
            if len(hits) >= min(MIN_HITS_PER_KIND, len(docs)):
                break
            if src.name in hits or (src, kind) in dealt:
                continue
            for path, _fault in (extra := _plant(out_dir, blocks, [(src, kind)], seed)):
                hits.add(path.name)
            results += extra
    return results


def _plant(
    out_dir: Path, blocks: dict[Path, list], dealt: list[tuple[Path, str]], seed: int
) -> list[tuple[Path, Fault]]:
    """Copy each (document, kind) under faulty/<kind>/<year>/ and plant the fault; a kind that
    cannot be placed in a document leaves no copy."""
    results: list[tuple[Path, Fault]] = []
    for src, kind in dealt:
        year = src.parent.name
        fmt = load_truth(src)["format"]
        dest = out_dir / "faulty" / kind / year / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        truth_src = src.with_name(src.stem + ".truth.json")
        truth_dest = dest.with_name(dest.stem + ".truth.json")
        shutil.copyfile(truth_src, truth_dest)
        faults_path(dest).unlink(missing_ok=True)
        rng = random.Random(f"{seed}:fault:{kind}:{year}:{src.stem}")
        try:
            if fmt in ("txt", "docx", "docx+xlsx"):
                shutil.copyfile(src, dest)
                attachment = src.with_name(src.stem + ATTACHMENT_SUFFIX + ".xlsx")
                if attachment.exists():  # the tables go with the copy, unchanged
                    shutil.copyfile(attachment, dest.with_name(attachment.name))
                fault = inject_fault(dest, kind, rng)
            else:
                fault = _inject_via_blocks(blocks[src], fmt, dest, kind, rng)
        except ValueError:
            dest.unlink(missing_ok=True)
            dest.with_name(dest.stem + ATTACHMENT_SUFFIX + ".xlsx").unlink(missing_ok=True)
            truth_dest.unlink()
            continue
        results.append((dest, fault))
    return results


def canonical_lines(blocks: list) -> tuple[list[str], list[tuple]]:
    """The blocks as Word-export text lines (rows tab-joined), and where each line came from."""
    lines: list[str] = []
    refs: list[tuple] = []
    for i, b in enumerate(blocks):
        if b.kind != "table":
            lines.append(b.text)
            refs.append(("text", i))
            continue
        lines.append(b.text)
        refs.append(("text", i))
        for k, line in enumerate(b.head):
            lines.append(line)
            refs.append(("head", i, k))
        for k, row in enumerate(b.rows):
            lines.append("\t".join(row))
            refs.append(("row", i, k))
        if b.note:
            lines.append(b.note)
            refs.append(("note", i))
    return lines, refs


def _inject_via_blocks(blocks: list, fmt: str, dest: Path, kind: str, rng: random.Random) -> Fault:
    """Plant a fault in a report that cannot be edited in place (a PDF, or text drawn from one).

    The blocks are written as Word-export text beside a copy of the truth, the fault goes into
    that text as into any .txt, the one changed line goes back into its block, and the copy is
    rendered again in ``fmt`` at ``dest``; the fault is recorded beside ``dest``.
    """
    from tools.sample.writers import write_document

    blocks = copy.deepcopy(blocks)
    lines, refs = canonical_lines(blocks)
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / f"{dest.stem}.txt"
        doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
        shutil.copyfile(
            dest.with_name(dest.stem + ".truth.json"), doc.with_name(doc.stem + ".truth.json")
        )
        fault = inject_fault(doc, kind, rng)
        changed = doc.read_text(encoding="utf-8").rstrip("\n").split("\n")
    if len(changed) != len(lines):
        raise ValueError("a fault changed the number of lines")
    for ref, old, new in zip(refs, lines, changed, strict=True):
        if old == new:
            continue
        b = blocks[ref[1]]
        if ref[0] == "text":
            b.text = new
        elif ref[0] == "head":
            b.head[ref[2]] = new
        elif ref[0] == "row":
            b.rows[ref[2]] = new.split("\t")
        else:
            b.note = new
    # A removed table leaves no empty grid behind.
    blocks = [
        b
        for b in blocks
        if b.kind != "table" or b.text.strip() or any("".join(r).strip() for r in b.rows)
    ]
    year = int(dest.parent.name)
    written = write_document(
        blocks, fmt, dest.parent, dest.stem, year, None, random.Random(0), "utf-8"
    )
    if written != dest:
        raise ValueError(f"{fmt} copy written as {written.name}, expected {dest.name}")
    faults_path(dest).write_text(
        json.dumps([fault.to_dict()], ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return fault
