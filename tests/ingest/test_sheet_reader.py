"""Excel attachments: tables per sheet, merged headers, numbers as printed, nothing executed."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from helpers.convert import document_to_docx, document_to_xlsx
from helpers.office import convert_with_office
from openpyxl import Workbook

from pipelines.errors import IngestError
from pipelines.ingest.document import Block, Document
from pipelines.ingest.readers import sheet_reader
from pipelines.ingest.readers.docx_reader import read_docx
from pipelines.ingest.readers.sheet_reader import read_xls, read_xlsx


def _xlsx_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rows(doc: Document) -> list[Block]:
    return [b for b in doc.blocks if b.kind == "table_row"]


def _gpb_sheet(sheet) -> None:
    """A 一般公共预算财政拨款支出决算表 laid out as departments attach it, from row 1."""
    sheet["A1"] = "一般公共预算财政拨款支出决算表"
    sheet.merge_cells("A1:F1")
    sheet["F2"] = "单位：万元"
    sheet["A3"] = "项目"
    sheet.merge_cells("A3:B3")
    sheet["C3"] = "本年支出"
    sheet.merge_cells("C3:E3")
    sheet["F3"] = "备注"
    sheet.merge_cells("F3:F4")
    for col, label in zip(
        "ABCDE", ["科目编码", "科目名称", "合计", "基本支出", "项目支出"], strict=True
    ):
        sheet[f"{col}4"] = label
    sheet.append([201, "一般公共服务支出", 1511.89, 1200.5, 311.39])
    sheet.append([20103, "政府办公厅（室）及相关机构事务", 2940.0, 2940, 0])
    sheet["C6"].number_format = "#,##0.00"
    sheet["D6"].number_format = "#,##0.00"
    sheet["E6"].number_format = "0.00"
    sheet["A7"] = "合计"
    sheet.merge_cells("A7:B7")
    sheet["C7"] = 4451.89


# --------------------------------------------------------------------------- .xlsx


def test_two_tables_on_one_sheet_with_titles() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "决算表"
    sheet.append(["收入决算表"])
    sheet.append(["单位：万元"])
    sheet.append(["项目", "合计", "财政拨款收入"])
    sheet.append(["合计", 100.5, 100.5])
    sheet.append([])
    sheet.append(["支出决算表"])
    sheet.append(["项目", "合计", "基本支出"])
    sheet.append(["合计", 90, 80])
    sheet.append(["注：本表金额单位为万元"])
    doc = read_xlsx(_xlsx_bytes(book), "2023/附表.xlsx")

    assert doc.source_format == "xlsx"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("paragraph", "收入决算表"),
        ("paragraph", "单位：万元"),
        ("table_row", "项目\t合计\t财政拨款收入"),
        ("table_row", "合计\t100.5\t100.5"),
        ("paragraph", "支出决算表"),
        ("table_row", "项目\t合计\t基本支出"),
        ("table_row", "合计\t90\t80"),
        ("paragraph", "注：本表金额单位为万元"),
    ]
    rows = _rows(doc)
    assert [(r.table_index, r.row_index) for r in rows] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert rows[1].cells == ("合计", "100.5", "100.5")
    assert doc.blocks[0].location == "工作表“决算表”第1行"
    assert rows[3].location == "工作表“决算表”第8行"
    assert [b.index for b in doc.blocks] == list(range(len(doc.blocks)))


def test_merged_header_cells_are_filled_across_and_data_merges_left_empty() -> None:
    book = Workbook()
    _gpb_sheet(book.active)
    doc = read_xlsx(_xlsx_bytes(book), "r.xlsx")

    assert [b.text for b in doc.blocks if b.kind == "paragraph"] == [
        "一般公共预算财政拨款支出决算表",
        "单位：万元",
    ]
    rows = _rows(doc)
    assert rows[0].cells == ("项目", "项目", "本年支出", "本年支出", "本年支出", "备注")
    assert rows[0].text == "项目\t本年支出\t备注"  # a merged value is printed once
    assert rows[1].cells == ("科目编码", "科目名称", "合计", "基本支出", "项目支出", "备注")
    assert rows[2].cells == ("201", "一般公共服务支出", "1511.89", "1200.5", "311.39", "")
    assert rows[3].cells[:5] == (
        "20103",
        "政府办公厅（室）及相关机构事务",
        "2940.00",
        "2940.00",
        "0.00",
    )
    assert rows[4].cells == ("合计", "", "4451.89", "", "", "")  # data row: not filled
    assert {r.table_index for r in rows} == {0}
    assert [r.row_index for r in rows] == [0, 1, 2, 3, 4]


def test_tables_on_several_sheets_count_across_the_workbook() -> None:
    book = Workbook()
    first = book.active
    first.title = "表1"
    first.append(["收入支出决算总表", None, None, "公开01表"])
    first.append(["编制单位：某某局", None, None, "单位：万元"])
    first.append(["项目", "决算数", "项目", "决算数"])
    first.append(["本年收入合计", 10, "本年支出合计", 10])
    book.create_sheet("空表")
    second = book.create_sheet("表2")
    second.append(["基本支出决算表"])
    second.append(["科目编码", "科目名称", "决算数"])
    second.append(["30101", "基本工资", 5.25])
    second.append(["30102基本津贴"])  # one text cell between two table rows: still a row
    second.append(["30103", "奖金", 1])
    second.append(["本表为空表"])
    doc = read_xlsx(_xlsx_bytes(book), "r.xlsx")

    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert paragraphs == [
        "收入支出决算总表 公开01表",
        "编制单位：某某局 单位：万元",
        "基本支出决算表",
        "本表为空表",
    ]
    rows = _rows(doc)
    assert [r.table_index for r in rows] == [0, 0, 1, 1, 1, 1]
    assert rows[3].cells == ("30101", "基本工资", "5.25")
    assert rows[4].cells == ("30102基本津贴", "", "")
    assert rows[4].location == "工作表“表2”第4行"


def test_number_text_formatting() -> None:
    fmt = sheet_reader._number_text
    assert fmt(1511.89, "General") == "1511.89"
    assert fmt(2940.0, "General") == "2940"
    assert fmt(2940.0, "#,##0.00") == "2940.00"
    assert fmt(2940.0, "#,##0.00_);[Red](#,##0.00)") == "2940.00"
    assert fmt(1511.8899999999999, None) == "1511.89"
    assert fmt(0.1 + 0.2, "General") == "0.3"
    assert fmt(201.0, "General") == "201"
    assert fmt(2010301, "0") == "2010301"
    assert fmt(1e-7, "General") == "0.0000001"
    assert fmt(1.5e15, "General") == "1500000000000000"
    assert fmt(-0.0, "0.00") == "0.00"
    assert fmt(0.7623, "0.00%") == "76.23%"
    assert fmt(12.345, '0.0"万元"') == "12.3"


def test_codes_and_text_cells() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["科目编码", "科目名称", "金额"])
    sheet.append([2010301, "  行政运行 ", 12.3])
    sheet.append(["2010350", "事业运行", None])
    doc = read_xlsx(_xlsx_bytes(book), "r.xlsx")
    rows = _rows(doc)
    assert rows[1].cells == ("2010301", "行政运行", "12.3")
    assert rows[2].cells == ("2010350", "事业运行", "")


def test_formula_without_cached_value_is_empty_and_not_evaluated() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["项目", "金额", "上年"])
    sheet.append(["甲", 1.5, 1])
    sheet.append(["乙", 2.5, 2])
    sheet.append(["合计", "=SUM(B2:B3)", 3])  # openpyxl stores no cached value
    sheet.append(["外部", '=WEBSERVICE("http://127.0.0.1:9/x")', 0])
    doc = read_xlsx(_xlsx_bytes(book), "r.xlsx")
    rows = _rows(doc)
    assert rows[3].cells == ("合计", "", "3")
    assert rows[4].cells == ("外部", "", "0")
    assert all("=" not in b.text for b in doc.blocks)


def test_xlsm_with_vba_project_is_read_as_data() -> None:
    book = Workbook()
    book.active.append(["项目", "金额"])
    book.active.append(["合计", 3.25])
    source = zipfile.ZipFile(io.BytesIO(_xlsx_bytes(book)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    b"</Types>",
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Target="vbaProject.bin" Type="http://schemas'
                    b'.microsoft.com/office/2006/relationships/vbaProject"/></Relationships>',
                )
            target.writestr(info, data)
        target.writestr("xl/vbaProject.bin", _ole({"VBA": b"Sub Auto_Open()\nEnd Sub\n"}))
    data = out.getvalue()
    assert "xl/vbaProject.bin" in zipfile.ZipFile(io.BytesIO(data)).namelist()

    doc = read_xlsx(data, "r.xlsm")
    assert [r.cells for r in _rows(doc)] == [("项目", "金额"), ("合计", "3.25")]


def test_corrupt_xlsx() -> None:
    book = Workbook()
    _gpb_sheet(book.active)
    data = _xlsx_bytes(book)
    with pytest.raises(IngestError) as err:
        read_xlsx(data[: len(data) // 2], "r.xlsx")
    assert (err.value.stage, err.value.code) == ("read", "corrupt_xlsx")
    assert "损坏" in err.value.message

    # A well-formed zip whose sheet XML is garbage.
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info, b"<<not xml" if info.filename.endswith("sheet1.xml") else body)
    with pytest.raises(IngestError) as err:
        read_xlsx(out.getvalue(), "r.xlsx")
    assert err.value.code == "corrupt_xlsx"


def test_empty_workbook() -> None:
    book = Workbook()
    book.active["A1"] = "   "
    book.create_sheet("Sheet2")
    with pytest.raises(IngestError) as err:
        read_xlsx(_xlsx_bytes(book), "r.xlsx")
    assert err.value.code == "empty_workbook"
    assert "空" in err.value.message


def test_workbook_expanding_beyond_the_limit_is_refused(monkeypatch) -> None:
    book = Workbook()
    _gpb_sheet(book.active)
    data = _xlsx_bytes(book)
    monkeypatch.setattr(sheet_reader, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(IngestError) as err:
        read_xlsx(data, "r.xlsx")
    assert err.value.code == "xlsx_too_large"


def test_encrypted_xlsx_is_detected() -> None:
    data = _ole({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": b"x"})
    for reader in (read_xlsx, read_xls):
        with pytest.raises(IngestError) as err:
            reader(data, "r.xlsx")
        assert err.value.code == "encrypted_xlsx"
        assert "密码" in err.value.message


# --------------------------------------------------------------------------- .xls
#
# xlwt is not available; a minimal BIFF8 workbook in an OLE compound file is written here.


def _ole(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file with the given root streams (each padded to >= 4096 bytes)."""
    sector, end, free, fat_mark = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    body, fat, entries = b"", [], []
    for name, data in streams.items():
        data = data.ljust(max(4096, -(-len(data) // sector) * sector), b"\0")
        start, count = len(body) // sector, len(data) // sector
        fat += [start + i + 1 for i in range(count - 1)] + [end]
        entries.append((name, 2, start, len(data)))
        body += data
    n_entries = len(entries) + 1
    n_dir = -(-n_entries // 4)
    first_dir = len(body) // sector
    fat += [first_dir + i + 1 for i in range(n_dir - 1)] + [end]
    n_fat = 1
    while len(fat) + n_fat > n_fat * 128:
        n_fat += 1
    first_fat = len(fat)
    fat += [fat_mark] * n_fat
    fat += [free] * (n_fat * 128 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le")
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw) + 2, kind, 1)
            + struct.pack("<iii", -1, right, child)
            + b"\0" * 36
            + struct.pack("<iII", start, size, 0)
        )

    directory = entry("Root Entry", 5, -1, 1, -2, 0)
    for i, (name, kind, start, size) in enumerate(entries, start=1):
        directory += entry(name, kind, i + 1 if i < len(entries) else -1, -1, start, size)
    directory = directory.ljust(n_dir * sector, b"\0")
    difat = [first_fat + i for i in range(n_fat)] + [free] * (109 - n_fat)
    header = (
        sheet_reader._OLE_MAGIC
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, n_fat, first_dir, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", *difat)
    )
    return header + body + directory + struct.pack(f"<{len(fat)}I", *fat)


def _record(rid: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", rid, len(data)) + data


def _ustr(text: str, lenlen: int) -> bytes:
    return (
        struct.pack("<B" if lenlen == 1 else "<H", len(text)) + b"\x01" + text.encode("utf-16-le")
    )


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def _xf(format_key: int, type_parent: int) -> bytes:
    data = struct.pack("<HHHBBBBIiH", 0, format_key, type_parent, 0x20, 0, 0, 0, 0, 0, 0x20C0)
    return _record(0x00E0, data)


def _xls(sheets: dict[str, dict], encrypted: bool = False) -> bytes:
    """sheets: name -> {"cells": {(r, c): str | (float, xf)}, "merges": [(r1, r2, c1, c2)]}.

    XF 1 is a cell with the General format, XF 2 "#,##0.00" (built-in format 4).
    """
    font = _record(
        0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _ustr("宋体", 1)
    )
    head = _bof(0x0005)
    if encrypted:
        head += _record(0x002F, struct.pack("<HHH", 0, 0x1234, 0x5678))
    head += _record(0x0042, struct.pack("<H", 1200)) + font * 5
    head += _xf(0, 0xFFF5) + _xf(0, 0x0001) + _xf(4, 0x0001)
    substreams = []
    for spec in sheets.values():
        cells = spec["cells"]
        nrows = max((r for r, _ in cells), default=-1) + 1
        ncols = max((c for _, c in cells), default=-1) + 1
        body = _bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, nrows, 0, ncols, 0))
        for (r, c), value in sorted(cells.items()):
            if isinstance(value, str):
                body += _record(0x0204, struct.pack("<HHH", r, c, 1) + _ustr(value, 2))
            else:
                number, xf_index = value
                body += _record(0x0203, struct.pack("<HHHd", r, c, xf_index, number))
        merges = spec.get("merges", [])
        if merges:
            body += _record(
                0x00E5,
                struct.pack("<H", len(merges)) + b"".join(struct.pack("<HHHH", *m) for m in merges),
            )
        substreams.append(body + _record(0x000A))
    boundsheet_sizes = [4 + 6 + len(_ustr(name, 1)) for name in sheets]
    offset = len(head) + sum(boundsheet_sizes) + 4  # + EOF
    globals_ = head
    for name, body in zip(sheets, substreams, strict=True):
        globals_ += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _ustr(name, 1))
        offset += len(body)
    workbook = globals_ + _record(0x000A) + b"".join(substreams)
    return _ole({"Workbook": workbook})


