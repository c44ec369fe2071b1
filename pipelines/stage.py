"""Read, extract and normalize reports into per-report staging files (Parquet).

Work here runs in parallel processes and never touches the warehouse: DuckDB allows one
writer, so the load step (warehouse.load_staged) reads these files in one transaction.
"""

from __future__ import annotations

import json
import os
import shutil
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
from pipelines.identify import identify
from pipelines.normalize import SourceInfo, build_tables, report_id_for
from pipelines.readers import read_report
from pipelines.schema import arrow_schema, staging_name


@dataclass
class StageResult:
    source_path: str
    sha256: str
    report_id: str
    ok: bool
    staging_dir: str | None = None
    department: str | None = None
    fiscal_year: int | None = None
    row_counts: dict[str, int] | None = None
    stage: str | None = None  # on failure: read, extract, normalize
    error_code: str | None = None
    message: str | None = None
    detail: str | None = None


def stage_one(file: SourceFile, staging_root: Path) -> StageResult:
    rid = report_id_for(file.source_path, file.sha256)
    stage = "read"
    try:
        doc = read_report(file.path, file.source_path, file.attachments)
        stage = "extract"
        identity = identify(doc)
        catalogue = Catalogue.load()
        statements, recognized, projects = extract_document(
            doc, identity.fiscal_year, resolver_for(catalogue)
        )
        stage = "normalize"
        frames = build_tables(
            SourceInfo(file.source_path, file.sha256, file.size),
            doc,
            identity,
            statements,
            catalogue,
            recognized,
            projects,
        )
        out = staging_root / rid
        tmp = staging_root / f".{rid}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for table, frame in frames.items():
            pq.write_table(
                pa.Table.from_pandas(frame, schema=arrow_schema(table), preserve_index=False),
                tmp / staging_name(table),
            )
        counts = {t: len(f) for t, f in frames.items()}
        (tmp / "manifest.json").write_text(
            json.dumps({"report_id": rid, "rows": counts}, ensure_ascii=False)
        )
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)  # a staging folder is complete or absent
        return StageResult(
            file.source_path,
            file.sha256,
            rid,
            True,
            str(out),
            identity.department,
            identity.fiscal_year,
            counts,
        )
    except IngestError as exc:
        return StageResult(
            file.source_path,
            file.sha256,
            rid,
            False,
            stage=exc.stage,
            error_code=exc.code,
            message=exc.message,
        )
    except Exception as exc:  # a bug or an input we did not foresee: keep the run going, report it
        return StageResult(
            file.source_path,
            file.sha256,
            rid,
            False,
            stage=stage,
            error_code="unexpected_error",
            message=f"处理该文件时出现未预期的错误（{type(exc).__name__}），其他文件不受影响。请将此文件提供给数据工程师排查。",
            detail=traceback.format_exc(limit=8),
        )


def stage_reports(
    files: list[SourceFile], staging_root: Path, workers: int | None = None
) -> list[StageResult]:
    """Stage ``files``, in parallel processes when there are enough of them to pay for it."""
    staging_root.mkdir(parents=True, exist_ok=True)
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(files) < 8:
        return [stage_one(f, staging_root) for f in files]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(stage_one, files, [staging_root] * len(files), chunksize=4))


def result_dict(result: StageResult) -> dict:
    return asdict(result)
