"""Read, extract and normalize reports into per-report staging files (Parquet).

Work here runs in parallel processes and never touches the warehouse: DuckDB allows one
writer, so the load step (warehouse.load_staged) reads these files in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.catalogue import Catalogue
from pipelines.catalogue.resolver import resolver_for
from pipelines.errors import IngestError
from pipelines.failpoints import failpoint
from pipelines.ingest.discover import SourceFile
from pipelines.ingest.extract import extract_document
from pipelines.ingest.extract.guard import refusal_message, refuse_implausible
from pipelines.ingest.extract.statement import Statement
from pipelines.ingest.figure_boxes import attach_boxes
from pipelines.ingest.identify import identify
from pipelines.ingest.limits import TooComplex, limit
from pipelines.ingest.readers import read_report
from pipelines.warehouse.normalize import SourceInfo, build_tables, report_id_for, table_rows
from pipelines.warehouse.schema import REPORT_TABLES, arrow_schema, staging_name


@dataclass
class StageResult:
    source_path: str
    sha256: str
    report_id: str
    ok: bool
    staging_dir: str | None = None  # the chunk folder holding this report's rows
    department: str | None = None
    fiscal_year: int | None = None
    row_counts: dict[str, int] | None = None
    stage: str | None = None  # on failure: read, extract, normalize
    error_code: str | None = None
    message: str | None = None
    detail: str | None = None
    read_seconds: float = 0.0
    extract_seconds: float = 0.0  # extraction, normalization and its share of staging writes


class _OutOfTime(BaseException):
    """Raised in the worker by its timer when one file has used up its seconds (a
    BaseException, so that no library's ``except Exception`` swallows it)."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the work inside after ``seconds`` (SIGALRM: pure Python and the regex engine
    check for it; a worker stuck in C code finishes that call first). Only possible on a
    process's main thread; elsewhere the other limits bound the work."""
    usable = seconds > 0 and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):  # noqa: ARG001 - signal handler signature
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def extract_one(file: SourceFile) -> tuple[StageResult, dict[str, list[dict]] | None]:
    """Read, identify, extract and normalize one report: its result and its rows per table.

    The work is bounded (pipelines.ingest.limits): past the seconds allowed per file, or past the
    statements allowed per report, the file gets ``file_too_complex`` and the run goes on."""
    rid = report_id_for(file.source_path, file.sha256)
    started = time.perf_counter()
    if file.refusal is not None:  # decided by discovery (a link out of raw/, a folder link ...)
        stage, code, message, detail = file.refusal
        refused = StageResult(
            file.source_path,
            file.sha256,
            rid,
            False,
            stage=stage,
            error_code=code,
            message=message,
            detail=detail,
        )
        return refused, None
    seconds = limit("file_seconds")
    state = {"stage": "read", "read_done": started}
    try:
        with _time_limit(seconds):
            result, rows = _extract(file, rid, state)
    except _OutOfTime:
        exc = TooComplex("file_seconds", seconds)
        rows = None
        result = StageResult(
            file.source_path,
            file.sha256,
            rid,
            False,
            stage=state["stage"],
            error_code=exc.code,
            message=exc.message,
            detail=exc.detail,
        )
    ended = time.perf_counter()
    read_done = ended if state["stage"] == "read" else state["read_done"]
    result.read_seconds = read_done - started
    result.extract_seconds = ended - read_done
    return result, rows


def _extract(
    file: SourceFile, rid: str, state: dict
) -> tuple[StageResult, dict[str, list[dict]] | None]:
    try:
        # the bytes read must be those discovery hashed (a file still being copied is not)
        doc = read_report(
            file.path, file.source_path, file.attachments, expected_sha256=file.sha256
        )
        state["read_done"] = time.perf_counter()
        state["stage"] = "extract"
        longest = max(doc.blocks, key=lambda b: len(b.text), default=None)
        if longest is not None and len(longest.text) > limit("line_chars"):
            raise TooComplex("line_chars", len(longest.text), longest.location)
        identity = identify(doc)
        catalogue = Catalogue.load()
        statements, recognized, projects = extract_document(
            doc, identity.fiscal_year, resolver_for(catalogue)
        )
        if len(statements) > limit("statements"):
            raise TooComplex("statements", len(statements))
        statements, flagged = refuse_implausible(statements)
        state["stage"] = "normalize"
        rows = build_tables(
            SourceInfo(file.source_path, file.sha256, file.size),
            doc,
            identity,
            statements,
            catalogue,
            recognized,
            projects,
        )
        rows["quality.check_result"].extend(_refusal_findings(rid, statements, flagged))
        attach_boxes(doc, statements, rows)  # PDF: where each figure sits on its page
        result = StageResult(
            file.source_path,
            file.sha256,
            rid,
            True,
            department=identity.department,
            fiscal_year=identity.fiscal_year,
            row_counts={t: len(r) for t, r in rows.items()},
        )
    except IngestError as exc:
        rows = None
        result = StageResult(
            file.source_path,
            file.sha256,
            rid,
            False,
            stage=exc.stage,
            error_code=exc.code,
            message=exc.message,
            detail=exc.detail,
        )
    except Exception as exc:  # a bug or an input we did not foresee: keep the run going, report it
        rows = None
        result = StageResult(
            file.source_path,
            file.sha256,
            rid,
            False,
            stage=state["stage"],
            error_code="unexpected_error",
            message=f"处理该文件时出现未预期的错误（{type(exc).__name__}），其他文件不受影响。请将此文件提供给数据工程师排查。",
            detail=traceback.format_exc(limit=8),
        )
    return result, rows


