"""Output names bounded and unique per department; no temporary file or folder outlives a run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pipelines.publish.review import MAX_STEM_BYTES, review_file_stem
from tests.robustness.county import (
    YEAR,
    Published,
    assert_good_published,
    planted,
    publish,
)


@pytest.fixture
def raw(clean: tuple[Path, Published], tmp_path: Path) -> Path:
    return planted(clean[0], tmp_path)


def _plant_as(raw: Path, file_name: str, department: str) -> None:
    """A copy of a good report whose text names ``department``."""
    source = min((raw / str(YEAR)).glob("云溪县*.txt"))  # a good report of the clean county
    text = source.read_text(encoding="utf-8")
    own = source.stem
    (raw / str(YEAR) / file_name).write_text(text.replace(own, department), encoding="utf-8")


def test_stems_are_unique_where_sanitizing_would_collide() -> None:
    assert review_file_stem("甲_乙局") == "甲_乙局"  # a safe name is kept as it is
    assert review_file_stem("甲/乙局") != review_file_stem("甲_乙局")
    assert review_file_stem("甲/乙局").startswith("甲_乙局_")
    long = "很长的部门名称" * 40 + "局"
    assert len(review_file_stem(long).encode()) <= MAX_STEM_BYTES
    assert review_file_stem(long) != review_file_stem(long + "二")


def test_departments_whose_names_sanitize_alike_get_their_own_reviews(
    raw: Path, clean: tuple[Path, Published]
) -> None:
    _plant_as(raw, "甲乙局一.txt", "云溪县甲/乙局")
    _plant_as(raw, "甲乙局二.txt", "云溪县甲_乙局")
    result = publish(raw, raw.parent / "warehouse")
    departments = {d for d, _, _ in result.reports.values()}
    assert {"云溪县甲/乙局", "云溪县甲_乙局"} <= departments, result.errors
    pages = {
        p.read_text(encoding="utf-8").count("云溪县甲/乙局")
        for p in (result.loc.reports_dir / str(YEAR)).glob("云溪县甲_乙局*.html")
    }
    assert len(list((result.loc.reports_dir / str(YEAR)).glob("云溪县甲_乙局*.html"))) == 2
    assert len(pages) == 2  # one page names 甲/乙局, the other does not
    assert_good_published(result, clean[1], same_exports=False)


def test_file_name_of_253_bytes(raw: Path, clean: tuple[Path, Published]) -> None:
    """A report whose text names no department, in a file whose name is 253 bytes: the
    department comes from the name, and its review file name must stay within 255 bytes."""
    name = ("乡村振兴与产业发展服务保障中心" * 6)[:83]
    assert len(f"{name}.txt".encode()) == 253
    _plant_as(raw, f"{name}.txt", "")
    result = publish(raw, raw.parent / "warehouse")
    assert result.reports[f"{YEAR}/{name}.txt"][0] == name
    written = [p for p in (result.loc.reports_dir / str(YEAR)).iterdir() if p.suffix == ".html"]
    assert len(written) == 3 and all(len(p.name.encode()) <= 255 for p in written)
    assert (result.loc.export_dir / str(YEAR) / "index.html").exists()
    assert_good_published(result, clean[1], same_exports=False)


def test_a_run_leaves_nothing_in_the_temporary_folder(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data Docs included: GX's ephemeral context gives its default docs site a temporary
    folder that nobody removes; only the warehouse's own site is built."""
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    result = publish(raw, raw.parent / "warehouse")
    assert (result.loc.data_docs_dir / "index.html").exists()
    assert list(temp.iterdir()) == []


def test_a_killed_runs_temporary_files_are_swept_by_the_next(
    raw: Path, clean: tuple[Path, Published]
) -> None:
    first = publish(raw, raw.parent / "warehouse")
    leftovers = [
        first.loc.reports_dir / str(YEAR) / ".某某局.html.tmp",
        first.loc.export_dir / str(YEAR) / f".部门决算对比_{YEAR}.xlsx.tmp",
    ]
    for path in leftovers:
        path.write_bytes(b"half")
    again = publish(raw, raw.parent / "warehouse")
    assert not any(p.exists() for p in leftovers)
    assert_good_published(again, clean[1])
