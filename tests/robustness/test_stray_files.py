"""Only what is in raw/, and only reports: stray files, links and overlapping folders.

Each test plants one case beside two good reports, runs the whole job (reviews and exports
included) and checks the case's row and that the good reports are published exactly as a
clean run publishes them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.ingest.discover import discover
from pipelines.orchestration.run import LocationError, Locations, ingest
from tests.robustness.county import (
    YEAR,
    Published,
    assert_good_published,
    assert_refused,
    make_county,
    planted,
    publish,
)

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Published]:
    root = tmp_path_factory.mktemp("clean")
    make_county(root / "raw")
    baseline = publish(root / "raw", root / "warehouse")
    assert not baseline.errors and len(baseline.reports) == 2
    return root / "raw", baseline


@pytest.fixture
def raw(clean: tuple[Path, Published], tmp_path: Path) -> Path:
    return planted(clean[0], tmp_path)


@pytest.fixture
def baseline(clean: tuple[Path, Published]) -> Published:
    return clean[1]


def _good_report_text(raw: Path) -> str:
    return next((raw / str(YEAR)).glob("*.txt")).read_text(encoding="utf-8")


def _without_year(text: str) -> str:
    """The report with every year in it removed (title, text, tables)."""
    return text.replace(str(YEAR), "本").replace(str(YEAR - 1), "上")


# ------------------------------------------------------------------------ fiscal year


def test_notes_file_at_raw_root_is_not_a_report(raw: Path, baseline: Published) -> None:
    (raw / "说明.txt").write_text(
        "本目录存放各部门报送的材料，请按年度建立文件夹放置。\n联系人：财政局办公室\n",
        encoding="utf-8",
    )
    result = publish(raw, raw.parent / "warehouse")
    assert_refused(result, "说明.txt", "not_a_report")
    assert_good_published(result, baseline)
    assert not (result.loc.reports_dir / "None").exists()


def test_report_without_any_year_is_recorded_not_published(raw: Path, baseline: Published) -> None:
    """A report in raw/abc/ whose title has no year: no crash of the exports, no reviews/None/,
    no comparison with itself as its own prior year."""
    (raw / "abc").mkdir()
    (raw / "abc" / "某某局.txt").write_text(_without_year(_good_report_text(raw)), "utf-8")
    result = publish(raw, raw.parent / "warehouse")
    assert_refused(result, "abc/某某局.txt", "unknown_fiscal_year", "raw/")
    assert_good_published(result, baseline)
    assert not (result.loc.reports_dir / "None").exists()
    assert not (result.loc.export_dir / "None").exists()


@pytest.mark.parametrize("year", [2005, 2099])
def test_implausible_fiscal_year_is_refused(raw: Path, baseline: Published, year: int) -> None:
    text = _good_report_text(raw).replace(str(YEAR), str(year))
    (raw / str(year)).mkdir()
    (raw / str(year) / "某某局.txt").write_text(text, "utf-8")
    result = publish(raw, raw.parent / "warehouse")
    assert_refused(result, f"{year}/某某局.txt", "implausible_fiscal_year", str(year))
    assert_good_published(result, baseline)


def test_a_year_less_report_kept_by_an_older_version_is_read_again(
    raw: Path, baseline: Published
) -> None:
    """A warehouse where an older version loaded a report without a year: the next run reads
    that file again (and refuses it) instead of publishing it."""
    import duckdb

    publish(raw, raw.parent / "warehouse")
    wh = raw.parent / "warehouse" / "budget.duckdb"
    path = next(iter(baseline.reports))
    with duckdb.connect(str(wh)) as con:
        con.execute("UPDATE core.report SET fiscal_year = NULL WHERE source_path = ?", [path])
    result = publish(raw, raw.parent / "warehouse")
    assert result.reports[path][1] == YEAR  # read again: its year comes back from the content
    assert_good_published(result, baseline)


# ------------------------------------------------------------------------ not a report


@pytest.mark.parametrize(
    "name, text",
    [
        ("README.txt", "How to use this folder\n\nPut each department's file under raw/<year>/.\n"),
        ("通讯录.txt", "财政局 张三 12345678\n教育局 李四 87654321\n"),
    ],
)
def test_text_without_any_sign_of_a_final_account(
    raw: Path, baseline: Published, name: str, text: str
) -> None:
    (raw / str(YEAR) / name).write_text(text, encoding="utf-8")
    result = publish(raw, raw.parent / "warehouse")
    message = assert_refused(result, f"{YEAR}/{name}", "not_a_report", "raw/")
    assert "决算" in message
    assert_good_published(result, baseline)
    departments = {d for d, _, _ in result.reports.values()}
    assert departments == {d for d, _, _ in baseline.reports.values()}


# ------------------------------------------------------------------------ symbolic links


def test_link_out_of_raw_is_refused(raw: Path, baseline: Published, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "其他局.txt"
    outside.parent.mkdir()
    outside.write_text(_good_report_text(raw), encoding="utf-8")
    os.symlink(outside, raw / str(YEAR) / "其他局.txt")
    os.symlink("/etc/passwd", raw / str(YEAR) / "系统用户.txt")
    result = publish(raw, raw.parent / "warehouse")
    for name in ("其他局.txt", "系统用户.txt"):
        assert_refused(result, f"{YEAR}/{name}", "link_outside_raw", "raw/ 之外")
    assert_good_published(result, baseline)


def test_link_inside_raw_is_read_once(raw: Path, baseline: Published) -> None:
    target = next((raw / str(YEAR)).glob("*.txt"))
    os.symlink(target, raw / str(YEAR) / "链接.txt")
    # a link to a file discovery does not read otherwise (in a hidden folder) is read as itself
    (raw / ".归档").mkdir()
    (raw / ".归档" / "某某局.txt").write_text(
        _good_report_text(raw).replace("云溪县", "云山县"), "utf-8"
    )
    os.symlink(raw / ".归档" / "某某局.txt", raw / str(YEAR) / "某某局.txt")
    result = publish(raw, raw.parent / "warehouse")
    assert_refused(result, f"{YEAR}/链接.txt", "duplicate_link", target.name)
    assert f"{YEAR}/某某局.txt" in result.reports
    assert_good_published(result, baseline, same_exports=False)


def test_dangling_and_folder_links_get_rows(raw: Path, baseline: Published, tmp_path: Path) -> None:
    os.symlink(raw / "nowhere.txt", raw / str(YEAR) / "已删除.txt")
    os.symlink(tmp_path, raw / "外部文件夹")
    os.symlink(raw / str(YEAR), raw / "年度链接")
    result = publish(raw, raw.parent / "warehouse")
    assert_refused(result, f"{YEAR}/已删除.txt", "dangling_link")
    assert_refused(result, "外部文件夹", "folder_link")
    assert_refused(result, "年度链接", "folder_link")
    assert_good_published(result, baseline)
    # a rerun gives the same rows and reads nothing again
    again = publish(raw, raw.parent / "warehouse")
    assert again.errors == result.errors and again.summary.staged == 0


def test_a_loop_of_links_is_a_dangling_link(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    make_county(raw)
    os.symlink(raw / "乙.txt", raw / "甲.txt")
    os.symlink(raw / "甲.txt", raw / "乙.txt")
    refused = {f.source_path: f.refusal[1] for f in discover(raw) if f.refusal}
    assert refused == {"甲.txt": "dangling_link", "乙.txt": "dangling_link"}


# ------------------------------------------------------------------------ overlapping folders


@pytest.mark.parametrize(
    "warehouse",
    ["raw/warehouse/budget.duckdb", "raw/budget.duckdb", "out/budget.duckdb"],
)
def test_outputs_and_raw_must_not_overlap(tmp_path: Path, warehouse: str) -> None:
    raw = tmp_path / ("out/exports/raw" if warehouse.startswith("out") else "raw")
    make_county(raw)
    loc = Locations(raw, tmp_path / warehouse)
    with pytest.raises(LocationError) as info:
        ingest(loc, workers=1)
    assert "RAW" in str(info.value) and "未运行任何步骤" in str(info.value)
    assert not (tmp_path / warehouse).exists()  # refused before anything ran


def test_command_line_refuses_warehouse_inside_raw(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    make_county(raw)
    env = {**os.environ, "DAGSTER_HOME": "", "COUNTY_RUN_HELPER": "inline"}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "run", "--raw", str(raw), "--warehouse",
         str(raw / "wh" / "budget.duckdb")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "位于原始文件目录 RAW" in done.stderr and "Traceback" not in done.stderr
    assert not (raw / "wh").exists()


def test_a_sibling_raw_folder_beside_the_warehouse_is_fine(tmp_path: Path) -> None:
    """The README's example: RAW=/data/2024报告 WAREHOUSE=/data/county.duckdb."""
    make_county(tmp_path / "2024报告")
    loc = Locations(tmp_path / "2024报告", tmp_path / "county.duckdb")
    assert ingest(loc, workers=1).files_seen == 2