XLS_SHEETS = {
    "收入支出决算总表": {
        "cells": {
            (0, 0): "收入支出决算总表",
            (1, 2): "单位：万元",
            (2, 0): "收入",
            (2, 2): "支出",
            (3, 0): "项目",
            (3, 1): "决算数",
            (3, 2): "项目",
            (3, 3): "决算数",
            (4, 0): "一般公共预算财政拨款收入",
            (4, 1): (1511.89, 2),
            (4, 2): "一般公共服务支出",
            (4, 3): (2940.0, 2),
            (5, 0): "科目",
            (5, 1): (201.0, 1),
        },
        "merges": [(0, 0, 0, 3), (2, 2, 0, 1), (2, 2, 2, 3)],
    },
    "Sheet2": {"cells": {(0, 0): "本表无数据"}},
}


def test_read_xls_biff8_workbook() -> None:
    doc = read_xls(_xls(XLS_SHEETS), "2023/附表.xls")
    assert doc.source_format == "xls"
    assert [(b.kind, b.text) for b in doc.blocks if b.kind == "paragraph"] == [
        ("paragraph", "收入支出决算总表"),
        ("paragraph", "单位：万元"),
        ("paragraph", "本表无数据"),
    ]
    rows = _rows(doc)
    assert [r.cells for r in rows] == [
        ("收入", "收入", "支出", "支出"),
        ("项目", "决算数", "项目", "决算数"),
        ("一般公共预算财政拨款收入", "1511.89", "一般公共服务支出", "2940.00"),
        ("科目", "201", "", ""),
    ]
    assert rows[0].text == "收入\t支出"
    assert rows[2].location == "工作表“收入支出决算总表”第5行"
    assert [(r.table_index, r.row_index) for r in rows] == [(0, 0), (0, 1), (0, 2), (0, 3)]


