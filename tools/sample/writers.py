"""Write synthetic reports as .txt, .docx or .pdf with a ground-truth JSON beside each document."""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tools.sample.generator import REGION, SubjectCatalogue, build_county
from tools.sample.render import LAYOUTS, Block, ReportWriter, Style

FIXED_TIME = datetime(2025, 3, 31, 9, 0, 0)
ZIP_TIME = (2025, 3, 31, 9, 0, 0)
# "docx+xlsx": the report as .docx without its tables, and the tables as an attachment
# "<department>_附表.xlsx" beside it, as many departments publish them.
# "pdftotext" and "pdfplumber": the PDF's text as those tools give it, saved as .txt
# (a bureau often receives or keeps only that).
SUPPORTED_FORMATS = ("txt", "docx", "pdf", "docx+xlsx", "pdftotext", "pdfplumber")
TEXT_OF_PDF = ("pdftotext", "pdfplumber")
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
            lines.extend(b.head)
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
            for line in b.head:
                doc.add_paragraph(line)
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
        for line in b.head:
            sheet.append([line])
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


def assign_layouts(n_departments: int, layouts: Sequence[str], seed: int) -> list[str]:
    """The layout of each department: the layouts in a seeded order, dealt round-robin, so a
    small county still gets every layout and the same seed gives the same county."""
    order = list(layouts)
    random.Random(f"{seed}:layouts").shuffle(order)
    return [order[i % len(order)] for i in range(n_departments)]


