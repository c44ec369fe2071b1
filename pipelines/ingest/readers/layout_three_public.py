"""The 三公 table in text laid out with spaces (``pdftotext -layout``).

Its header is the hardest of the nine tables to read by position: narrow cells print each part's
name broken over several lines ("因公出" / "国" / "（境）" / "费"), group names stand over their
sub-columns ("公务用车购置及运行维护费" over 小计 | 购置费 | 运行维护费), 预算数 and 决算数 stand either
over the two halves of the table, under each part, or at the head of two rows, and a text layout
places lines of Chinese words at positions that drift from the figures below them. What it keeps
is the order of things from left to right. So the header is rebuilt from its *word stacks*:

- each header word joins the stack of words above it that it overlaps (the one it overlaps most,
  never two words of one line in one stack); a stack's words, top to bottom, are one name;
- the stacks, left to right, name the table's columns from the template's vocabulary (合计,
  因公出国（境）费, 公务用车购置及运行维护费, 小计, 公务用车购置费 …); a group followed by its 小计
  (or joined to it) is the group's own column, a group followed by its parts without one is a
  header over them;
- 预算数 / 决算数 words decide the side of each figure: two words over two halves, one word per
  figure column, or a row's own label; a 栏次 row (1, 2, 3 …) numbers the columns and must agree;
- a row's figures go to the columns in their order; a row short of figures (a blank cell) is
  placed where the table's sums can hold with the blank standing for the value they imply;
  when several places can, by positions (a complete row, the column numbers, the side words
  or stacks, the whole row shifted by its median offset), only when one place is clearly
  nearest; else not at all.

The reading is taken only when every stack is a known name and the counts agree; the table's
sums (合计 = its three parts; 小计 = 购置费 + 运行维护费; 公务接待费 = 国内 + 国（境）外) are then
the document's to answer, as in a Word table. Anything else leaves the table to the general
reader.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field

from pipelines.ingest.readers.layout_tables import (
    _AMOUNT,
    _HEADER_STOP,
    _PLACEHOLDER,
    _PROSE,
    LayoutTable,
    _is_data,
    _Line,
)
from pipelines.ingest.readers.ordered_tables import _cents, _tolerance

MAX_HEADER_LINES = 16
TITLE_LOOKUP_LINES = 4
_SIDES = {"预算数": 0, "预算": 0, "决算数": 1, "决算": 1}
_SIDE_NAMES = ("预算数", "决算数")
# Words over the whole header: the table's own subject ("财政拨款“三公”经费" over all parts).
_NEUTRAL = {"项目", "栏次", "金额", "财政拨款三公经费"}
_COLUMN_NUMBERS = re.compile(r"^(?:栏次)?(?:\d{1,2})+$")
# Column names: (name written in the rebuilt header, the names a stack may print).
_NAMES = (
    ("合计", ("三公经费合计", "合计", "三公经费")),
    ("因公出国（境）费", ("因公出国(境)费", "因公出国(境)")),
    ("公务用车购置及运行维护费小计", ("公务用车购置及运行维护费", "公务用车购置及运行费")),
    ("公务用车购置费", ("公务用车购置费", "公务用车购置")),
    ("公务用车运行维护费", ("公务用车运行维护费", "公务用车运行费")),
    ("公务接待费", ("公务接待费",)),
    ("国内接待费", ("国内接待费", "国内公务接待费")),
    ("国（境）外接待费", ("国(境)外接待费", "外事接待费", "国(境)外公务接待费")),
    ("会议费", ("会议费",)),
    ("培训费", ("培训费",)),
)
_SUBTOTAL = "小计"
# A group's parts: a 小计 before them is the group's column.
_PARENT = {
    "公务用车购置费": "公务用车购置及运行维护费小计",
    "公务用车运行维护费": "公务用车购置及运行维护费小计",
    "国内接待费": "公务接待费",
    "国（境）外接待费": "公务接待费",
}
_GROUPS = set(_PARENT.values())
# A row short of figures is placed by position only when the best placement beats the next by
# this share of the usual gap between columns; at most this many blank cells.
_PLACE_MARGIN = 0.5
MAX_BLANKS = 3


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s“”\"'‘’]", "", text)


def _name(text: str) -> tuple[str, bool] | None:
    """The column name a stack spells and whether it ends in 小计 ("公务接待费小计": the
    group's own column), or None."""
    plain = _plain(text)
    if plain == _SUBTOTAL:
        return _SUBTOTAL, True
    subtotal = plain.endswith(_SUBTOTAL)
    if subtotal:
        plain = plain[: -len(_SUBTOTAL)]
    for name, spellings in _NAMES:
        if plain in spellings:
            return (name, subtotal) if not subtotal or name in _GROUPS else None
    return None


@dataclass
class _Stack:
    words: list[tuple[int, int, int, str]] = field(default_factory=list)  # (line, start, end, text)

    @property
    def span(self) -> tuple[int, int]:
        return min(w[1] for w in self.words), max(w[2] for w in self.words)

    @property
    def centre(self) -> float:
        s, e = self.span
        return (s + e) / 2

    @property
    def text(self) -> str:
        return "".join(w[3] for w in sorted(self.words))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def _fit(stack: _Stack, s: int, e: int) -> tuple[int, int]:
    """How a word overlaps a stack: its lowest word, then its whole width."""
    low = max(stack.words, key=lambda word: word[0])
    return _overlap((s, e), (low[1], low[2])), _overlap((s, e), stack.span)


def _stacks(words: list[tuple[int, int, int, str]]) -> list[_Stack]:
    return _repaired(word_stacks(words))


def word_stacks(words: list[tuple[int, int, int, str]]) -> list[_Stack]:
    """Header words, top to bottom, each joined to the stack above it that it overlaps most
    (its lowest word first, then the stack's whole width); stacks left to right."""
    stacks: list[_Stack] = []
    for line, s, e, text in sorted(words):
        scored = [
            (_fit(st, s, e), k)
            for k, st in enumerate(stacks)
            if all(w[0] != line for w in st.words)  # one word of a line per stack
        ]
        best = max(scored, default=None)
        if best is not None and max(best[0]) > 0:
            stacks[best[1]].words.append((line, s, e, text))
        else:
            stacks.append(_Stack([(line, s, e, text)]))
    return sorted(stacks, key=lambda st: st.centre)


def _repaired(stacks: list[_Stack]) -> list[_Stack]:
    """Stacks whose words spell no known name may hold a word of their neighbour's (a wrapped
    piece like "（境）费" printed on a line whose other words drift it sideways): a word moves to
    the stack beside it when both then spell known names (or the one it leaves is empty)."""

    def known(words: list) -> bool:
        return not words or _name("".join(w[3] for w in sorted(words))) is not None

    for _ in range(len(stacks)):
        bad = [k for k, st in enumerate(stacks) if not known(st.words)]
        if not bad:
            break
        moved = False
        for k in bad:
            for a, b in [(k, j) for j in (k - 1, k + 1)] + [(j, k) for j in (k - 1, k + 1)]:
                if not (0 <= a < len(stacks) and 0 <= b < len(stacks)) or moved:
                    continue
                for word in stacks[a].words:
                    if any(w[0] == word[0] for w in stacks[b].words):
                        continue
                    rest = [w for w in stacks[a].words if w != word]
                    if known(rest) and known(stacks[b].words + [word]):
                        stacks[a].words, moved = rest, True
                        stacks[b].words.append(word)
                        break
        if not moved:
            break
    return [st for st in stacks if st.words]


def _columns(stacks: list[_Stack]) -> list[tuple[str, float]] | None:
    """(column name, centre) of each column the stacks name, left to right; None when a stack
    names nothing known or a 小计 no part follows."""
    named = []
    for st in stacks:
        name = _name(st.text)
        if name is None:
            return None
        named.append((*name, st.centre))
    out: list[tuple[str, float]] = []
    for k, (name, subtotal, centre) in enumerate(named):
        following = named[k + 1][0] if k + 1 < len(named) else None
        if name == _SUBTOTAL:
            parent = _PARENT.get(following or "")
            if parent is None:
                return None
            if out and out[-1][0] == parent:
                out[-1] = (parent, centre)  # the group over its 小计: one column
            else:
                out.append((parent, centre))
        elif name in _GROUPS and following != _SUBTOTAL and _PARENT.get(following or "") == name:
            if subtotal:
                out.append((name, centre))  # the group joined to its 小计
            # else: a group's name over its parts alone heads them; it is no column
        else:
            out.append((name, centre))
    return out


@dataclass
class _Header:
    title_line: int
    words: list[tuple[int, int, int, str]]  # (line, start, end, text) of the names
    sides: list[tuple[float, int]]  # (centre, side) of each 预算数 / 决算数 word
    numbers: list[float]  # centres of the 栏次 row's numbers
    first_line: int


def _header(parsed: list[_Line], first_data: int) -> _Header | None:
    """The header lines above the first row of figures, up to the unit line or the title; None
    unless a title naming 三公 stands just above."""
    words: list[tuple[int, int, int, str]] = []
    sides: list[tuple[float, int]] = []
    numbers: list[float] = []
    k = first_data - 1
    taken = 0
    first_line = parsed[first_data].no
    while k >= 0 and taken < MAX_HEADER_LINES:
        ln = parsed[k]
        text = "".join(t for _, _, t in ln.tokens)
        if not ln.tokens:
            k -= 1
            continue
        if _HEADER_STOP.search(text) or _PROSE.search(text) or _is_data(ln.tokens):
            break
        if "三公" in text and text.endswith("表"):
            break
        taken += 1
        first_line = ln.no
        if _COLUMN_NUMBERS.match(_plain(text)):
            numbers = [(s + e) / 2 for s, e, t in ln.tokens if t.isdigit()]
            k -= 1
            continue
        for s, e, t in _split(ln.tokens):
            plain = _plain(t)
            if plain in _SIDES:
                sides.append(((s + e) / 2, _SIDES[plain]))
            elif plain and plain not in _NEUTRAL:
                words.append((ln.no, s, e, t))
        k -= 1
    for j in range(k, max(k - TITLE_LOOKUP_LINES, -1), -1):
        text = "".join(t for _, _, t in parsed[j].tokens)
        if "三公" in text and re.search(r"表", text) and not _PROSE.search(text):
            return _Header(parsed[j].no, words, sides, numbers, first_line)
    return None


def _split(tokens: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Words one space apart are two words ("国内接待 国（境）", "预算数 决算数")."""
    out = []
    for s, _e, text in tokens:
        pos = s
        for part in text.split(" "):
            out.append((pos, pos + len(part), part))
            pos += len(part) + 1
    return out


def _figures(line: _Line) -> tuple[str | None, list[tuple[float, str]]]:
    """A data line's side label (预算数 / 决算数, if it has one) and its figures with centres."""
    label = None
    figures = []
    for s, e, t in line.tokens:
        if _AMOUNT.match(t) or t in _PLACEHOLDER:
            figures.append(((s + e) / 2, "0.00" if t in _PLACEHOLDER else t))
        elif _plain(t) in _SIDES and label is None and not figures:
            label = _plain(t)
        elif t.isdigit():
            continue  # a row number
        else:
            return None, []
    return label, figures


_IDENTITIES = (
    ("合计", ("因公出国（境）费", "公务用车购置及运行维护费小计", "公务接待费")),
    ("公务用车购置及运行维护费小计", ("公务用车购置费", "公务用车运行维护费")),
    ("公务接待费", ("国内接待费", "国（境）外接待费")),
)


def _consistent(parts: list[str], cells: list[str]) -> bool:
    """Whether one side's cells can satisfy the table's sums, a blank cell standing for the
    value they imply (one value, the same by every sum it is in, not below zero)."""
    value = {p: (_cents(c) if c else None) for p, c in zip(parts, cells, strict=True)}
    implied: dict[str, int] = {}
    for parent, children in _IDENTITIES:
        if parent not in value or not all(c in value for c in children):
            continue
        members = [parent, *children]
        unknown = [m for m in members if value[m] is None]
        tol = _tolerance(len(members))
        if len(unknown) > 1:
            continue
        known = sum(value[c] or 0 for c in children)
        if not unknown:
            if abs(value[parent] - known) > tol:
                return False
            continue
        x = known if unknown[0] == parent else value[parent] - known
        if x < -tol or abs(implied.setdefault(unknown[0], x) - x) > tol:
            return False
    return True


def _placed(
    figures: list[tuple[float, str]],
    anchors: list[float],
    consistent,
    by_position: bool,
) -> list[str] | None:
    """The row's figures in the columns the anchors stand for, blank where none stands.

    A row as long as the anchors is read in order. A row short of a few figures (blank cells):
    each way of leaving that many columns blank, in order, is kept if the table's sums can
    hold with it (``consistent``); one way left is the reading. Of several (the parts of one
    side may add up on the other side too), the one nearest the anchors, once the whole row
    is shifted by its median offset, is taken only when ``by_position`` and it is clearly
    better than the next (a hole in the row where its gaps say); else None."""
    n, k = len(anchors), len(figures)
    if k == n:
        return [t for _, t in figures]
    if not k or k > n or n - k > MAX_BLANKS:
        return None
    options = []
    for blanks in itertools.combinations(range(n), n - k):
        cols = [j for j in range(n) if j not in blanks]
        cells = [""] * n
        for (_, t), j in zip(figures, cols, strict=True):
            cells[j] = t
        if not consistent(cells):
            continue
        diffs = [x - anchors[j] for (x, _), j in zip(figures, cols, strict=True)]
        shift = sorted(diffs)[len(diffs) // 2]
        options.append((sum(abs(d - shift) for d in diffs), cells))
    if len(options) == 1:
        return options[0][1]
    if not options or not by_position:
        return None
    options.sort(key=lambda pair: pair[0])
    gaps = sorted(b - a for a, b in zip(anchors, anchors[1:], strict=False))
    if options[1][0] - options[0][0] < _PLACE_MARGIN * gaps[len(gaps) // 2]:
        return None
    return options[0][1]


def three_public_table(
    parsed: list[_Line], first_data: int, data: list[_Line]
) -> LayoutTable | None:
    """The 三公 table whose first row of figures is ``parsed[first_data]``, or None when no
    三公 title stands above it or its header cannot be read with confidence."""
    header = _header(parsed, first_data)
    if header is None or not header.words:
        return None
    columns = _columns(_stacks(header.words))
    if not columns:
        return None
    rows = []
    for ln in data:
        label, figures = _figures(ln)
        if not figures:
            return None
        rows.append((ln.no, label, figures))
    names = [n for n, _ in columns]
    n = len(names)
    if header.numbers and len(header.numbers) not in (n, n // 2):
        return None
    sides: dict[int, tuple[int, list[str]]] = {}
    if all(label is not None for _, label, _ in rows) and len(rows) == 2:
        # 预算数 and 决算数 rows under one set of parts
        full = [[x for x, _ in f] for _, _, f in rows if len(f) == n]
        anchors = full[0] if full else (header.numbers if len(header.numbers) == n else [])
        for no, label, figures in rows:
            cells = _placed(
                figures, anchors, lambda c: _consistent(names, c), by_position=bool(anchors)
            )
            if cells is None or len(cells) != n:
                return None
            sides[_SIDES[label]] = (no, cells)
        parts = names
    elif len(rows) == 1 and rows[0][1] is None:
        no, _, figures = rows[0]
        order = [side for _, side in sorted(header.sides)]
        if n % 2 == 0 and names[: n // 2] == names[n // 2 :] and order in ([0, 1], [1, 0]):
            # the parts twice, under 预算数 and under 决算数
            parts = names[: n // 2]
            half = len(parts)
            cells = _placed(
                figures,
                [c for _, c in columns],
                lambda c: _consistent(parts, c[:half]) and _consistent(parts, c[half:]),
                by_position=True,
            )
            if cells is None:
                return None
            sides[order[0]] = (no, cells[:half])
            sides[order[1]] = (no, cells[half:])
        elif len(order) == 2 * n and all(order[k] != order[k + 1] for k in range(0, 2 * n, 2)):
            # 预算数 | 决算数 under each part
            parts = names

            def both(c: list[str]) -> bool:
                return all(
                    _consistent(parts, [x for x, s in zip(c, order, strict=True) if s == side])
                    for side in (0, 1)
                )

            cells = _placed(figures, [x for x, _ in sorted(header.sides)], both, by_position=True)
            if cells is None:
                return None
            for side in (0, 1):
                sides[side] = (no, [c for c, s in zip(cells, order, strict=True) if s == side])
        else:
            return None
    else:
        return None
    if set(sides) != {0, 1} or len(set(parts)) != len(parts) or "合计" not in parts:
        return None
    table = LayoutTable(first_line=header.first_line, last_line=data[-1].no, exact=True)
    if len(rows) == 2:
        table.rows.append((table.first_line, ("项目", *parts)))
        for side in (0, 1):
            no, cells = sides[side]
            table.rows.append((no, (_SIDE_NAMES[side], *cells)))
    else:
        table.rows.append((table.first_line, tuple(p for p in parts for _ in (0, 1))))
        table.rows.append((table.first_line, tuple(w for _ in parts for w in _SIDE_NAMES)))
        values = [c for k in range(len(parts)) for c in (sides[0][1][k], sides[1][1][k])]
        table.rows.append((sides[0][0], tuple(values)))
    return table
