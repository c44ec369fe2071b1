"""The Dagster graph a data engineer sees, against a reviewed snapshot (asset_graph.json).

Adding, removing or renaming an asset, an asset check, a job, a schedule or a sensor, or changing
a group, a kind, a dependency, a cron or a sensor interval fails this test until the snapshot is
updated on purpose: `SNAPSHOT_UPDATE=1 .venv/bin/python -m pytest tests/orchestration/test_asset_graph.py`,
then review the diff of asset_graph.json with the change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.orchestration.definitions import build_defs
from pipelines.settings import Settings

SNAPSHOT = Path(__file__).with_name("asset_graph.json")


def graph_snapshot() -> dict:
    repo = build_defs(Settings()).get_repository_def()
    graph = repo.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "described": bool(node.description),
        }
    checks = sorted(
        f"{check.asset_key.to_user_string()}:{check.name}" for check in graph.asset_check_keys
    )
    jobs = sorted(job.name for job in repo.get_all_jobs() if not job.name.startswith("__"))
    schedules = {
        s.name: {
            "job": s.job_name,
            "cron": s.cron_schedule,
            "timezone": s.execution_timezone,
            "default_status": str(s.default_status).rsplit(".", 1)[-1],
        }
        for s in repo.schedule_defs
    }
    sensors = {
        s.name: {
            "type": type(s).__name__,
            "jobs": sorted(t.job_name for t in s.targets) if s.targets else [],
            "minimum_interval_seconds": s.minimum_interval_seconds,
            "default_status": str(s.default_status).rsplit(".", 1)[-1],
        }
        for s in repo.sensor_defs
    }
    return {
        "assets": assets,
        "asset_checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
    }


def test_asset_graph_matches_its_snapshot() -> None:
    current = graph_snapshot()
    text = json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), f"no snapshot yet: run with SNAPSHOT_UPDATE=1 to write {SNAPSHOT}"
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == recorded, (
        "the Dagster graph changed: if on purpose, rerun with SNAPSHOT_UPDATE=1 and commit "
        f"{SNAPSHOT.name} with the change"
    )


def test_snapshot_notices_a_change() -> None:
    """The comparison is not vacuous: a graph with one sensor less differs from the snapshot."""
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changed = graph_snapshot()
    changed["sensors"].pop("raw_folder_sensor")
    assert changed != recorded
    assert recorded["sensors"] and recorded["assets"] and recorded["asset_checks"]
