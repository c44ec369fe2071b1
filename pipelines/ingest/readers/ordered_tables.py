"""Tables in page text that keeps no columns (pdfplumber's ``extract_text``).

Such text separates the cells of a line by single spaces, and a blank cell leaves no trace: a row
of a 一般公共预算财政拨款支出决算表 that prints "20805 118.08 118.08" may hold its second figure under
基本支出 or under 项目支出. Figures are therefore put in their columns by arithmetic, not by
position:

- the columns and their order come from the table's kind (its title) and are checked against
  the header's words, however the layout broke them over lines: every character of the
  expected column names must be in the header, and the header must hold nothing else but the
  template's neutral words (项目, 科目编码, 行次 …);
- a row's first figure is its total; a row with as many figures as columns is read as printed;
- a row with fewer figures has each of its order-keeping placements over the part columns
  considered, and a placement is kept only if the table's identities can all hold with it:
  each column of a parent row (类, 款, 合计) is the sum of the same column over its children
  (项 → 款 → 类 → 合计), an exact subset-sum in cents;
- a cell is written only when every placement that satisfies the identities puts the same
  figure there; otherwise it stays blank (unstated), never guessed.

Two-sided tables (收入 | 支出 on one line) are split by the labels' sides and, where a figure
could be either side's, by the sums of each side. The 三公 table's parts are read from the
header's vocabulary and accepted only when its own sums hold.

A table this module does not recognize is left to the reader's plain rule (a row's first figure
is its total).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from pipelines.ingest.readers.layout_tables import (
    _AMOUNT,
    _ENUMERATED,
    _HEADER_STOP,
    _INTEGER,
    _LABEL_END,
    _LABEL_MIN,
    _PLACEHOLDER,
    _PROSE,
    LayoutTable,
    _Line,
)

MAX_HEADER_LINES = 12  # pdfplumber breaks a narrow column's words over many lines
TITLE_LOOKUP_LINES = 3
_CODE_PART = re.compile(r"^\d{2}$")
_CLASS = re.compile(r"^2\d{2}$")
_JOINED = re.compile(r"^2\d{2}(?:\d{2}){0,2}$")
_TABLE_TITLE = re.compile(r"决算表|表$")
_TOTAL_LABEL = {"合计", "总计"}
# A page's number where the page ends, inside a table that goes on over the next page.
_PAGE_NUMBER = re.compile(
    r"^(?:[-—－]\s*\d{1,4}\s*[-—－]|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?)$"
)
MAX_SUMS = 20000  # partial sums kept while matching a parent's column to its children
MAX_AMBIGUOUS = 10  # figures of a two-sided table that could be either side's

# Columns of each table of functional subjects, in the national template's order: the first is
# the row's total, the others its parts. Alternatives name one column in different templates.
_EXPENSE_COLUMNS = (
    ("本年支出合计", "合计"),
    ("基本支出",),
    ("项目支出",),
    ("上缴上级支出",),
    ("经营支出",),
    ("对附属单位补助支出",),
)
_INCOME_COLUMNS = (
    ("本年收入合计", "合计"),
    ("财政拨款收入",),
    ("上级补助收入",),
    ("事业收入",),
    ("经营收入",),
    ("附属单位上缴收入",),
    ("其他收入",),
)
_FUND_COLUMNS = (("合计",), ("基本支出",), ("项目支出",))
SUBJECT_TEMPLATES = (
    # (words the title must hold, words it must not hold, columns)
    (("一般公共预算财政拨款支出",), ("基本支出决算表",), _FUND_COLUMNS),
    (("政府性基金",), (), _FUND_COLUMNS),
    (("国有资本经营",), (), _FUND_COLUMNS),
    (("收入决算表",), ("收入支出",), _INCOME_COLUMNS),
    (("支出决算表",), ("收入支出", "基本支出决算表", "财政拨款"), _EXPENSE_COLUMNS),
)
# Words a subject table's header may hold besides its columns' names.
_SUBJECT_NEUTRAL = set("项目科目编码代码名称行次栏类款本年支出收入功能分类合计金额")

# The 三公 table's parts in the template's order: (name written in the rebuilt header,
# alternatives the header may print, whether the part may be absent).
THREE_PARTS = (
    ("合计", ("“三公”经费合计", "三公经费合计", "合计"), False),
    ("因公出国（境）费", ("因公出国（境）费", "因公出国(境)费"), False),
    ("公务用车购置及运行维护费小计", ("公务用车购置及运行维护费",), False),
    ("小计", ("小计",), True),
    ("公务用车购置费", ("公务用车购置费",), False),
    ("公务用车运行维护费", ("公务用车运行维护费",), False),
    ("公务接待费", ("公务接待费",), False),
    ("小计", ("小计",), True),
    ("国内接待费", ("国内接待费", "国内公务接待费"), True),
    ("国（境）外接待费", ("国（境）外接待费", "国(境)外接待费", "外事接待费"), True),
    ("会议费", ("会议费",), True),
    ("培训费", ("培训费",), True),
)
_THREE_NEUTRAL = set('项目栏次预算数决算数合计小计“”"（）()')
_SIDE_WORDS = ("预算数", "决算数")


def _is_amount(token: str) -> bool:
    return bool(_AMOUNT.match(token)) or token in _PLACEHOLDER


def _cents(token: str) -> int:
    if token in _PLACEHOLDER:
        return 0
    return round(float(token.replace(",", "").replace("−", "-")) * 100)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ----------------------------------------------------------------------------- the frame --
@dataclass
class _Frame:
    """Where a table's parts are: the header lines above its body, its title, its body."""

    title: str
    header: list[int]  # line numbers (1-based)
    body: list[int]

    def header_text(self, lines: list[str]) -> str:
        return "".join(_compact(lines[no - 1]) for no in self.header)


