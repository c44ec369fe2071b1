"""Dispositions of findings: a reviewer's 已确认 / 不是问题, through the review workbook and the
Dagster run config, kept across reruns, file renames and unrelated edits; a changed figure
reopens the finding."""

from __future__ import annotations

import os
import random
import time
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from pipelines.orchestration.definitions import build_defs
from pipelines.orchestration.run import LocationError, Locations, check_locations, run_pipeline
from pipelines.quality.dispositions import (
    COL_FINGERPRINT,
    COL_ID,
    COL_REASON,
    COL_STATE,
    COL_STATUS,
    COL_WHO,
    CONFIRMED,
    DISMISSED,
    apply_decisions,
    decisions_from_config,
    read_review_workbooks,
)
from pipelines.settings import Settings
from tools.sample import generate_county
from tools.sample.faults import inject_fault

DEPARTMENT = "云溪县人民政府办公室"
# The planted fault of the county below: the 住房保障 share printed 5.92% for 5.59%.
PLANTED = "占5.92%"


def _county(root: Path) -> Path:
    """One department, one year, as .txt, with one planted share contradiction."""
    raw = root / "raw"
    (path,) = generate_county(raw, n_departments=1, years=(2024,), seed=3, formats=("txt",))
    fault = inject_fault(path, "share", random.Random(1))
    assert fault.printed_value == 5.92 and PLANTED in path.read_text(encoding="utf-8-sig")
    for extra in raw.rglob("*.json"):
        extra.unlink()
    return raw


def _share_finding(warehouse: Path) -> tuple[str, str, str]:
    """(finding_id, fingerprint, source_location) of the planted share error."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT finding_id, fingerprint, source_location FROM quality.check_result "
            "WHERE NOT passed AND check_id = 'share.interval'"
        ).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def _reviews(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT finding_id, status, reason, who, decided_at, fingerprint, source "
            "FROM quality.finding_review ORDER BY finding_id"
        ).fetchall()


def _scorecard(warehouse: Path) -> tuple[int, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT errors, dismissed FROM mart.quality_scorecard").fetchone()


def _status(warehouse: Path, finding_id: str) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT status FROM quality.finding_status WHERE finding_id = ?", [finding_id]
        ).fetchone()[0]


def _fill(
    workbook: Path,
    dest: Path,
    decisions: dict[str, tuple[str, str, str]],
    when: float | None = None,
) -> None:
    """Fill the review workbook's 处理意见, 理由 and 审核人 as a reviewer does, and save it."""
    book = load_workbook(workbook)
    sheet = book.active
    header = next(
        r for r in range(1, 20) if sheet.cell(r, 1).value == "序号"
    )  # the reviewer's row layout is read, not assumed
    columns = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    for row in range(header + 1, sheet.max_row + 1):
        finding_id = sheet.cell(row, columns[COL_ID]).value
        if finding_id in decisions:
            status, reason, who = decisions[finding_id]
            sheet.cell(row, columns[COL_STATUS]).value = status
            sheet.cell(row, columns[COL_REASON]).value = reason
            sheet.cell(row, columns[COL_WHO]).value = who
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(dest)
    if when is not None:
        os.utime(dest, (when, when))


def _workbook_rows(path: Path) -> dict[str, dict[str, object]]:
    """The review workbook's rows by finding id, as {heading: value}."""
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    names = rows[header]
    return {
        r[names.index(COL_ID)]: dict(zip(names, r, strict=False))
        for r in rows[header + 1 :]
        if r[names.index(COL_ID)]
    }


