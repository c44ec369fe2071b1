"""Bad documents never cost data: each kind of bad input gets its own row in core.ingest_error
(or a defined handling), and every other report of the same run is loaded as usual.

Every test is a real pipeline run (discover → stage → one-transaction load) over a raw folder
holding a small generated county plus the bad file; the county is generated once per module.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from docx import Document as WordDocument
from openpyxl import Workbook

import pipelines.ingest.stage
import pipelines.orchestration.run
from pipelines.errors import IngestError
from pipelines.ingest import readers
from pipelines.ingest.discover import discover
from pipelines.ingest.readers import docx_reader, read_report, sheet_reader
from pipelines.ingest.readers.txt_reader import decode_text
from pipelines.orchestration.run import Locations, ingest, load, run_pipeline
from tools.sample import generate_county

YEAR = "2024"
TXT = f"{YEAR}/云溪县人民政府办公室.txt"
DOCX = f"{YEAR}/云溪县卫生健康局.docx"
WITH_ATTACHMENT = f"{YEAR}/云溪县教育和体育局.docx"
ATTACHMENT = f"{YEAR}/云溪县教育和体育局_附表.xlsx"


# --------------------------------------------------------------------------- corpus and runs


@dataclass
class Run:
    loc: Locations
    errors: dict[str, tuple[str, str, str]]  # source_path -> (stage, error_code, message)
    reports: dict[
        str, tuple[str, int, str, str | None]
    ]  # -> (department, statements, format, encoding)


def _run(raw: Path, warehouse_dir: Path) -> Run:
    loc = Locations(raw, warehouse_dir / "budget.duckdb")
    ingest(loc, workers=1)
    load(loc)
    return _read_back(loc)


def _read_back(loc: Locations) -> Run:
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        errors = {
            path: (stage, code, message)
            for path, stage, code, message in con.execute(
                "SELECT source_path, stage, error_code, message FROM core.ingest_error"
            ).fetchall()
        }
        reports = {
            path: (dept, n, fmt, enc)
            for path, dept, n, fmt, enc in con.execute(
                "SELECT source_path, department, statement_count, source_format, source_encoding "
                "FROM core.report"
            ).fetchall()
        }
    return Run(loc, errors, reports)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """Three good reports (a UTF-8 .txt, a .docx, a .docx with its 附表 workbook) and their
    run: the baseline every test compares its good reports with."""
    root = tmp_path_factory.mktemp("county")
    raw = root / "raw"
    generate_county(
        raw, n_departments=3, years=(int(YEAR),), seed=7, formats=("txt", "docx+xlsx", "docx")
    )
    baseline = _run(raw, root / "warehouse")
    assert not baseline.errors
    assert set(baseline.reports) == {TXT, DOCX, WITH_ATTACHMENT}
    return raw, baseline


@pytest.fixture
def raw(county: tuple[Path, Run], tmp_path: Path) -> Path:
    target = tmp_path / "raw"
    shutil.copytree(county[0], target)
    return target


@pytest.fixture
def baseline(county: tuple[Path, Run]) -> Run:
    return county[1]


def run(raw: Path) -> Run:
    return _run(raw, raw.parent / "warehouse")


def assert_good_reports_loaded(result: Run, baseline: Run, *, except_: set[str] = frozenset()):
    """The good reports of the run are in core.report with the statements they always have."""
    for path, (dept, statements, fmt, _) in baseline.reports.items():
        if path in except_:
            continue
        assert path not in result.errors, result.errors[path]
        assert result.reports[path][:3] == (dept, statements, fmt), path


def assert_refused(result: Run, path: str, code: str, *words: str, stage: str = "read") -> str:
    assert path not in result.reports
    assert path in result.errors, (path, result.errors)
    got_stage, got_code, message = result.errors[path]
    assert (got_stage, got_code) == (stage, code), message
    for word in words:
        assert word in message, (word, message)
    assert "raw/" in message or "重新运行" in message or "请" in message  # says what to do
    return message


# --------------------------------------------------------------------------- document builders


def _docx_bytes(*paragraphs: str) -> bytes:
    word = WordDocument()
    for text in paragraphs:
        word.add_paragraph(text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf_bytes(*, encrypt: str | None = None, image_only: bool = False) -> bytes:
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=encrypt)
    for page in range(2):
        if image_only:  # a scan: one picture per page, no text layer
            picture = Image.new("L", (420, 594), 235)
            pdf.drawImage(ImageReader(picture), 40, 40, 515, 760)
        else:
            pdf.drawString(72, 720, f"Final accounts 2024, page {page + 1}: total 1234.56")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes], add: dict[str, bytes]) -> bytes:
    """The package with some members' bytes edited (callable on bytes) and members added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            for old, new in replace.get(info.filename, ()):
                assert old in body, (info.filename, old)
                body = body.replace(old, new)
            target.writestr(info, body)
        for name, body in add.items():
            target.writestr(name, body)
    return out.getvalue()


