"""Bounded work per file: past a stated limit a file gets ``file_too_complex`` naming the limit
(recorded in ``detail``), and the good reports beside it are published as in a clean run.

The limits are lowered here so that small files reach them; bench/limits.py shows the cost
growing linearly with size up to the default limits.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import xlsxwriter

import pipelines.ingest.stage
from pipelines.catalogue import Resolver
from pipelines.ingest.extract import narrative
from pipelines.ingest.extract.narrative import NarrativeExtractor
from pipelines.ingest.limits import limit
from tests.robustness.county import (
    YEAR,
    Published,
    assert_good_published,
    assert_refused,
    planted,
    publish,
)

SENTENCE = "一般公共服务支出100.00万元，占10.00%，较上年增加5.00万元，增长5.00%。"


@pytest.fixture
def raw(clean: tuple[Path, Published], tmp_path: Path) -> Path:
    return planted(clean[0], tmp_path)


def _refused_for(result: Published, path: str, name: str) -> None:
    assert_refused(result, path, "file_too_complex", "上限")
    assert f"limit={name}" in (result.details[path] or "")


def test_line_past_the_character_limit(
    raw: Path, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNTY_MAX_LINE_CHARS", "20000")
    (raw / str(YEAR) / "某某局.txt").write_text(
        f"某某局{YEAR}年度部门决算\n" + SENTENCE * 1000 + "\n", encoding="utf-8"
    )
    result = publish(raw, raw.parent / "warehouse")
    _refused_for(result, f"{YEAR}/某某局.txt", "line_chars")
    assert "COUNTY_MAX_LINE_CHARS" in result.errors[f"{YEAR}/某某局.txt"][2]
    assert_good_published(result, clean[1])


def test_report_past_the_statement_limit(
    raw: Path, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNTY_MAX_STATEMENTS", "300")
    (raw / str(YEAR) / "某某局.txt").write_text(
        f"某某局{YEAR}年度部门决算\n" + (SENTENCE + "\n") * 400, encoding="utf-8"
    )
    result = publish(raw, raw.parent / "warehouse")
    _refused_for(result, f"{YEAR}/某某局.txt", "statements")
    assert_good_published(result, clean[1])


def test_sheet_past_the_row_limit_is_refused_before_it_is_loaded(
    raw: Path, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNTY_MAX_SHEET_ROWS", "1000")
    book = xlsxwriter.Workbook(str(raw / str(YEAR) / "某某局.xlsx"), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["一般公共预算财政拨款支出决算表"])
    for r in range(1, 5000):
        sheet.write_row(r, 0, ["2010301", "行政运行", 100.0])
    book.close()
    loaded: list[str] = []
    import openpyxl

    original = openpyxl.load_workbook
    monkeypatch.setattr(
        openpyxl, "load_workbook", lambda *a, **k: loaded.append(1) or original(*a, **k)
    )
    result = publish(raw, raw.parent / "warehouse")
    _refused_for(result, f"{YEAR}/某某局.xlsx", "sheet_rows")
    assert "至少" in result.errors[f"{YEAR}/某某局.xlsx"][2]
    assert not loaded  # counted in the XML stream, never built in memory
    assert_good_published(result, clean[1])


def test_file_past_its_seconds_is_stopped(
    raw: Path, clean: tuple[Path, Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose extraction does not end (here: made to spin) is interrupted after the
    seconds allowed; its row names the limit and the run goes on."""
    monkeypatch.setenv("COUNTY_MAX_FILE_SECONDS", "1")
    (raw / str(YEAR) / "某某局.txt").write_text(
        f"某某局{YEAR}年度部门决算\n{SENTENCE}\n", encoding="utf-8"
    )
    original = pipelines.ingest.stage.extract_document

    def spinning(doc, *args):
        while doc.source_path.endswith("某某局.txt"):
            time.sleep(0.01)
        return original(doc, *args)

    monkeypatch.setattr(pipelines.ingest.stage, "extract_document", spinning)
    started = time.monotonic()
    result = publish(raw, raw.parent / "warehouse")
    assert time.monotonic() - started < 60
    _refused_for(result, f"{YEAR}/某某局.txt", "file_seconds")
    assert_good_published(result, clean[1])


def test_the_limits_are_stated_and_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limit("line_chars") == 2_000_000 and limit("sheet_rows") == 50_000
    monkeypatch.setenv("COUNTY_MAX_SHEET_ROWS", "10")
    assert limit("sheet_rows") == 10


def test_sentence_spans_are_bounded(resolver: Resolver) -> None:
    """A paragraph that never ends a sentence is cut into bounded pieces, never inside a
    number, so every quote (and the work on it) stays bounded; the figures are all found."""
    text = "一般公共服务支出100.00万元占10.00%较上年增加5.00万元增长5.00%" * 2000
    spans = narrative._sentence_spans(text)
    assert max(e - s for s, e in spans) <= narrative.MAX_SENTENCE_CHARS
    assert "".join(text[s:e] for s, e in spans) == text
    sts = NarrativeExtractor(resolver, YEAR).extract(text, 0, "第1行", "narrative", "", 1)
    assert sum(s.amount_wan == 100.0 for s in sts) == 2000
    # a figure quotes its piece, and the next piece where that states its change
    assert max(len(s.source_text) for s in sts) <= 2 * narrative.MAX_SENTENCE_CHARS