def test_a_dismissal_from_the_workbook_survives_reruns_renames_and_edits_until_a_figure_changes(
    tmp_path: Path,
) -> None:
    raw = _county(tmp_path)
    loc = Locations(raw, tmp_path / "wh" / "budget.duckdb", tmp_path / "out")
    run_pipeline(loc, workers=1)
    finding_id, fingerprint, location = _share_finding(loc.warehouse)
    assert finding_id.startswith("F") and len(finding_id) == 17
    assert _scorecard(loc.warehouse) == (1, 0)
    review_xlsx = loc.reports_dir / "2024" / f"{DEPARTMENT}.xlsx"
    row = _workbook_rows(review_xlsx)[finding_id]
    assert row[COL_STATE] == "待处理" and row[COL_STATUS] is None
    assert row[COL_FINGERPRINT] == fingerprint

    # The reviewer dismisses it in the workbook and saves it into reviews/.
    reason = "占比按全部支出口径计算，非一般公共预算口径"
    _fill(
        review_xlsx,
        loc.reviews / "2024" / "办公室-已审.xlsx",
        {finding_id: ("不是问题", reason, "张三")},
    )
    summary = run_pipeline(loc, workers=1)
    (decided,) = _reviews(loc.warehouse)
    assert decided[:4] == (finding_id, DISMISSED, reason, "张三")
    assert decided[5:] == (fingerprint, "workbook")
    assert _scorecard(loc.warehouse) == (0, 1)
    assert summary.findings.get("error", 0) == 0 and summary.findings["dismissed"] == 1
    page = (loc.reports_dir / "2024" / f"{DEPARTMENT}.html").read_text(encoding="utf-8")
    assert "未发现错误" in page and "另有1处经审核不是问题" in page
    assert "经审核不是问题（1" in page and reason in page and 'class="dismissed"' in page
    row = _workbook_rows(review_xlsx)[finding_id]
    assert row[COL_STATUS] == "不是问题" and row[COL_REASON] == reason  # pre-filled
    index = (loc.export_dir / "2024" / "index.html").read_text(encoding="utf-8")
    assert '<td class="n dismissed">1</td>' in index and "未发现错误" in index
    findings = (loc.export_dir / "2024" / "findings.html").read_text(encoding="utf-8")
    assert "error dismissed" in findings and reason in findings

    # A rerun with the same inputs changes nothing.
    run_pipeline(loc, workers=1)
    assert _reviews(loc.warehouse) == [decided]

    # The report re-dropped under another name, with an unrelated edit moving its lines.
    source = raw / "2024" / f"{DEPARTMENT}.txt"
    text = source.read_text(encoding="utf-8-sig")
    title, rest = text.split("\n", 1)
    moved = raw / "2024" / f"{DEPARTMENT}（修订稿）.txt"
    moved.write_text(
        f"{title}\n（本报告已经部门办公会议审议。）\n\n{rest}", encoding="utf-8-sig", newline=""
    )
    source.unlink()
    run_pipeline(loc, workers=1)
    same_id, same_fingerprint, new_location = _share_finding(loc.warehouse)
    assert new_location != location  # the lines moved ...
    assert (same_id, same_fingerprint) == (finding_id, fingerprint)  # ... the finding did not
    assert _status(loc.warehouse, finding_id) == DISMISSED
    assert _scorecard(loc.warehouse) == (0, 1)
    assert _reviews(loc.warehouse) == [decided]

    # A figure of the finding changes: it is reopened, says why, and counts again.
    moved.write_text(
        moved.read_text(encoding="utf-8-sig").replace(PLANTED, "占6.10%"),
        encoding="utf-8-sig",
        newline="",
    )
    run_pipeline(loc, workers=1)
    reopened_id, new_fingerprint, _ = _share_finding(loc.warehouse)
    assert reopened_id == finding_id and new_fingerprint != fingerprint
    assert _status(loc.warehouse, finding_id) == "reopened"
    assert _scorecard(loc.warehouse) == (1, 0)
    page = (loc.reports_dir / "2024" / f"{DEPARTMENT}.html").read_text(encoding="utf-8")
    assert "已重新打开" in page and "5.92→6.1" in page and "发现1处错误" in page
    row = _workbook_rows(review_xlsx)[finding_id]
    assert row[COL_STATUS] is None and str(row[COL_STATE]).startswith("已重新打开")
    assert row[COL_FINGERPRINT] == new_fingerprint

    # The reviewer dismisses it again in the new workbook: bound to the new figures.
    _fill(
        review_xlsx,
        loc.reviews / "2024" / "办公室-已审.xlsx",
        {finding_id: ("不是问题", reason, "张三")},
    )
    run_pipeline(loc, workers=1)
    assert _status(loc.warehouse, finding_id) == DISMISSED
    assert _reviews(loc.warehouse)[0][5] == new_fingerprint
    assert _scorecard(loc.warehouse) == (0, 1)


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Locations:
    root = tmp_path_factory.mktemp("checked")
    loc = Locations(_county(root), root / "wh" / "budget.duckdb", root / "out")
    run_pipeline(loc, workers=1)
    return loc


