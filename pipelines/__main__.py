"""Command line: ``python -m pipelines run [--raw DIR] [--warehouse FILE] [--out DIR]
[--reviews DIR] [--force]``.

Runs the Dagster main job in this process against the instance in $DAGSTER_HOME, so the run
appears in the Dagster UI, then prints a summary for the operator.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from pipelines.settings import (
    DEFAULT_OUT,
    DEFAULT_RAW,
    DEFAULT_REVIEWS,
    DEFAULT_WAREHOUSE,
    OUT_DIR_ENV,
    RAW_DIR_ENV,
    REVIEWS_DIR_ENV,
    WAREHOUSE_ENV,
    Settings,
)

_QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def build_parser() -> argparse.ArgumentParser:
    """The command line's options (also read by the test of the README's commands)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the main job over a raw folder")
    run.add_argument(
        "--raw",
        default=os.environ.get(RAW_DIR_ENV, DEFAULT_RAW),
        help=f"folder of report files, only ever read (${RAW_DIR_ENV}, default {DEFAULT_RAW})",
    )
    run.add_argument(
        "--warehouse",
        default=os.environ.get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE),
        help=f"the DuckDB warehouse file (${WAREHOUSE_ENV}, default {DEFAULT_WAREHOUSE})",
    )
    run.add_argument(
        "--out",
        default=os.environ.get(OUT_DIR_ENV, DEFAULT_OUT),
        help="folder for the run's outputs: exports/, reports/, data_docs/, and its staging/ "
        f"and run.lock (${OUT_DIR_ENV}, default {DEFAULT_OUT})",
    )
    run.add_argument(
        "--reviews",
        default=os.environ.get(REVIEWS_DIR_ENV, DEFAULT_REVIEWS),
        help="folder where reviewers put back the review workbooks they filled (处理意见), only "
        f"ever read (${REVIEWS_DIR_ENV}, default {DEFAULT_REVIEWS})",
    )
    run.add_argument("--force", action="store_true", help="re-read every file, changed or not")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    raw = Path(args.raw).resolve()
    warehouse = Path(args.warehouse).resolve()
    out = Path(args.out).resolve()
    reviews = Path(args.reviews).resolve()
    if not raw.is_dir():
        print(
            f"错误：原始文件目录不存在：{raw}（请用 RAW=<目录> 指定报告所在目录）", file=sys.stderr
        )
        return 2
    from pipelines import helper

    helper.start()  # imports Great Expectations on another core while Dagster starts

    from pipelines.orchestration.run import LocationError, Locations, check_locations

    try:
        check_locations(Locations(raw, warehouse, out, reviews))
    except LocationError as exc:
        helper.finish()
        print(f"错误：{exc}", file=sys.stderr)
        return 2

    import dagster as dg

    from pipelines.orchestration.alerts import record_failure
    from pipelines.orchestration.definitions import build_defs
    from pipelines.orchestration.run import format_summary, summarize
    from pipelines.warehouse.load import WarehouseBusy, run_lock

    loc = Locations(raw, warehouse, out, reviews)
    settings = Settings.from_env()
    settings = replace(
        settings,
        raw_dir=str(raw),
        warehouse=str(warehouse),
        out_dir=str(out),
        reviews_dir=str(reviews),
    )
    instance = (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )
    try:
        with (
            instance,
            run_lock(warehouse, lock_file=loc.lock_file),
        ):  # the instance's storage is closed on the way out
            result = _execute(build_defs(settings), instance, args.force)
    except WarehouseBusy as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 3
    except Exception as exc:
        plain = _plain_error(exc)
        if plain is None:
            raise
        helper.finish()
        print(f"错误：{plain}", file=sys.stderr)
        return 4
    helper.finish()  # the run's resource has stopped it; this is for a run that failed early
    if not result.success:
        plain = _plain_step_error(result)
        if plain is not None:
            print(f"错误：{plain}", file=sys.stderr)
            return 4
        failed = _failures(result)
        log = record_failure(loc.out, result.run_id, "county_job", "；".join(failed))
        print(
            "运行失败 / run failed:\n"
            + "\n".join(f"  - {line}" for line in failed)
            + f"\n详情见上方日志或 Dagster UI（make ui）；已记入 {log}",
            file=sys.stderr,
        )
        return 1
    metadata = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    staged = {k: v.value for k, v in metadata.get("staged_reports", {}).items()}
    exports = metadata["county_exports"]["files"].value
    summary = summarize(loc, None, exports)
    summary.files_seen = int(staged.get("files_seen", 0))
    summary.staged = int(staged.get("staged", 0))
    summary.unchanged = int(staged.get("unchanged", 0))
    summary.removed = int(staged.get("removed", 0))
    print(format_summary(summary, loc))
    return 0


def _plain_error(exc: BaseException) -> BaseException | None:
    """The error meant for the operator (a storage failure, overlapping folders) that Dagster
    wrapped, found along the chain of causes; None for any other error (a traceback helps)."""
    from pipelines.orchestration.run import LocationError
    from pipelines.storage import StorageError
    from pipelines.warehouse.load import WarehouseBusy

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (StorageError, LocationError, WarehouseBusy)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _execute(defs, instance, force: bool):
    """Run the main job in this process: one run, whatever the number of reports. A failed step
    is returned, not raised, so that the operator (or cron) gets a summary and exit code 1."""
    job = defs.resolve_job_def("county_job")
    run_config = {**_QUIET, "ops": {"staged_reports": {"config": {"force": force}}}}
    return job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False)


_PLAIN_ERRORS = {"StorageError", "LocationError", "WarehouseBusy"}


def _chain(error):
    """A step's serialized error and its causes, outermost first."""
    while error is not None:
        yield error
        error = error.cause or error.context


def _plain_step_error(result) -> str | None:
    """A failed step's error meant for the operator (disk full, a damaged warehouse,
    overlapping folders): its own Chinese message, without a traceback."""
    for event in result.all_events:
        if event.is_step_failure:
            for error in _chain(event.step_failure_data.error):
                if error.cls_name in _PLAIN_ERRORS:
                    return error.message.split(":", 1)[-1].strip()
    return None


def _failures(result) -> list[str]:
    """One line per failed step: the step and the first line of the error that failed it (the
    first of its causes that is not Dagster's "Error occurred while executing op" wrapper)."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure:
            chain = list(_chain(event.step_failure_data.error))
            error = next((e for e in chain if not e.cls_name.startswith("Dagster")), None)
            error = error or (chain[-1] if chain else None)
            message = (error.message if error else "").strip().splitlines()[:1] or ["?"]
            lines.append(f"{event.step_key}: {message[0]}")
    return lines or ["the run did not complete"]


def _exit(code: int) -> None:
    """Leave without the interpreter's teardown of every Dagster, pandas and DuckDB object (about
    a second): by now the warehouse, Dagster's storage and every output file are written and
    closed, and the run's helper process has stopped."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
