"""Documents written line by line for extractor tests: a line with a tab is a table row (one
table per run of rows), any other line a paragraph; locations are "第N行"."""

from __future__ import annotations

from pipelines.ingest.document import Block, Document


def lines_document(*lines: str, source_path: str = "2023/测试局.txt") -> Document:
    doc = Document(source_path, "txt")
    table = -1
    previous_was_row = False
    for i, line in enumerate(lines):
        cells = tuple(line.split("\t")) if "\t" in line else ()
        if cells and not previous_was_row:
            table += 1
        previous_was_row = bool(cells)
        doc.blocks.append(
            Block(
                i,
                "table_row" if cells else "paragraph",
                line,
                f"第{i + 1}行",
                cells,
                table if cells else None,
                i if cells else None,
            )
        )
    return doc
