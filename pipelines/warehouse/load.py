"""The DuckDB warehouse: schema, incremental plan, and the one-transaction load."""

from __future__ import annotations

import fcntl
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.failpoints import failpoint
from pipelines.ingest.discover import SourceFile
from pipelines.ingest.stage import StageResult
from pipelines.quality import dispositions
from pipelines.settings import duckdb_memory, lock_wait_seconds
from pipelines.storage import explain
from pipelines.warehouse.pending import PENDING_DDL, mark, with_next_year
from pipelines.warehouse.schema import (
    FINDING_GROUP_COLUMNS,
    FINDING_GROUP_TABLE,
    FINDING_REVIEW_COLUMNS,
    FINDING_REVIEW_TABLE,
    INGEST_ERROR_COLUMNS,
    REPORT_TABLES,
    TABLES,
    staging_name,
)
from pipelines.warehouse.transactions import transaction

SCHEMAS = ("core", "quality", "mart", "meta")


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse (or the run lock) for longer than we wait."""


def connect(
    path: Path, read_only: bool = False, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; while another process writes it, wait (DuckDB takes one writer)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (lock_wait_seconds() if wait is None else wait)
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            # DuckDB caches up to 80% of the machine's memory by default; the warehouse is
            # scanned, not cached, so a bound keeps a province's run small (it spills to disk).
            con.execute(f"SET memory_limit = '{duckdb_memory()}'")
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                plain = explain(exc, "打开数据仓库", path, path)
                if plain is not None:
                    raise plain from exc
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"数据仓库 {path} 正被另一个进程占用，等待后仍未释放（{exc}）。"
                    "请等另一次运行结束后再运行；如确认没有其他运行，请检查是否有程序"
                    "（如 DuckDB 命令行、Excel 插件）打开了该文件。"
                ) from exc
            time.sleep(0.5)


@contextmanager
def run_lock(
    warehouse: Path, wait: float | None = None, lock_file: Path | None = None
) -> Iterator[None]:
    """Hold the warehouse for one whole run (all steps), so two runs started at once do not
    interleave: the second waits for the first, or fails with a clear message.

    ``lock_file`` is the run's ``run.lock`` in its output folder (Locations.lock_file); by
    default ``run.lock`` beside the warehouse file."""
    lock_path = lock_file if lock_file is not None else warehouse.parent / "run.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (lock_wait_seconds() if wait is None else wait)
    with open(lock_path, "a+") as handle:
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"另一次运行正在使用数据仓库 {warehouse}，等待后仍未结束。"
                        "请稍后再运行，或在 Dagster UI 中查看正在进行的运行。"
                    ) from None
                if not told:
                    print(f"另一次运行正在使用数据仓库 {warehouse}，等待其结束……", file=sys.stderr)
                    told = True
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table, columns in TABLES.items():
        _ensure_table(con, table, columns)
    cols = ", ".join(f"{name} {kind}" for name, kind in INGEST_ERROR_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS core.ingest_error ({cols})")
    _ensure_table(con, FINDING_REVIEW_TABLE, FINDING_REVIEW_COLUMNS)
    _ensure_table(con, FINDING_GROUP_TABLE, FINDING_GROUP_COLUMNS)
    dispositions.ensure_status_view(con)  # quality.finding_status


def _ensure_table(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]
) -> None:
    cols = ", ".join(f"{name} {kind}" for name, kind in columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    # Tables gain columns over time; add what an older warehouse lacks.
    existing = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    for name, kind in columns:
        if name not in existing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.load_log (loaded_at TIMESTAMP, files_seen INTEGER, "
        "reports_loaded INTEGER, reports_removed INTEGER, ingest_errors INTEGER)"
    )
    con.execute(PENDING_DDL)
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.publish_error (step VARCHAR, fiscal_year INTEGER, "
        "department VARCHAR, message VARCHAR, detail VARCHAR, logged_at TIMESTAMP)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.step_log "
        "(logged_at TIMESTAMP, step VARCHAR, seconds DOUBLE, items INTEGER)"
    )


def log_steps(con: duckdb.DuckDBPyConnection, steps: list[tuple[str, float, int]]) -> None:
    """Append (step, wall seconds, items) to meta.step_log: where each run's time went."""
    now = datetime.now()
    con.executemany(
        "INSERT INTO meta.step_log VALUES (?, ?, ?, ?)",
        [(now, step, round(seconds, 4), items) for step, seconds, items in steps],
    )


# what each step publishes, and what else goes on being published, for the message
_PUBLISHED = {"review": ("审核意见", "其他部门"), "export": ("对比表和图表", "其他年度")}


