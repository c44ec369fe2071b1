"""The run's helper: a second process for the side work that need not hold up the run.

A run spends most of its CPU in one process (Dagster, DuckDB, pandas); the machine has more
cores. The helper takes work that only needs data in and files or answers out:

- Great Expectations: importing it costs 4–5 s of CPU, which a run used to pay on its critical
  path after Dagster had started and the files had been read. The helper imports it as the run
  begins; when the checks are built it is waiting. It validates one batch while the run builds
  the next, and builds the Data Docs while the run writes review reports and exports.
- Charts: drawn (matplotlib) while the run writes the workbooks.

Calls name a module-level function (``"pipelines.publish.charts:chart_quality"``) and run in order.
``submit`` returns a ticket at once and ``result`` redeems it; ``detach=True`` is for work
nobody waits for (a failure is logged, as the results it accompanies are already stored).

Without a helper process the same calls run in the caller's process, when submitted
(``Inline``): library calls and most tests, or COUNTY_RUN_HELPER=inline to debug a run in one
process. One helper per process: ``start()`` (idempotent) begins it, ``current()`` hands it
out, ``finish()`` waits for the work still due and stops it (also at interpreter exit).
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing as mp
import os
import pickle
import traceback
from multiprocessing.connection import Connection
from typing import Any

from pipelines.settings import HELPER_ENV, helper_in_process

# What the helper imports as it starts, before any request: the slow imports of the run.
WARM_UP = ("pipelines.quality.validator:import_gx",)
FINISH_TIMEOUT_S = 600.0  # Data Docs of a whole province take a few minutes at most

log = logging.getLogger(__name__)


class HelperError(RuntimeError):
    """The helper process failed or exited; the message says how."""


def _function(name: str):
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


class _Calls:
    """What both ways of running the calls share: answers kept by ticket until redeemed."""

    def __init__(self) -> None:
        self._answers: dict[int, tuple[bool, Any]] = {}  # (ok, value or exception)

    def submit(self, function: str, *args: Any, detach: bool = False) -> int:
        raise NotImplementedError

    def result(self, ticket: int) -> Any:
        ok, value = self._answers.pop(ticket)
        if not ok:
            raise value
        return value

    def call(self, function: str, *args: Any) -> Any:
        return self.result(self.submit(function, *args))

    def drain(self) -> None:
        """Wait until every call submitted so far is answered (inline calls already are)."""


class Inline(_Calls):
    """The helper's calls, run in this process when they are submitted."""

    def __init__(self) -> None:
        super().__init__()
        self._next = 0

    def submit(self, function: str, *args: Any, detach: bool = False) -> int:
        ticket, self._next = self._next, self._next + 1
        try:
            answer = (True, _function(function)(*args))
        except Exception as exc:
            answer = (False, exc)
            if detach:
                log.warning("%s failed: %s", function, exc, exc_info=True)
        if not detach:
            self._answers[ticket] = answer
        return ticket


class Helper(_Calls):
    """The helper process and the pipe to it. Answers come back in the order of the calls."""

    def __init__(self, warm_up: tuple[str, ...] = WARM_UP) -> None:
        super().__init__()
        # spawn: a fresh interpreter, whatever threads (Dagster, DuckDB) this process runs
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve, args=(child, warm_up), name="county-run-helper", daemon=True
        )
        self._process.start()
        child.close()
        self._sent = 0  # tickets are the calls' sequence numbers
        self._received = 0
        self._detached: set[int] = set()

    def submit(self, function: str, *args: Any, detach: bool = False) -> int:
        ticket = self._sent
        try:
            self._conn.send((function, args))
        except (OSError, ValueError) as exc:
            raise self._gone() from exc
        self._sent += 1
        if detach:
            self._detached.add(ticket)
        return ticket

    def result(self, ticket: int) -> Any:
        while ticket not in self._answers:
            if ticket >= self._sent or ticket < self._received:
                raise HelperError(f"no call {ticket} is waiting for its answer")
            self._receive()
        return super().result(ticket)

    def drain(self, timeout: float = FINISH_TIMEOUT_S) -> None:
        """Wait for every call still due (detached ones too: the Data Docs); raise HelperError
        if the helper process is gone or does not answer in time."""
        while self._received < self._sent:
            if not self._conn.poll(timeout):
                if not self._process.is_alive():
                    raise self._gone()
                raise HelperError(f"the run's helper did not answer in {timeout:.0f} s")
            self._receive()

    def close(self, timeout: float = FINISH_TIMEOUT_S) -> None:
        """Wait for the calls still due (Data Docs), then stop the process."""
        try:
            if self._process.is_alive() or self._received < self._sent:
                self.drain(timeout)
        finally:
            self._conn.close()
            # Every call is answered (its files written) or the helper is still warming up for
            # a run that had nothing for it: nothing is lost by not waiting for it to exit.
            if self._process.is_alive():
                self._process.kill()
            self._process.join()

    def _receive(self) -> None:
        try:
            ok, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._gone() from exc
        ticket, self._received = self._received, self._received + 1
        if ticket in self._detached:
            self._detached.discard(ticket)
            if not ok:
                log.warning("the run's helper: %s", value)
            return
        self._answers[ticket] = (ok, value)

    def _gone(self) -> HelperError:
        self._process.join(1)
        return HelperError(
            f"the run's helper process exited (exit code {self._process.exitcode}); see the log "
            f"above, or set {HELPER_ENV}=inline to run everything in the run's process"
        )


def _serve(conn: Connection, warm_up: tuple[str, ...]) -> None:
    """The helper's side: the slow imports first, then calls in order until the pipe closes."""
    for name in warm_up:
        _function(name)()
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the run has closed the pipe, or is gone
            # every answer was sent after its files were closed: skip the interpreter's teardown
            os._exit(0)
        function, args = request
        try:
            answer = (True, _function(function)(*args))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the run
            answer = (False, _portable(exc, function))
        conn.send(answer)


def _portable(exc: Exception, function: str) -> Exception:
    """The exception as raised (the run may catch it by type), with the helper's traceback;
    a HelperError carrying the traceback if it cannot be sent."""
    detail = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"in the run's helper process, {function}:\n{detail}")
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - unpicklable exceptions are common in libraries
        return HelperError(f"{function} failed in the run's helper process:\n{detail}")


_helper: Helper | None = None
_inline = Inline()


def wanted() -> bool:
    return helper_in_process()


def start() -> Helper | None:
    """Start this process's helper (once); None when COUNTY_RUN_HELPER=inline."""
    global _helper
    if _helper is None and wanted():
        _helper = Helper()
        atexit.register(finish)
    return _helper


def current() -> Helper | Inline:
    """The helper started for this run, else the calls run inline."""
    return _helper if _helper is not None else _inline


def finish() -> None:
    """Wait for the helper's work still due (Data Docs) and stop it. A failure is logged: the
    results that work accompanies are already stored."""
    global _helper
    helper, _helper = _helper, None
    if helper is None:
        return
    try:
        helper.close()
    except HelperError as exc:
        log.warning("%s", exc)