def _frame(lines: list[str], region: list[_Line]) -> _Frame | None:
    from pipelines.ingest.extract.tables import standard_table_name

    body = [ln.no for ln in region if not _PAGE_NUMBER.match(lines[ln.no - 1].strip())]
    if not body:
        return None
    first = body[0]
    # The first row's name may begin on the line above it (a label cut by the cell's width).
    k = first - 1
    if k >= 1 and _starts_without_label(lines[first - 1]) and _is_piece(lines[k - 1]):
        body.insert(0, k)
        first = k
    header: list[int] = []
    k = first - 1
    title = ""
    while k >= 1 and len(header) < MAX_HEADER_LINES:
        text = lines[k - 1].strip()
        if not text:
            k -= 1
            continue
        if _HEADER_STOP.search(text) or _PROSE.search(text) or _TABLE_TITLE.search(text):
            break
        if any(_AMOUNT.match(t) for t in text.split()):
            break
        header.insert(0, k)
        k -= 1
    for j in range(k, max(k - TITLE_LOOKUP_LINES - 1, 0), -1):
        text = lines[j - 1].strip()
        if _TABLE_TITLE.search(text) and standard_table_name(text) and not _PROSE.search(text):
            title = text
            break
    if not title:
        return None
    while body and (
        _TABLE_TITLE.search(lines[body[-1] - 1]) or _HEADER_STOP.search(lines[body[-1] - 1])
    ):
        body.pop()  # the next table's title, read as the end of a name
    k = body[-1] + 1 if body else 0
    while body and k <= len(lines):
        # A line of figures alone ("7 0.00": a row whose label was cut onto the lines around
        # it) ends the text tool's run of table lines, not the table.
        text = lines[k - 1].strip()
        if not text:
            k += 1
            continue
        if _PAGE_NUMBER.match(text):
            k += 1
            continue
        if not _continues_body(text):
            break
        body.append(k)
        k += 1
    last = max((j for j, no in enumerate(body) if _is_row_text(lines[no - 1])), default=None)
    if last is None:
        return None
    tail = body[last + 1] if last + 1 < len(body) else None
    del body[last + 1 :]  # labels after the last figures are the text below the table
    if tail is not None and _is_tail(lines[tail - 1]):
        body.append(tail)  # the second half of the last row's cut label
    if not body:
        return None
    return _Frame(title, header, body)


def _is_row_text(text: str) -> bool:
    tokens = text.split()
    return bool(tokens) and any(_is_amount(t) or _INTEGER.match(t) for t in tokens)


def _continues_body(text: str) -> bool:
    """A line that goes on with the table: figures, a label, a piece of a cut label."""
    if _PROSE.search(text) or _HEADER_STOP.search(text) or _TABLE_TITLE.search(text):
        return False
    if text.startswith(("注", "说明")):
        return False
    tokens = text.split()
    if _is_row_text(text):
        return True
    return len(tokens) <= 2 and all(len(t) <= 20 for t in tokens)


def _starts_without_label(line: str) -> bool:
    tokens = line.split()
    return bool(tokens) and (_is_amount(tokens[0]) or bool(_INTEGER.match(tokens[0])))


def _is_piece(line: str) -> bool:
    tokens = line.split()
    return (
        len(tokens) == 1
        and not _is_amount(tokens[0])
        and not _INTEGER.match(tokens[0])
        and not _PROSE.search(tokens[0])
        and not _HEADER_STOP.search(tokens[0])
        and not _TABLE_TITLE.search(tokens[0])
    )


def build_ordered_table(lines: list[str], region: list[_Line]) -> LayoutTable | None:
    """The table of ``region`` rebuilt by its kind's columns and identities, or None when its
    kind or header is not one this module knows (the caller then keeps the plain rule)."""
    frame = _frame(lines, region)
    if frame is None:
        return None
    title = _compact(frame.title)
    if "三公" in title:
        return _three_public(lines, frame)
    if "收入支出决算总表" in title:
        return _two_sided(lines, frame)
    for must, must_not, columns in SUBJECT_TEMPLATES:
        if all(w in title for w in must) and not any(w in title for w in must_not):
            return _subject_table(lines, frame, columns)
    return None


