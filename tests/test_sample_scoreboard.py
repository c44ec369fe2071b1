"""The scoreboard per layout and per format, with the floors measured on this branch.

Target of issue 13 for every layout: extraction recall ≥ 99%, precision 100%, planted faults
found ≥ 99%, no false error on clean reports. The floors below are what the pipeline reaches
today (15 departments × 2023–2024, seed 3, every layout in every format); where a floor is
under the target the comment says why (see the README's scoreboard section for examples).
A floor may only go up: raise it when the reading code improves.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.sample.generator import CATALOGUE_CSV
from pipelines.sample.render import LAYOUTS
from pipelines.sample.scoreboard import (
    DEFAULT_FORMATS,
    ExtractionScore,
    format_groups,
    main,
    score_layouts,
)

pytest.importorskip("reportlab", reason="reportlab is not installed (pip install -e .)")
from pipelines.sample.pdf_writer import find_cjk_font, font_missing_reason  # noqa: E402

pytestmark = [
    pytest.mark.skipif(find_cjk_font() is None, reason=font_missing_reason()),
    pytest.mark.skipif(not CATALOGUE_CSV.exists(), reason="subject catalogue CSV not present"),
]

DEPARTMENTS, YEARS, SEED = 15, (2023, 2024), 3
NATIVE = ("txt", "docx", "pdf")  # the formats the readers take cell by cell

# layout -> (extraction recall, faults found / planted) over all five formats; precision is
# 100% and false errors 0 everywhere. Every layout is under the 99% recall target because the
# PDF-derived texts ("pdftotext", "pdfplumber") lose every table figure (the text reader keeps
# their table lines as paragraphs); national loses more, its tables being the largest.
LAYOUT_FLOORS = {
    "consolidated": (0.849, 1.0),
    "national": (0.553, 1.0),
    "shanghai": (0.827, 1.0),
    "sichuan": (0.734, 5 / 6),  # a cross-section fault planted in a table of a pdftotext copy
    "yuan": (0.893, 1.0),
}
# layout -> recall on the formats read cell by cell (.txt, .docx, .pdf). National misses the
# 9th table's 国内接待费 and 国（境）外接待费 (labels the vocabulary does not know).
NATIVE_FLOORS = {
    "consolidated": 1.0,
    "national": 0.990,
    "shanghai": 1.0,
    "sichuan": 1.0,
    "yuan": 1.0,
}
FORMAT_FLOORS = {
    "docx": 0.997,
    "pdf": 0.997,
    "txt": 0.997,  # national's two 三公 labels (see NATIVE_FLOORS)
    "pdftotext": 0.409,  # table lines aligned with spaces are not rebuilt as rows
    "pdfplumber": 0.373,  # nor single-spaced ones with names broken around the code line
}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("layouts")
    return score_layouts(root, DEPARTMENTS, YEARS, SEED, LAYOUTS, DEFAULT_FORMATS)


def test_every_layout_meets_every_format(scored) -> None:
    assert set(scored.by_layout) == set(LAYOUTS)
    assert set(scored.by_format) == set(DEFAULT_FORMATS)
    assert len(scored.by_pair) == len(LAYOUTS) * len(DEFAULT_FORMATS)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_floor(scored, layout: str) -> None:
    g = scored.by_layout[layout]
    recall, faults = LAYOUT_FLOORS[layout]
    table = format_groups(scored.by_layout, "layout")
    assert g.extraction.recall >= recall, table
    assert g.extraction.precision == 1.0, (table, g.extraction.wrong[:5])
    assert g.planted >= 4 and g.found / g.planted >= faults, (table, g.missed_faults)
    assert g.false_errors == 0, g.false_error_examples


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_floor_on_formats_read_cell_by_cell(scored, layout: str) -> None:
    e = ExtractionScore()
    for fmt in NATIVE:
        e.add(scored.by_pair[f"{layout} × {fmt}"].extraction)
    assert e.recall >= NATIVE_FLOORS[layout], e.misses[:10]
    assert e.precision == 1.0, e.wrong[:5]


@pytest.mark.parametrize("fmt", DEFAULT_FORMATS)
def test_format_floor(scored, fmt: str) -> None:
    g = scored.by_format[fmt]
    assert g.extraction.recall >= FORMAT_FLOORS[fmt], format_groups(scored.by_format, "format")
    assert g.extraction.precision == 1.0
    assert g.false_errors == 0, g.false_error_examples


def test_unmodelled_facts_are_counted_apart(scored) -> None:
    """会议费, 培训费 and the 收入决算表/支出决算表 columns beyond 合计/基本/项目 are facts the
    warehouse has no metric for: listed, not scored."""
    assert scored.by_layout["national"].extraction.unmodelled > 0
    assert all(scored.by_layout[x].extraction.unmodelled == 0 for x in LAYOUTS if x != "national")


def test_cli_prints_the_tables_and_writes_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "score.json"
    main(
        [
            "--departments",
            "2",
            "--years",
            "2024",
            "--layouts",
            "national",
            "shanghai",
            "--formats",
            "txt",
            "--json",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert "layout × format" in printed and "national × txt" in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["by_layout"]) == {"national", "shanghai"}
    assert {"recall", "precision", "fault_recall", "false_errors"} <= set(
        data["by_layout"]["national"]
    )
