"""Where a PDF report's figures sit on its pages, found while the report is read.

The PDF reader keeps, for every block, the PDF character behind each character of its text
(``Block.page`` and ``Block.boxes``, in the page's unrotated user space). Here, still in the
reading worker, each statement's figures (its amount, share, change, budget, completion rate,
subject code) are found among the numbers of the text the statement was read from: the
sentence it quotes inside its own paragraph (the lines of its ``source_location``), or its
table row; so are its subject's code and printed name. Their boxes are stored with the statement (``core.statement.page_no`` and
``figure_boxes``), and those of a finding made while reading (a doubled punctuation mark, a
placeholder name) with the finding (``quality.check_result.page_no`` and ``source_boxes``).
The review then boxes them in a copy of the PDF (pipelines/publish/annotate.py) without reading the
PDF's text again.

``figure_boxes`` is JSON: ``{"share": [[page, x0, y0, x1, y1], ...], ...}``, one rectangle per
line the figure's characters sit on (a figure wrapped at the end of a line has two), pages
1-based, points from the page's bottom left, before any /Rotate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from pipelines.ingest.document import Block, Document
from pipelines.ingest.extract.statement import Statement

# Field of a statement -> key in figure_boxes.
PERCENT_FIELDS = {"share_pct": "share", "change_pct": "change_pct", "completion_pct": "completion"}
AMOUNT_FIELDS = {
    "change_wan": "change",
    "budget_wan": "budget",
    "basic_wan": "basic",
    "project_wan": "project",
}
# One-to-one, so that offsets in the mapped text are offsets in the block's text.
_ASCII = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")
# A number as printed: 1,234.56 | 1234.56 | 76 | letter-spaced "9 9 9 . 8 3"; then maybe a %.
_NUMBER = re.compile(
    r"(?<![\d.])(\d(?: [\d.,]){2,}(?!\d)|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?)(\s*%)?"
)
_QUOTED = re.compile(r"“([^”]{1,40})”")
_MAX_PARAGRAPH_BLOCKS = 80  # lines one joined paragraph may span (a statement's location)


class _Source:
    """The text a statement was read from, with each character's page and PDF character."""

    def __init__(self, blocks: list[Block]) -> None:
        self.text = "".join(b.text for b in blocks).translate(_ASCII)
        self.chars: list = []
        self.pages: list[int] = []
        for b in blocks:
            boxes = b.boxes if b.boxes is not None and len(b.boxes) == len(b.text) else None
            self.chars.extend(boxes if boxes is not None else [None] * len(b.text))
            self.pages.extend([b.page or 0] * len(b.text))
        # (start, end, value, printed with %): a percentage's span takes its % sign
        self.numbers = [
            (m.start(1), m.end(), _value(m.group(1)), m.group(2) is not None)
            for m in _NUMBER.finditer(self.text)
        ]
        self.used: set[int] = set()  # starts of numbers already given to a statement's figure

    def rects(self, start: int, end: int) -> list[list[float]]:
        """[page, x0, y0, x1, y1] per line of the characters in text[start:end]."""
        out: list[list[float]] = []
        for k in range(start, end):
            c = self.chars[k]
            if c is None or not c[0].strip():
                continue
            page, x0, y0, x1, y1 = self.pages[k], c[1], c[2], c[3], c[4]
            last = out[-1] if out else None
            # the same line: same page, the boxes overlap vertically
            if last is not None and last[0] == page and y0 < last[4] and y1 > last[2]:
                last[1], last[2] = min(last[1], x0), min(last[2], y0)
                last[3], last[4] = max(last[3], x1), max(last[4], y1)
            else:
                out.append([page, x0, y0, x1, y1])
        return [[r[0], *(round(v, 2) for v in r[1:])] for r in out]


def _value(printed: str) -> float | None:
    try:
        return float(printed.replace(" ", "").replace(",", ""))
    except ValueError:
        return None