def ordered_table_alone(
    lines: list[str], region: list[_Line], data: list[_Line]
) -> LayoutTable | None:
    """A table of one line of figures (公开06表's two totals, a fund table's 合计): taken as a
    table only under a table's title and header."""
    frame = _frame(lines, region)
    if frame is None:
        return None
    rebuilt = build_ordered_table(lines, region)
    if rebuilt is not None:
        return rebuilt
    from pipelines.ingest.readers.layout_tables import _build_ordered

    plain = _build_ordered(region, data)
    if frame.header:
        plain.first_line = frame.header[0]  # its header lines are the table's, not prose
    return plain


_EMPTY_NOTE = re.compile(r"本表无数据|本表为空|公开空表|此表为空|故本表")


def empty_ordered_tables(lines: list[str], tables: list[LayoutTable]) -> list[LayoutTable]:
    """Tables printed without a figure: a title, its header (cells one space apart) and a
    note saying why it is empty. They are tables all the same, so that the note is read as
    the table's (a total of zero)."""
    from pipelines.ingest.extract.tables import standard_table_name

    taken = [(t.first_line, t.last_line) for t in tables]
    out = []
    for k, line in enumerate(lines, start=1):
        text = line.strip()
        if not (_TABLE_TITLE.search(text) and standard_table_name(text)) or _PROSE.search(text):
            continue
        j = k + 1
        while j <= len(lines) and _HEADER_STOP.search(lines[j - 1]):
            j += 1
        header = []
        while j <= len(lines) and len(header) < MAX_HEADER_LINES + 1:
            body = lines[j - 1].strip()
            if not body:
                j += 1
                continue
            if _PROSE.search(body) or _is_row_text(body) or _TABLE_TITLE.search(body):
                break
            header.append(j)
            j += 1
        if not header or j > len(lines) or not _EMPTY_NOTE.search(lines[j - 1]):
            continue
        if any(a <= header[0] <= b for a, b in taken):
            continue
        table = LayoutTable(first_line=header[0], last_line=header[-1])
        for no in header:
            # cells apart by runs of spaces (pdftotext -layout) or by single spaces
            gap = r"\s{2,}" if re.search(r"\S {2,}\S", lines[no - 1].strip()) else r"\s+"
            table.rows.append((no, tuple(re.split(gap, lines[no - 1].strip()))))
        out.append(table)
    return out


# ---------------------------------------------------------------------- subject tables --
def _header_matches(header: str, names: list[str], neutral: set[str]) -> bool:
    """Every character of ``names`` is in the header, and what remains is neutral words."""
    chars = Counter(ch for ch in header if not ch.isdigit())
    for name in names:
        need = Counter(name)
        if any(chars[ch] < n for ch, n in need.items()):
            return False
        chars -= need
    return all(ch in neutral for ch in chars.elements())


def _choose_columns(header: str, columns: tuple[tuple[str, ...], ...]) -> list[str] | None:
    """The template's column names as this header prints them (an alternative each), if the
    header holds them all and nothing else."""
    for choice in itertools.product(*columns):
        if _header_matches(header, list(choice), _SUBJECT_NEUTRAL):
            return list(choice)
    return None


@dataclass
class _Row:
    no: int
    code: str
    name: str
    figures: list[str]
    parent: int | None = None
    children: list[int] = field(default_factory=list)


def _parse_subject_line(tokens: list[str], row_numbers: bool) -> tuple[str, str, list[str]] | None:
    """(code, name, figures) of a line: a code joined (2080505) or split (208 05 05), a name,
    then (a row number and) figures. None when figures and words are mixed."""
    i, code = 0, ""
    if tokens and _JOINED.match(tokens[0]):
        code, i = tokens[0], 1
        if _CLASS.match(code):
            while i < len(tokens) and _CODE_PART.match(tokens[i]) and len(code) < 7:
                code += tokens[i]
                i += 1
    name_parts = []
    while i < len(tokens) and not _is_amount(tokens[i]) and not _INTEGER.match(tokens[i]):
        name_parts.append(tokens[i])
        i += 1
    rest = tokens[i:]
    if row_numbers and rest and _INTEGER.match(rest[0]):
        rest = rest[1:]
    if not all(_is_amount(t) or _INTEGER.match(t) for t in rest):
        return None
    return code, "".join(name_parts), rest


def _subject_table(lines: list[str], frame: _Frame, columns) -> LayoutTable | None:
    header = frame.header_text(lines)
    if not header:
        return None
    names = _choose_columns(header, columns)
    if names is None:
        return None
    n = len(names)
    row_numbers = "行次" in header
    rows: list[_Row] = []
    pieces: list[tuple[int, str]] = []  # (index in the body, text) of name pieces
    order: list[tuple[str, int]] = []  # ("row", index in rows) | ("piece", index in pieces)
    for no in frame.body:
        tokens = lines[no - 1].split()
        if not tokens:
            continue
        if _is_piece(lines[no - 1]) and not _JOINED.match(tokens[0]):
            pieces.append((no, tokens[0]))
            order.append(("piece", len(pieces) - 1))
            continue
        if len(tokens) == 1 and _INTEGER.match(tokens[0]) and not _JOINED.match(tokens[0]):
            continue  # a page number between two pages of the table
        parsed = _parse_subject_line(tokens, row_numbers)
        if parsed is None or len(parsed[2]) > n or (not parsed[0] and not parsed[1]):
            return None  # a line this reading does not explain: keep the plain rule
        code, name, figures = parsed
        rows.append(_Row(no, code, name, figures))
        order.append(("row", len(rows) - 1))
    if not rows:
        return None
    _attach_pieces(order, rows, pieces)
    _link(rows)
    cells = _place(rows, n, _summary_columns(lines, frame, columns))
    table = LayoutTable(
        first_line=(frame.header or frame.body)[0], last_line=frame.body[-1], exact=True
    )
    table.rows.append((table.first_line, ("科目编码", "科目名称", *names)))
    for row, row_cells in zip(rows, cells, strict=True):
        table.rows.append((row.no, (row.code, row.name, *row_cells)))
    return table


