"""Write synthetic reports as .txt, .docx or .pdf with a ground-truth JSON beside each document."""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pipelines.sample.generator import REGION, SubjectCatalogue, build_county
from pipelines.sample.render import Block, ReportWriter, Style

FIXED_TIME = datetime(2025, 3, 31, 9, 0, 0)
ZIP_TIME = (2025, 3, 31, 9, 0, 0)
# "docx+xlsx": the report as .docx without its tables, and the tables as an attachment
# "<department>_附表.xlsx" beside it, as many departments publish them.
SUPPORTED_FORMATS = ("txt", "docx", "pdf", "docx+xlsx")
ATTACHMENT_SUFFIX = "_附表"


def blocks_to_text(blocks: list[Block], style: Style, rng: random.Random) -> str:
    """Plain text as exported from Word: one paragraph a line, table rows as tab-joined cells."""
    lines: list[str] = []

    def gap() -> None:
        if style.blank_lines and lines and lines[-1] != "":
            lines.append("")

    for b in blocks:
        if b.kind == "title":
            lines.append(b.text)
        elif b.kind == "heading":
            gap()
            prefix = (
                f"[bookmark: _Toc{rng.randrange(10**7, 10**8)}]"
                if style.bookmarks and rng.random() < 0.6
                else ""
            )
            lines.append(prefix + b.text)
        elif b.kind == "para":
            lines.append(b.text)
        elif b.kind == "table":
            gap()
            lines.append(b.text)
            lines.append("单位：万元")
            for row in b.rows:
                lines.append("\t".join(row))
            if b.note:
                lines.append(b.note)
            gap()
    return "\n".join(lines).rstrip("\n") + "\n"


def blocks_to_docx(blocks: list[Block], title: str, author: str) -> bytes:
    """A .docx with headings, paragraphs and real Word tables, in document order; fixed timestamps."""
    from docx import Document  # python-docx, imported lazily
    from docx.table import _Cell

    doc = Document()
    # python-docx resolves a style name by scanning every style on each call; resolve once
    style_ids = {
        name: doc.styles[name].style_id
        for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4")
    }

    def styled(text: str, style: str) -> None:
        doc.add_paragraph(text)._p.style = style_ids[style]

    for b in blocks:
        if b.kind == "title":
            styled(b.text, "Title")
        elif b.kind == "heading":
            styled(b.text, f"Heading {min(max(b.level, 1), 3)}")
        elif b.kind == "para":
            doc.add_paragraph(b.text)
        elif b.kind == "table":
            styled(b.text, "Heading 4")
            doc.add_paragraph("单位：万元")
            ncols = max(len(r) for r in b.rows)
            table = doc.add_table(rows=len(b.rows), cols=ncols)
            table.style = "Table Grid"
            # table.cell(i, j) re-walks the whole grid on every call; fill row XML directly
            for tr, row in zip(table._tbl.tr_lst, b.rows, strict=True):
                for tc, value in zip(tr.tc_lst, row, strict=False):
                    _Cell(tc, table).text = value
            if b.note:
                doc.add_paragraph(b.note)
    cp = doc.core_properties
    cp.title = title
    cp.author = author
    cp.last_modified_by = author
    cp.created = FIXED_TIME
    cp.modified = FIXED_TIME
    cp.last_printed = FIXED_TIME
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue())


