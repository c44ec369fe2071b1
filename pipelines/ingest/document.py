"""The reader's output: a document as an ordered list of located blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["paragraph", "table_row"]


@dataclass(frozen=True)
class Block:
    """One paragraph (or text line) or one table row, with where it was found.

    ``location`` is what a finance officer needs to find the text again, e.g.
    "第57行", "段落 12" or "表格 2 第 5 行".
    """

    index: int
    kind: BlockKind
    text: str
    location: str
    cells: tuple[str, ...] = ()
    table_index: int | None = None
    row_index: int | None = None
    # Set by a reader that rebuilt the row's table with a doubt it could not settle (figures
    # a text layout printed apart from their labels): the table's figures accuse no one.
    doubt: str | None = None
    # The row was rebuilt from text laid out with spaces (no cells in the source): its table is
    # trusted less, a failing identity of its own is enough to doubt it.
    rebuilt: bool = False
    # PDF only: the page (1-based) the block starts on, and for each character of ``text`` the
    # PDF character it was read from, (char, x0, y0, x1, y1, ...) in the page's unrotated user
    # space (points from the bottom left), or None where the text has no character of its own
    # (the tab between two cells). Other formats leave both None.
    page: int | None = field(default=None, compare=False)
    boxes: tuple | None = field(default=None, repr=False, compare=False)


@dataclass
class Document:
    source_path: str  # relative to the raw root, as stored in core.report
    source_format: str  # txt, docx, ...
    blocks: list[Block] = field(default_factory=list)
    encoding: str | None = None