def _attach_pieces(order, rows: list[_Row], pieces) -> None:
    """A name cut by its cell's width: its first half on the line above the row, its second
    on the line below; the row's own line has no name. Pieces between two such rows: the
    first ends the row above, the rest begin the row below."""
    nameless = {idx for kind, idx in order if kind == "row" and not rows[idx].name}
    for k, (kind, idx) in enumerate(order):
        if kind != "row" or idx not in nameless:
            continue
        above, below = [], []
        j = k - 1
        while j >= 0 and order[j][0] == "piece":
            above.insert(0, order[j][1])
            j -= 1
        if j >= 0 and order[j][1] in nameless:
            above = above[1:]  # the first piece ends the row above
        j = k + 1
        if j < len(order) and order[j][0] == "piece":
            below = [order[j][1]]
        rows[idx].name = "".join(pieces[p][1] for p in above + below)


def _link(rows: list[_Row]) -> None:
    """Parents and children: 项 under its 款, 款 under its 类, 类 under the 合计 row."""
    by_code = {r.code: k for k, r in enumerate(rows) if r.code}
    total = next(
        (k for k, r in enumerate(rows) if not r.code and _compact(r.name) in _TOTAL_LABEL), None
    )
    for k, r in enumerate(rows):
        if not r.code:
            continue
        parent = by_code.get(r.code[:-2]) if len(r.code) > 3 else total
        if parent is not None and parent != k:
            r.parent = parent
            rows[parent].children.append(k)


def _placements(figures: list[str], n: int) -> set[tuple[int, ...]] | None:
    """The part vectors (cents, one per part column) a row's figures may give: its first
    figure is the total, the others keep their order over the n - 1 part columns."""
    if not figures:
        return {(0,) * (n - 1)}
    parts = [_cents(t) for t in figures[1:]]
    if len(parts) > n - 1:
        return None
    out = set()
    for slots in itertools.combinations(range(n - 1), len(parts)):
        vec = [0] * (n - 1)
        for s, v in zip(slots, parts, strict=True):
            vec[s] = v
        out.add(tuple(vec))
    return out


def _tolerance(count: int) -> int:
    """Cents a sum of ``count`` rounded figures may differ from its rounded total."""
    return count // 2


def _sums(
    sets: list[set[tuple[int, ...]]], bound: tuple[int, ...] | None
) -> set[tuple[int, ...]] | None:
    """Every vector one member of each set adds up to (partial sums above ``bound`` dropped:
    amounts are not negative); None when too many."""
    acc: set[tuple[int, ...]] = {tuple(0 for _ in next(iter(sets[0])))} if sets else set()
    for s in sets:
        nxt = set()
        for a in acc:
            for v in s:
                w = tuple(x + y for x, y in zip(a, v, strict=True))
                if bound is not None and any(x > b for x, b in zip(w, bound, strict=True)):
                    continue
                nxt.add(w)
        if len(nxt) > MAX_SUMS:
            return None
        acc = nxt
    return acc