def tables_to_xlsx(tables: list[Block]) -> bytes:
    """The report's tables as a workbook: a sheet per table with its title, unit, rows and note."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for i, b in enumerate(tables, start=1):
        sheet = book.create_sheet(f"表{i}")
        sheet.append([b.text])
        sheet.append(["单位：万元"])
        for row in b.rows:
            sheet.append([_sheet_value(v) for v in row])
        if b.note:
            sheet.append([b.note])
    book.properties.created = book.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    book.save(buf)
    return normalize_zip(buf.getvalue())


def _sheet_value(value: str):
    """Amounts as numbers, codes and labels as text."""
    text = value.replace(",", "")
    if "." in text:
        try:
            return float(text)
        except ValueError:
            return value
    return value


def normalize_zip(data: bytes) -> bytes:
    """Rewrite the package with fixed member timestamps so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def generate_county(
    out_dir: Path,
    n_departments: int = 10,
    years: Sequence[int] = (2023, 2024),
    seed: int = 20241,
    formats: Sequence[str] = ("txt", "docx"),
    catalogue_path: Path | None = None,
    shard: tuple[int, int] | None = None,
) -> list[Path]:
    """Write ``out_dir/<year>/<department>.<ext>`` and ``<department>.truth.json`` for every report.

    Formats alternate across departments (and shift by one each year); among the .txt files the
    first is UTF-8 with BOM and every third is GB18030 (CRLF line ends), the rest UTF-8.
    "pdf" (A4, text layer, ruled tables; see ``pdf_writer``) needs reportlab and a CJK font:
    ``fonts-wqy-microhei`` or ``$COUNTY_CJK_FONT``, else ``CJKFontMissing`` is raised.
    ``shard=(k, n)`` writes only the departments whose index is k modulo n (the same files a
    whole run writes), so n processes can write one county together.
    Returns the written document paths.
    """
    out_dir = Path(out_dir)
    formats = list(formats)
    bad = [f for f in formats if f not in SUPPORTED_FORMATS]
    if not formats or bad:
        raise ValueError(
            f"formats must be a non-empty subset of {SUPPORTED_FORMATS}, got {formats}"
        )
    if n_departments < 1:
        raise ValueError("n_departments must be at least 1")
    if "pdf" in formats:
        from pipelines.sample.pdf_writer import require_cjk_font

        require_cjk_font()  # before anything is written
    years = sorted(set(int(y) for y in years))
    catalogue = SubjectCatalogue.load(catalogue_path)
    depts = build_county(n_departments, years, seed, catalogue)
    written: list[Path] = []
    txt_count = 0
    for yi, year in enumerate(years):
        year_dir = out_dir / str(year)
        year_dir.mkdir(parents=True, exist_ok=True)
        for dept in depts:
            fmt = formats[(dept.index + yi) % len(formats)]
            if shard is not None and dept.index % shard[1] != shard[0]:
                txt_count += fmt == "txt"  # the encodings rotate over the whole county
                continue
            style = Style.draw(random.Random(f"{seed}:style:{dept.index}"))
            rng = random.Random(f"{seed}:render:{dept.index}:{year}")
            writer = ReportWriter(dept, year, catalogue, style, rng)
            writer.render()
            encoding: str | None = None
            if fmt == "txt":
                if txt_count == 0:
                    encoding = "utf-8-sig"
                elif txt_count % 3 == 2:
                    encoding = "gb18030"
                else:
                    encoding = "utf-8"
                txt_count += 1
                text = blocks_to_text(
                    writer.blocks, style, random.Random(f"{seed}:txt:{dept.index}:{year}")
                )
                if encoding == "gb18030":
                    text = text.replace("\n", "\r\n")
                path = year_dir / f"{dept.name}.txt"
                path.write_bytes(text.encode(encoding))
            elif fmt == "pdf":
                from pipelines.sample.pdf_writer import blocks_to_pdf  # needs reportlab

                path = year_dir / f"{dept.name}.pdf"
                title = f"{dept.name}{year}年度部门决算"
                path.write_bytes(blocks_to_pdf(writer.blocks, title, dept.name))
            elif fmt == "docx+xlsx":
                path = year_dir / f"{dept.name}.docx"
                title = f"{dept.name}{year}年度部门决算"
                body = [b for b in writer.blocks if b.kind != "table"]
                path.write_bytes(blocks_to_docx(body, title, dept.name))
                tables = [b for b in writer.blocks if b.kind == "table"]
                attachment = year_dir / f"{dept.name}{ATTACHMENT_SUFFIX}.xlsx"
                attachment.write_bytes(tables_to_xlsx(tables))
            else:
                path = year_dir / f"{dept.name}.docx"
                title = f"{dept.name}{year}年度部门决算"
                path.write_bytes(blocks_to_docx(writer.blocks, title, dept.name))
            truth = {
                "department": dept.name,
                "fiscal_year": year,
                "region": REGION,
                "format": fmt,
                "encoding": encoding,
                "facts": writer.facts,
            }
            truth_path = year_dir / f"{dept.name}.truth.json"
            truth_path.write_text(
                json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            written.append(path)
    return written


def load_truth(path: Path | str) -> dict:
    """Read a ``.truth.json`` file (or the truth beside a document path)."""
    path = Path(path)
    if not path.name.endswith(".truth.json"):
        path = path.with_name(path.stem + ".truth.json")
    return json.loads(path.read_text(encoding="utf-8"))
