"""The command line as an operator uses it: where a run's files go, and what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.sample import generate_county

PROJECT = Path(__file__).resolve().parents[2]


def _cli(
    *args: str, cwd: Path = PROJECT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNTY_", "DAGSTER_HOME"))}
    env["DAGSTER_DISABLE_TELEMETRY"] = "1"
    env["COUNTY_SETTLE_SECONDS"] = "0"  # the county was written a moment ago, not in transfer
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_warehouse_elsewhere_keeps_its_folder_clean_outputs_go_to_out(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=2, years=(2024,), seed=7)
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("the user's own file", encoding="utf-8")
    out = tmp_path / "outputs"
    done = _cli(
        "run", "--raw", str(raw), "--warehouse", str(data / "county.duckdb"), "--out", str(out)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # the data folder holds the warehouse file (and DuckDB's WAL while it is open) and nothing else
    assert {p.name for p in data.iterdir()} <= {"notes.txt", "county.duckdb", "county.duckdb.wal"}
    assert (data / "county.duckdb").exists()
    assert {p.name for p in out.iterdir()} >= {"exports", "reports", "data_docs", "run.lock"}
    assert (out / "exports" / "2024" / "index.html").exists()
    assert len(list((out / "reports" / "2024").glob("*.html"))) == 2
    assert (out / "data_docs" / "index.html").exists()
    assert not any((out / "staging").glob("run-*.json"))  # the load consumed its manifest
    assert f"输出目录 outputs:        {out}" in done.stdout
    assert str(out / "exports" / "2024") in done.stdout
    assert str(out / "data_docs" / "index.html") in done.stdout


def test_help_names_the_folders_and_their_variables() -> None:
    done = _cli("run", "--help")
    assert done.returncode == 0
    for option, variable in (
        ("--raw", "COUNTY_RAW_DIR"),
        ("--warehouse", "COUNTY_WAREHOUSE"),
        ("--out", "COUNTY_OUT_DIR"),
        ("--reviews", "COUNTY_REVIEWS_DIR"),
    ):
        assert option in done.stdout and variable in done.stdout
    assert "--force" in done.stdout


def test_a_failed_run_exits_1_with_a_summary_and_a_log_line(tmp_path: Path) -> None:
    # what cron sees of a failed nightly run: exit code, the failed step, the log it wrote
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=1, years=(2024,), seed=7)
    not_a_file = tmp_path / "warehouse-is-a-folder"
    not_a_file.mkdir()
    out = tmp_path / "out"
    done = _cli("run", "--raw", str(raw), "--warehouse", str(not_a_file), "--out", str(out))
    assert done.returncode == 1, done.stderr[-3000:]
    assert "运行失败 / run failed:" in done.stderr
    assert "  - staged_reports: " in done.stderr
    (line,) = (out / "run_failures.log").read_text(encoding="utf-8").splitlines()
    when, job, run_id, message = line.split("\t")
    assert (
        job == "county_job" and len(run_id) == 36 and message.startswith("运行失败：staged_reports")
    )
    assert "Traceback" not in done.stderr.split("运行失败 / run failed:")[1]


def test_a_helper_killed_while_drawing_charts_fails_the_run_saying_so(tmp_path: Path) -> None:
    """Charts do not vanish silently: the helper process killed while it draws one (as an
    out-of-memory kill would) fails the run, and the summary names the helper, not Dagster."""
    from pipelines.publish.charts import cjk_font_available

    if not cjk_font_available():
        pytest.skip("no CJK font: no chart is drawn (install fonts-wqy-microhei)")
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=2, years=(2024,), seed=7)
    out = tmp_path / "out"
    env = {"COUNTY_FAILPOINT": "helper.drawing_chart"}
    done = _cli(
        "run", "--raw", str(raw), "--warehouse", str(tmp_path / "w.duckdb"), "--out", str(out),
        env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    summary = done.stderr.split("运行失败 / run failed:")[1]
    assert (
        "county_exports: pipelines.helper.HelperError: the run's helper process exited" in summary
    )
    log = (out / "run_failures.log").read_text(encoding="utf-8")
    assert "HelperError" in log