def _refusal_findings(rid: str, kept: list[Statement], flagged: list[Statement]) -> list[dict]:
    """Warnings (quality.check_result, family ``extract``, kept across runs like the identity
    findings) for figures refused at extraction."""
    ids = {id(st) for st in kept}
    return table_rows(
        "quality.check_result",
        [
            {
                "report_id": rid,
                "check_id": "extract.implausible_figure",
                "family": "extract",
                "severity": "warning",
                "passed": False,
                "message": refusal_message(st, dropped=id(st) not in ids),
                "source_text": st.source_text,
                "source_location": st.source_location,
                "statement_no": st.statement_no if id(st) in ids else None,
            }
            for st in flagged
        ],
    )


def stage_chunk(files: list[SourceFile], staging_root: Path) -> list[StageResult]:
    """Stage several reports into one folder: one Parquet file per table for all of them.

    Fewer, larger files make both the writes here and the warehouse's bulk read cheap. The
    folder is renamed into place when complete, so it is either whole or absent.
    """
    results: list[StageResult] = []
    tables: dict[str, list[dict]] = {t: [] for t in REPORT_TABLES}
    for file in files:
        result, rows = extract_one(file)
        results.append(result)
        if rows is not None:
            for table, table_rows in rows.items():
                tables[table].extend(table_rows)
    ok = [r for r in results if r.ok]
    if not ok:
        return results
    started = time.perf_counter()
    name = "chunk-" + hashlib.sha256("\n".join(r.report_id for r in ok).encode()).hexdigest()[:16]
    out = staging_root / name
    tmp = staging_root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table, table_rows in tables.items():
        pq.write_table(
            pa.Table.from_pylist(table_rows, schema=arrow_schema(table)),
            tmp / staging_name(table),
        )
    (tmp / "manifest.json").write_text(
        json.dumps({"report_ids": [r.report_id for r in ok]}, ensure_ascii=False)
    )
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    failpoint("stage.chunk_written")
    share = (time.perf_counter() - started) / len(ok)
    for r in ok:
        r.staging_dir = str(out)
        r.extract_seconds += share
    return results


CHUNKS_PER_WORKER = 10


def chunks(files: list[SourceFile], workers: int) -> list[list[SourceFile]]:
    """Split work so that every worker gets several chunks (load balance) of at most 50 files."""
    size = max(1, min(50, math.ceil(len(files) / (workers * 4))))
    return [files[i : i + size] for i in range(0, len(files), size)]


def stage_reports(
    files: list[SourceFile], staging_root: Path, workers: int | None = None
) -> list[StageResult]:
    """Stage ``files``, in parallel processes when there are enough of them to pay for it."""
    staging_root.mkdir(parents=True, exist_ok=True)
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(files) < 8:
        return stage_chunk(files, staging_root) if files else []
    parts = chunks(files, workers)
    # A fresh pool of workers every few chunks each: the native libraries (lxml, Arrow) keep
    # memory they have freed, so one worker reading 5,000 reports would grow by about 1 GB.
    # (ProcessPoolExecutor's max_tasks_per_child can hang on Python 3.11; new pools cannot.)
    results: list[StageResult] = []
    per_pool = workers * CHUNKS_PER_WORKER
    for start in range(0, len(parts), per_pool):
        batch = parts[start : start + per_pool]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = pool.map(stage_chunk, batch, [staging_root] * len(batch))
            results.extend(r for part in done for r in part)
    return results