def test_read_xls_accepts_xlsx_content() -> None:
    book = Workbook()
    book.active.append(["项目", 1.25])
    assert read_xls(_xlsx_bytes(book), "named_wrong.xls").source_format == "xlsx"


def test_encrypted_xls() -> None:
    with pytest.raises(IngestError) as err:
        read_xls(_xls(XLS_SHEETS, encrypted=True), "r.xls")
    assert err.value.code == "encrypted_xls"


def test_corrupt_and_empty_xls() -> None:
    data = _xls(XLS_SHEETS)
    for broken in (data[:700], sheet_reader._OLE_MAGIC + b"\0" * 600, b"garbage" * 100):
        with pytest.raises(IngestError) as err:
            read_xls(broken, "r.xls")
        assert err.value.code == "corrupt_xls"
    with pytest.raises(IngestError) as err:
        read_xls(_xls({"Sheet1": {"cells": {}}}), "r.xls")
    assert err.value.code == "empty_workbook"


def test_read_xls_written_by_libreoffice(tmp_path: Path) -> None:
    book = Workbook()
    _gpb_sheet(book.active)
    source = tmp_path / "gpb.xlsx"
    source.write_bytes(_xlsx_bytes(book))
    convert_with_office(source, "xls", tmp_path)
    from_xls = read_xls((tmp_path / "gpb.xls").read_bytes(), "gpb.xls")
    from_xlsx = read_xlsx(source.read_bytes(), "gpb.xlsx")
    assert [r.cells for r in _rows(from_xls)] == [r.cells for r in _rows(from_xlsx)]


