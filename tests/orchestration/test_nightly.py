"""Runs nobody types: the Dagster daemon, as the bureau's server runs it (deploy/), sees a report
dropped into raw/ and loads it; a failed run is written down for the morning."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.orchestration.alerts import record_failure
from tools.sample import generate_county

PROJECT = Path(__file__).resolve().parents[2]


def _stop(proc: subprocess.Popen) -> None:
    """End the daemon and what it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _reports(warehouse: Path) -> int:
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute("SELECT count(*) FROM core.report").fetchone()[0]
    except (duckdb.Error, OSError):
        return 0  # not created yet, or the run holds it


def test_daemon_sensor_loads_a_report_dropped_into_raw(tmp_path: Path) -> None:
    raw, out, home = tmp_path / "raw", tmp_path / "out", tmp_path / "dagster_home"
    raw.mkdir()
    home.mkdir()
    shutil.copyfile(PROJECT / "config" / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp_path / "data" / "county.duckdb"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COUNTY_")},
        "DAGSTER_HOME": str(home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "COUNTY_RAW_DIR": str(raw),
        "COUNTY_WAREHOUSE": str(warehouse),
        "COUNTY_OUT_DIR": str(out),
        "COUNTY_AUTOMATION": "on",  # as in deploy/: the sensor starts switched on
        "COUNTY_SENSOR_INTERVAL_SECONDS": "3",
        "COUNTY_SETTLE_SECONDS": "1",  # the copy below is complete at once
    }
    log = open(tmp_path / "daemon.log", "w", encoding="utf-8")  # closed in finally
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(10)  # the daemon and its code server start; raw/ is empty: nothing runs
        assert _reports(warehouse) == 0
        # a department's report arrives (one rename: the sensor never sees half a folder)
        generate_county(tmp_path / "incoming", n_departments=2, years=(2024,), seed=3)
        (tmp_path / "incoming" / "2024").rename(raw / "2024")
        deadline = time.monotonic() + 300
        instance = dg.DagsterInstance.from_config(str(home))
        while time.monotonic() < deadline:
            runs = instance.get_runs()
            if runs and all(r.is_finished for r in runs) and _reports(warehouse) == 2:
                break
            time.sleep(3)
        runs = instance.get_runs()
        assert runs, (tmp_path / "daemon.log").read_text(encoding="utf-8")[-4000:]
        assert runs[0].job_name == "county_job"
        assert runs[0].tags.get("dagster/sensor_name") == "raw_folder_sensor"
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [r.status for r in runs]
        assert _reports(warehouse) == 2
        assert (out / "exports" / "2024" / "index.html").exists()
        assert not (out / "run_failures.log").exists()
        instance.dispose()
    finally:
        _stop(daemon)
        log.close()


def test_failure_log_line_is_one_line_per_run(tmp_path: Path) -> None:
    when = datetime(2026, 12, 2, 2, 0, 5, tzinfo=UTC)
    log = record_failure(tmp_path / "out", "run-1", "county_job", "boom\n  Traceback:\n x", when)
    record_failure(tmp_path / "out", "run-2", "county_job", "again", when)
    assert log.read_text(encoding="utf-8").splitlines() == [
        "2026-12-02T02:00:05+00:00\tcounty_job\trun-1\t运行失败：boom Traceback: x",
        "2026-12-02T02:00:05+00:00\tcounty_job\trun-2\t运行失败：again",
    ]


def test_automation_setting_switches_the_sensor_schedule_and_alert_on() -> None:
    from pipelines.orchestration.definitions import build_defs
    from pipelines.settings import Settings

    def statuses(environ: dict[str, str]) -> dict[str, object]:
        repo = build_defs(Settings.from_env(environ)).get_repository_def()
        found = {s.name: s.default_status for s in repo.sensor_defs}
        found.update({s.name: s.default_status for s in repo.schedule_defs})
        return found

    off = statuses({})
    on_env = {"COUNTY_AUTOMATION": "on", "COUNTY_SCHEDULE_CRON": "30 3 * * *"}
    on = statuses(on_env)
    repo = build_defs(Settings.from_env(on_env)).get_repository_def()
    schedule = repo.get_schedule_def("nightly_county_run")
    assert schedule.cron_schedule == "30 3 * * *"
    names = {"raw_folder_sensor", "county_run_failure_alert", "nightly_county_run"}
    assert set(off) == set(on) == names
    assert {str(s).rsplit(".", 1)[-1] for s in off.values()} == {"STOPPED"}
    assert {str(s).rsplit(".", 1)[-1] for s in on.values()} == {"RUNNING"}


def test_server_deployment_files_point_at_what_exists() -> None:
    from pipelines import settings

    known = {
        value
        for name, value in vars(settings).items()
        if name.endswith("_ENV") and isinstance(value, str)
    } | set(settings.ALERT_EMAIL_ENVS.values())
    env_file = (PROJECT / "deploy" / "county.env").read_text(encoding="utf-8")
    keys = {
        line.lstrip("#").split("=", 1)[0]
        for line in env_file.splitlines()
        if "=" in line and not line.startswith("# ")
    }
    assert {"COUNTY_RAW_DIR", "COUNTY_WAREHOUSE", "COUNTY_OUT_DIR", "COUNTY_AUTOMATION"} <= keys
    assert keys - {"DAGSTER_HOME", "DAGSTER_DISABLE_TELEMETRY"} <= known
    venv_bin = Path(sys.executable).parent
    for unit in sorted((PROJECT / "deploy" / "systemd").glob("*.service")):
        text = unit.read_text(encoding="utf-8")
        (command,) = [
            line.split("=", 1)[1] for line in text.splitlines() if line.startswith("ExecStart=")
        ]
        program, *args = command.split()
        assert (venv_bin / Path(program).name).exists(), unit.name
        assert args[args.index("-w") + 1] == "workspace.yaml"
        assert "EnvironmentFile=/opt/county/deploy/county.env" in text
