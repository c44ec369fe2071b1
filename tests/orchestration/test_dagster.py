"""The Dagster layer: definitions load, the main job runs all reports in one run, one report alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.orchestration.definitions import build_defs
from pipelines.orchestration.resources import CountyFolders
from pipelines.publish.marts import MARTS
from pipelines.settings import Settings
from tools.sample import generate_county


@pytest.fixture
def county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=3, years=(2023, 2024), seed=5)
    warehouse = tmp_path / "wh" / "budget.duckdb"
    settings = Settings(raw_dir=str(raw), warehouse=str(warehouse), out_dir=str(tmp_path / "out"))
    return build_defs(settings), raw, warehouse


def test_definitions_load():
    from pipelines.orchestration.definitions import defs

    repo = defs.get_repository_def()
    marts = {f"mart/{table.split('.')[1]}" for table in MARTS}  # each published table
    assert {a.to_user_string() for a in repo.asset_graph.get_all_asset_keys()} == {
        "staged_reports",
        "warehouse_reports",
        "quality_check_results",
        "county_exports",
        "review_reports",
    } | marts
    groups = {
        key.to_user_string(): repo.asset_graph.get(key).group_name
        for key in repo.asset_graph.get_all_asset_keys()
    }
    assert groups["staged_reports"] == "ingest" and groups["warehouse_reports"] == "load"
    assert {groups[mart] for mart in marts} == {"publish"}
    assert repo.has_sensor_def("raw_folder_sensor") and repo.has_schedule_def("nightly_county_run")


def test_job_runs_every_report_in_one_run_then_chosen_ones(county):
    defs, raw, warehouse = county
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("county_job")
    result = job.execute_in_process(instance=instance)
    assert result.success
    assert len(instance.get_runs()) == 1
    assert instance.get_runs()[0].tags["county/warehouse"] == "main"  # queued one at a time
    # the warehouse file stays alone in its folder; the outputs follow COUNTY_OUT_DIR
    assert {p.name for p in warehouse.parent.iterdir()} <= {"budget.duckdb", "budget.duckdb.wal"}
    out = warehouse.parent.parent / "out"
    assert (out / "data_docs" / "index.html").exists()
    assert sorted(p.name for p in (out / "exports").iterdir()) == ["2023", "2024"]
    assert len(list((out / "reports").rglob("*.html"))) == 6
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.report").fetchone()[0] == 6
        assert con.execute("SELECT count(*) FROM mart.gpb_by_function").fetchone()[0] > 0
    materialized = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    # one materialization per asset, whatever the number of reports
    assert len(result.get_asset_materialization_events()) == 5 + len(MARTS)  # 4 steps, 12 assets
    assert materialized["staged_reports"]["staged"].value == 6
    assert materialized["mart/gpb_by_function"]["dagster/row_count"].value > 0
    # each published table is its own asset, with its own row count
    for table in MARTS:
        assert f"mart/{table.split('.')[1]}" in materialized
    assert materialized["review_reports"]["reports"].value == 6
    checks = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert checks["warehouse_integrity"].passed
    assert {f"{f}_findings" for f in ("share", "sum", "yoy", "budget", "cross_section")} <= set(
        checks
    )
    assert all(
        checks[f"{f}_findings"].passed for f in ("share", "sum", "yoy", "budget", "cross_section")
    )

    def staged(run) -> int:
        return [
            e.step_materialization_data.materialization.metadata
            for e in run.get_asset_materialization_events()
            if e.asset_key.to_user_string() == "staged_reports"
        ][0]["staged"].value

    # Nothing changed: nothing is read.
    assert staged(job.execute_in_process(instance=instance)) == 0
    # Re-read one department's report, chosen in the run config: only that file is read.
    one = sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*.docx"))[0]
    config = {"ops": {"staged_reports": {"config": {"only": [one]}}}}
    single = job.execute_in_process(instance=instance, run_config=config)
    assert single.success
    assert staged(single) == 1


def test_sensor_requests_a_run_when_raw_changes(county):
    defs, raw, _ = county
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(cursor: str | None):
        context = dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            resources={"folders": CountyFolders(raw_dir=str(raw))},
        )
        result = defs.get_repository_def().get_sensor_def("raw_folder_sensor")(context)
        return result, context.cursor

    first, cursor = evaluate(None)
    assert isinstance(first, dg.RunRequest) and first.run_key == cursor
    # Same folder, same cursor: nothing to do.
    again, _ = evaluate(cursor)
    assert isinstance(again, dg.SkipReason)
    shutil.rmtree(raw / "2023")
    changed, new_cursor = evaluate(cursor)
    assert isinstance(changed, dg.RunRequest) and new_cursor != cursor


def test_ui_location_is_named_as_in_pyproject_and_instance_config_is_only_in_home():
    import sys
    import tomllib

    import yaml

    project = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    workspace = yaml.safe_load((project / "workspace.yaml").read_text(encoding="utf-8"))
    (entry,) = workspace["load_from"]
    assert (
        entry["python_module"]["location_name"]
        == (pyproject["tool"]["dagster"]["code_location_name"])
    )
    assert entry["python_module"]["module_name"] == pyproject["tool"]["dagster"]["module_name"]
    # `dg dev` warns that a dagster.yaml in the folder it starts from "will not be used": the
    # project keeps its instance settings in config/, copied to $DAGSTER_HOME by make setup
    assert not (project / "dagster.yaml").exists() and not (project / "dagster.yml").exists()
    settings = yaml.safe_load((project / "config" / "dagster.yaml").read_text(encoding="utf-8"))
    assert settings["telemetry"]["enabled"] is False
    assert settings["concurrency"]["runs"]["tag_concurrency_limits"] == [
        {"key": "county/warehouse", "limit": 1}
    ]
    # make ui runs the current command (`dagster dev` is superseded by `dg dev` in 1.13)
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    assert "$(BIN)/dg dev -w workspace.yaml" in makefile and "dagster dev" not in makefile
    assert (Path(sys.executable).parent / "dg").exists()