# --------------------------------------------------------------------------- converters


def _sample_document() -> Document:
    blocks: list[tuple] = [
        ("paragraph", "某某局2023年度部门决算", ()),
        ("paragraph", "一般公共预算财政拨款支出决算表", ()),
        ("paragraph", "单位：万元", ()),
        ("table_row", None, ("科目编码", "科目名称", "合计", "基本支出", "项目支出")),
        ("table_row", None, ("201", "一般公共服务支出", "1,511.89", "1,200.50", "311.39")),
        ("table_row", None, ("2010301", "行政运行", "2,940.00", "2,940.00", "")),
        ("table_row", None, ("合计", "", "4,451.89")),
        ("paragraph", "2023年度一般公共预算财政拨款支出4451.89万元。", ()),
        ("paragraph", "财政拨款“三公”经费支出决算表", ()),
        ("table_row", None, ("项目", "预算数", "决算数")),
        ("table_row", None, ("因公出国（境）费", "0.00", "0.00")),
        ("table_row", None, ("公务接待费", "3.5", "2.75")),
    ]
    doc = Document(source_path="r.pdf", source_format="pdf")
    table, row = -1, 0
    for i, (kind, text, cells) in enumerate(blocks):
        if kind == "table_row":
            if doc.blocks and doc.blocks[-1].kind != "table_row":
                table, row = table + 1, 0
            text = "\t".join(c for c in cells if c)
            doc.blocks.append(Block(i, kind, text, f"第{i + 1}行", cells, table, row))
            row += 1
        else:
            doc.blocks.append(Block(i, kind, text, f"第{i + 1}行"))
    return doc