# ------------------------------------------------------------------------ copies in progress


def test_file_modified_moments_ago_is_deferred_with_a_note(
    raw: Path, baseline: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file still being copied (modified within the settle time) is left for the next run;
    the report loaded before from that path stays until then."""
    monkeypatch.setenv("COUNTY_SETTLE_SECONDS", "30")
    old = time.time() - 3600
    for path in raw.rglob("*"):
        os.utime(path, (old, old))
    good = next(iter(baseline.reports))
    first = publish(raw, raw.parent / "warehouse")
    assert first.reports == baseline.reports
    # the good file is replaced by a copy in progress: half its bytes, just written
    data = (raw / good).read_bytes()
    (raw / good).write_bytes(data[: len(data) // 2])
    result = publish(raw, raw.parent / "warehouse")
    assert result.exports == baseline.exports  # every year still published, old version included
    stage, code, message = result.errors[good]
    assert (stage, code) == ("discover", "file_in_transfer") and "下次运行" in message
    assert result.reports[good] == baseline.reports[good]  # the loaded version stays
    # re-reading it by name (Dagster's `only`) waits for the copy too
    assert ingest(result.loc, only={good}, force=True, workers=1).staged == []
    # once the copy is complete and settled, the next run reads it
    (raw / good).write_bytes(data)
    os.utime(raw / good, (old, old))
    later = publish(raw, raw.parent / "warehouse")
    assert good not in later.errors and later.reports == baseline.reports
    assert later.exports == baseline.exports


def test_discovery_defers_files_within_the_settle_time(tmp_path: Path) -> None:
    make_county(tmp_path / "raw")
    assert all(f.deferred for f in discover(tmp_path / "raw", settle_seconds=60))
    assert not any(f.deferred for f in discover(tmp_path / "raw", settle_seconds=0))
