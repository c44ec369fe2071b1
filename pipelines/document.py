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


@dataclass
class Document:
    source_path: str  # relative to the raw root, as stored in core.report
    source_format: str  # txt, docx, ...
    blocks: list[Block] = field(default_factory=list)
    encoding: str | None = None
