"""The DuckDB warehouse: schema, incremental plan, and the one-transaction load."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.discover import SourceFile
from pipelines.schema import INGEST_ERROR_COLUMNS, REPORT_TABLES, TABLES, staging_name
from pipelines.stage import StageResult

SCHEMAS = ("core", "quality", "mart", "meta")


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table, columns in TABLES.items():
        cols = ", ".join(f"{name} {kind}" for name, kind in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
        # Tables gain columns over time; add what an older warehouse lacks.
        existing = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        for name, kind in columns:
            if name not in existing:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    cols = ", ".join(f"{name} {kind}" for name, kind in INGEST_ERROR_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS core.ingest_error ({cols})")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.load_log (loaded_at TIMESTAMP, files_seen INTEGER, "
        "reports_loaded INTEGER, reports_removed INTEGER, ingest_errors INTEGER)"
    )


@dataclass
class Plan:
    to_stage: list[SourceFile]
    unchanged: list[SourceFile]
    removed: list[str]  # source paths in the warehouse that are no longer in raw/


def plan(con: duckdb.DuckDBPyConnection, files: list[SourceFile], full: bool = False) -> Plan:
    """Which files are new or changed since the last load (by content hash)."""
    known = dict(con.execute("SELECT source_path, source_sha256 FROM core.report").fetchall())
    known.update(
        dict(con.execute("SELECT source_path, source_sha256 FROM core.ingest_error").fetchall())
    )
    present = {f.source_path for f in files}
    to_stage = [f for f in files if full or known.get(f.source_path) != f.sha256]
    unchanged = [f for f in files if f not in to_stage]
    removed = sorted(p for p in known if p not in present)
    return Plan(to_stage, unchanged, removed)


@dataclass
class LoadSummary:
    reports_loaded: int = 0
    reports_removed: int = 0
    ingest_errors: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def load_staged(
    con: duckdb.DuckDBPyConnection, results: list[StageResult], removed: list[str], files_seen: int
) -> LoadSummary:
    """Replace the rows of every staged file (and drop removed files) in one transaction.

    Either every report of the run is in the warehouse afterwards, or none is: a crash or an
    error rolls back to the state before the run.
    """
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    touched = sorted({r.source_path for r in results} | set(removed))
    summary = LoadSummary(len(ok), len(removed), len(failed))
    con.execute("BEGIN TRANSACTION")
    try:
        if touched:
            con.execute("CREATE OR REPLACE TEMP TABLE touched_path (source_path VARCHAR)")
            con.executemany("INSERT INTO touched_path VALUES (?)", [(p,) for p in touched])
            old_ids = "SELECT report_id FROM core.report WHERE source_path IN (SELECT source_path FROM touched_path)"
            for table in REPORT_TABLES:
                if table != "core.report":
                    con.execute(f"DELETE FROM {table} WHERE report_id IN ({old_ids})")
            con.execute(
                "DELETE FROM core.report WHERE source_path IN (SELECT source_path FROM touched_path)"
            )
            con.execute(
                "DELETE FROM core.ingest_error WHERE source_path IN (SELECT source_path FROM touched_path)"
            )
        for table in REPORT_TABLES:
            paths = [str(Path(r.staging_dir) / staging_name(table)) for r in ok]
            if paths:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [paths])
        if failed:
            con.executemany(
                "INSERT INTO core.ingest_error VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (r.source_path, r.sha256, r.stage, r.error_code, r.message, r.detail)
                    for r in failed
                ],
            )
        con.execute(
            "INSERT INTO meta.load_log VALUES (now(), ?, ?, ?, ?)",
            [files_seen, len(ok), len(removed), len(failed)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    for r in ok:
        shutil.rmtree(r.staging_dir, ignore_errors=True)
    summary.rows = table_counts(con)
    return summary


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name, estimated_size FROM duckdb_tables() "
        "WHERE schema_name IN ('core', 'quality', 'mart') ORDER BY 1"
    ).fetchall()
    # estimated_size is approximate after deletes; count exactly, tables are small.
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name, _ in rows}