_VBA = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    + b'Attribute VB_Name\r\nSub AutoOpen()\r\nShell "calc"\r\nEnd Sub\r\n'
)
_VBA_TYPE = b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
_VBA_REL = (
    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
    b'vbaProject" Target="vbaProject.bin"/></Relationships>'
)


def _with_word_macros(docx: bytes, macro_content_type: bool) -> bytes:
    types = [(b"</Types>", _VBA_TYPE)]
    if macro_content_type:  # what Word writes for a .docm
        types.append(
            (
                b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                b"application/vnd.ms-word.document.macroEnabled.main+xml",
            )
        )
    return _rezip(
        docx,
        {
            "[Content_Types].xml": types,
            "word/_rels/document.xml.rels": [(b"</Relationships>", _VBA_REL)],
        },
        {"word/vbaProject.bin": _VBA},
    )


def _with_excel_macros(xlsx: bytes) -> bytes:
    return _rezip(
        xlsx,
        {
            "[Content_Types].xml": [
                (b"</Types>", _VBA_TYPE),
                (
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ),
            ],
            "xl/_rels/workbook.xml.rels": [(b"</Relationships>", _VBA_REL)],
        },
        {"xl/vbaProject.bin": _VBA},
    )


def _uncompressed(data: bytes) -> int:
    return sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())


# --------------------------------------------------------------------------- 1. empty files


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("空文件.txt", b""),
        ("只有空白.txt", b"  \r\n\t\n   \n"),
        ("只有全角空格.txt", "\ufeff\u3000\u3000\r\n\u3000\n".encode()),
        ("空文件.docx", b""),
        ("空文件.pdf", b""),
    ],
    ids=[
        "zero_bytes.txt",
        "whitespace.txt",
        "fullwidth_spaces_bom.txt",
        "zero_bytes.docx",
        "zero_bytes.pdf",
    ],
)
def test_empty_file(raw: Path, baseline: Run, name: str, content: bytes):
    (raw / YEAR / name).write_bytes(content)
    result = run(raw)
    message = assert_refused(result, f"{YEAR}/{name}", "empty_file")
    assert "空" in message or "没有可读的文字" in message
    assert_good_reports_loaded(result, baseline)


# --------------------------------------------------------------------------- 2. corrupt files


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _noise(n: int = 6000) -> bytes:
    return hashlib.shake_256(b"robustness").digest(n)


@pytest.mark.parametrize(
    ("name", "make", "code"),
    [
        ("截断的报告.docx", lambda raw: _half((raw / DOCX).read_bytes()), "corrupt_docx"),
        ("随机字节.docx", lambda raw: _noise(), "corrupt_docx"),
        ("截断的工作簿.xlsx", lambda raw: _half((raw / ATTACHMENT).read_bytes()), "corrupt_xlsx"),
        ("随机字节.xlsx", lambda raw: _noise(), "corrupt_xlsx"),
        ("截断的报告.pdf", lambda raw: _half(_pdf_bytes()), "corrupt_pdf"),
        ("随机字节.pdf", lambda raw: _noise(), "corrupt_pdf"),
    ],
    ids=["half.docx", "noise.docx", "half.xlsx", "noise.xlsx", "half.pdf", "noise.pdf"],
)
def test_truncated_or_corrupt_document(raw: Path, baseline: Run, name, make, code):
    (raw / YEAR / name).write_bytes(make(raw))
    result = run(raw)
    message = assert_refused(result, f"{YEAR}/{name}", code)
    assert "损坏" in message or "不完整" in message
    assert_good_reports_loaded(result, baseline)


def test_corrupt_attachment_refuses_its_report_and_names_the_attachment(raw: Path, baseline: Run):
    """A report and its 附表 are one report version: with a broken workbook the report is not
    loaded half (without its tables); the message names the workbook."""
    (raw / ATTACHMENT).write_bytes(_half((raw / ATTACHMENT).read_bytes()))
    result = run(raw)
    message = assert_refused(result, WITH_ATTACHMENT, "corrupt_xlsx", ATTACHMENT, "损坏")
    assert message.startswith("附表文件")
    assert_good_reports_loaded(result, baseline, except_={WITH_ATTACHMENT})


# --------------------------------------------------------------------------- 3. and 4. PDFs


