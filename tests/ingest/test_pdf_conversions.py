"""The same report as PDF, as .docx and as .xlsx attachments gives the same table rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.convert import document_to_docx, document_to_xlsx

from pipelines.catalogue import Catalogue, Resolver
from pipelines.ingest.extract import extract_statements
from pipelines.ingest.readers import read_document
from tests.conftest import real_file

PDFS = ["shpt_czj_2024_final.pdf", "shpt_ghzyj_2024_final.pdf", "shpt_shgzb_2024_final.pdf"]


def table_rows(path: Path) -> list[tuple]:
    """The normalized rows that come from tables: metric, code and every figure."""
    doc = read_document(path, f"2024/{path.name}")
    statements = extract_statements(doc, 2024, Resolver(Catalogue.load()))
    return sorted(
        (
            (s.metric, s.subject_code, s.amount_wan, s.basic_wan, s.project_wan, s.budget_wan)
            for s in statements
            if s.part == "table" and s.metric and s.amount_wan is not None
        ),
        key=repr,
    )


@pytest.mark.parametrize("name", PDFS)
def test_docx_and_xlsx_give_the_pdf_rows(tmp_path: Path, name: str):
    pdf = real_file(name)
    doc = read_document(pdf, f"2024/{name}")
    document_to_docx(doc, tmp_path / "report.docx")
    document_to_xlsx(doc, tmp_path / "tables.xlsx")
    expected = table_rows(pdf)
    assert len(expected) > 25
    assert table_rows(tmp_path / "report.docx") == expected
    assert table_rows(tmp_path / "tables.xlsx") == expected
