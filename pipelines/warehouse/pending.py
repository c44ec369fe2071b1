"""What each downstream step still has to refresh, kept in the warehouse (meta.pending).

A load marks the (fiscal year, department) keys it touched for the checks; the checks, once
stored, pass them on to the marts and review reports; the marts pass years on to the exports.
Marks are written and consumed inside the same transaction as the step's own rows, so a crash
at any point leaves the work marked and the next run does it: nothing is skipped by mistake,
and a run where nothing changed does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

Key = tuple[int, str]  # (fiscal_year, department)

STEPS = ("check", "marts", "review", "export")

PENDING_DDL = "CREATE TABLE IF NOT EXISTS meta.pending (step VARCHAR, fiscal_year INTEGER, department VARCHAR)"


def mark(con: duckdb.DuckDBPyConnection, step: str, keys: Iterable[Key]) -> None:
    """Record that ``step`` must refresh these keys (inside the caller's transaction)."""
    rows = sorted({(int(y), d) for y, d in keys if y is not None and d is not None})
    if rows:
        table = pa.table(
            {
                "step": pa.array([step] * len(rows), pa.string()),
                "fiscal_year": pa.array([y for y, _ in rows], pa.int32()),
                "department": pa.array([d for _, d in rows], pa.string()),
            }
        )
        con.register("pending_rows", table)  # values stay data: no SQL is built from them
        con.execute("INSERT INTO meta.pending SELECT * FROM pending_rows")
        con.unregister("pending_rows")


def pending(con: duckdb.DuckDBPyConnection, step: str) -> set[Key]:
    return {
        (y, d)
        for y, d in con.execute(
            "SELECT DISTINCT fiscal_year, department FROM meta.pending WHERE step = ?", [step]
        ).fetchall()
    }


def clear(con: duckdb.DuckDBPyConnection, step: str) -> None:
    con.execute("DELETE FROM meta.pending WHERE step = ?", [step])


def with_next_year(keys: Iterable[Key]) -> set[Key]:
    """The keys and the same departments' next year: a report's figures are the prior-year
    side of next year's checks and marts."""
    return {k for y, d in keys for k in ((y, d), (y + 1, d))}