def test_encrypted_pdf(raw: Path, baseline: Run):
    (raw / YEAR / "加密的报告.pdf").write_bytes(_pdf_bytes(encrypt="secret"))
    result = run(raw)
    assert_refused(result, f"{YEAR}/加密的报告.pdf", "encrypted_pdf", "密码", "未加密")
    assert_good_reports_loaded(result, baseline)


def test_scanned_pdf_without_text_layer(raw: Path, baseline: Run):
    (raw / YEAR / "扫描件.pdf").write_bytes(_pdf_bytes(image_only=True))
    result = run(raw)
    assert_refused(result, f"{YEAR}/扫描件.pdf", "scanned_pdf", "共 2 页", "扫描件", "OCR")
    assert_good_reports_loaded(result, baseline)


# --------------------------------------------------------------------------- 5. GBK, GB18030


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030_text_is_read(raw: Path, baseline: Run, encoding: str):
    text, _ = decode_text((raw / TXT).read_bytes())
    if encoding == "gb18030":  # a character GBK lacks (CJK extension A, four bytes in GB18030)
        text += "\r\n附注：本报告经办人为㐀某某。\r\n"
        with pytest.raises(UnicodeEncodeError):
            "㐀".encode("gbk")
    (raw / TXT).write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode(encoding))
    result = run(raw)
    assert not result.errors
    dept, statements, fmt, source_encoding = result.reports[TXT]
    assert (dept, statements, fmt) == baseline.reports[TXT][:3]
    assert source_encoding == "gb18030"  # GBK is read as its superset
    assert_good_reports_loaded(result, baseline)


# --------------------------------------------------------------------------- 6. not a 部门决算

_BUDGET = """云溪县教育和体育局2024年部门预算
目录
第一部分 部门概况
一、主要职能
负责全县教育和体育事业发展规划。
第二部分 2024年部门预算情况说明
一、收支预算总体情况
2024年收入预算总计1234.56万元，支出预算总计1234.56万元。与2023年预算相比增加12.30万元。
二、一般公共预算财政拨款支出预算情况
2024年一般公共预算财政拨款支出预算1000.00万元，占支出预算总计的81.00%。
"""

_GOVERNMENT = """云溪县2023年政府决算
目录
一、一般公共预算收支决算情况
2023年全县一般公共预算收入决算数为45678.90万元，为预算的101.20%。
全县一般公共预算支出决算数为123456.78万元，完成调整预算的98.70%。
二、政府性基金预算收支决算情况
全县政府性基金预算收入决算数为2345.67万元。
"""

_GENERAL_BUDGET_FINAL = """云溪县2023年
一般公共预算收支决算表
单位：万元
\t项目\t预算数\t决算数
\t税收收入\t30000.00\t30512.34
\t一般公共服务支出\t12000.00\t11876.54
"""

_BUDGET_EXECUTION = """关于云溪县2023年预算执行情况和2024年预算草案的报告
——2024年1月10日在云溪县第十八届人民代表大会第四次会议上
一、2023年预算执行情况
全县一般公共预算收入完成45678.90万元，为预算的101.20%。
"""


@pytest.mark.parametrize(
    ("name", "content", "appears"),
    [
        ("云溪县教育和体育局2024年部门预算.txt", _BUDGET, "部门预算"),
        ("云溪县教育和体育局2024年部门预算.docx", _BUDGET, "部门预算"),
        ("云溪县2023年政府决算.docx", _GOVERNMENT, "政府层面的财政决算"),
        ("一般公共预算收支决算.txt", _GENERAL_BUDGET_FINAL, "政府层面的财政决算"),
        ("预算执行报告.txt", _BUDGET_EXECUTION, "预算执行情况报告"),
    ],
    ids=[
        "budget.txt",
        "budget.docx",
        "government.docx",
        "general_budget_final.txt",
        "execution.txt",
    ],
)
def test_budget_or_government_final_account_is_refused(
    raw: Path, baseline: Run, name: str, content: str, appears: str
):
    path = raw / YEAR / name
    if name.endswith(".docx"):
        path.write_bytes(_docx_bytes(*content.splitlines()))
    else:
        path.write_text(content, encoding="utf-8")
    result = run(raw)
    message = assert_refused(
        result,
        f"{YEAR}/{name}",
        "not_department_final_account",
        appears,
        "只接收部门决算",
        content.splitlines()[0],  # the title it judged by
        stage="identify",
    )
    assert "不是部门决算" in message
    # The genuine reports speak of 预算 everywhere (年初预算, 预算数) and are still accepted.
    assert_good_reports_loaded(result, baseline)


