"""Faults a reviewer meets on reading, planted in a copy of a synthetic report.

:mod:`tools.sample.faults` changes one number so that the arithmetic breaks; the kinds here
change words and layout, the way a report goes wrong before any sum is done:

* ``placeholder`` (identity, error): the department's name in one narrative line becomes "XX局".
* ``wrong_year`` (identity, error): a part or table heading, or "截至…年12月31日", names the year
  before the report's.
* ``direction`` (budget, error): "决算数大于预算数" flips to "小于" (or back) in a sentence that
  states both figures.
* ``doubled_punctuation`` (text, warning): one "，" inside a narrative sentence is doubled.
* ``table_removed`` (package, error): one standard table (title, header, rows, note) is removed.
* ``blank_cell`` (cross_section, error): one figure of the 三公 table is left blank while the
  narrative still states it.

Each planner yields :class:`TextEdit` candidates for a document opened by ``faults._open``; the
first one that can be applied is. The finding that must answer a fault is named by its check id
and level, and must quote ``marker`` (in its message or its quoted source).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

REVIEW_KINDS = (
    "placeholder",
    "wrong_year",
    "direction",
    "doubled_punctuation",
    "table_removed",
    "blank_cell",
)


@dataclass
class TextEdit:
    unit: object  # faults.Unit
    start: int
    end: int
    new: str
    check_id: str
    family: str
    level: str  # error | warning
    marker: str
    section: str = "narrative"
    blanked: list = field(default_factory=list)  # further units emptied with it (a table)


_TITLE_YEAR = re.compile(r"(20\d{2})(\s*年度?\s*(?:部门决算|决算))")
_AS_OF = re.compile(r"截至\s*(20\d{2})(\s*年\s*12\s*月\s*31\s*日)")
_DIRECTION = re.compile(
    r"决算数?(?:同|与|比)?(?:年初)?预算数?(大于|小于|高于|低于)|决算数(大于|小于|高于|低于)"
)
_FLIP = {"大于": "小于", "小于": "大于", "高于": "低于", "低于": "高于"}
_BUDGET_FIGURE = re.compile(r"预算(?:数)?(?:为)?\s*[\d,.]+\s*万元")
_STANDARD_TABLE = re.compile(r"决算(?:总)?表")
_THREE_PUBLIC_PARTS = (
    "three_public_reception",
    "three_public_vehicle_operation",
    "three_public_vehicle",
    "three_public_overseas",
)


def _narrative(doc) -> list:
    # Not the first lines: the cover's title names the department and year the report is filed
    # under, and a fault there would change which report it is rather than plant an error in it.
    return [u for u in doc.units[3:] if u.section != "table" and u.kind == "para" and u.editable]


def _plan_placeholder(doc, truth: dict, rng: random.Random) -> Iterable[TextEdit]:
    name = truth["department"]
    units = [u for u in _narrative(doc) if name in u.text and len(u.text) > len(name) + 4]
    rng.shuffle(units)
    for u in units:
        i = u.text.index(name)
        yield TextEdit(
            u, i, i + len(name), "XX局", "identity.placeholder_name", "identity", "error", "XX局"
        )


def _plan_wrong_year(doc, truth: dict, rng: random.Random) -> Iterable[TextEdit]:
    year = truth["fiscal_year"]
    options = []
    for u in _narrative(doc):
        heading = len(u.text.strip()) <= 40 and not re.search(r"[，。；]", u.text)
        for pattern in (_AS_OF, _TITLE_YEAR) if heading else (_AS_OF,):
            for m in pattern.finditer(u.text):
                if int(m.group(1)) == year:
                    options.append((u, m.start(1), m.end(1)))
    rng.shuffle(options)
    for u, a, b in options:
        yield TextEdit(
            u, a, b, str(year - 1), "identity.wrong_year", "identity", "error", f"{year - 1}年"
        )


def _plan_direction(doc, truth: dict, rng: random.Random) -> Iterable[TextEdit]:
    options = []
    for u in _narrative(doc):
        for m in _DIRECTION.finditer(u.text):
            # The figures may be stated in the sentences before, within the paragraph.
            before = u.text[: m.start()]
            if _BUDGET_FIGURE.search(before) and re.search(
                r"决算(?:数)?(?:为)?\s*[\d,.]+\s*万元", before
            ):
                group = 1 if m.group(1) else 2
                options.append((u, m.start(group), m.end(group), m.group(group)))
    rng.shuffle(options)
    for u, a, b, word in options:
        flipped = _FLIP[word]
        said = {"高于": "大于", "低于": "小于"}.get(flipped, flipped)
        yield TextEdit(
            u, a, b, flipped, "budget.direction", "budget", "error", f"决算数{said}预算数"
        )


def _plan_doubled_punctuation(doc, truth: dict, rng: random.Random) -> Iterable[TextEdit]:
    options = [
        (u, m.start())
        for u in _narrative(doc)
        if len(u.text) > 20 and not re.search(r"([。，、；：！？])\1", u.text)
        for m in re.finditer("，", u.text)
    ]
    rng.shuffle(options)
    for u, i in options:
        yield TextEdit(u, i, i + 1, "，，", "text.doubled_punctuation", "text", "warning", "，，")


def _plan_table_removed(doc, truth: dict, rng: random.Random) -> Iterable[TextEdit]:
    from pipelines.ingest.extract.package import ELSEWHERE_SHARE, standard_tables

    names = sorted(standard_tables(), key=lambda t: len(t.name), reverse=True)
    units = doc.units
    tables = []
    for i, u in enumerate(units):
        title = u.text.strip()
        if u.kind != "para" or not _STANDARD_TABLE.search(title) or len(title) > 40:
            continue
        first_row = next(
            (k for k in range(i + 1, min(i + 6, len(units))) if units[k].kind == "row"), None
        )
        if first_row is None or any(
            units[k].text.strip() and _STANDARD_TABLE.search(units[k].text)
            for k in range(i + 1, first_row)
        ):
            continue
        last = first_row
        while last + 1 < len(units) and units[last + 1].kind == "row":
            last += 1
        if last + 1 < len(units) and units[last + 1].text.strip().startswith("注"):
            last += 1
        standard = next((t.name for t in names if t.words in title.replace('"', "“")), None)
        if standard is None or standard == "收入支出决算总表":
            continue  # the first table tells a final account from a budget: keep it
        tables.append((i, last, standard))
    # A document that carries only some of the tables publishes the rest elsewhere (an annexed
    # workbook): a table missing from it is no fault of the report. Plant only in a full set.
    year = truth["fiscal_year"]
    due = [t for t in names if t.required_from <= year <= t.required_to]
    if len(tables) < ELSEWHERE_SHARE * len(due) + 1:  # the total table stays, one goes
        return
    rng.shuffle(tables)
    for i, last, standard in tables:
        span = units[i : last + 1]
        if not all(u.editable for u in span):
            continue
        yield TextEdit(
            units[i],
            0,
            len(units[i].text),
            "",
            "package.table_missing",
            "package",
            "error",
            standard,
            section="table",
            blanked=span[1:],
        )


def _plan_blank_cell(doc, truth: dict, rng: random.Random) -> Iterable[TextEdit]:
    facts = truth["facts"]
    stated = {
        (f["metric"], Decimal(str(f["value"])))
        for f in facts
        if f.get("section") == "narrative" and f["value"] > 0
    }
    rows = _three_public_rows(doc)
    options = []
    for f in facts:
        if f["metric"] not in _THREE_PUBLIC_PARTS or f.get("section") != "table":
            continue
        if f.get("unit") != "万元" or (f["metric"], Decimal(str(f["value"]))) not in stated:
            continue
        value = Decimal(str(f["value"]))
        cells = [
            (u, k)
            for u in rows
            for k, c in enumerate(u.cells)
            if re.fullmatch(r"\s*[\d,]+\.\d+\s*", c)
            and Decimal(c.strip().replace(",", "")) == value
        ]
        if len(cells) == 1:  # the figure is printed once in the table: it is that cell
            options.append((cells[0], f))
    rng.shuffle(options)
    for (u, k), f in options:
        start = sum(len(c) + 1 for c in u.cells[:k])
        text = u.cells[k]
        yield TextEdit(
            u,
            start,
            start + len(text),
            "",
            "cross_section.amount",
            "cross_section",
            "error",
            f"{Decimal(str(f['value'])):,.2f}",
            section="table",
        )


def _three_public_rows(doc) -> list:
    """The rows of the 三公 table: from its title to the next paragraph that is not a header."""
    out, inside = [], False
    for u in doc.units:
        if u.kind == "para":
            text = u.text.strip()
            if "三公" in text and "表" in text and len(text) <= 40:
                inside = True
            elif inside and out and text:
                break
            continue
        if inside:
            out.append(u)
    return out


PLANNERS = {
    "placeholder": _plan_placeholder,
    "wrong_year": _plan_wrong_year,
    "direction": _plan_direction,
    "doubled_punctuation": _plan_doubled_punctuation,
    "table_removed": _plan_table_removed,
    "blank_cell": _plan_blank_cell,
}
