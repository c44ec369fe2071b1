"""The synthetic county as PDF: a real text layer, ruled tables the PDF reader finds, the same
truth as the other formats, byte-for-byte deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.sample import generate_county
from tools.sample.generator import CATALOGUE_CSV

pytest.importorskip("reportlab", reason="reportlab is not installed (pip install -e .)")
pdfium = pytest.importorskip("pypdfium2")
pdfium_c = pytest.importorskip("pypdfium2.raw")

from tools.sample.pdf_writer import find_cjk_font, font_missing_reason  # noqa: E402

pytestmark = [
    pytest.mark.skipif(find_cjk_font() is None, reason=font_missing_reason()),
    pytest.mark.skipif(not CATALOGUE_CSV.exists(), reason="subject catalogue CSV not present"),
]

YEARS = (2023, 2024)
SEED = 20241
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf_county")
    paths = generate_county(out, n_departments=2, years=YEARS, seed=SEED, formats=("pdf",))
    assert len(paths) == 4 and all(p.suffix == ".pdf" for p in paths)
    return out


def pdfs(root: Path) -> list[Path]:
    return sorted(root.rglob("*.pdf"))


def test_pdfs_have_a_text_layer(county: Path) -> None:
    for path in pdfs(county):
        truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
        assert truth["format"] == "pdf" and truth["encoding"] is None
        pdf = pdfium.PdfDocument(path)
        try:
            assert len(pdf) >= 3
            text = ""
            for page in pdf:
                width, height = page.get_size()
                assert abs(width - 595.28) < 0.5 and abs(height - 841.89) < 0.5  # A4
                images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
                assert not images
                text += page.get_textpage().get_text_range()
        finally:
            pdf.close()
        assert truth["department"] in text
        assert "单位：万元" in text and "一般公共预算财政拨款支出决算表" in text


def test_tables_are_read_as_cells(county: Path) -> None:
    from pipelines.ingest.readers import read_document

    for path in pdfs(county):
        doc = read_document(path, path.relative_to(county).as_posix())
        rows = [b for b in doc.blocks if b.kind == "table_row"]
        assert len(rows) >= 10, path.name
        # the general-budget table: every subject row has its code in a cell of its own
        assert any(c in ("201", "科目编码") for r in rows for c in r.cells), path.name


def test_extraction_recall(county: Path) -> None:
    from tools.sample.score import score_extraction

    score = score_extraction(county)
    assert not score.identity_errors
    misses = "\n".join(map(str, score.misses[:20]))
    assert score.recall >= 0.99, f"recall {score.recall:.4f}; misses:\n{misses}"


def test_deterministic(county: Path, tmp_path: Path) -> None:
    generate_county(tmp_path, n_departments=2, years=YEARS, seed=SEED, formats=("pdf",))
    first = sorted(p.relative_to(county) for p in county.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (county / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_pdf_in_the_rotation(tmp_path: Path) -> None:
    paths = generate_county(
        tmp_path, n_departments=3, years=(2024,), seed=SEED, formats=("txt", "docx", "pdf")
    )
    assert sorted(p.suffix for p in paths) == [".docx", ".pdf", ".txt"]


def test_missing_font_names_the_package(tmp_path: Path, monkeypatch) -> None:
    from tools.sample.pdf_writer import FONT_PACKAGE, CJKFontMissing

    monkeypatch.setenv("COUNTY_CJK_FONT", str(tmp_path / "none.ttc"))
    with pytest.raises(CJKFontMissing, match=FONT_PACKAGE):
        generate_county(tmp_path / "out", n_departments=1, years=(2024,), formats=("pdf",))
    assert not (tmp_path / "out").exists()


def test_make_sample_arguments_give_the_shipped_sample(tmp_path: Path) -> None:
    raw = PROJECT / "raw"
    shipped = sorted(p.relative_to(raw) for p in raw.glob("*/*") if p.is_file())
    if not shipped:
        pytest.skip("raw/ holds no sample")
    from tools.sample.render import LAYOUTS

    generate_county(
        tmp_path, n_departments=10, years=YEARS, seed=SEED, layouts=LAYOUTS
    )  # make sample
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.glob("*/*") if p.is_file())
    assert made == shipped
    for rel in shipped:
        assert (raw / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