# --------------------------------------------------------------------------- 7. very large


def test_file_over_the_size_limit_is_refused_before_reading(
    raw: Path, baseline: Run, monkeypatch: pytest.MonkeyPatch
):
    limit = 64 * 1024
    assert all(p.stat().st_size < limit for p in raw.rglob("*.*") if "truth" not in p.name)
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", limit)
    big = raw / YEAR / "超大的报告.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (limit + 1000))
    opened: list[str] = []
    real_open = Path.open

    def spy_open(self: Path, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy_open)
    result = run(raw)
    assert_refused(result, f"{YEAR}/超大的报告.pdf", "file_too_large", "超过 64.0 KB 的上限")
    assert big.name not in opened  # refused by its size, never read into memory
    assert_good_reports_loaded(result, baseline)


# --------------------------------------------------------------------------- 8. zip bombs


@pytest.mark.parametrize(
    ("suffix", "code"), [(".docx", "docx_too_large"), (".xlsx", "xlsx_too_large")]
)
def test_zip_bomb_is_refused(
    raw: Path, baseline: Run, monkeypatch: pytest.MonkeyPatch, suffix: str, code: str
):
    limit = 2 * 2**20
    good = (raw / DOCX).read_bytes(), (raw / ATTACHMENT).read_bytes()
    assert all(_uncompressed(data) < limit for data in good)
    monkeypatch.setattr(docx_reader, "MAX_UNCOMPRESSED_BYTES", limit)
    monkeypatch.setattr(sheet_reader, "MAX_UNCOMPRESSED_BYTES", limit)
    if suffix == ".docx":
        base, member = _docx_bytes("云溪县某某局2024年度部门决算"), "word/media/image1.png"
    else:
        base, member = _xlsx_bytes([["收入支出决算总表"]]), "xl/media/image1.png"
    bomb = _rezip(base, {}, {member: b"\0" * (4 * limit)})
    assert len(bomb) < 64 * 1024 < 4 * limit  # small on disk, huge inflated
    (raw / YEAR / f"压缩炸弹{suffix}").write_bytes(bomb)
    result = run(raw)
    assert_refused(result, f"{YEAR}/压缩炸弹{suffix}", code, "解压后超过 2 MB", "异常文件")
    assert_good_reports_loaded(result, baseline)


# --------------------------------------------------------------------------- 9. macros


@pytest.mark.parametrize(
    ("name", "macro_content_type"),
    [("云溪县卫生健康局.docm", True), ("云溪县卫生健康局.docx", False)],
    ids=["docm", "docx_with_vba_project"],
)
def test_macro_enabled_word_document_is_read_as_data(
    raw: Path, baseline: Run, name: str, macro_content_type: bool
):
    """A .docm (or a .docx carrying a VBA project) is read as its base format; the macro is
    neither run nor parsed, and the report's figures are the same as without it."""
    data = _with_word_macros((raw / DOCX).read_bytes(), macro_content_type)
    assert "word/vbaProject.bin" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    (raw / DOCX).unlink()
    (raw / YEAR / name).write_bytes(data)
    result = run(raw)
    assert not result.errors
    assert result.reports[f"{YEAR}/{name}"][:3] == baseline.reports[DOCX][:3]
    assert_good_reports_loaded(result, baseline, except_={DOCX})