def _same(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(abs(a) - abs(b)) <= 1e-6 * max(1.0, abs(b))


def attach_boxes(doc: Document, statements: list[Statement], rows: dict[str, list[dict]]) -> None:
    """Fill ``page_no`` and ``figure_boxes`` of the report's statement rows, and ``page_no`` and
    ``source_boxes`` of the findings made while reading it, for a PDF report (others: no-op)."""
    if doc.source_format != "pdf" or not any(b.boxes for b in doc.blocks):
        return
    by_index = {b.index: b for b in doc.blocks}
    by_location = {b.location: b for b in doc.blocks}
    located = locate_statements(statements, by_index, by_location)
    for row in rows.get("core.statement", ()):
        found = located.get(row["statement_no"])
        if found is not None:
            row["page_no"], row["figure_boxes"] = found
    for row in rows.get("quality.check_result", ()):
        if row.get("statement_no") is None and row.get("source_location"):
            found = _locate_finding(row, by_location)
            if found is not None:
                row["page_no"], row["source_boxes"] = found


def locate_statements(
    statements: Iterable[Statement], by_index: dict[int, Block], by_location: dict[str, Block]
) -> dict[int, tuple[int, str]]:
    """statement_no -> (page of its first figure, figure_boxes JSON), for the statements whose
    figures were found on a page."""
    sources: dict[tuple[int, str], _Source | None] = {}
    out: dict[int, tuple[int, str]] = {}
    for st in sorted(statements, key=lambda s: s.statement_no):
        key = (st.block_index, st.source_location)
        if key not in sources:
            blocks = _source_blocks(st, by_index, by_location)
            sources[key] = _Source(blocks) if blocks else None
        source = sources[key]
        if source is None:
            continue
        figures = _figures(st, source)
        if figures:
            first = next(iter(figures.values()))[0]
            out[st.statement_no] = (
                int(first[0]),
                json.dumps(figures, separators=(",", ":"), ensure_ascii=False),
            )
    return out


def _source_blocks(
    st: Statement, by_index: dict[int, Block], by_location: dict[str, Block]
) -> list[Block]:
    """The block a statement was read from, and for a paragraph joined over several lines,
    the lines up to the last one its location names ("第3页第5行–第3页第7行")."""
    first = by_index.get(st.block_index)
    if first is None or first.boxes is None:
        return []
    if first.kind == "table_row":
        return [first]
    last = (st.source_location or "").split("–")[-1]
    blocks = [first]
    if last == first.location or last not in by_location:
        return blocks
    for k in range(first.index + 1, first.index + _MAX_PARAGRAPH_BLOCKS):
        b = by_index.get(k)
        if b is None or b.kind != "paragraph":
            break
        blocks.append(b)
        if b.location == last:
            return blocks
    return [first]


def _region(st: Statement, source: _Source) -> tuple[int, int]:
    """The span of the sentence the statement quotes (its whole text when not found)."""
    quote = (st.source_text or "").split("…")[0].translate(_ASCII).strip()
    for probe in (quote, quote[:24]):
        if probe:
            at = source.text.find(probe)
            if at >= 0:
                return at, (at + len(probe) if probe is quote else len(source.text))
    return 0, len(source.text)


def _figures(st: Statement, source: _Source) -> dict[str, list]:
    start, end = _region(st, source)
    numbers = [n for n in source.numbers if start <= n[0] < end]
    figures: dict[str, list] = {}
    anchor = start  # where the amount is: the other figures are looked for after it first
    factor = 1.0
    printed = None
    if st.value_text:
        m = _NUMBER.search(st.value_text.translate(_ASCII))
        printed = _value(m.group(1)) if m else None
    if printed is None:
        printed = st.count_value if st.count_value is not None else st.amount_wan
    amount = _pick(numbers, source.used, lambda v, pct: _same(v, printed) and not pct, start)
    if amount is not None:
        source.used.add(amount[0])
        figures["amount"] = source.rects(amount[0], amount[1])
        anchor = amount[1]
        if st.amount_wan and amount[2]:
            factor = abs(st.amount_wan / amount[2])
    for name, key in PERCENT_FIELDS.items():
        value = getattr(st, name)
        if value is None:
            continue
        hit = _pick(
            numbers, source.used, lambda v, pct, x=value: _same(v, x), anchor, prefer_pct=True
        )
        if hit is not None:
            source.used.add(hit[0])
            figures[key] = source.rects(hit[0], hit[1])
    for name, key in AMOUNT_FIELDS.items():
        value = getattr(st, name)
        if value is None or (name == "change_wan" and st.flat and not value):
            continue
        hit = _pick(
            numbers,
            source.used,
            lambda v, pct, x=value: not pct
            and v is not None
            and (_same(v * factor, x) or _same(v, x) or _same(v / 10000, x)),
            anchor,
        )
        if hit is not None:
            source.used.add(hit[0])
            figures[key] = source.rects(hit[0], hit[1])
    if st.subject_code:
        code = _find_code(st.subject_code, source.text, start, end)
        if code is not None:
            figures["code"] = source.rects(*code)
    if st.subject_name:
        name = st.subject_name.translate(_ASCII)
        at = source.text.find(name, start, end)
        if at < 0:
            at = source.text.find(name)
        if at >= 0:
            figures["name"] = source.rects(at, at + len(name))
    return {k: v for k, v in figures.items() if v}


def _pick(numbers: list, used: set[int], matches, anchor: int, prefer_pct: bool = False):
    """The number that matches, not yet given to a figure, nearest after ``anchor`` (then
    nearest before it); with ``prefer_pct``, one printed with % first."""
    hits = [n for n in numbers if n[0] not in used and matches(n[2], n[3])]
    if not hits:
        return None

    def rank(n):
        after = n[0] >= anchor
        return (prefer_pct and not n[3], not after, abs(n[0] - anchor))

    return min(hits, key=rank)


def _find_code(code: str, text: str, start: int, end: int) -> tuple[int, int] | None:
    """A subject code printed whole (2010301) or split into columns (201 03 01)."""
    parts = [code[:3], code[3:5], code[5:7]][: (len(code) - 1) // 2]
    pattern = re.compile(r"(?<!\d)" + r"\s*".join(parts) + r"(?!\d)")
    m = pattern.search(text, start, end) or pattern.search(text)
    return (m.start(), m.end()) if m else None


def _locate_finding(row: dict, by_location: dict[str, Block]) -> tuple[int, str] | None:
    """A finding made while reading (the text checks, a placeholder name, an unreadable
    table): what its message quotes (“…”) inside the line its location names, or that line."""
    location = str(row["source_location"]).split("至")[0].split("–")[0].strip()
    block = by_location.get(location)
    if block is None or block.boxes is None or len(block.boxes) != len(block.text):
        return None
    source = _Source([block])
    span = (0, len(source.text))
    for quoted in _QUOTED.findall(row.get("message") or ""):
        at = source.text.find(quoted.translate(_ASCII))
        if at >= 0:
            span = (at, at + len(quoted))
            break
    rects = source.rects(*span)
    if not rects:
        return None
    return int(rects[0][0]), json.dumps(rects, separators=(",", ":"))