def _close(a: tuple[int, ...], b: tuple[int, ...], tol: int) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def _place(
    rows: list[_Row], n: int, pin: tuple[int, tuple[int, ...]] | None = None
) -> list[list[str]]:
    """Each row's cells (total, then parts): a part is written only when all placements that
    keep every parent = sum of its children agree on it. ``pin``: the 合计 row's total and
    parts as another table of the report states them."""
    options = [_placements(r.figures, n) for r in rows]
    if pin is not None:
        for k, r in enumerate(rows):
            if r.children and not r.code and options[k] is not None and r.figures:
                if _cents(r.figures[0]) == pin[0] and pin[1] in options[k]:
                    options[k] = {pin[1]}
    nonneg = all(_cents(t) >= 0 for r in rows for t in r.figures)
    feasible: list[set | None] = list(options)
    broken = [False] * len(rows)
    # Too many partial sums from below (many children, wide columns): undecided from below,
    # not failing; decided from above once the row's own placement is known.
    overflow = [False] * len(rows)

    def up(k: int) -> None:
        for c in rows[k].children:
            up(c)
        kids = [feasible[c] for c in rows[k].children]
        if not kids or options[k] is None or any(s is None for s in kids):
            broken[k] = bool(kids)
            return
        tol = _tolerance(len(kids) + 1)
        bound = tuple(max(v[j] for v in options[k]) + tol for j in range(n - 1)) if nonneg else None
        sums = _sums(kids, bound)
        if sums is None:
            broken[k] = overflow[k] = True
            return
        kept = {v for v in options[k] if any(_close(v, s, tol) for s in sums)}
        if not kept:
            broken[k] = True  # the identities fail here (a misprint): they decide nothing
            return
        feasible[k] = kept

    def down(k: int) -> None:
        kids = rows[k].children
        known = overflow[k] and feasible[k] is not None and len(feasible[k]) == 1
        if kids and (not broken[k] or known) and feasible[k] is not None:
            tol = _tolerance(len(kids) + 1)
            narrowed = {}
            for c in kids:
                others = [feasible[o] for o in kids if o != c]
                keep = set()
                for v in feasible[c]:
                    for u in feasible[k]:
                        rest = tuple(x - y for x, y in zip(u, v, strict=True))
                        bound = tuple(x + tol for x in rest) if nonneg else None
                        if nonneg and any(x < -tol for x in rest):
                            continue
                        sums = _sums(others, bound) if others else {(0,) * (n - 1)}
                        if sums is None or any(_close(rest, s, tol) for s in sums):
                            keep.add(v)
                            break
                narrowed[c] = keep or feasible[c]
            for c, keep in narrowed.items():
                feasible[c] = keep
        for c in kids:
            down(c)

    roots = [k for k, r in enumerate(rows) if r.parent is None]
    for k in roots:
        up(k)
    for k in roots:
        down(k)
    out = []
    for k, r in enumerate(rows):
        cells = [""] * n
        if not r.figures:
            out.append(cells)
            continue
        cells[0] = r.figures[0]
        if len(r.figures) == n:
            cells[1:] = r.figures[1:]  # every column printed: read as printed
        elif feasible[k] is not None and len(r.figures) > 1:
            vecs = feasible[k]
            for j in range(n - 1):
                values = {v[j] for v in vecs}
                if len(values) == 1:
                    value = values.pop()
                    text = next(
                        (t for t in r.figures[1:] if _cents(t) == value and value != 0), None
                    )
                    if text is not None:
                        cells[j + 1] = text
        out.append(cells)
    return out


# ------------------------------------------------------------------- two-sided tables --
_RIGHT_SIDE = re.compile(r"支出|年末|结余分配")
_LEFT_SIDE = re.compile(r"收入|年初|使用|拨款$")


def _side(label: str) -> int | None:
    text = re.sub(r"^[一二三四五六七八九十]+、", "", _compact(label))
    if _RIGHT_SIDE.search(text):
        return 1
    if _LEFT_SIDE.search(text):
        return 0
    return None


@dataclass
class _Group:
    label: str | None
    number: str | None = None
    amount: str | None = None


def _groups(tokens: list[str], row_numbers: bool) -> list[_Group]:
    out: list[_Group] = []
    for t in tokens:
        if _is_amount(t):
            if out and out[-1].amount is None:
                out[-1].amount = t
            else:
                out.append(_Group(None, amount=t))
        elif row_numbers and _INTEGER.match(t):
            if out and out[-1].number is None and out[-1].amount is None:
                out[-1].number = t
            else:
                out.append(_Group(None, number=t))
        else:
            last = out[-1] if out else None
            if (
                last is not None
                and last.label is not None
                and last.number is None
                and last.amount is None
                and not _ENUMERATED.match(t)
                and not (_LABEL_END.search(last.label) and len(t) >= _LABEL_MIN)
            ):
                last.label += t
            else:
                out.append(_Group(t))
    return out


def _is_cut(line: str) -> bool:
    """The first half of a label cut by its cell's width: no label ends like it."""
    return _is_piece(line) and not re.search(
        r"(?:收入|支出|结余|合计|总计|分配|拨款)$", line.strip()
    )


def _is_tail(line: str) -> bool:
    """The second half of a cut label: it does not begin a label of its own."""
    return _is_piece(line) and not _ENUMERATED.match(line.strip())


def _two_sided(lines: list[str], frame: _Frame) -> LayoutTable | None:
    read = _two_sided_rows(lines, frame)
    if read is None:
        return None
    rows = read[0]
    table = LayoutTable(
        first_line=(frame.header or frame.body)[0], last_line=frame.body[-1], exact=True
    )
    table.rows.append((table.first_line, ("项目", "金额", "项目", "金额")))
    for no, cells in rows:
        table.rows.append((no, tuple(c or "" for c in cells)))
    return table


