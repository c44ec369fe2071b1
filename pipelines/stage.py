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
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.catalogue import Catalogue
from pipelines.catalogue.resolver import resolver_for
from pipelines.discover import SourceFile
from pipelines.errors import IngestError
from pipelines.extract import extract_document
from pipelines.failpoints import failpoint
from pipelines.identify import identify
from pipelines.normalize import SourceInfo, build_tables, report_id_for
from pipelines.readers import read_report
from pipelines.schema import REPORT_TABLES, arrow_schema, staging_name


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


def extract_one(file: SourceFile) -> tuple[StageResult, dict[str, list[dict]] | None]:
    """Read, identify, extract and normalize one report: its result and its rows per table."""
    rid = report_id_for(file.source_path, file.sha256)
    stage = "read"
    started = time.perf_counter()
    read_done = started
    try:
        # the bytes read must be those discovery hashed (a file still being copied is not)
        doc = read_report(
            file.path, file.source_path, file.attachments, expected_sha256=file.sha256
        )
        read_done = time.perf_counter()
        stage = "extract"
        identity = identify(doc)
        catalogue = Catalogue.load()
        statements, recognized, projects = extract_document(
            doc, identity.fiscal_year, resolver_for(catalogue)
        )
        stage = "normalize"
        rows = build_tables(
            SourceInfo(file.source_path, file.sha256, file.size),
            doc,
            identity,
            statements,
            catalogue,
            recognized,
            projects,
        )
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
        )
    except Exception as exc:  # a bug or an input we did not foresee: keep the run going, report it
        rows = None
        result = StageResult(
            file.source_path,
            file.sha256,
            rid,
            False,
            stage=stage,
            error_code="unexpected_error",
            message=f"处理该文件时出现未预期的错误（{type(exc).__name__}），其他文件不受影响。请将此文件提供给数据工程师排查。",
            detail=traceback.format_exc(limit=8),
        )
    ended = time.perf_counter()
    if stage == "read":
        read_done = ended
    result.read_seconds = read_done - started
    result.extract_seconds = ended - read_done
    return result, rows


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


def result_dict(result: StageResult) -> dict:
    return asdict(result)
