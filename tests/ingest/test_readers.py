"""Readers: encodings detected from the bytes, Word paragraphs and tables in order, clear errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document as WordDocument

from pipelines.errors import IngestError
from pipelines.ingest.readers import read_document

TEXT = "第二部分 2023年度部门决算情况说明\n2023年度收入总计1970.68万元。\n\t科目\t金额\n\t合计\t100.00\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_txt_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(TEXT.encode(encoding))
    doc = read_document(path, "2023/report.txt")
    assert doc.encoding == expected
    assert doc.blocks[1].text == "2023年度收入总计1970.68万元。"
    assert doc.blocks[1].location == "第2行"


def test_txt_tab_lines_are_table_rows(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text(TEXT, encoding="utf-8")
    doc = read_document(path, "r.txt")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert [r.cells for r in rows] == [("", "科目", "金额"), ("", "合计", "100.00")]
    assert rows[0].table_index == rows[1].table_index == 0


def test_format_comes_from_content_not_extension(tmp_path: Path) -> None:
    path = tmp_path / "named_wrong.docx"
    path.write_text("2023年度收入总计1970.68万元。", encoding="utf-8")
    assert read_document(path, "x.docx").source_format == "txt"


def test_bookmark_debris_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("[bookmark: _Toc1][bookmark: _Toc2]二、机构设置\n", encoding="utf-8")
    assert read_document(path, "r.txt").blocks[0].text == "二、机构设置"


def _docx_bytes() -> bytes:
    word = WordDocument()
    word.add_paragraph("某某局2024年度部门决算")
    table = word.add_table(rows=2, cols=3)
    for j, text in enumerate(["科目编码", "科目名称", "合计"]):
        table.cell(0, j).text = text
    for j, text in enumerate(["2010301", "行政运行", "12.50"]):
        table.cell(1, j).text = text
    word.add_paragraph("表后的段落。")
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    path = tmp_path / "r.docx"
    path.write_bytes(_docx_bytes())
    doc = read_document(path, "2024/r.docx")
    assert [b.kind for b in doc.blocks] == ["paragraph", "table_row", "table_row", "paragraph"]
    assert doc.blocks[2].cells == ("2010301", "行政运行", "12.50")
    assert doc.blocks[2].location == "表格1第2行"
    assert doc.blocks[3].location == "段落2"


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "bad.docx", "empty_file"),
        (b"   \n\n", "bad.docx", "empty_file"),
        # A broken zip, or bytes of no known format: named after what the extension promised.
        (b"PK\x03\x04" + b"\x00" * 50, "bad.docx", "corrupt_docx"),
        (b"PK\x03\x04" + b"\x00" * 50, "bad.xlsm", "corrupt_xlsx"),
        (b"PK\x03\x04" + b"\x00" * 50, "bad.txt", "unknown_zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "bad.docx", "encrypted_office"),
        (b"%PDF-1.7\n...", "bad.docx", "corrupt_pdf"),
        (b"\x00\x01\x02\x03binary" * 20, "bad.docx", "corrupt_docx"),
        (b"\x00\x01\x02\x03binary" * 20, "bad.pdf", "corrupt_pdf"),
        (b"\x00\x01\x02\x03binary" * 20, "bad.txt", "binary_file"),
    ],
)
def test_unreadable_files_raise_specific_errors(
    tmp_path: Path, content: bytes, name: str, code: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        read_document(path, name)
    assert info.value.code == code
    assert info.value.message  # a Chinese sentence saying what to do


def test_truncated_docx_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.docx"
    path.write_bytes(_docx_bytes()[:2000])
    with pytest.raises(IngestError) as info:
        read_document(path, "cut.docx")
    assert info.value.code == "corrupt_docx"


def test_a_path_that_cannot_be_read_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as info:
        read_document(tmp_path, "2024/folder.docx")  # a folder where a file was expected
    assert info.value.code == "file_unreadable"
    assert "无法打开读取" in info.value.message