def _two_sided_rows(lines: list[str], frame: _Frame):
    """(rows as (line, [left label, left amount, right label, right amount]), number of
    figures left out because either side could hold them), or None."""
    header = frame.header_text(lines)
    row_numbers = "行次" in header
    body = [no for no in frame.body if lines[no - 1].split()]
    texts = {no: lines[no - 1].split() for no in body}
    # Lines that only hold a piece of a cut label: (top, middle, bottom) around a line that
    # lacks that label.
    wrapped: dict[int, str] = {}
    used: set[int] = set()
    for i in range(len(body) - 1):
        top, nxt = body[i], body[i + 1]
        if top in used or not _is_cut(lines[top - 1]):
            continue
        if _is_tail(lines[nxt - 1]):
            # "七、附属单" / "位上缴收入": a label alone on its row, cut in two
            texts[nxt] = [texts[top][0] + texts[nxt][0]]
            used.add(top)
            continue
        if i + 2 < len(body) and _is_tail(lines[body[i + 2] - 1]):
            wrapped[nxt] = texts[top][0] + texts[body[i + 2]][0]
            used.update((top, body[i + 2]))
    rows: list[tuple[int, list[str | None]]] = []  # (line, [L label, L amount, R label, R amount])
    ambiguous: list[tuple[int, str]] = []  # (row index, amount) that could be either side's
    for no in body:
        if no in used:
            continue
        groups = _groups(texts[no], row_numbers)
        cells: list[str | None] = [None, None, None, None]
        piece = wrapped.get(no)
        labelled = [g for g in groups if g.label is not None]
        if len(labelled) > 2 or (piece and len(labelled) > 1):
            return None
        if piece is not None:
            # The cut label's side: by its words, else the side the line leaves without one.
            side = _side(piece)
            if side is None:
                side = 0 if groups and groups[0].label is None else 1
            unlabelled = [g for g in groups if g.label is None]
            if unlabelled:
                unlabelled[0].label = piece  # the figures the line leaves without a label
            elif side == 0 and labelled and _side(labelled[0].label) != 0:
                groups.insert(0, _Group(piece))
            else:
                groups.append(_Group(piece))
                if len(groups) == 2 and groups[0].amount is not None and not row_numbers:
                    # "五、事业收入 832.61" + a cut right label: the figure is either side's
                    ambiguous.append((len(rows), groups[0].amount))
                    groups[0].amount = None
        labels = [g for g in groups if g.label is not None]
        if len(groups) > 2 or any(g.label is None for g in groups[1:]):
            return None
        if groups and groups[0].label is None:
            return None  # figures without a label: left to the plain rule's doubt
        if len(groups) == 2:
            left, right = groups
        elif len(groups) == 1:
            side = _side(labels[0].label)
            left, right = (groups[0], None) if side != 1 else (None, groups[0])
        else:
            continue
        if left is not None:
            cells[0], cells[1] = left.label, left.amount
        if right is not None:
            cells[2], cells[3] = right.label, right.amount
        rows.append((no, cells))
    if not rows:
        return None
    return rows, _settle_sides(rows, ambiguous)


def _settle_sides(rows, ambiguous) -> int:
    """Put each figure that could be either side's where the sides' sums hold (items = 本年
    …合计), when only one way does; else leave it out."""
    if not ambiguous or len(ambiguous) > MAX_AMBIGUOUS:
        return len(ambiguous)
    good = []
    for choice in itertools.product((0, 1), repeat=len(ambiguous)):
        trial = [list(c) for _, c in rows]
        for (k, amount), side in zip(ambiguous, choice, strict=True):
            trial[k][1 + 2 * side] = amount
        if _sides_add_up(trial):
            good.append(choice)
    if len(good) != 1:
        return len(ambiguous)
    for (k, amount), side in zip(ambiguous, good[0], strict=True):
        rows[k][1][1 + 2 * side] = amount
    return 0


def _sides_add_up(rows: list[list[str | None]]) -> bool:
    for side in (0, 1):
        items, subtotal = [], None
        for cells in rows:
            label, amount = cells[2 * side], cells[2 * side + 1]
            if not label:
                continue
            if _ENUMERATED.match(label):
                items.append(_cents(amount) if amount else 0)
            elif "合计" in label and subtotal is None:
                subtotal = _cents(amount) if amount else 0
        if subtotal is None or not items:
            return False
        if abs(sum(items) - subtotal) > _tolerance(len(items) + 1):
            return False
    return True


