"""The check engine: Great Expectations in a helper process that a run starts as it begins.

Importing Great Expectations costs 4–5 s of CPU. A run that validated in its own process paid
that on its critical path, after Dagster had started and the files had been read: most of the
time of a run that re-reads one changed report. A run that calls ``start()`` first imports it
on another core while Dagster starts, the files are read and loaded; when the checks are built
the engine is waiting. It then builds the Data Docs while the run writes the review reports
and exports, and the memory Great Expectations held is returned when the engine exits.

The engine holds a ``Validator`` and answers the same calls (``run``, ``build_docs``), so the
checks give the same results with or without it; ``run_checks`` validates in its own process
when no engine was started (library calls, tests) or when COUNTY_CHECK_ENGINE=inline.

One engine per process: ``start()`` (idempotent) begins it, ``current()`` hands it to the
checks, ``finish()`` waits for its Data Docs and stops it (also at interpreter exit).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing as mp
import os
import traceback
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the run's process imports the engine before anything heavy
    import pandas as pd

ENGINE_ENV = "COUNTY_CHECK_ENGINE"  # "process" (default) or "inline"
FINISH_TIMEOUT_S = 600.0  # Data Docs of a whole province take a few minutes at most

log = logging.getLogger(__name__)


class CheckEngineError(RuntimeError):
    """The check engine failed or exited; the message carries its traceback."""


class CheckEngine:
    """A helper process serving one Validator at a time, over a pipe.

    Requests are answered in order, one answer each. ``submit`` and ``build_docs`` do not wait:
    the run builds the next batch of checks while the engine validates this one, and writes
    its reviews and exports while the engine builds the Data Docs.
    """

    def __init__(self) -> None:
        # spawn: a fresh interpreter, whatever threads (Dagster, DuckDB) this process runs
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), name="county-check-engine")
        self._process.daemon = True  # never outlives the run, even if it is not finished
        self._process.start()
        child.close()
        self._due: deque[str] = deque()  # the requests sent and not yet answered, in order

    def open(self, suites: dict[str, dict], docs_dir: Path | None) -> CheckEngine:
        """A new Validator for these suites."""
        self._send("open", suites, None if docs_dir is None else str(docs_dir))
        self._answer_to("open")
        return self

    def run(self, frames: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
        self.submit(frames)
        return self.collect()

    def submit(self, frames: dict[str, pd.DataFrame]) -> None:
        """Send a batch to validate; ``collect`` returns its failing row ids."""
        self._send("run", frames)

    def collect(self) -> dict[str, set[str]]:
        """The failing row ids of the oldest batch submitted and not yet collected."""
        return self._answer_to("run")

    def build_docs(self) -> None:
        self._send("build_docs")

    def close(self, timeout: float = FINISH_TIMEOUT_S) -> None:
        """Wait for the answers still due (Data Docs), then stop the process."""
        try:
            if self._process.is_alive():
                self._send("close")
                while self._due:
                    if not self._conn.poll(timeout):
                        raise CheckEngineError(
                            f"the check engine did not answer in {timeout:.0f} s"
                        )
                    self._receive()
        finally:
            self._conn.close()
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()

    def _answer_to(self, kind: str):
        if kind not in self._due:
            raise CheckEngineError(f"no {kind!r} request is waiting for its answer")
        while self._due[0] != kind:  # earlier answers first (a Data Docs build)
            self._receive()
        return self._receive()

    def _send(self, *request) -> None:
        try:
            self._conn.send(request)
        except (OSError, ValueError) as exc:
            raise self._gone() from exc
        self._due.append(request[0])

    def _receive(self):
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._gone() from exc
        self._due.popleft()
        if status == "warning":
            log.warning("check engine: %s", value)
            return None
        if status == "error":
            raise CheckEngineError(f"the check engine failed:\n{value}")
        return value

    def _gone(self) -> CheckEngineError:
        self._process.join(1)
        return CheckEngineError(
            f"the check engine process exited (exit code {self._process.exitcode}); "
            "see the log above, or set COUNTY_CHECK_ENGINE=inline to check in the run's process"
        )


def _serve(conn: Connection) -> None:
    """The engine's side: import Great Expectations at once, then answer requests."""
    from pipelines.quality.validator import Validator, import_gx

    import_gx()  # the point of the engine: done before the run asks for anything
    validator: Validator | None = None
    while True:
        try:
            command, *args = conn.recv()
        except EOFError:  # the run is gone
            return
        try:
            if command == "open":
                suites, docs_dir = args
                validator = Validator(suites, None if docs_dir is None else Path(docs_dir))
                answer = None
            elif command == "run":
                answer = validator.run(*args)
            elif command == "build_docs":
                try:
                    validator.build_docs()
                except Exception:  # noqa: BLE001 - the checks stand without their Data Docs
                    conn.send(("warning", f"Data Docs not built:\n{traceback.format_exc()}"))
                    continue
                answer = None
            elif command == "close":
                conn.send(("ok", None))
                return
            else:
                raise ValueError(f"unknown request {command!r}")
        except Exception:  # noqa: BLE001 - any failure goes back to the run, with its traceback
            conn.send(("error", traceback.format_exc()))
            continue
        conn.send(("ok", answer))


_engine: CheckEngine | None = None


def wanted() -> bool:
    return os.environ.get(ENGINE_ENV, "process").strip().lower() != "inline"


def start() -> CheckEngine | None:
    """Start this process's check engine (once); None when COUNTY_CHECK_ENGINE=inline."""
    global _engine
    if _engine is None and wanted():
        _engine = CheckEngine()
        atexit.register(finish)
    return _engine


def current() -> CheckEngine | None:
    """The engine started for this run, if any."""
    return _engine


def finish() -> None:
    """Wait for the engine's Data Docs and stop it (a failure is logged: by now the check
    results are in the warehouse)."""
    global _engine
    engine, _engine = _engine, None
    if engine is None:
        return
    try:
        engine.close()
    except CheckEngineError as exc:
        log.warning("%s", exc)
