"""Errors planted the way reviewers meet them, in copies of real reports (their pdftotext text):
each is found at its level, at the line it was planted in, and was not there before.

A changed table total and a blanked 三公 cell are not planted here: in text whose tables are
rebuilt from the layout, a table whose own sums then fail is doubted rather than used to accuse
(extract/table_doubt.py). Those two kinds are planted in synthetic .txt, .docx and .pdf reports.

The same kinds are planted in synthetic reports by tools/sample/review_faults.py and
counted by the scoreboard (tests/quality/test_checks_faults.py, tests/tools/test_sample_scoreboard.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.readers import read_document
from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.text import compact
from tests.conftest import real_file

FOSHAN = "foshan_guidao_2019_final.txt"
GHZYJ = "shpt_ghzyj_2024_final.txt"

Edit = Callable[[list[str]], str]  # edits the lines in place, returns the text it wrote


def _replace_in(lines: list[str], line_no: int, old: str, new: str) -> str:
    assert old in lines[line_no - 1], (line_no, lines[line_no - 1])
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    return new


def _first(lines: list[str], pattern: str, after: int = 0) -> int:
    return next(i + 1 for i, ln in enumerate(lines) if i >= after and re.search(pattern, ln))


def placeholder(lines: list[str]) -> int:
    n = _first(lines, r"^\s*第一部分\s*佛山市轨道交通局\s*概况", after=30)
    return _replace_in(lines, n, "佛山市轨道交通局", "XX局")


def wrong_year_heading(lines: list[str]) -> int:
    n = _first(lines, r"第三部分.*2019 年部门决算情况说明")
    _replace_in(lines, n, "2019", "2018")
    return "2018年部门决算情况说明"


def wrong_year_as_of(lines: list[str]) -> int:
    n = _first(lines, r"截至 2019 年 12 月 31 日")
    _replace_in(lines, n, "2019", "2018")
    return "截至2018年12月31日"


def direction_flipped(lines: list[str]) -> int:
    # 年初预算为 452.40 万元，支出决算为 446.11 万元 … 决算数小于预算数: now 大于.
    n = _first(lines, r"98\.61%。决算数小于预算数")
    _replace_in(lines, n, "决算数小于", "决算数大于")
    return "决算数大于预算数"


def doubled_punctuation(lines: list[str]) -> int:
    n = _first(lines, r"算为 0\.16 万元，完成预算")
    _replace_in(lines, n, "万元，", "万元，，")
    return "，，"


def table_removed(lines: list[str]) -> int:
    # The 一般公共预算财政拨款支出决算表 (two pages) goes; the contents still list it.
    start = _first(lines, r"^\s*一般公共预算财政拨款支出决算表\s*$", after=100)
    end = _first(lines, r"^\s*一般公共预算财政拨款基本支出决算表\s*$", after=start)
    del lines[start - 1 : end - 1]
    return ""


PLANTED: list[tuple[str, str, Edit, str, str]] = [
    # (name, real text, edit, check that must answer, level)
    ("placeholder", FOSHAN, placeholder, "identity.placeholder_name", "error"),
    ("wrong_year_heading", FOSHAN, wrong_year_heading, "identity.wrong_year", "error"),
    ("wrong_year_as_of", FOSHAN, wrong_year_as_of, "identity.wrong_year", "error"),
    ("direction_flipped", GHZYJ, direction_flipped, "budget.direction", "error"),
    ("doubled_punctuation", FOSHAN, doubled_punctuation, "text.doubled_punctuation", "warning"),
    ("table_removed", FOSHAN, table_removed, "package.table_missing", "error"),
]


def _within(block: str, finding: str) -> bool:
    """The block's lines lie inside the finding's location (a line or a range of lines)."""
    inner = [int(x) for x in re.findall(r"第(\d+)行", block)]
    outer = [int(x) for x in re.findall(r"第(\d+)行", finding)]
    return bool(inner and outer) and min(outer) <= min(inner) and max(inner) <= max(outer)


WORDS_ONLY = {"placeholder", "wrong_year_heading", "wrong_year_as_of", "direction_flipped"}


def _run(root: Path, name: str, lines: list[str]) -> list[tuple[str, str, str, str]]:
    raw = root / "raw" / "2024"
    raw.mkdir(parents=True)
    (raw / name).write_text("\n".join(lines), encoding="utf-8")
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT check_id, severity, source_location, message FROM quality.check_result "
            "WHERE NOT passed AND severity IN ('error', 'warning')"
        ).fetchall()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[tuple]]:
    out = {}
    for name in (FOSHAN, GHZYJ):
        lines = real_file(name).read_text(encoding="utf-8").split("\n")
        rows = _run(tmp_path_factory.mktemp("baseline"), name, lines)
        out[name] = set(rows)
    return out


@pytest.mark.parametrize(
    ("kind", "name", "edit", "check_id", "level"), PLANTED, ids=[p[0] for p in PLANTED]
)
def test_planted_error_is_found_at_its_level_and_line(
    kind: str, name: str, edit: Edit, check_id: str, level: str, baseline, tmp_path: Path
) -> None:
    lines = real_file(name).read_text(encoding="utf-8").split("\n")
    fragment = edit(lines)
    rows = _run(tmp_path, name, lines)
    new = [r for r in rows if r not in baseline[name]]
    hits = [r for r in new if r[0] == check_id and r[1] == level]
    assert hits, new
    if fragment:  # a missing table is reported for the whole document
        where = {
            b.location
            for b in read_document(tmp_path / "raw" / "2024" / name, f"2024/{name}").blocks
            if fragment in compact(b.text) or fragment in b.text
        }
        assert where and any(_within(w, loc) for w in where for _, _, loc, _ in hits), (where, hits)
    if kind in WORDS_ONLY:  # a word changed: no figure moved, so no other new error
        assert {c for c, s, _, _ in new if s == "error"} <= {check_id}, new