def record_publish_errors(
    con: duckdb.DuckDBPyConnection, step: str, failures: list[tuple[int, str, str]]
) -> None:
    """meta.publish_error holds what the latest run of ``step`` could not write, per
    department and year (Chinese message; the error in ``detail``); the rest was published."""
    con.execute("DELETE FROM meta.publish_error WHERE step = ?", [step])
    if not failures:
        return
    now = datetime.now()
    con.executemany(
        "INSERT INTO meta.publish_error VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                step,
                year,
                department,
                (
                    f"{department} {year}年度的{_PUBLISHED[step][0]}未能生成，"
                    f"{_PUBLISHED[step][1]}不受影响，下次运行会重试。"
                    "如反复出现，请将此信息交给数据工程师排查。"
                ).strip(),
                detail,
                now,
            )
            for year, department, detail in failures
        ],
    )


@dataclass
class Plan:
    to_stage: list[SourceFile]
    unchanged: list[SourceFile]
    removed: list[str]  # source paths in the warehouse that are no longer in raw/
    deferred: list[str] = field(default_factory=list)  # being copied: left for the next run


def plan(con: duckdb.DuckDBPyConnection, files: list[SourceFile], full: bool = False) -> Plan:
    """Which files are new or changed since the last load (by content hash)."""
    loaded = dict(con.execute("SELECT source_path, source_sha256 FROM core.report").fetchall())
    known = dict(loaded)
    known.update(
        dict(con.execute("SELECT source_path, source_sha256 FROM core.ingest_error").fetchall())
    )
    present = {f.source_path: f.sha256 for f in files}
    # A duplicate set aside for another file comes back when that file is removed or changed.
    retry = {
        path
        for path, kept in con.execute(
            "SELECT source_path, detail FROM core.ingest_error WHERE error_code = ?",
            [DUPLICATE_CODE],
        ).fetchall()
        if present.get(kept) is None or present.get(kept) != loaded.get(kept)
    }
    # A report without a fiscal year (kept by an older version) is read again: it is refused now.
    retry |= {
        path
        for (path,) in con.execute(
            "SELECT source_path FROM core.report WHERE fiscal_year IS NULL"
        ).fetchall()
    }
    # A PDF report loaded before the places of its figures were kept is read again, once, so
    # that its review gets the annotated copy (pipelines/publish/annotate.py) with its findings boxed.
    retry |= {
        path
        for (path,) in con.execute(
            "SELECT source_path FROM core.report r WHERE source_format = 'pdf' "
            "AND statement_count > 0 AND NOT EXISTS (SELECT 1 FROM core.statement s "
            "WHERE s.report_id = r.report_id AND s.figure_boxes IS NOT NULL)"
        ).fetchall()
    }
    to_stage = [
        f
        for f in files
        if not f.deferred
        and (full or known.get(f.source_path) != f.sha256 or f.source_path in retry)
    ]
    staged = {f.source_path for f in to_stage}  # a set: a list lookup here was O(files²)
    unchanged = [f for f in files if f.source_path not in staged and not f.deferred]
    removed = sorted(p for p in known if p not in present)
    deferred = [f.source_path for f in files if f.deferred]
    return Plan(to_stage, unchanged, removed, deferred)


@dataclass
class LoadSummary:
    reports_loaded: int = 0
    reports_removed: int = 0
    ingest_errors: int = 0
    duplicates: int = 0
    rows: dict[str, int] = field(default_factory=dict)


DEFERRED_CODE = "file_in_transfer"


def deferred_message(settle: float) -> str:
    return (
        f"文件在本次运行开始前 {settle:g} 秒内刚被修改，可能仍在复制或传输中，本次暂不读取，"
        "下次运行时自动读取（已入库的旧版本保留不变）。如传输已完成，稍后重新运行即可。"
    )


