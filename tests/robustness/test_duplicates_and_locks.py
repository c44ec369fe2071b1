"""Two files for one department and year; two runs started at once on one warehouse."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.warehouse.load import WarehouseBusy, connect, run_lock
from tools.sample.writers import generate_county


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("dup") / "raw"
    generate_county(raw, n_departments=3, years=[2023], seed=5, formats=["txt"])
    return raw


def _reports(loc: Locations) -> list[tuple]:
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT department, fiscal_year, source_path FROM core.report ORDER BY ALL"
        ).fetchall()


def _errors(loc: Locations) -> dict[str, tuple[str, str]]:
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT source_path, error_code, message FROM core.ingest_error"
        ).fetchall()
    return {path: (code, message) for path, code, message in rows}


def test_identical_copy_is_set_aside_naming_the_kept_file(county: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(county, raw)
    original = sorted((raw / "2023").glob("*.txt"))[0]
    copy = raw / "2023" / f"{original.stem}（副本）.txt"
    shutil.copy(original, copy)
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    reports = _reports(loc)
    assert len(reports) == 3
    kept = f"2023/{original.name}"
    assert kept in {r[2] for r in reports}
    code, message = _errors(loc)[f"2023/{copy.name}"]
    assert code == "duplicate_report"
    assert kept in message and "内容完全相同" in message and "删除或移走另一份" in message
    # a rerun changes nothing; removing the kept file brings the copy in
    run_pipeline(loc, workers=1)
    assert _reports(loc) == reports
    original.unlink()
    run_pipeline(loc, workers=1)
    assert f"2023/{copy.name}" in {r[2] for r in _reports(loc)}
    assert _errors(loc) == {}


def test_different_versions_keep_one_whichever_arrives_first(county: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(county, raw)
    original = sorted((raw / "2023").glob("*.txt"))[1]
    later = raw / "2023" / f"{original.stem} 更正版.txt"
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    # the corrected version arrives in a later run
    later.write_bytes(original.read_bytes() + "\n（更正）\n".encode())
    run_pipeline(loc, workers=1)
    incremental = (_reports(loc), _errors(loc))
    # the same folder in one run from scratch gives the same choice
    fresh = Locations(raw, tmp_path / "fresh" / "warehouse.duckdb")
    run_pipeline(fresh, workers=1)
    assert (_reports(fresh), _errors(fresh)) == incremental
    # the rule: the first path in sort order is kept, the other set aside
    kept, aside = sorted([f"2023/{original.name}", f"2023/{later.name}"])
    assert kept in {r[2] for r in incremental[0]}
    code, message = incremental[1][aside]
    assert code == "duplicate_report" and "内容不同" in message and kept in message
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        per_key = con.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM core.report GROUP BY department, fiscal_year)"
        ).fetchone()[0]
    assert per_key == 1  # county totals never add two versions of one report


def test_second_run_waits_for_the_first(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    order: list[str] = []
    with run_lock(warehouse):
        waiter = threading.Thread(target=lambda: (run_lock_and_note(warehouse, order)))
        waiter.start()
        time.sleep(1.0)
        order.append("first done")
    waiter.join(10)
    assert order == ["first done", "second ran"]


def run_lock_and_note(warehouse: Path, order: list[str]) -> None:
    with run_lock(warehouse, wait=30):
        order.append("second ran")


def test_second_run_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with run_lock(warehouse):
        with pytest.raises(WarehouseBusy, match="另一次运行正在使用数据仓库"):
            with run_lock(warehouse, wait=0.5):
                pass


def test_warehouse_held_by_another_process(tmp_path: Path) -> None:
    """DuckDB takes one writing process: a step waits for it, then names the problem."""
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "time.sleep(30)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy, match="正被另一个进程占用"):
            connect(warehouse, wait=1.0)
    finally:
        holder.kill()
        holder.wait()
    connect(warehouse, wait=5.0).close()  # released: the next step gets in


def test_another_departments_report_under_a_wrong_name(tmp_path: Path) -> None:
    """A file named for one department holding another's report: the content decides, the
    mismatch is a warning, and the two copies of the other department's report keep one."""
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=3, years=[2023], seed=5, formats=["docx"])
    first, second = sorted((raw / "2023").glob("*.docx"))[:2]
    shutil.copy(first, second)  # second's name, first's report ("2023年度…部门决算" title)
    loc = Locations(raw, tmp_path / "wh" / "warehouse.duckdb")
    run_pipeline(loc, workers=1)
    departments = [r[0] for r in _reports(loc)]
    assert len(departments) == len(set(departments)) == 2
    assert second.stem not in departments
    code, message = _errors(loc)[f"2023/{second.name}"]
    assert code == "duplicate_report" and "内容完全相同" in message