def _tables(doc: Document, normalize: bool = False) -> list[list[tuple[str, ...]]]:
    tables: dict[int, list[tuple[str, ...]]] = {}
    for row in _rows(doc):
        cells = list(row.cells)
        while cells and not cells[-1]:
            cells.pop()
        if normalize:
            cells = [c.replace(",", "") for c in cells]
        tables.setdefault(row.table_index, []).append(tuple(cells))
    return list(tables.values())


def test_document_round_trips_through_docx(tmp_path: Path) -> None:
    doc = _sample_document()
    path = tmp_path / "r.docx"
    document_to_docx(doc, path)
    back = read_docx(path.read_bytes(), "r.docx")
    assert [b.text for b in back.blocks if b.kind == "paragraph"] == [
        b.text for b in doc.blocks if b.kind == "paragraph"
    ]
    assert _tables(back) == _tables(doc)
    assert [b.kind for b in back.blocks] == [b.kind for b in doc.blocks]


def test_document_round_trips_through_xlsx(tmp_path: Path) -> None:
    doc = _sample_document()
    path = tmp_path / "r.xlsx"
    document_to_xlsx(doc, path)
    back = read_xlsx(path.read_bytes(), "r.xlsx")
    assert _tables(back, normalize=True) == _tables(doc, normalize=True)
    assert [b.text for b in back.blocks if b.kind == "paragraph"] == [
        "一般公共预算财政拨款支出决算表",
        "单位：万元",
        "财政拨款“三公”经费支出决算表",
    ]

    import openpyxl

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["一般公共预算财政拨款支出决算表", "财政拨款“三公”经费支出决算表"]
    sheet = book.worksheets[0]
    assert sheet["C4"].value == 1511.89 and sheet["C4"].number_format == "#,##0.00"
    assert sheet["A4"].value == "201" and sheet["A5"].value == "2010301"