def generate_county(
    out_dir: Path,
    n_departments: int = 10,
    years: Sequence[int] = (2023, 2024),
    seed: int = 20241,
    formats: Sequence[str] = ("txt", "docx"),
    catalogue_path: Path | None = None,
    shard: tuple[int, int] | None = None,
    layouts: Sequence[str] = ("sichuan",),
    collect: dict[Path, list[Block]] | None = None,
) -> list[Path]:
    """Write ``out_dir/<year>/<department>.<ext>`` and ``<department>.truth.json`` for every report.

    Formats alternate across departments (and shift by one each year); among the .txt files the
    first is UTF-8 with BOM and every third is GB18030 (CRLF line ends), the rest UTF-8.
    "pdf" (A4, text layer, ruled tables; see ``pdf_writer``) needs reportlab and a CJK font:
    ``fonts-wqy-microhei`` or ``$COUNTY_CJK_FONT``, else ``CJKFontMissing`` is raised; so do
    "pdftotext" (that PDF through ``pdftotext -layout``, emulated when poppler is missing).
    "pdfplumber" is the page text pdfplumber gives for such a PDF (no column alignment),
    emulated from the blocks.
    Layouts (``render.LAYOUTS``) are dealt to departments by :func:`assign_layouts`.
    ``shard=(k, n)`` writes only the departments whose index is k modulo n (the same files a
    whole run writes), so n processes can write one county together.
    ``collect``, when given, receives each document's blocks (to re-render a changed copy).
    Returns the written document paths.
    """
    out_dir = Path(out_dir)
    formats = list(formats)
    bad = [f for f in formats if f not in SUPPORTED_FORMATS]
    if not formats or bad:
        raise ValueError(
            f"formats must be a non-empty subset of {SUPPORTED_FORMATS}, got {formats}"
        )
    bad = [x for x in layouts if x not in LAYOUTS]
    if not layouts or bad:
        raise ValueError(f"layouts must be a non-empty subset of {LAYOUTS}, got {list(layouts)}")
    if n_departments < 1:
        raise ValueError("n_departments must be at least 1")
    if any(f in ("pdf", "pdftotext") for f in formats):
        from tools.sample.pdf_writer import require_cjk_font

        require_cjk_font()  # before anything is written
    years = sorted(set(int(y) for y in years))
    catalogue = SubjectCatalogue.load(catalogue_path)
    depts = build_county(n_departments, years, seed, catalogue)
    layout_of = assign_layouts(n_departments, layouts, seed)
    written: list[Path] = []
    txt_count = 0
    for yi, year in enumerate(years):
        year_dir = out_dir / str(year)
        year_dir.mkdir(parents=True, exist_ok=True)
        for dept in depts:
            # with several layouts, each round of them shifts the formats by the number of
            # years, so every layout meets every format in a county of a few rounds
            shift = len(years) * (dept.index // len(layouts)) if len(layouts) > 1 else 0
            fmt = formats[(dept.index + yi + shift) % len(formats)]
            if shard is not None and dept.index % shard[1] != shard[0]:
                txt_count += fmt == "txt"  # the encodings rotate over the whole county
                continue
            layout = layout_of[dept.index]
            style = Style.draw(random.Random(f"{seed}:style:{dept.index}"))
            rng = random.Random(f"{seed}:render:{dept.index}:{year}")
            writer = ReportWriter(dept, year, catalogue, style, rng, layout=layout)
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
            elif fmt in TEXT_OF_PDF:
                encoding = "utf-8"
            txt_rng = random.Random(f"{seed}:txt:{dept.index}:{year}")
            path = write_document(
                writer.blocks, fmt, year_dir, dept.name, year, style, txt_rng, encoding
            )
            if collect is not None:
                collect[path] = writer.blocks
            truth = {
                "department": dept.name,
                "fiscal_year": year,
                "region": REGION,
                "format": fmt,
                "encoding": encoding,
                "facts": writer.facts,
            }
            if layout != "sichuan":  # the seed's layout is the default; files stay as they were
                truth["layout"] = layout
            truth_path = year_dir / f"{dept.name}.truth.json"
            truth_path.write_text(
                json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            written.append(path)
    return written


def write_document(
    blocks: list[Block],
    fmt: str,
    folder: Path,
    name: str,
    year: int,
    style: Style | None,
    txt_rng: random.Random,
    encoding: str | None,
) -> Path:
    """Write one report's blocks as ``folder/<name>.<ext>`` in ``fmt``; returns the path."""
    title = f"{name}{year}年度部门决算"
    if fmt == "txt":
        if style is None:
            raise ValueError("a .txt export needs the author's style (bookmarks, blank lines)")
        text = blocks_to_text(blocks, style, txt_rng)
        if encoding == "gb18030":
            text = text.replace("\n", "\r\n")
        path = folder / f"{name}.txt"
        path.write_bytes(text.encode(encoding or "utf-8"))
    elif fmt in ("pdf", "pdftotext"):
        from tools.sample.pdf_writer import blocks_to_pdf  # needs reportlab

        pdf = blocks_to_pdf(blocks, title, name)
        if fmt == "pdf":
            path = folder / f"{name}.pdf"
            path.write_bytes(pdf)
        else:
            path = folder / f"{name}.txt"
            path.write_bytes(pdf_layout_text(pdf, blocks).encode("utf-8"))
    elif fmt == "pdfplumber":  # emulated from the blocks, wrapped as the PDF wraps
        path = folder / f"{name}.txt"
        path.write_bytes(plumber_text(blocks).encode("utf-8"))
    elif fmt == "docx+xlsx":
        path = folder / f"{name}.docx"
        body = [b for b in blocks if b.kind != "table"]
        path.write_bytes(blocks_to_docx(body, title, name))
        tables = [b for b in blocks if b.kind == "table"]
        attachment = folder / f"{name}{ATTACHMENT_SUFFIX}.xlsx"
        attachment.write_bytes(tables_to_xlsx(tables))
    else:
        path = folder / f"{name}.docx"
        path.write_bytes(blocks_to_docx(blocks, title, name))
    return path


# ------------------------------------------------------------------ text of a PDF ----------
def pdf_layout_text(pdf: bytes, blocks: list[Block]) -> str:
    """The PDF through ``pdftotext -layout`` (poppler-utils): columns aligned with runs of
    spaces, pages separated by form feeds. Without poppler, an emulation from the blocks."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return emulated_layout_text(blocks)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.pdf"
        src.write_bytes(pdf)
        out = subprocess.run(
            [exe, "-layout", "-enc", "UTF-8", str(src), "-"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out.stdout.decode("utf-8")


def _width(text: str) -> int:
    """Display width: a CJK character takes two columns, ASCII one."""
    return sum(1 if ord(ch) < 0x2E80 else 2 for ch in text)


def _wrap(text: str, columns: int) -> list[str]:
    """Lines of at most ``columns`` display columns, never splitting a number (as the PDF's
    own line breaking, ``pdf_writer._tokens``)."""
    from tools.sample.pdf_writer import _tokens

    lines, cur = [], ""
    for tok in _tokens(text):
        if cur and _width(cur + tok) > columns:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines or [""]


BODY_COLUMNS = 92  # about 46 CJK characters a line, as the PDF's body text


def emulated_layout_text(blocks: list[Block]) -> str:
    """A stand-in for ``pdftotext -layout`` when poppler is missing: paragraphs wrapped as the
    page wraps them, table cells padded into aligned columns with spaces."""
    out: list[str] = []
    for b in blocks:
        if b.kind in ("title", "heading"):
            out.append(b.text)
        elif b.kind == "para":
            out.extend(_wrap("    " + b.text, BODY_COLUMNS))
        elif b.kind == "table":
            out.append(b.text)
            out.extend(b.head)
            ncols = max(len(r) for r in b.rows)
            widths = [max(_width(r[j]) if j < len(r) else 0 for r in b.rows) for j in range(ncols)]
            for row in b.rows:
                cells = [row[j] if j < len(row) else "" for j in range(ncols)]
                padded = [c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)]
                out.append("   ".join(padded).rstrip())
            if b.note:
                out.extend(_wrap(b.note, BODY_COLUMNS))
    return "\n".join(out) + "\n"


_AMOUNT_CELL = re.compile(r"^-?[\d,]+(?:\.\d+)?$")
# Names longer than this wrap inside their cell; pdfplumber gives the two halves on the lines
# above and below the row's other cells, which sit on the cell's middle line.
PLUMBER_NAME_WRAP = 9
PLUMBER_HEADER_WRAP = 4  # header words this long break over two lines


def plumber_text(blocks: list[Block]) -> str:
    """Page text as pdfplumber's ``extract_text`` gives it for the PDF: no column alignment
    (cells of a line separated by single spaces), long names broken across lines with the
    code and figures on the middle line, header words split over two lines."""
    out: list[str] = []
    for b in blocks:
        if b.kind in ("title", "heading"):
            out.append(b.text)
        elif b.kind == "para":
            out.extend(_wrap(b.text, BODY_COLUMNS))
        elif b.kind == "table":
            out.extend(_wrap(b.text, BODY_COLUMNS))
            out.extend(re.sub(r" {2,}", " ", line) for line in b.head)
            in_header = True
            for row in b.rows:
                cells = [c for c in row]
                if in_header and any(_AMOUNT_CELL.match(c) and "." in c for c in cells):
                    in_header = False
                if in_header:
                    out.extend(_plumber_header(cells))
                else:
                    out.extend(_plumber_row(cells))
            if b.note:
                out.extend(_wrap(b.note, BODY_COLUMNS))
    return "\n".join(line for line in out) + "\n"


def _plumber_header(cells: list[str]) -> list[str]:
    """A header row: long words split in two, the first halves on one line, the second
    halves with the short words on the next."""
    top, bottom = [], []
    for c in cells:
        if not c:
            continue
        if len(c) >= PLUMBER_HEADER_WRAP and not c.isdigit():
            k = (len(c) + 1) // 2
            top.append(c[:k])
            bottom.append(c[k:])
        else:
            bottom.append(c)
    return [" ".join(line) for line in (top, bottom) if line]


def _plumber_row(cells: list[str]) -> list[str]:
    """A body row: a long name is broken around the line that holds the code and figures."""
    long_name = next(
        (
            j
            for j, c in enumerate(cells)
            if len(c) > PLUMBER_NAME_WRAP and not _AMOUNT_CELL.match(c)
        ),
        None,
    )
    if long_name is None:
        return [" ".join(c for c in cells if c)]
    name = cells[long_name]
    k = len(name) // 2
    middle = [c for j, c in enumerate(cells) if c and j != long_name]
    if not middle:
        return [name[:k], name[k:]]  # pdfplumber gives no line for a line without text
    return [name[:k], " ".join(middle), name[k:]]


def load_truth(path: Path | str) -> dict:
    """Read a ``.truth.json`` file (or the truth beside a document path)."""
    path = Path(path)
    if not path.name.endswith(".truth.json"):
        path = path.with_name(path.stem + ".truth.json")
    return json.loads(path.read_text(encoding="utf-8"))