# ------------------------------------------------------------------------- 三公 table --
def _three_parts(header: str) -> tuple[list[str], bool] | None:
    """The parts the header names, in the template's order, and whether it names them twice
    (once under 预算数, once under 决算数); None unless the header holds nothing else."""
    chars = Counter(ch for ch in header if not ch.isdigit())
    for word in _SIDE_WORDS:
        while all(chars[ch] >= 1 for ch in word):
            chars -= Counter(word)
    found = _parts_of(chars)
    if found is not None:
        return found, False
    if chars and all(k % 2 == 0 for k in chars.values()):
        found = _parts_of(Counter({ch: k // 2 for ch, k in chars.items()}))
        if found is not None:
            return found, True
    return None


def _parts_of(chars: Counter) -> list[str] | None:
    chars = Counter(chars)
    found = []
    for name, alternatives, _optional in THREE_PARTS:
        for alt in alternatives:
            need = Counter(alt)
            if all(chars[ch] >= k for ch, k in need.items()):
                chars -= need
                found.append(name)
                break
    if not all(ch in _THREE_NEUTRAL for ch in chars.elements()):
        return None
    required = {n for n, _, optional in THREE_PARTS if not optional}
    if not required <= set(found):
        return None
    return found


def _three_sums_hold(parts: list[str], values: list[int]) -> bool:
    """合计 = 因公出国 + 公务用车 + 公务接待; 公务用车 = 购置 + 运行维护; 公务接待 = its parts."""
    v = dict(zip(parts, values, strict=True))
    idx = {p: k for k, p in enumerate(parts)}
    if "合计" not in idx:
        return False
    checks = [
        (
            values[idx["合计"]],
            [
                values[idx[p]]
                for p in ("因公出国（境）费", "公务用车购置及运行维护费小计", "公务接待费")
            ],
        ),
        (
            values[idx["公务用车购置及运行维护费小计"]],
            [values[idx["公务用车购置费"]], values[idx["公务用车运行维护费"]]],
        ),
    ]
    if "国内接待费" in v and "国（境）外接待费" in v:
        checks.append(
            (
                values[idx["公务接待费"]],
                [values[idx["国内接待费"]], values[idx["国（境）外接待费"]]],
            )
        )
    return all(abs(total - sum(ps)) <= _tolerance(len(ps) + 1) for total, ps in checks)


def _three_public(lines: list[str], frame: _Frame) -> LayoutTable | None:
    while frame.body and not _is_row_text(lines[frame.body[0] - 1]):
        # the header's last line, taken for a cut name above a row of figures
        frame.header.append(frame.body.pop(0))
    if not frame.body:
        return None
    header_lines = [_compact(lines[no - 1]) for no in frame.header]
    header = "".join(header_lines)
    read = _three_parts(header)
    if read is None:
        return None
    found, twice = read
    parts = [p for p in found if p != "小计"]  # a 小计 is its group's own column
    n = len(parts)
    body = [(no, lines[no - 1].split()) for no in frame.body if lines[no - 1].split()]
    first_side = 0 if header.find("预算数") <= header.find("决算数") else 1
    side_rows: dict[int, tuple[int, list[str]]] = {}  # side -> (line, figures)
    shape = None
    for no, tokens in body:
        label = tokens[0] if not _is_amount(tokens[0]) else ""
        figures = [t for t in tokens[1 if label else 0 :] if not _INTEGER.match(t)]
        if not all(_is_amount(t) for t in figures):
            return None
        if label in _SIDE_WORDS and len(figures) == n:
            side_rows[_SIDE_WORDS.index(label)] = (no, figures)
            shape = "rows"
        elif not label and len(figures) == 2 * n:
            pairs = header.count("预算数") >= 2 and not twice
            shape = "pairs" if pairs else "columns"
            if pairs:
                first = figures[0::2] if first_side == 0 else figures[1::2]
                second = figures[1::2] if first_side == 0 else figures[0::2]
                side_rows[0], side_rows[1] = (no, first), (no, second)
            else:
                side_rows[first_side] = (no, figures[:n])
                side_rows[1 - first_side] = (no, figures[n:])
        elif 0 < len(figures) < (n if label in _SIDE_WORDS else 2 * n) and (
            label in _SIDE_WORDS or not label
        ):
            # Fewer figures than the header has columns: a blank cell left no trace. Its place
            # is known only when every placement that keeps the order and lets the table's
            # sums hold reads the same; otherwise the table is doubted, nothing guessed.
            if label in _SIDE_WORDS:
                cells = _placed_three(parts, figures, n, lambda c: [c])
                if cells is None:
                    return _unplaced_three_public(frame, parts, no, len(figures), n)
                side_rows[_SIDE_WORDS.index(label)] = (no, cells)
                shape = "rows"
                continue
            pairs = header.count("预算数") >= 2 and not twice
            shape = "pairs" if pairs else "columns"
            if pairs:
                split = (
                    (lambda c: [c[0::2], c[1::2]])
                    if first_side == 0
                    else (lambda c: [c[1::2], c[0::2]])
                )
            else:
                split = (
                    (lambda c: [c[:n], c[n:]]) if first_side == 0 else (lambda c: [c[n:], c[:n]])
                )
            cells = _placed_three(parts, figures, 2 * n, split)
            if cells is None:
                return _unplaced_three_public(frame, parts, no, len(figures), n)
            budget, final = split(cells)
            side_rows[0], side_rows[1] = (no, budget), (no, final)
        else:
            return None
    if set(side_rows) != {0, 1}:
        return None
    for side in (0, 1):
        if not _three_sums_hold(parts, [_cents(t) if t else 0 for t in side_rows[side][1]]):
            return None
    table = LayoutTable(
        first_line=(frame.header or frame.body)[0], last_line=frame.body[-1], exact=True
    )
    if shape == "rows":
        table.rows.append((table.first_line, ("项目", *parts)))
        for side in (0, 1):
            no, figures = side_rows[side]
            table.rows.append((no, (_SIDE_WORDS[side], *figures)))
    else:
        names = [p for p in parts for _ in (0, 1)]
        subs = [w for _ in parts for w in _SIDE_WORDS]
        values = [t for k in range(n) for t in (side_rows[0][1][k], side_rows[1][1][k])]
        table.rows.append((table.first_line, tuple(names)))
        table.rows.append((table.first_line, tuple(subs)))
        table.rows.append((side_rows[0][0], tuple(values)))
    return table


MAX_PLACEMENTS = 5000  # order-keeping placements of a 三公 row's figures tried at most


def _placed_three(parts: list[str], figures: list[str], width: int, split) -> list[str] | None:
    """The row's cells ("" where blank) when every order-keeping placement of ``figures`` over
    ``width`` columns under which each side's sums hold (a blank counting as zero) gives every
    column the same value; None when none does, they disagree, or there are too many."""
    if math.comb(width, len(figures)) > MAX_PLACEMENTS:
        return None
    found: list[list[str]] = []
    for spots in itertools.combinations(range(width), len(figures)):
        cells = [""] * width
        for k, t in zip(spots, figures, strict=True):
            cells[k] = t
        if all(
            _three_sums_hold(parts, [_cents(t) if t else 0 for t in side]) for side in split(cells)
        ):
            found.append(cells)
    if not found:
        return None
    values = {tuple(_cents(t) if t else 0 for t in cells) for cells in found}
    if len(values) != 1:
        return None
    # A column blank under every placement stays blank; one that some placement fills holds
    # the same value under all of them (a printed 0.00 beside a blank).
    return [
        next((c[j] for c in found if c[j]), "") if any(c[j] for c in found) else ""
        for j in range(width)
    ]


def _unplaced_three_public(
    frame: _Frame, parts: list[str], line_no: int, found: int, n: int
) -> LayoutTable:
    """The 三公 table, recognized by its title and header, whose figures cannot be put in their
    columns: its header only, and a doubt saying why (the reviewer reads the page)."""
    table = LayoutTable(
        first_line=(frame.header or frame.body)[0], last_line=frame.body[-1], exact=True
    )
    table.rows.append((table.first_line, tuple(p for p in parts for _ in (0, 1))))
    table.rows.append((table.first_line, tuple(w for _ in parts for w in _SIDE_WORDS)))
    table.doubt = (
        f"第{line_no}行只有{found}个数字，而表头有{2 * n}栏（预算数、决算数各{n}栏）：空白的栏在"
        "文本中不留痕迹，无法确定各数字属于哪一栏，该表数字未读取"
    )
    return table


# ------------------------------------------------------- one table's total from another --
# In the national template the 合计 row of 收入决算表 / 支出决算表 repeats, column by column,
# the income / expenditure side of 收入支出决算总表 (财政拨款收入 = its three funds).
_SUMMARY_OF_COLUMN = {
    "本年收入合计": ("本年收入合计",),
    "财政拨款收入": (
        "一般公共预算财政拨款收入",
        "政府性基金预算财政拨款收入",
        "国有资本经营预算财政拨款收入",
    ),
    "本年支出合计": ("本年支出合计",),
    "合计": (),
}


def _summary_columns(
    lines: list[str], frame: _Frame, columns
) -> tuple[int, tuple[int, ...]] | None:
    """The 合计 row of an all-funds 收入决算表/支出决算表 as the report's 收入支出决算总表 states
    it (total, parts in cents), when that table is in the text above and read with no doubt."""
    if columns not in (_INCOME_COLUMNS, _EXPENSE_COLUMNS):
        return None
    summary = _summary_amounts(lines, frame.body[0])
    if summary is None:
        return None
    values = []
    for alternatives in columns:
        name = alternatives[0]
        labels = _SUMMARY_OF_COLUMN.get(name, (name,))
        if not labels or any(label not in summary for label in labels):
            return None
        values.append(sum(summary[label] for label in labels))
    if values[0] != sum(values[1:]):
        return None
    return values[0], tuple(values[1:])


def _summary_amounts(lines: list[str], before: int) -> dict[str, int] | None:
    from pipelines.ingest.readers.layout_tables import _is_data, _region, _tokens

    start = next(
        (
            k
            for k in range(before - 1, 0, -1)
            if _compact(lines[k - 1]).endswith("收入支出决算总表")
            and "财政拨款" not in lines[k - 1]
        ),
        None,
    )
    if start is None:
        return None
    parsed = [_Line(i + 1, _tokens(line)) for i, line in enumerate(lines[:before])]
    first = next((i for i in range(start, before - 1) if _is_data(parsed[i].tokens)), None)
    if first is None:
        return None
    region, _ = _region(parsed, first)
    frame = _frame(lines, region)
    if frame is None or "收入支出决算总表" not in _compact(frame.title):
        return None
    read = _two_sided_rows(lines, frame)
    if read is None or read[1]:
        return None
    out: dict[str, int] = {}
    for _no, cells in read[0]:
        for side in (0, 1):
            label = cells[2 * side]
            if label:
                key = re.sub(r"^[一二三四五六七八九十]+、", "", _compact(label))
                amount = cells[2 * side + 1]
                out.setdefault(key, _cents(amount) if amount else 0)
    return out
