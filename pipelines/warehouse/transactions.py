"""One DuckDB transaction that several steps can share.

The load, the checks and the marts each keep their rows consistent on their own; run together
(``pipelines.orchestration.run.update_warehouse``) they share the caller's transaction, so a run killed between
them leaves the warehouse as before the run, never with new reports and old checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

# Connections inside a transaction() block. DuckDB cannot be asked (a BEGIN inside a
# transaction fails and aborts it), so the block keeps count.
_open: set[int] = set()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT (ROLLBACK on any error); inside an enclosing one, join it instead."""
    if id(con) in _open:  # the caller holds the transaction: its COMMIT covers this work
        yield
        return
    con.execute("BEGIN TRANSACTION")
    _open.add(id(con))
    try:
        yield
        _commit(con)
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            # A COMMIT that failed (a full disk) has already ended the transaction: the error
            # to report is the COMMIT's, not "cannot rollback - no transaction is active".
            pass
        raise
    finally:
        _open.discard(id(con))


def _commit(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("COMMIT")
