"""Tables in text laid out with spaces (``pdftotext -layout`` and tools like it).

Such text has no cell separators: a table is a run of lines whose figures stand in columns.
Rows are rebuilt from their codes and numbers, not from one template's header:

- a *data line* has two or more tokens (runs of text separated by two or more spaces), at least
  one amount among them, and no sentence punctuation (a narrative sentence has 万元, 。 or ，);
- the columns are the character ranges that the tokens of the data lines occupy: tokens of
  different rows that overlap belong to one column (figures are right-aligned, names
  left-aligned, and the layout keeps a gap between columns);
- the header lines above the first data line are cut into the same columns and joined top to
  bottom, so a header word broken over lines ("本年收入合" / "计") is whole again;
- a line holding only a piece of text between data lines is part of a name wrapped by the
  layout: above its row's code (the row has no name of its own) or below it.

A text layout places lines of Chinese words at positions that drift from the figures under
them; what it keeps is the order of things from left to right. So where positions are not
enough, order and arithmetic decide:

- a 栏次 row (1, 2, 3 …) numbers the figure columns: the header's word stacks, left to right,
  are the label columns and then one column per number, a number no row fills a column blank
  in every row; the figure columns go under the numbers by their offsets from the first total;
- the 三公 table's header is rebuilt from its word stacks and the template's vocabulary
  (pipelines.ingest.readers.layout_three_public);
- a table whose figures cannot be put under the numbers, or whose positions put two figures of
  one line in one column, is read by each row's order and the table's sums when its kind is
  known (pipelines.ingest.readers.ordered_tables), else kept and marked doubtful;
- a table whose every figure stands right after its own label is paired by order, as exact as
  a Word table.

Each table becomes a header row and data rows with one cell per column (blank where a row has
nothing in a column), exactly as a Word table would arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\S+(?: \S+)*")  # text separated by two or more spaces
_AMOUNT = re.compile(r"^[-−]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)$")
_INTEGER = re.compile(r"^\d{1,12}$")
_PLACEHOLDER = {"-", "—", "－", "--", "——"}
_PROSE = re.compile(r"[，。；：？！]|万元|[,.;:?!]\s*$")
_HEADER_STOP = re.compile(r"单位[:：]|部门[:：]|编制|公开\d+表|^表\s*\d+$")
_TITLE_WORDS = re.compile(r"表$|决算|预算|情况")
_COLUMN_NUMBERS = re.compile(r"^(?:栏\s*次|[\d\s]+)$")
MAX_HEADER_LINES = 6
_CODE = re.compile(r"^2\d{2}(?:\d{2}){0,2}$|^2\d{2}(?: ?\d{2}){1,2}$")
# A line that is a row of its own even without figures: "十、节能环保支出", "3.其他".
_ENUMERATED = re.compile(r"^(?:[一二三四五六七八九十]+、|\d{1,2}[、.．])")
MIN_DATA_LINES = 2
_WIDE_GAP = re.compile(r"\S {2,}\S")
# A label that is whole ("年初结转和结余", "二、项目支出"): the text after it is another label.
_LABEL_END = re.compile(r"(?:收入|支出|结余|合计|总计|经费|分配)$")
_LABEL_MIN = 4
_MAX_SPLITS = 8  # a column range is cut in two at most this deep
MIN_WIDE_ROW_FIGURES = 4  # a table of one row (the 三公 table) shows this many figures
# A figure column goes under a 栏次 number only this near it (once shifted), relative to the
# gap to the next number.
_NUMBER_SHARE = 0.4
# A page's number printed at its foot ("-4-", "- 4 -", "第4页", "第4页 共9页", "4/9"): the
# page ends there; it is no piece of a name.
_PAGE_NUMBER = re.compile(
    r"^(?:[-－—]\s*\d{1,4}\s*[-－—]|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4})$"
)


@dataclass
class LayoutTable:
    """Rows of one table: (line number, cells); the first row is the rebuilt header."""

    first_line: int
    last_line: int
    rows: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    doubt: str | None = None  # why its rows may not pair figures and labels right
    # Every figure was put in its cell by labels and the table's own sums, not by position
    # (pipelines.ingest.readers.ordered_tables): the table is read as a Word table is.
    exact: bool = False
    # Its header was read by the order of its word stacks under a 栏次 row's numbers.
    numbered: bool = False


@dataclass
class _Line:
    no: int
    tokens: list[tuple[int, int, str]]

    @property
    def texts(self) -> list[str]:
        return [t for _, _, t in self.tokens]


def _tokens(line: str) -> list[tuple[int, int, str]]:
    """Runs of text separated by two or more spaces; a figure is its own token even when one
    space parts it from a name ("296,030.91 一、一般公共服务支出")."""
    out = []
    for m in _TOKEN.finditer(line.rstrip()):
        pos, run = m.start(), []
        for part in m.group().split(" "):
            if _is_figure(part) or (run and _is_figure(run[-1][2])):
                if run:
                    out.append(_joined(run))
                run = []
            run.append((pos, pos + len(part), part))
            pos += len(part) + 1
        out.append(_joined(run))
    return out


def _joined(run: list[tuple[int, int, str]]) -> tuple[int, int, str]:
    return run[0][0], run[-1][1], " ".join(p for _, _, p in run)


def _is_row(tokens: list[tuple[int, int, str]]) -> bool:
    """A line of a table once it has begun: a label and a figure may be all it has
    ("四、上级补助收入  4  四、公共安全支出  34": row numbers, amounts left blank)."""
    texts = [t for _, _, t in tokens]
    return (
        len(texts) >= 2
        and not any(_PROSE.search(t) for t in texts)
        and any(_is_figure(t) for t in texts)
    )


def _is_figure(token: str) -> bool:
    return bool(_AMOUNT.match(token) or _INTEGER.match(token) or token in _PLACEHOLDER)


def _is_data(tokens: list[tuple[int, int, str]]) -> bool:
    texts = [t for _, _, t in tokens]
    if len(texts) < 2 or any(_PROSE.search(t) for t in texts):
        return False
    return any(_AMOUNT.match(t) for t in texts)


def _is_label_row(tokens: list[tuple[int, int, str]]) -> bool:
    """Numbered labels and nothing else: a row of a table the report left blank."""
    return bool(tokens) and all(_ENUMERATED.match(t) and not _PROSE.search(t) for _, _, t in tokens)


def _is_blank_row(tokens: list[tuple[int, int, str]]) -> bool:
    """Whole labels side by side and nothing else ("年初结转和结余  年末结转和结余"): a row of a
    two-sided table the report left blank, not a header (header words name columns, they do
    not end like a row's label)."""
    return len(tokens) >= 2 and all(
        _LABEL_END.search(t)
        and not _is_figure(t)
        and not _PROSE.search(t)
        and not _HEADER_STOP.search(t)
        and not _TITLE_WORDS.search(t)
        for _, _, t in tokens
    )


def _next_is_row(parsed: list[_Line], j: int) -> bool:
    k = j + 1
    while k < len(parsed) and not parsed[k].tokens:
        k += 1
    return k < len(parsed) and _is_data(parsed[k].tokens)


def _is_fragment(tokens: list[tuple[int, int, str]]) -> bool:
    """A piece of a wrapped name; a numbered label of its own ("十、节能环保支出") is a row
    without figures, kept out of its neighbours' names."""
    return (
        len(tokens) == 1
        and not _ENUMERATED.match(tokens[0][2])
        and not _is_figure(tokens[0][2])
        and not _PROSE.search(tokens[0][2])
        and not _HEADER_STOP.search(tokens[0][2])
        and not _PAGE_NUMBER.match(tokens[0][2])
        and len(tokens[0][2]) <= 20
    )


def _is_page_number(tokens: list[tuple[int, int, str]]) -> bool:
    return len(tokens) == 1 and bool(_PAGE_NUMBER.match(tokens[0][2]))


def find_layout_tables(lines: list[str], page_starts: set[int] | None = None) -> list[LayoutTable]:
    """The tables of a text laid out with spaces; ``lines`` are 1-based by position + 1.
    A text whose lines carry tabs is left to the tab-separated reader.

    ``page_starts``: the numbers of the lines that begin a page (after a form feed). A line
    holding only a page number ends its page too. A table continued on the next page is one
    table, but each page lays its columns out anew (pdftotext places every page's text by
    that page's own widths), so each page's columns are found apart and matched to the first
    page's."""
    if any("\t" in line for line in lines):
        return []
    parsed = [_Line(i + 1, _tokens(line)) for i, line in enumerate(lines)]
    page_of: dict[int, int] = {}
    page = 0
    for ln in parsed:
        if page_starts and ln.no in page_starts:
            page += 1
        page_of[ln.no] = page
        if _is_page_number(ln.tokens):
            page += 1
    tables: list[LayoutTable] = []
    i = 0
    while i < len(parsed):
        if not _is_data(parsed[i].tokens):
            i += 1
            continue
        region, end = _region(parsed, i)
        data = [ln for ln in region if _is_row(ln.tokens)]
        wide = sum(bool(_AMOUNT.match(t)) for t in data[0].texts) >= MIN_WIDE_ROW_FIGURES
        if len(data) >= MIN_DATA_LINES or wide:
            # Rows the report left blank ("二、外交支出  三、国防支出") may come before the
            # first row with a figure: they belong to the table, under its header.
            start = i
            if (
                start > 0
                and _is_fragment(parsed[start - 1].tokens)
                and all(_is_figure(t) for t in parsed[i].texts)
            ):
                start -= 1  # the first row's name begins on the line above its code
            while start > 0 and (
                not parsed[start - 1].tokens or _is_label_row(parsed[start - 1].tokens)
            ):
                start -= 1
            lead = [ln for ln in parsed[start:i] if ln.tokens]
            three = None
            if _aligned(lines, data):
                from pipelines.ingest.readers.layout_three_public import three_public_table

                three = three_public_table(parsed, i, data)
            if three is not None:
                tables.append(three)
            elif _aligned(lines, data):
                header = _header_lines(parsed, start)
                numbers = _column_numbers(parsed, start)
                table = _build(header, lead + region, data, page_of, numbers)
                if (numbers and not table.numbered) or table.doubt:
                    # A 栏次 row numbers columns the positions could not put the figures
                    # under, or positions put two figures of a line in one column (a page
                    # laid out anew): read by the order of each row's figures and the
                    # table's sums, when its kind is known.
                    from pipelines.ingest.readers.ordered_tables import build_ordered_table

                    rebuilt = build_ordered_table(lines, lead + region)
                    if rebuilt is not None:
                        table = rebuilt
                        end = max(end, table.last_line - 1)
                tables.append(table)
            else:
                tables.append(_build_ordered(lead + region, data, lines))
                end = max(end, tables[-1].last_line - 1)  # it may read on past the region
        else:
            from pipelines.ingest.readers.ordered_tables import ordered_table_alone

            alone = ordered_table_alone(lines, region, data)
            if alone is not None:  # one line under a table's title and header, aligned or not
                tables.append(alone)
                end = max(end, alone.last_line - 1)
        i = end + 1
    from pipelines.ingest.readers.ordered_tables import empty_ordered_tables

    return sorted(tables + empty_ordered_tables(lines, tables), key=lambda t: t.first_line)


def _region(parsed: list[_Line], start: int) -> tuple[list[_Line], int]:
    """Data lines from ``start`` on, with the blank lines and name pieces between them."""
    region = [parsed[start]]
    last = start
    j = start + 1
    while j < len(parsed):
        tokens = parsed[j].tokens
        if not tokens or _is_page_number(tokens):
            j += 1
            continue
        if _is_row(tokens):
            region.append(parsed[j])
            last = j
        elif (_is_fragment(tokens) or _is_label_row(tokens)) and j + 1 < len(parsed):
            region.append(parsed[j])
        elif _is_blank_row(tokens) and _next_is_row(parsed, j):
            region.append(parsed[j])  # "年初结转和结余  年末结转和结余": a row left blank
        else:
            break
        j += 1
    while region and not _is_row(region[-1].tokens):
        region.pop()  # a name piece after the last row belongs to it only if a row follows
    trailing = _trailing_piece(parsed, last)
    if trailing is not None:
        region.append(trailing)
    return region, last if trailing is None else trailing.no - 1


def _trailing_piece(parsed: list[_Line], last: int) -> _Line | None:
    """The wrapped end of the last row's name ("…支" / "出") on the next non-blank line."""
    k = last + 1
    while k < len(parsed) and not parsed[k].tokens:
        k += 1
    if k - last > 2 or k >= len(parsed) or not _is_fragment(parsed[k].tokens):
        return None
    piece = parsed[k].tokens[0][2]
    return parsed[k] if len(piece) <= 8 and not _HEADER_STOP.search(piece) else None


def _header_words(line: _Line) -> _Line:
    """Header words one space apart are two words ("基本支出 项目支出"); a one-character
    piece stays with its neighbour ("项 目")."""
    tokens = []
    for s, e, text in line.tokens:
        parts = text.split(" ")
        if len(parts) > 1 and all(len(p) >= 2 for p in parts):
            pos = s
            for p in parts:
                tokens.append((pos, pos + len(p), p))
                pos += len(p) + 1
        else:
            tokens.append((s, e, text))
    return _Line(line.no, tokens)


def _header_lines(parsed: list[_Line], first_data: int) -> list[_Line]:
    out: list[_Line] = []
    k = first_data - 1
    while k >= 0 and len(out) < MAX_HEADER_LINES:
        tokens = parsed[k].tokens
        k -= 1
        if not tokens:
            continue
        text = " ".join(t for _, _, t in tokens)
        if _HEADER_STOP.search(text) or _PROSE.search(text) or _is_data(tokens):
            break
        if any(_ENUMERATED.match(t) for _, _, t in tokens):
            break  # "七、附属单位上缴收入  七、文化旅游体育与传媒支出": a blank row, not a header
        if len(tokens) == 1 and _TITLE_WORDS.search(text):
            break  # the table's title line, not its header
        if _COLUMN_NUMBERS.match(text.replace(" ", "")) or text.replace(" ", "").startswith("栏次"):
            continue  # "栏次 | 1 | 2 …": column numbers
        out.append(_header_words(parsed[k + 1]))
    return list(reversed(out))


def _kind(token: str) -> str:
    """What a token is: an amount (or a placeholder in an amount's place), a whole number (a
    code, a row number) or text. Columns are found for each kind apart: a text layout may
    print a right-aligned figure of one column over the start of the next column's names."""
    if _AMOUNT.match(token) or token in _PLACEHOLDER:
        return "amount"
    if _INTEGER.match(token):
        return "integer"
    return "text"


_Spans = list[list[tuple[int, int]]]  # per line: the spans of its tokens of one kind


def _merged_columns(spans: _Spans) -> list[tuple[int, int]]:
    """Character ranges of the columns of one kind: overlapping token spans merged; then a
    range in which one line has two tokens is two columns, split where those lines part
    them."""
    ordered = sorted(sp for line in spans for sp in line)
    merged: list[list[int]] = []
    for s, e in ordered:
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    columns: list[tuple[int, int]] = []
    for cs, ce in merged:
        columns.extend(_split_column(cs, ce, spans))
    return columns


def _split_column(cs: int, ce: int, spans: _Spans, depth: int = 0) -> list[tuple[int, int]]:
    inside = [[(s, e) for s, e in line if cs <= s and e <= ce] for line in spans]
    cuts = sorted(
        (a[1] + b[0]) / 2
        for tokens in inside
        for a, b in zip(sorted(tokens), sorted(tokens)[1:], strict=False)
    )
    if not cuts or depth >= _MAX_SPLITS:
        return [(cs, ce)]
    cut = cuts[len(cuts) // 2]
    left = [(s, e) for tokens in inside for s, e in tokens if (s + e) / 2 < cut]
    right = [(s, e) for tokens in inside for s, e in tokens if (s + e) / 2 >= cut]
    if not left or not right:
        return [(cs, ce)]
    return _split_column(
        min(s for s, _ in left), max(e for _, e in left), spans, depth + 1
    ) + _split_column(min(s for s, _ in right), max(e for _, e in right), spans, depth + 1)


def _apart(spans: _Spans) -> list[tuple[int, int]]:
    """Ranges of characters that the tokens' spans fill, each apart from the next."""
    merged: list[list[int]] = []
    for s, e in sorted(sp for line in spans for sp in line):
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _centre(span: tuple[int, int]) -> float:
    return (span[0] + span[1]) / 2


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _fit(points: list[float], centres: list[float]) -> list[int]:
    """The columns (increasing) of a line's figures, left to right, that put each figure
    nearest its column's centre: the order of a line's figures is sure, their positions only
    roughly so."""
    k, n = len(points), len(centres)
    inf = float("inf")
    # cost[i][j]: best cost of the first i figures with the i-th in column j - 1 or before
    cost = [[0.0] * (n + 1)] + [[inf] * (n + 1) for _ in range(k)]
    choice = [[False] * (n + 1) for _ in range(k + 1)]
    for i in range(1, k + 1):
        for j in range(1, n + 1):
            skip = cost[i][j - 1]
            take = cost[i - 1][j - 1] + abs(points[i - 1] - centres[j - 1])
            if take <= skip:
                cost[i][j], choice[i][j] = take, True
            else:
                cost[i][j] = skip
    out, j = [], n
    for i in range(k, 0, -1):
        while not choice[i][j]:
            j -= 1
        out.append(j - 1)
        j -= 1
    return out[::-1]


def _amount_columns(spans: _Spans) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """Columns of amounts and, for each line, the column of each of its amounts.

    A layout that places text by its left edge prints right-aligned figures of one column at
    starts that differ with their width, so ranges of characters may run into the next
    column. The lines with the most figures give the columns; each other line's figures go,
    in their order, to the columns whose middles are nearest."""
    n = max((len(line) for line in spans), default=0)
    if n == 0:
        return [], [[] for _ in spans]
    full = [line for line in spans if len(line) == n]
    centres = [_median([_centre(line[j]) for line in full]) for j in range(n)]
    apart = _apart(spans)
    if len(apart) > n:
        # No line fills every column (one row has 基本支出, another 项目支出): ranges that
        # no figure bridges are the columns.
        centres = [_centre(sp) for sp in apart]
        n = len(centres)
    fits: list[list[int]] = []
    for _ in range(3):
        fits = [_fit([_centre(sp) for sp in line], centres) for line in spans]
        for j in range(n):
            placed = [
                _centre(sp)
                for line, fit in zip(spans, fits, strict=True)
                for sp, col in zip(line, fit, strict=True)
                if col == j
            ]
            if placed:
                centres[j] = _median(placed)
    columns, renumber = [], {}
    for j in range(n):
        placed = [
            sp
            for line, fit in zip(spans, fits, strict=True)
            for sp, col in zip(line, fit, strict=True)
            if col == j
        ]
        if placed:  # a column no figure ended in is none
            renumber[j] = len(columns)
            columns.append((min(s for s, _ in placed), max(e for _, e in placed)))
    return columns, [[renumber[col] for col in fit] for fit in fits]


@dataclass
class _Grid:
    """The columns of one page of a table and, per line, the column of each of its tokens."""

    columns: list[tuple[int, int, str]]  # (start, end, kind), left to right
    placed: dict[int, list[int]]  # line number -> column index of each token


def _grid(lines: list[_Line]) -> _Grid:
    by_kind: dict[str, list[tuple[int, int]]] = {}
    token_col: dict[tuple[int, int], tuple[str, int]] = {}  # (line, token) -> (kind, column)
    for kind in ("text", "integer", "amount"):
        picked = [
            [(k, (s, e)) for k, (s, e, t) in enumerate(ln.tokens) if _kind(t) == kind]
            for ln in lines
        ]
        spans = [[sp for _, sp in line] for line in picked]
        if kind == "amount":
            columns, fits = _amount_columns(spans)
            for ln, line, fit in zip(lines, picked, fits, strict=True):
                for (k, _), col in zip(line, fit, strict=True):
                    token_col[(ln.no, k)] = (kind, col)
        else:
            columns = _merged_columns(spans)
            for ln, line in zip(lines, picked, strict=True):
                for k, (s, e) in line:
                    token_col[(ln.no, k)] = (kind, _nearest(columns, s, e))
        by_kind[kind] = columns
    rank = {"integer": 0, "amount": 1, "text": 2}  # a code before the name that starts with it
    ordered = sorted(
        (start, rank[kind], end, kind, j)
        for kind, columns in by_kind.items()
        for j, (start, end) in enumerate(columns)
    )
    index = {(kind, j): n for n, (_, _, _, kind, j) in enumerate(ordered)}
    placed = {ln.no: [index[token_col[(ln.no, k)]] for k in range(len(ln.tokens))] for ln in lines}
    columns = [(s, e, kind) for s, _, e, kind, _ in ordered]
    # Text columns side by side that no line fills both are one column: a label printed
    # where codes stand ("合计" over "201") and the names beside the codes.
    k = 0
    while k + 1 < len(columns):
        both = any(k in cols and k + 1 in cols for cols in placed.values())
        if columns[k][2] == columns[k + 1][2] == "text" and not both:
            start, end = (
                min(columns[k][0], columns[k + 1][0]),
                max(columns[k][1], columns[k + 1][1]),
            )
            columns[k] = (start, end, "text")
            del columns[k + 1]
            placed = {no: [c - (c > k) for c in cols] for no, cols in placed.items()}
        else:
            k += 1
    return _Grid(columns, placed)


def _nearest(columns: list[tuple[int, int]] | list[tuple[int, int, str]], s: int, e: int) -> int:
    """The column a span overlaps or lies nearest to; of several it overlaps, the one whose
    middle is nearest its middle."""

    def distance(k: int) -> tuple[int, float]:
        cs, ce = columns[k][0], columns[k][1]
        return (max(cs - e, s - ce, 0), abs((cs + ce) / 2 - (s + e) / 2))

    return min(range(len(columns)), key=distance)


def _matched(first: _Grid, other: _Grid) -> list[int]:
    """For each column of a later page, the first page's column it continues: of each kind,
    in order when the pages have as many columns of it, else the nearest."""
    out = [0] * len(other.columns)
    for kind in ("text", "integer", "amount"):
        mine = [k for k, c in enumerate(first.columns) if c[2] == kind]
        theirs = [k for k, c in enumerate(other.columns) if c[2] == kind]
        if not mine:
            for k in theirs:
                out[k] = _nearest(first.columns, *other.columns[k][:2])
            continue
        for n, k in enumerate(theirs):
            if len(mine) == len(theirs):
                out[k] = mine[n]
            else:
                spans = [first.columns[m] for m in mine]
                out[k] = mine[_nearest(spans, *other.columns[k][:2])]
    return out


def _page_cells(
    region: list[_Line], page_of: dict[int, int]
) -> tuple[_Grid, dict[int, list[str]], list[int]]:
    """The columns of the table (as its first page lays them out) and the cells of each of
    its rows."""
    rows = [ln for ln in region if _is_row(ln.tokens)]
    pages: dict[int, list[_Line]] = {}
    for ln in rows:
        pages.setdefault(page_of.get(ln.no, 0), []).append(ln)
    grids = [_grid(lines) for _, lines in sorted(pages.items())]
    first = grids[0]
    cells_of: dict[int, list[str]] = {}
    crowded: list[int] = []  # lines with two amounts in one column: the columns are not sure
    for grid, (_, lines) in zip(grids, sorted(pages.items()), strict=True):
        to_first = list(range(len(first.columns))) if grid is first else _matched(first, grid)
        for ln in lines:
            cells = [""] * len(first.columns)
            for (_, _, text), col in zip(ln.tokens, grid.placed[ln.no], strict=True):
                k = to_first[col]
                if _AMOUNT.match(text) and any(_AMOUNT.match(t) for t in cells[k].split(" ")):
                    crowded.append(ln.no)
                cells[k] = f"{cells[k]} {text}".strip()
            cells_of[ln.no] = [("" if c in _PLACEHOLDER else c) for c in cells]
    return first, cells_of, crowded


@dataclass
class _Column:
    span: tuple[int, int]
    numeric: bool
    words: dict[int, str] = field(default_factory=dict)  # header line index -> its words
    origin: int | None = None  # the data column it is (None: a column blank in every row)


def _header_column(cols: list[_Column], s: int, e: int) -> int:
    """The column a header word names: the one it overlaps or lies nearest to; a word only
    touching a name column and a figure column names the figures; of several it overlaps,
    the one whose middle is nearest its middle."""

    def distance(k: int) -> tuple[int, int, float]:
        cs, ce = cols[k].span
        gap = max(cs - e, s - ce, 0)
        overlaps = min(e, ce) > max(s, cs)
        return (gap, 0 if overlaps or cols[k].numeric else 1, abs((cs + ce) / 2 - (s + e) / 2))

    return min(range(len(cols)), key=distance)


def _header_cells(
    columns: list[tuple[int, int]], numeric: list[bool], header: list[_Line]
) -> tuple[list[_Column], list[str]]:
    """Columns (with those blank in every row added) and each column's header text, the
    header lines joined top to bottom.

    A header word goes to the column it overlaps or lies nearest to (``_header_column``). Two
    words of one line in one cell: the one nearest the cell's figures stays, a word beside it
    moves to the neighbouring column when that column has no word of the line (text layouts
    print words a little off their figures), else it names a column blank in every row
    (基本支出 of a fund table).
    """
    cols = [_Column(c, n, origin=k) for k, (c, n) in enumerate(zip(columns, numeric, strict=True))]
    for li in range(len(header) - 1, -1, -1):  # lower lines name the leaf columns
        by_cell: dict[int, list[tuple[int, int, str]]] = {}
        for s, e, text in header[li].tokens:
            by_cell.setdefault(_header_column(cols, s, e), []).append((s, e, text))
        new: list[_Column] = []
        for k in sorted(by_cell):
            spans = sorted(by_cell[k])
            cs, ce = cols[k].span
            keep = min(spans, key=lambda sp: max(cs - sp[1], sp[0] - ce, 0))
            for span in spans:
                word = span[2].replace(" ", "")
                target = k if span == keep else (k + 1 if span > keep else k - 1)
                if target != k and (
                    not 0 <= target < len(cols) or target in by_cell or li in cols[target].words
                ):
                    new.append(_Column((span[0], span[1]), True, {li: word}))
                    continue
                cols[target].words[li] = cols[target].words.get(li, "") + word
        cols = sorted(cols + new, key=lambda c: c.span)
    joined = ["".join(c.words[li] for li in sorted(c.words)) for c in cols]
    return cols, joined


def _aligned(lines: list[str], data: list[_Line]) -> bool:
    """Whether the text keeps its columns (runs of spaces between cells, as pdftotext -layout)
    or only separates cells by single spaces (page text as pdfplumber gives it)."""
    gapped = sum(1 for ln in data if _WIDE_GAP.search(lines[ln.no - 1].strip()))
    return gapped * 2 >= len(data)


def _build_ordered(
    region: list[_Line], data: list[_Line], lines: list[str] | None = None
) -> LayoutTable:
    """A table whose text keeps no columns: rebuilt by its kind's columns and identities
    (pipelines.ingest.readers.ordered_tables) when it is a kind that module knows. Otherwise each row
    as its code, its name and its figures in order: a blank cell leaves no trace, so only what
    the order tells is kept: a row's first figure is its total (the table extractor's rule
    without a header), and a label's figure is the one after it. Row numbers (integers without
    decimals beside amounts that have them) are dropped."""
    if lines is not None:
        from pipelines.ingest.readers.ordered_tables import build_ordered_table

        rebuilt = build_ordered_table(lines, region)
        if rebuilt is not None:
            return rebuilt
    decimals = any("." in t for ln in data for t in ln.texts if _AMOUNT.match(t))
    table = LayoutTable(first_line=region[0].no, last_line=region[-1].no)
    cells_of: list[list[str] | None] = []
    for ln in region:
        if not _is_row(ln.tokens):
            cells_of.append(None)
            continue
        texts = ln.texts
        code = texts[0] if _CODE.match(texts[0].replace(" ", "")) else ""
        rest = texts[1:] if code else texts
        cells = [code]
        for t in rest:
            if decimals and _INTEGER.match(t):
                continue  # a row number
            if t in _PLACEHOLDER:
                continue
            if (
                not _is_figure(t)
                and len(cells) > 1
                and not _is_figure(cells[-1])
                and not (_LABEL_END.search(cells[-1]) and len(t) >= _LABEL_MIN)
            ):
                cells[-1] += t  # a name in two pieces
            else:
                cells.append(t)
        if len(cells) == 1 or _is_figure(cells[1]):
            cells.insert(1, "")  # the name column, empty: a name wrapped around the code
        cells_of.append(cells)
    width = max(len(c) for c in cells_of if c is not None)
    for idx, line in enumerate(region):
        if cells_of[idx] is None and _is_fragment(line.tokens):
            piece = line.tokens[0][2].replace(" ", "")
            nxt = next((k for k in range(idx + 1, len(region)) if cells_of[k] is not None), None)
            prev = next((k for k in range(idx - 1, -1, -1) if cells_of[k] is not None), None)
            if nxt is not None and not cells_of[nxt][1]:
                cells_of[nxt][1] = piece
            elif prev is not None:
                cells_of[prev][1] += piece
    for idx, cells in enumerate(cells_of):
        if cells is not None:
            table.rows.append((region[idx].no, tuple(cells + [""] * (width - len(cells)))))
    orphans = [no for no, cells in table.rows if not cells[0] and not cells[1]]
    if orphans and len(table.rows) > 1:
        # A line that starts with a figure: its label is on another line (the page text broke
        # the row); which label each figure belongs to is a guess.
        table.doubt = (
            f"第{orphans[0]}行的数字与项目名称不在同一行（文本版式拆开了表格行），"
            "无法可靠对应数字与项目"
        )
    return table


def _column_numbers(parsed: list[_Line], first_data: int) -> list[float]:
    """Centres of the numbers of the 栏次 row above a table's first row ("栏次 1 2 3 …", the
    numbers 1 to N in order), or [] when it has none."""
    k = first_data - 1
    seen = 0
    while k >= 0 and seen <= MAX_HEADER_LINES:
        tokens = parsed[k].tokens
        k -= 1
        if not tokens:
            continue
        seen += 1
        text = " ".join(t for _, _, t in tokens)
        if _HEADER_STOP.search(text) or _PROSE.search(text) or _is_data(tokens):
            break
        words = [(s, e, t) for s, e, t in _header_words(_Line(0, tokens)).tokens]
        numbers = [(s, e, t) for s, e, t in words if t.isdigit()]
        rest = "".join(t for _, _, t in words if not t.isdigit())
        if (
            numbers
            and rest in ("", "栏次")
            and [int(t) for *_, t in numbers] == list(range(1, len(numbers) + 1))
        ):
            return [(s + e) / 2 for s, e, _ in numbers]
    return []


def _under_numbers(figures: list[float], numbers: list[float], first: int) -> list[int] | None:
    """The numbers (increasing indices) the figure columns stand under, the first figure column
    under number ``first``: the others nearest once shifted as the first is (a text layout
    shifts a whole line, so offsets are alike along it, not positions), each unmistakably
    (within ``_NUMBER_SHARE`` of the gap to the next number), in order; else None."""
    if first + len(figures) > len(numbers):
        return None
    shift = figures[0] - numbers[first]
    out = [first]
    for x in figures[1:]:
        j = min(range(len(numbers)), key=lambda k: abs(numbers[k] + shift - x))
        gaps = [abs(numbers[j] - numbers[k]) for k in (j - 1, j + 1) if 0 <= k < len(numbers)]
        if j <= out[-1] or abs(numbers[j] + shift - x) > _NUMBER_SHARE * min(gaps):
            return None
        out.append(j)
    return out


def _header_by_numbers(
    grid: _Grid, header: list[_Line], numbers: list[float]
) -> tuple[list[_Column], list[str]] | None:
    """Columns and header text read by order where a 栏次 row numbers the figure columns: the
    header's word stacks, left to right, are the label columns and then one per number; the
    figure columns the rows fill go under the numbers they stand nearest (in order), and a
    number no row fills is a column blank in every row (上缴上级支出 of a department without
    any). None unless the stacks are exactly as many as those columns."""
    from pipelines.ingest.readers.layout_three_public import word_stacks

    kinds = [kind for _, _, kind in grid.columns]
    if "amount" not in kinds:
        return None
    first = kinds.index("amount")
    if any(kind != "amount" for kind in kinds[first:]) or len(numbers) < len(kinds) - first:
        return None  # labels after figures (a two-sided table): not this shape
    words = [(ln.no, s, e, t) for ln in header for s, e, t in ln.tokens]
    stacks = word_stacks(words)
    if len(stacks) != first + len(numbers):
        return None
    figures = [_centre(grid.columns[k][:2]) for k in range(first, len(kinds))]
    if len(figures) == len(numbers):
        under = list(range(len(numbers)))
    else:
        # The rows' first figure is their total: it stands under the first total the header
        # names (本年支出合计, 合计 …), which places the others by their offsets.
        names = [st.text.replace(" ", "") for st in stacks[first:]]
        total = next((j for j, t in enumerate(names) if t.endswith(("合计", "小计"))), None)
        under = None if total is None else _under_numbers(figures, numbers, total)
        if under is None:
            return None
    origin = {j: first + k for k, j in enumerate(under)}
    cols = [_Column(grid.columns[k][:2], kinds[k] != "text", origin=k) for k in range(first)] + [
        _Column(
            grid.columns[origin[j]][:2] if j in origin else (int(x), int(x) + 1),
            True,
            origin=origin.get(j),
        )
        for j, x in enumerate(numbers)
    ]
    return cols, [st.text.replace(" ", "") for st in stacks]


def _build(
    header: list[_Line],
    region: list[_Line],
    data: list[_Line],
    page_of: dict[int, int],
    numbers: list[float] | None = None,
) -> LayoutTable:
    grid, cells_by_line, crowded = _page_cells(region, page_of)
    spans = [(s, e) for s, e, _ in grid.columns]
    by_order = _header_by_numbers(grid, header, numbers) if numbers and header else None
    cols, joined = by_order or _header_cells(
        spans, [kind != "text" for _, _, kind in grid.columns], header
    )
    numeric = [c.numeric for c in cols]
    where = {c.origin: k for k, c in enumerate(cols) if c.origin is not None}
    widened: dict[int, list[str]] = {}
    for no, cells in cells_by_line.items():
        row = [""] * len(cols)
        for k, cell in enumerate(cells):
            row[where[k]] = cell
        widened[no] = row
    table = LayoutTable(
        first_line=(header or region)[0].no, last_line=region[-1].no, numbered=bool(by_order)
    )
    if header:
        table.rows.append((header[0].no, tuple(joined)))
    rows = _rows_with_names(region, widened)
    table.rows.extend(rows)
    orphans = _orphan_rows(rows, numeric)
    if crowded:
        # Two figures of one line in one column: a page laid out so unlike the others that
        # its figures cannot be put in their columns with confidence.
        table.doubt = (
            f"第{crowded[0]}行的两个数字落在同一列（文本版式错开了列），无法可靠对应数字与项目"
        )
    elif orphans and len(rows) > 1:
        # "2,940.05  2,940.05" above "本年收入合计  本年支出合计": the layout printed a row's
        # figures on a line of their own; which label each belongs to is a guess.
        table.doubt = (
            f"第{orphans[0]}行的数字与项目名称不在同一行（文本版式拆开了表格行），"
            "无法可靠对应数字与项目"
        )
    else:
        kinds = [grid.columns[c.origin][2] if c.origin is not None else "amount" for c in cols]
        table.exact = _labelled(rows, kinds)
    return table


def _labelled(rows: list[tuple[int, tuple[str, ...]]], kinds: list[str]) -> bool:
    """Whether every figure of the table stands right after its own label, in the line's
    order (a label column, then row numbers at most, then one amount column: "本年收入合计 |
    5 | 1,230.50 | 本年支出合计 | 35 | 1,230.50"): its figures are paired with labels by
    their order, not by position, and it is read as a Word table is."""
    label_of: dict[int, int] = {}
    for k, kind in enumerate(kinds):
        if kind != "amount":
            continue
        j = k - 1
        while j >= 0 and kinds[j] == "integer":
            j -= 1
        if j < 0 or kinds[j] != "text":
            return False  # amounts side by side: which is which is a matter of position
        label_of[k] = j
    return bool(label_of) and all(
        cells[label_of[k]] for _, cells in rows for k in label_of if cells[k]
    )


def _orphan_rows(rows: list[tuple[int, tuple[str, ...]]], numeric: list[bool]) -> list[int]:
    """Lines where an amount stands without the label it belongs to: every label column
    between the amount column before it (or the line's start) and it is empty. Amounts side
    by side share the label before the first of them; row numbers and codes are not amounts,
    a coded row has its code; a label in a column of its own left of the names ("合计" where
    codes stand) is the row's label."""
    out = []
    for no, cells in rows:
        if any(_CODE.match(c.replace(" ", "")) for c in cells):
            continue
        previous = -1  # the last column holding an amount, left of the one looked at
        for k, cell in enumerate(cells):
            if not _AMOUNT.match(cell):
                continue
            labels = [j for j in range(previous + 1, k) if not numeric[j]]
            previous = k
            if labels and not any(cells[j] for j in labels):
                out.append(no)
                break
    return out


def _rows_with_names(
    region: list[_Line], cells_by_line: dict[int, list[str]]
) -> list[tuple[int, tuple[str, ...]]]:
    """Data rows with the pieces of wrapped names put back: a piece above a row without a name
    of its own begins that name; a piece below a row whose name began above it ends it."""
    cells_of = [cells_by_line.get(ln.no) for ln in region]
    _merge_figures_below(cells_of)
    name_col = _name_column(cells_of)
    began_above: set[int] = set()  # data lines (by index) whose name began on a line above
    ended: set[int] = set()
    last_row: int | None = None
    for idx, line in enumerate(region):
        if cells_of[idx] is not None:
            last_row = idx
            continue
        if not _is_fragment(line.tokens):
            continue  # a label without figures: a blank row, no piece of a name
        piece = line.tokens[0][2].replace(" ", "")
        nxt = next((k for k in range(idx + 1, len(region)) if cells_of[k] is not None), None)
        if last_row is not None and last_row in began_above and last_row not in ended:
            cells_of[last_row][name_col] += piece
            ended.add(last_row)
        elif nxt is not None and not cells_of[nxt][name_col]:
            cells_of[nxt][name_col] = piece
            began_above.add(nxt)
        elif last_row is not None:
            cells_of[last_row][name_col] += piece
            ended.add(last_row)
    return [(region[k].no, tuple(cells)) for k, cells in enumerate(cells_of) if cells is not None]


def _merge_figures_below(cells_of: list[list[str] | None]) -> None:
    """A row whose name wrapped onto two lines may have its figures printed on a line of their
    own below (the cell's text is centred): figures without any label, under a row with a
    code or label and no figure in those columns, belong to that row."""
    previous: int | None = None
    for k, cells in enumerate(cells_of):
        if cells is None:
            continue
        figures_only = all(not c or _AMOUNT.match(c) for c in cells) and any(cells)
        if figures_only and previous is not None:
            above = cells_of[previous]
            if all(not above[j] for j, c in enumerate(cells) if c) and any(
                a and not _AMOUNT.match(a) for a in above
            ):
                for j, c in enumerate(cells):
                    if c:
                        above[j] = c
                cells_of[k] = None
                continue
        previous = k


def _name_column(rows: list[list[str] | None]) -> int:
    """The column most data rows hold text in (not a figure, not a code): where names are."""
    counts: dict[int, int] = {}
    for cells in rows:
        for k, c in enumerate(cells or []):
            if c and not _is_figure(c.replace(" ", "")) and not re.fullmatch(r"\d{3,7}", c):
                counts[k] = counts.get(k, 0) + 1
    return max(counts, key=lambda k: (counts[k], -k)) if counts else 0