def test_workbook_reading_tolerates_what_reviewers_and_office_suites_do(
    checked: Locations, tmp_path: Path
) -> None:
    finding_id, _, _ = _share_finding(checked.warehouse)
    folder = tmp_path / "reviews"
    folder.mkdir()
    # A workbook re-saved by another program: rows above the table, columns moved and added,
    # blank rows, a note below, statuses with stray spaces and full-width letters.
    book = Workbook()
    sheet = book.active
    sheet.title = "我的审核"
    sheet.append(["审核意见（已处理）"])
    sheet.append([])
    sheet.append([None, COL_STATUS, "备注", COL_ID, COL_REASON, COL_WHO])
    sheet.append([None, " 已确认 ", "x", finding_id, None, "王五"])
    sheet.append([])
    sheet.append([None, None, None, "F0000000000000000", None, None])  # no status: nothing said
    sheet.append([None, "不是问题", None, "F1111111111111111", "重复", None])  # unknown id
    sheet.append([None, "同意", None, "F2222222222222222", None, None])  # not a status
    sheet.append([None, "不是问题", None, "F3333333333333333", None, None])  # no reason
    sheet.append([None, "已确认", None, None, None, None])  # no id
    sheet.append(["说明：以上为科室意见。"])
    book.save(folder / "审核.xlsx")
    (folder / "~$审核.xlsx").write_bytes(b"lock file of an open workbook")
    (folder / "损坏.xlsx").write_bytes(b"not a zip")
    (folder / "旧格式.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "无关.xlsx").parent.mkdir(exist_ok=True)
    other = Workbook()
    other.active.append(["部门", "金额"])
    other.save(folder / "无关.xlsx")

    decisions, problems = read_review_workbooks(folder)
    assert {(d.finding_id, d.status) for d in decisions} == {
        (finding_id, CONFIRMED),
        ("F1111111111111111", DISMISSED),
    }
    confirmed = next(d for d in decisions if d.finding_id == finding_id)
    assert confirmed.who == "王五" and confirmed.fingerprint is None
    assert confirmed.source_detail == "审核.xlsx 第4行"
    said = "\n".join(problems)
    assert "“同意”无法识别" in said and "须填写理由" in said and "没有发现编号" in said
    assert "损坏.xlsx 无法打开" in said and "旧格式.xls 不是 .xlsx 格式" in said
    assert "无关.xlsx 中没有找到" in said and "~$" not in said

    with duckdb.connect(str(checked.warehouse)) as con:
        con.execute("BEGIN TRANSACTION")  # left uncommitted: the module's warehouse stays as is
        outcome = apply_decisions(con, decisions)
        assert outcome.applied == 1 and outcome.keys == {(2024, DEPARTMENT)}
        assert any("F1111111111111111 不在本次检查结果中" in p for p in outcome.problems)
        (row,) = con.execute("SELECT status, who, source FROM quality.finding_review").fetchall()
        assert row == (CONFIRMED, "王五", "workbook")
        again = apply_decisions(con, decisions)  # the same word twice is no change
        assert again.applied == 0 and again.unchanged == 1
        con.execute("ROLLBACK")
    assert read_review_workbooks(tmp_path / "absent") == ([], [])


def test_the_latest_word_wins_and_an_older_workbook_does_not_undo_it(checked: Locations) -> None:
    finding_id, _, _ = _share_finding(checked.warehouse)
    old = datetime(2025, 1, 1, 9, 0)
    new = datetime(2025, 1, 2, 9, 0)
    (dismiss,), _ = decisions_from_config(
        [{"finding_id": finding_id, "status": "dismissed", "reason": "口径不同"}], new, "r2"
    )
    (confirm,), _ = decisions_from_config(
        [{"finding_id": finding_id, "status": "已确认"}], old, "r1"
    )
    with duckdb.connect(str(checked.warehouse)) as con:
        con.execute("BEGIN TRANSACTION")
        apply_decisions(con, [dismiss, confirm])  # given out of order: applied by time
        assert con.execute("SELECT status FROM quality.finding_review").fetchone()[0] == DISMISSED
        later = apply_decisions(con, [confirm])  # an older word that says otherwise
        assert later.superseded == 1 and later.applied == 0
        con.execute("ROLLBACK")
    _, problems = decisions_from_config(
        [{"finding_id": "", "status": "已确认"}, {"finding_id": finding_id, "status": "ok"}],
        new,
        "r3",
    )
    assert len(problems) == 2 and "缺少 finding_id" in problems[0] and "无法识别" in problems[1]


def test_the_reviews_folder_may_not_overlap_raw(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    with pytest.raises(LocationError, match="REVIEWS"):
        check_locations(Locations(raw, tmp_path / "wh.duckdb", tmp_path / "out", raw / "reviews"))
    assert Locations(raw, tmp_path / "wh.duckdb").reviews == tmp_path / "reviews"


@pytest.fixture
def job_county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    raw = _county(tmp_path)
    monkeypatch.setenv("COUNTY_RUN_HELPER", "inline")
    settings = Settings(
        raw_dir=str(raw),
        warehouse=str(tmp_path / "wh" / "budget.duckdb"),
        out_dir=str(tmp_path / "out"),
        reviews_dir=str(tmp_path / "reviews"),
    )
    return build_defs(settings), tmp_path


def _decide(*entries: dict) -> dict:
    return {"ops": {"warehouse_update": {"config": {"dispositions": list(entries)}}}}


def test_dispositions_through_the_dagster_run_config(job_county) -> None:
    defs, root = job_county
    warehouse = root / "wh" / "budget.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("county_job")
    assert job.execute_in_process(instance=instance).success
    finding_id, fingerprint, _ = _share_finding(warehouse)

    # Confirmed, with an unknown id and an odd status beside it: reported, the run goes on.
    confirm = {"finding_id": finding_id, "status": "已确认", "who": "李四"}
    result = job.execute_in_process(
        instance=instance,
        run_config=_decide(
            confirm,
            {"finding_id": "F9999999999999999", "status": "不是问题", "reason": "x"},
            {"finding_id": finding_id, "status": "以后再说"},
        ),
    )
    assert result.success
    warnings = [
        e.user_message for e in instance.all_logs(result.run_id) if e.level >= 30
    ]  # logging.WARNING
    assert any("F9999999999999999 不在本次检查结果中" in w for w in warnings), warnings
    assert any("“以后再说”无法识别" in w for w in warnings), warnings
    (decided,) = _reviews(warehouse)
    assert decided[:4] == (finding_id, CONFIRMED, "", "李四")
    assert decided[5:] == (fingerprint, "run_config")
    assert _scorecard(warehouse) == (1, 0)  # a confirmed error still counts
    page = (root / "out" / "reports" / "2024" / f"{DEPARTMENT}.html").read_text(encoding="utf-8")
    assert '<span class="status confirmed">已确认</span>' in page

    # The same config again, then no config: the stored decision stays as it was.
    assert job.execute_in_process(instance=instance, run_config=_decide(confirm)).success
    assert job.execute_in_process(instance=instance).success
    assert _reviews(warehouse) == [decided]

    # An older workbook saying otherwise does not undo the run config's later decision ...
    review_xlsx = root / "out" / "reports" / "2024" / f"{DEPARTMENT}.xlsx"
    earlier = time.time() - 86400
    _fill(
        review_xlsx, root / "reviews" / "a.xlsx", {finding_id: ("不是问题", "旧意见", "")}, earlier
    )
    assert job.execute_in_process(instance=instance).success
    assert _reviews(warehouse) == [decided]

    # ... and a dismissal in the run config is kept by the runs after it.
    dismiss = {"finding_id": finding_id, "status": "不是问题", "reason": "口径不同", "who": "李四"}
    assert job.execute_in_process(instance=instance, run_config=_decide(dismiss)).success
    assert job.execute_in_process(instance=instance).success
    (decided,) = _reviews(warehouse)
    assert decided[1:3] == (DISMISSED, "口径不同") and decided[6] == "run_config"
    assert _scorecard(warehouse) == (0, 1)


def _numbered(rows: list[dict]) -> list[tuple]:
    """assign_finding_ids over check outcomes of two versions of one report (v1, v2)."""
    from pipelines.quality.dispositions import assign_finding_ids
    from pipelines.warehouse.load import ensure_schema

    con = duckdb.connect()
    ensure_schema(con)
    for rid, path in (("v1", "2024/甲局.txt"), ("v2", "2024/甲局-终稿.docx")):
        con.execute(
            "INSERT INTO core.report (report_id, department, fiscal_year, source_path) "
            "VALUES (?, '甲局', 2024, ?)",
            [rid, path],
        )
    for r in rows:
        if "metric" in r:
            con.execute(
                "INSERT INTO core.statement (report_id, statement_no, part, metric, "
                "subject_code, amount_wan, share_pct, share_of) VALUES (?, ?, 'narrative', ?, "
                "?, ?, ?, 'gpb_expenditure')",
                [r["rid"], r["no"], r["metric"], r.get("code"), r["amount"], r["share"]],
            )
        con.execute(
            "INSERT INTO quality.check_result (report_id, check_id, family, severity, passed, "
            "observed, expected, message, source_text, source_location, statement_no) "
            "VALUES (?, ?, 'x', 'error', false, ?, ?, ?, ?, ?, ?)",
            [
                r["rid"],
                r["check"],
                r.get("observed"),
                r.get("expected"),
                r.get("message", ""),
                r.get("quote"),
                r["where"],
                r["no"] if "metric" in r else None,
            ],
        )
    assert assign_finding_ids(con) == len(rows)
    assert assign_finding_ids(con) == 0  # numbered once
    return con.execute(
        "SELECT report_id, finding_id, fingerprint FROM quality.check_result ORDER BY rowid"
    ).fetchall()


def test_ids_follow_the_contradiction_not_the_file_and_fingerprints_follow_the_figures() -> None:
    share = {"check": "share.interval", "metric": "gpb_by_function", "code": "221"}
    text = {"check": "text.doubled_punctuation", "message": "标点重复"}
    rows = _numbered(
        [
            {**share, "rid": "v1", "no": 45, "amount": 105.11, "share": 5.92, "observed": 5.92,
             "expected": 5.59, "where": "第71行"},
            {**share, "rid": "v1", "no": 50, "amount": 9.0, "share": 1.0, "observed": 1.0,
             "expected": 0.48, "where": "第80行"},  # the same check on the same subject again
            {**text, "rid": "v1", "no": 0, "quote": "支出1,544.47万元，，占82.08%", "where": "第9行"},
            # version 2: another file name and format, statements renumbered, lines moved;
            # the second share's figure and the quote's figure changed
            {**share, "rid": "v2", "no": 47, "amount": 105.11, "share": 5.92, "observed": 5.92,
             "expected": 5.59, "where": "段落30"},
            {**share, "rid": "v2", "no": 52, "amount": 9.5, "share": 1.0, "observed": 1.0,
             "expected": 0.5, "where": "段落33"},
            {**text, "rid": "v2", "no": 0, "quote": "支出1,544.48万元，，占82.08%", "where": "段落4"},
        ]
    )  # fmt: skip
    v1, v2 = rows[:3], rows[3:]
    assert len({fid for _, fid, _ in v1}) == 3  # three findings, three ids
    assert [fid for _, fid, _ in v1] == [fid for _, fid, _ in v2]  # the same ids in version 2
    assert v1[0][2] == v2[0][2]  # unchanged figures: the same fingerprint
    assert v1[1][2] != v2[1][2] and v1[2][2] != v2[2][2]  # a changed figure: another one