def load_staged(
    con: duckdb.DuckDBPyConnection,
    results: list[StageResult],
    removed: list[str],
    files_seen: int,
    deferred: list[str] | None = None,
    settle: float = 0.0,
) -> LoadSummary:
    """Replace the rows of every staged file (and drop removed files) in one transaction
    (the caller's, when it holds one: see pipelines.warehouse.transactions).

    Either every report of the run is in the warehouse afterwards, or none is: a crash or an
    error rolls back to the state before the run. Staging chunks are left for the caller to
    remove once committed (``remove_staged``).
    """
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    touched = sorted({r.source_path for r in results} | set(removed))
    summary = LoadSummary(len(ok), len(removed), len(failed))
    with transaction(con):
        if touched:
            paths = pa.table({"source_path": pa.array(touched, pa.string())})
            con.register("touched_paths", paths)
            con.execute("CREATE OR REPLACE TEMP TABLE touched_path AS FROM touched_paths")
            con.unregister("touched_paths")
            old_ids = "SELECT report_id FROM core.report WHERE source_path IN (SELECT source_path FROM touched_path)"
            # the departments and years whose figures change: the checks start from these
            touched_keys = con.execute(
                "SELECT fiscal_year, department FROM core.report "
                "WHERE source_path IN (SELECT source_path FROM touched_path)"
            ).fetchall()
            touched_keys += [(r.fiscal_year, r.department) for r in ok]
            mark(con, "check", with_next_year(k for k in touched_keys if k[0] is not None))
            for table in REPORT_TABLES:
                if table != "core.report":
                    con.execute(f"DELETE FROM {table} WHERE report_id IN ({old_ids})")
            con.execute(
                "DELETE FROM core.report WHERE source_path IN (SELECT source_path FROM touched_path)"
            )
            failpoint("load.rows_deleted")
            con.execute(
                "DELETE FROM core.ingest_error WHERE source_path IN (SELECT source_path FROM touched_path)"
            )
        chunk_dirs = sorted({r.staging_dir for r in ok})
        for table in REPORT_TABLES:
            paths = [str(Path(d) / staging_name(table)) for d in chunk_dirs]
            if paths:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [paths])
        summary.duplicates = _set_aside_duplicates(con)
        failpoint("load.rows_inserted")
        if failed:
            con.executemany(
                "INSERT INTO core.ingest_error VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (r.source_path, r.sha256, r.stage, r.error_code, r.message, r.detail)
                    for r in failed
                ],
            )
        if deferred:
            # A note, not a version: the hash is empty, so the next run reads the file; the
            # rows of a version loaded before stay until then.
            con.executemany(
                "DELETE FROM core.ingest_error WHERE source_path = ?", [[p] for p in deferred]
            )
            con.executemany(
                "INSERT INTO core.ingest_error VALUES (?, '', 'discover', ?, ?, NULL)",
                [(p, DEFERRED_CODE, deferred_message(settle)) for p in deferred],
            )
        con.execute(
            "INSERT INTO meta.load_log VALUES (now(), ?, ?, ?, ?)",
            [files_seen, len(ok), len(removed), len(failed)],
        )
    summary.rows = table_counts(con)
    return summary


def remove_staged(results: list[StageResult]) -> None:
    """Delete loaded staging chunks (after the load's transaction has committed)."""
    for d in {r.staging_dir for r in results if r.ok and r.staging_dir}:
        shutil.rmtree(d, ignore_errors=True)


INTEGRITY_QUERIES = {
    "duplicate_files": "SELECT count(*) - count(DISTINCT source_path) FROM core.report",
    "unquoted_statements": "SELECT count(*) FROM core.statement "
    "WHERE coalesce(source_text, '') = '' OR coalesce(source_location, '') = ''",
    "duplicate_primary_lines": "SELECT count(*) FROM (SELECT report_id, basis, subject_code FROM "
    "core.expenditure_by_function WHERE is_primary AND subject_code IS NOT NULL "
    "GROUP BY ALL HAVING count(*) > 1)",
    "reports_without_year": "SELECT count(*) FROM core.report WHERE fiscal_year IS NULL",
    "orphan_statements": "SELECT count(*) FROM core.statement s WHERE NOT EXISTS "
    "(SELECT 1 FROM core.report r WHERE r.report_id = s.report_id)",
}


def integrity_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows breaking each invariant: one current version per file, every figure quoted and
    located, one primary line per subject, a year for every report, no orphan statements."""
    return {name: con.execute(sql).fetchall()[0][0] for name, sql in INTEGRITY_QUERIES.items()}


DUPLICATE_CODE = "duplicate_report"


def _set_aside_duplicates(con: duckdb.DuckDBPyConnection) -> int:
    """Keep one report per department and year (the first by path); the others' rows leave
    the core tables and become ``duplicate_report`` ingest errors naming the kept file.

    Which file wins does not depend on the order files arrived, so a rerun gives the same
    rows; two versions would otherwise be added up in every county total.
    """
    duplicates = con.execute(
        """
        SELECT report_id, source_path, source_sha256, kept_path, kept_sha256
        FROM (
            SELECT report_id, source_path, source_sha256,
                   first_value(source_path) OVER w AS kept_path,
                   first_value(source_sha256) OVER w AS kept_sha256,
                   row_number() OVER w AS rank
            FROM core.report WHERE fiscal_year IS NOT NULL
            WINDOW w AS (PARTITION BY department, fiscal_year ORDER BY source_path)
        ) WHERE rank > 1
        """
    ).fetchall()
    for report_id, path, sha, kept_path, kept_sha in duplicates:
        for table in REPORT_TABLES:
            con.execute(f"DELETE FROM {table} WHERE report_id = ?", [report_id])
        same = "两份文件内容完全相同" if sha == kept_sha else "两份文件内容不同"
        con.execute(
            "INSERT INTO core.ingest_error VALUES (?, ?, 'identify', ?, ?, ?)",
            [
                path,
                sha,
                DUPLICATE_CODE,
                f"与“{kept_path}”是同一部门同一年度的决算报告（{same}）。为避免重复计算，"
                f"只采用了“{kept_path}”，本文件未入库。"
                "请确认哪一份是正式版本，删除或移走另一份后重新运行。",
                kept_path,
            ],
        )
    return len(duplicates)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name, estimated_size FROM duckdb_tables() "
        "WHERE schema_name IN ('core', 'quality', 'mart') ORDER BY 1"
    ).fetchall()
    # estimated_size is approximate after deletes; count exactly, tables are small.
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name, _ in rows}
