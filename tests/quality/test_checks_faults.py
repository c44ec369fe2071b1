"""Fault injection: every planted contradiction is found at error level where it is, and the
unaltered reports yield no error. Each asserted error is shown to lie outside its interval."""

from __future__ import annotations

import duckdb
import pytest

from tools.sample.fault_score import cites, score


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("faults")
    return root, score(root, n_departments=4, years=(2023, 2024), seed=21, workers=1)


def test_clean_reports_have_no_error(scored):
    _, result = scored
    assert result.clean_reports == 8
    assert sum(result.false_errors.values()) == 0, dict(result.false_errors)


def test_every_planted_fault_is_found(scored):
    _, result = scored
    # Sichuan-layout reports carry three of the tables (the rest go in a workbook), so no table
    # can be removed from them: every other family has its faults.
    assert set(result.planted) == {
        "share",
        "sum",
        "yoy",
        "budget",
        "cross_section",
        "identity",
        "text",
    }
    assert all(n >= 3 for n in result.planted.values()), dict(result.planted)
    assert result.found == result.planted, result.missed


def test_found_errors_lie_outside_their_rounding_interval(scored):
    root, _ = scored
    from tools.sample.faults import load_faults

    checked = 0
    for warehouse in (root / "wh").glob("*.duckdb"):
        if warehouse.stem == "clean":
            continue
        raw = root / "faulty" / warehouse.stem
        with duckdb.connect(str(warehouse), read_only=True) as con:
            for doc in sorted(p for p in raw.rglob("*") if p.suffix in {".txt", ".docx"}):
                for fault in load_faults(doc):
                    if fault.check_id is not None:
                        continue  # a word fault: test_word_faults_are_found_at_their_level
                    rows = con.execute(
                        "SELECT q.message, q.source_text, q.observed, q.lower_bound, q.upper_bound, q.source_location "
                        "FROM quality.check_result q JOIN core.report r USING (report_id) "
                        "WHERE r.source_path = ? AND NOT q.passed AND q.severity = 'error' AND q.family = ?",
                        [doc.relative_to(raw).as_posix(), fault.family],
                    ).fetchall()
                    hits = [r for r in rows if cites(fault, r[0], r[1])]
                    assert hits, (doc, fault)
                    for _msg, _text, observed, lower, upper, location in hits:
                        assert location  # a finding always points at its place
                        assert observed < lower or observed > upper
                        checked += 1
    assert checked >= 15


def test_word_faults_are_found_at_their_level(scored):
    """A placeholder, a wrong year, a flipped direction word, doubled punctuation and a blanked
    三公 cell: each answered by its own check, at its level, at the line it was planted in."""
    root, _ = scored
    from tools.sample.faults import load_faults

    kinds = set()
    for warehouse in (root / "wh").glob("*.duckdb"):
        raw = root / "faulty" / warehouse.stem
        with duckdb.connect(str(warehouse), read_only=True) as con:
            for doc in sorted(p for p in raw.rglob("*") if p.suffix in {".txt", ".docx"}):
                for fault in load_faults(doc):
                    if fault.check_id is None:
                        continue
                    rows = con.execute(
                        "SELECT q.message, q.source_text, q.source_location "
                        "FROM quality.check_result q JOIN core.report r USING (report_id) "
                        "WHERE r.source_path = ? AND NOT q.passed AND q.check_id = ? AND q.severity = ?",
                        [doc.relative_to(raw).as_posix(), fault.check_id, fault.level],
                    ).fetchall()
                    hits = [r for r in rows if fault.marker in f"{r[0]}\n{r[1]}"]
                    assert hits, (doc, fault, rows)
                    assert all(location for *_, location in hits)
                    kinds.add(fault.kind)
    assert {"placeholder", "wrong_year", "direction", "doubled_punctuation"} <= kinds


def test_fault_score_cli_table(scored):
    from tools.sample.fault_score import format_table

    _, result = scored
    table = format_table(result)
    assert "share" in table and "100.0%" in table


def test_scoreboard_extraction_floors(scored):
    """Issue floor: extraction recall ≥ 99% on the clean reports, per metric family."""
    from tools.sample.scoreboard import format_extraction, score_warehouse_extraction

    root, _ = scored
    extraction = score_warehouse_extraction(root / "clean", root / "wh" / "clean.duckdb")
    table = format_extraction(extraction)
    for family, v in extraction.as_dict().items():
        assert v["recall"] is None or v["recall"] >= 0.99, (family, table)
        assert v["precision"] is None or v["precision"] >= 0.95, (family, table)
    assert sum(extraction.truth.values()) > 500
