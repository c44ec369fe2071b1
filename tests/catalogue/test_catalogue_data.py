"""Checks the hand-transcribed functional classification (支出功能分类科目) data file.

The invariants are the ones documented in pipelines/catalogue/data/README.md. The last test
checks that every 7-digit code printed in a table row of a real report exists in the
catalogue for that report's fiscal year. Only the standard library and pytest are used, so
the data can be checked without importing the pipeline code.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DATA = PROJECT / "pipelines" / "catalogue" / "data" / "functional_subjects.csv"
REAL_CORPUS = PROJECT.parent / "shared" / "corpus" / "real"

HEADER = ["code", "level", "name", "valid_from", "valid_to"]
LEVEL_BY_LENGTH = {3: "类", 5: "款", 7: "项"}
FIRST_YEAR, LAST_YEAR = 2019, 2025

# Fiscal year of each real report whose file name does not carry it.
REPORT_YEARS = {"000_f74364cef28d07a0.txt": 2023}
YEAR_IN_NAME = re.compile(r"_(20\d\d)_")
# A table row starts with a 7-digit code, printed whole or as 类 款 项 ("201   06   01").
TABLE_ROW_CODE = re.compile(r"^\s*(\d{7}|\d{3}[ \t]+\d{2}[ \t]+\d{2})(?=\s|$)")


def read_rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


ROWS = read_rows()


def year_range(row: dict[str, str]) -> range:
    return range(int(row["valid_from"]), int(row["valid_to"]) + 1)


def coverage() -> dict[str, set[int]]:
    years: dict[str, set[int]] = defaultdict(set)
    for row in ROWS:
        years[row["code"]].update(year_range(row))
    return years


def test_encoding_and_header():
    raw = DATA.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "the file must have no BOM"
    assert b"\r" not in raw, "the file must use LF line endings"
    with DATA.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == HEADER


def test_fields_well_formed():
    for row in ROWS:
        assert None not in row and all(row[k] is not None for k in HEADER), row
        assert re.fullmatch(r"\d{3}|\d{5}|\d{7}", row["code"]), row
        assert row["level"] == LEVEL_BY_LENGTH[len(row["code"])], row
        assert row["name"] and row["name"] == row["name"].strip(), row
        assert re.fullmatch(r"\d{4}", row["valid_from"]) and re.fullmatch(r"\d{4}", row["valid_to"])


def test_years_within_window():
    for row in ROWS:
        start, end = int(row["valid_from"]), int(row["valid_to"])
        assert FIRST_YEAR <= start <= end <= LAST_YEAR, row


def test_sorted_by_code_then_valid_from():
    keys = [(row["code"], int(row["valid_from"])) for row in ROWS]
    assert keys == sorted(keys)


def test_no_code_twice_in_a_year():
    seen: dict[tuple[str, int], str] = {}
    for row in ROWS:
        for year in year_range(row):
            key = (row["code"], year)
            assert key not in seen, f"{key} is covered by both {seen[key]!r} and {row['name']!r}"
            seen[key] = row["name"]


def test_rename_rows_change_the_name():
    by_code: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in ROWS:
        by_code[row["code"]].append(row)
    for code, rows in by_code.items():
        for before, after in zip(rows, rows[1:], strict=False):
            if int(after["valid_from"]) == int(before["valid_to"]) + 1:
                assert before["name"] != after["name"], f"{code}: adjacent rows with one name"


def test_parents_exist_in_every_year():
    years = coverage()
    for row in ROWS:
        code = row["code"]
        parents = [code[:3], code[:5]] if len(code) == 7 else [code[:3]] if len(code) == 5 else []
        for parent in parents:
            missing = set(year_range(row)) - years.get(parent, set())
            assert not missing, (
                f"{code} {row['name']}: parent {parent} missing in {sorted(missing)}"
            )


def test_full_width_brackets():
    for row in ROWS:
        assert not re.search(r"[()\[\]]", row["name"]), f"half-width bracket in {row}"
        assert row["name"].count("（") == row["name"].count("）"), row


def report_year(name: str) -> int | None:
    if name in REPORT_YEARS:
        return REPORT_YEARS[name]
    if name.startswith("shpt_"):
        return 2024
    match = YEAR_IN_NAME.search(name)
    return int(match.group(1)) if match else None


def table_codes(path: Path) -> set[str]:
    codes = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = TABLE_ROW_CODE.match(line)
        if match:
            codes.add(re.sub(r"\s", "", match.group(1)))
    return codes


REPORTS = sorted(p.name for p in REAL_CORPUS.glob("*.txt")) if REAL_CORPUS.is_dir() else []
NO_CORPUS = f"real corpus {REAL_CORPUS} is not available (../shared/corpus/real is team-only)"


@pytest.mark.skipif(not REPORTS, reason=NO_CORPUS)
def test_corpus_has_table_codes():
    # Guards the row pattern: the corpus as a whole prints codes in its tables.
    assert set().union(*(table_codes(REAL_CORPUS / name) for name in REPORTS))


@pytest.mark.skipif(not REPORTS, reason=NO_CORPUS)
@pytest.mark.parametrize("name", REPORTS or ["<no corpus>"])
def test_report_codes_in_catalogue(name: str):
    year = report_year(name)
    assert year is not None, f"no fiscal year known for {name}: add it to REPORT_YEARS"
    in_force = {
        row["code"] for row in ROWS if int(row["valid_from"]) <= year <= int(row["valid_to"])
    }
    missing = sorted(table_codes(REAL_CORPUS / name) - in_force)
    assert not missing, f"{name} ({year}) prints codes missing from the catalogue: {missing}"
