"""What starts the main job and what happens when it fails: the raw/ sensor, the nightly
schedule, the failure log and the optional failure e-mail.

On the bureau's server (deploy/, COUNTY_AUTOMATION=on) they start switched on; under `make ui`
they start off and are switched on in the UI. They are built for given ``Settings`` (interval,
cron, e-mail), so tests build them without touching the environment.
"""

# No "from __future__ import annotations": Dagster inspects the context type hints at runtime.
import hashlib
import time
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.ingest.discover import discover
from pipelines.ingest.limits import limit
from pipelines.orchestration.alerts import record_failure
from pipelines.orchestration.resources import CountyFolders
from pipelines.settings import SCHEDULE_CRON_ENV, Settings


def raw_fingerprint(raw: Path) -> str:
    """Names, sizes and modification times of the files under raw/ (no reading: cheap)."""
    state = [
        f"{f.relative_to(raw).as_posix()}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
        for f in sorted(raw.rglob("*"))
        if f.is_file() and not f.name.startswith((".", "~$"))
    ]
    return hashlib.sha256("\n".join(state).encode()).hexdigest()[:16]


def raw_folder_request(
    context: dg.SensorEvaluationContext, folders: CountyFolders
) -> dg.RunRequest | dg.SkipReason:
    """A run when a file under raw/ was added, changed or removed and raw/ has settled."""
    raw = Path(folders.raw_dir).resolve()
    if not raw.is_dir():
        return dg.SkipReason(f"raw/ folder {raw} does not exist")
    if not any(f.is_file() and not f.name.startswith((".", "~$")) for f in raw.rglob("*")):
        return dg.SkipReason("raw/ holds no files yet")
    fingerprint = raw_fingerprint(raw)
    if context.cursor == fingerprint:
        return dg.SkipReason("raw/ unchanged")
    # A copy in progress: wait until raw/ has been still for the settle time (the run would
    # defer the file anyway), and do not record the state, so the next evaluation looks again.
    settle = limit("settle_seconds")
    newest = max(
        (f.stat().st_mtime for f in raw.rglob("*") if f.is_file() and not f.is_symlink()),
        default=0.0,
    )
    if newest > time.time() - settle:
        return dg.SkipReason(f"raw/ changed less than {settle:g} s ago; waiting for copies to end")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)


# ``job`` is what dg.define_asset_job returns (its class is not part of dagster's public API).
def build_automation(
    job: Any, settings: Settings
) -> tuple[list[dg.SensorDefinition], list[dg.ScheduleDefinition]]:
    """The sensors and schedules of ``job``, switched on when ``settings.automation``."""
    sensor_status = (
        dg.DefaultSensorStatus.RUNNING if settings.automation else dg.DefaultSensorStatus.STOPPED
    )
    schedule_status = (
        dg.DefaultScheduleStatus.RUNNING
        if settings.automation
        else dg.DefaultScheduleStatus.STOPPED
    )

    @dg.sensor(
        job=job,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=sensor_status,
    )
    def raw_folder_sensor(context: dg.SensorEvaluationContext, folders: CountyFolders):
        """Starts the main job when a file under raw/ is added, changed or removed."""
        return raw_folder_request(context, folders)

    @dg.schedule(
        job=job,
        cron_schedule=settings.schedule_cron,
        execution_timezone="Asia/Shanghai",
        default_status=schedule_status,
        description="The bureau's nightly run over everything in raw/ (02:00 Beijing time unless "
        f"{SCHEDULE_CRON_ENV} says otherwise).",
    )
    def nightly_county_run(context: dg.ScheduleEvaluationContext, folders: CountyFolders):
        if not discover(Path(folders.raw_dir).resolve()):
            return dg.SkipReason("raw/ holds no report files")
        return dg.RunRequest()

    @dg.run_failure_sensor(
        monitored_jobs=[job],
        default_status=sensor_status,
        description="Appends every failed run of county_job to <out>/run_failures.log, where the "
        "bureau sees a failed nightly run the next morning.",
    )
    def county_run_failure_alert(context: dg.RunFailureSensorContext, folders: CountyFolders):
        record_failure(
            Path(folders.out_dir).resolve(),
            context.dagster_run.run_id,
            context.dagster_run.job_name,
            context.failure_event.message or "",
        )

    sensors = [raw_folder_sensor, county_run_failure_alert]
    sensors += _email_alert(job, settings, sensor_status)
    return sensors, [nightly_county_run]


def _email_alert(
    job: Any, settings: Settings, status: dg.DefaultSensorStatus
) -> list[dg.SensorDefinition]:
    """make_email_on_run_failure_sensor when COUNTY_ALERT_SMTP_HOST and the addresses are set."""
    env = settings.alert_email
    if not (env.get("smtp_host") and env.get("email_from") and env.get("email_to")):
        return []
    return [
        dg.make_email_on_run_failure_sensor(
            email_from=env["email_from"],
            email_password=env.get("email_password", ""),
            email_to=[a.strip() for a in env["email_to"].split(",") if a.strip()],
            smtp_host=env["smtp_host"],
            smtp_port=int(env["smtp_port"]) if env.get("smtp_port") else None,
            name="county_run_failure_email",
            monitored_jobs=[job],
            default_status=status,
        )
    ]