def test_macro_enabled_workbook_is_read_as_data(
    raw: Path, baseline: Run, monkeypatch: pytest.MonkeyPatch
):
    import openpyxl

    calls: list[dict] = []
    real_load = openpyxl.load_workbook

    def spy_load(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy_load)
    data = _with_excel_macros((raw / ATTACHMENT).read_bytes())
    name = f"{YEAR}/含宏的决算公开表.xlsm"
    (raw / name).write_bytes(data)
    result = run(raw)
    assert not result.errors
    assert result.reports[name][2] == "xlsx"
    assert calls and all(kw.get("keep_vba") is False for kw in calls)
    with duckdb.connect(str(result.loc.warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT count(*) FROM core.report_table JOIN core.report USING (report_id) "
            "WHERE source_path = ?",
            [name],
        ).fetchone()[0]
    assert tables > 0  # its tables were read
    assert_good_reports_loaded(result, baseline)


# --------------------------------------------------------------------------- 10. odd file names


@pytest.mark.parametrize(
    "name",
    [
        "云溪县 人民政府办公室 2024 终稿.txt",
        "（修订）云溪县人民政府办公室，决算、公开.txt",
        "#1 云溪县人民政府办公室 100% & 'final' 😀.txt",
    ],
    ids=["spaces", "fullwidth_punctuation", "hash_percent_quote_ampersand_emoji"],
)
def test_odd_file_names_are_read_and_kept_exactly(raw: Path, baseline: Run, name: str):
    (raw / TXT).rename(raw / YEAR / name)
    result = run(raw)
    assert not result.errors
    source_path = f"{YEAR}/{name}"
    assert source_path in result.reports  # byte for byte the name on disk
    assert result.reports[source_path][:3] == baseline.reports[TXT][:3]
    assert_good_reports_loaded(result, baseline, except_={TXT})


# --------------------------------------------------------------------------- 11. files that move


def _discover_then(action):
    def discover_and_act(raw_dir: Path):
        files = discover(raw_dir)
        action(raw_dir)
        return files

    return discover_and_act


def test_file_deleted_while_the_run_reads_it(
    raw: Path, baseline: Run, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(
        pipelines.orchestration.run, "discover", _discover_then(lambda r: (r / TXT).unlink())
    )
    result = run(raw)
    assert_refused(result, TXT, "file_vanished", "已不存在")
    assert_good_reports_loaded(result, baseline, except_={TXT})
    monkeypatch.undo()
    again = run(raw)  # the file is gone for good: its error row goes too
    assert TXT not in again.errors and TXT not in again.reports


def test_file_changed_while_the_run_reads_it(
    raw: Path, baseline: Run, monkeypatch: pytest.MonkeyPatch
):
    def append(raw_dir: Path) -> None:
        with open(raw_dir / TXT, "ab") as fh:
            fh.write("补充说明：本报告仍在传输中。\n".encode())

    monkeypatch.setattr(pipelines.orchestration.run, "discover", _discover_then(append))
    result = run(raw)
    assert_refused(result, TXT, "file_changed_during_read", "被修改", "传输完成后重新运行")
    assert_good_reports_loaded(result, baseline, except_={TXT})
    monkeypatch.undo()
    again = run(raw)  # once the transfer is done, the next run reads the file
    assert TXT in again.reports and TXT not in again.errors


def test_read_report_checks_the_recorded_hash(raw: Path):
    path = raw / TXT
    recorded = hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_report(path, TXT, expected_sha256=recorded).blocks
    with open(path, "ab") as fh:
        fh.write(b"\n")
    with pytest.raises(IngestError) as info:
        read_report(path, TXT, expected_sha256=recorded)
    assert info.value.code == "file_changed_during_read"
    # With attachments discovery records a combined hash: not checked here.
    attachments = ((raw / ATTACHMENT, ATTACHMENT),)
    assert read_report(raw / WITH_ATTACHMENT, WITH_ATTACHMENT, attachments, "0" * 64).blocks


# --------------------------------------------------------------------------- all in one run


def test_every_bad_input_in_one_full_run(raw: Path, baseline: Run):
    """The whole job (checks, marts, exports, review reports, parallel staging) over a raw
    folder holding one of each bad input: each gets its row, the good reports are published."""
    folder = raw / YEAR
    bad = {
        "空文件.txt": (b"", "empty_file"),
        "截断的报告.docx": (_half((raw / DOCX).read_bytes()), "corrupt_docx"),
        "随机字节.xlsx": (_noise(), "corrupt_xlsx"),
        "截断的报告.pdf": (_half(_pdf_bytes()), "corrupt_pdf"),
        "加密的报告.pdf": (_pdf_bytes(encrypt="secret"), "encrypted_pdf"),
        "扫描件.pdf": (_pdf_bytes(image_only=True), "scanned_pdf"),
        "部门预算.txt": (_BUDGET.encode(), "not_department_final_account"),
        "政府决算.txt": (_GOVERNMENT.encode("gbk"), "not_department_final_account"),
        "旧版文件.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "unsupported_doc"),
    }
    for name, (content, _) in bad.items():
        (folder / name).write_bytes(content)
    (raw / TXT).rename(folder / "#1 云溪县人民政府办公室（终稿）😀.txt")
    loc = Locations(raw, raw.parent / "warehouse" / "budget.duckdb")
    summary = run_pipeline(loc, workers=2)
    result = _read_back(loc)
    assert {p: c for p, (_, c, _) in result.errors.items()} == {
        f"{YEAR}/{name}": code for name, (_, code) in bad.items()
    }
    assert len(summary.ingest_errors) == len(bad)
    assert_good_reports_loaded(result, baseline, except_={TXT})
    assert f"{YEAR}/#1 云溪县人民政府办公室（终稿）😀.txt" in result.reports
    assert summary.exports and all(os.path.exists(p) for p in summary.exports)
