"""Reports whose tables are published as a separate workbook ("某某局_附表.xlsx")."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest.discover import discover
from pipelines.orchestration.run import Locations, run_pipeline
from tools.sample import generate_county
from tools.sample.score import score_extraction


def test_attachments_are_read_with_their_report(tmp_path: Path):
    raw = tmp_path / "raw"
    generate_county(raw, n_departments=3, years=(2023, 2024), seed=4, formats=("docx+xlsx",))
    files = discover(raw)
    assert len(files) == 6 and all(len(f.attachments) == 1 for f in files)
    assert all(f.attachments[0][1].endswith("_附表.xlsx") for f in files)

    score = score_extraction(raw)
    assert score.recall >= 0.99, score.misses[:10]

    loc = Locations(raw, tmp_path / "wh" / "budget.duckdb")
    summary = run_pipeline(loc, workers=1)
    assert not summary.ingest_errors and summary.rows["core.report"] == 6  # one report, not two
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        located = con.execute(
            "SELECT count(*) FROM core.statement WHERE part IN ('table', 'annex') AND source_location LIKE '%_附表.xlsx 工作表%'"
        ).fetchone()[0]
        errors = con.execute(
            "SELECT count(*) FROM quality.check_result WHERE NOT passed AND severity = 'error'"
        ).fetchone()[0]
    assert located > 50 and errors == 0

    # Changing only the attachment makes the report a new version on the next run.
    attachment = files[0].attachments[0][0]
    attachment.write_bytes(attachment.read_bytes())  # same bytes: nothing to do
    assert run_pipeline(loc, workers=1).staged == 0
