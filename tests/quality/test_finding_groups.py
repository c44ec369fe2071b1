"""One cause, one finding: failed checks resting on one wrong figure are shown as one finding
with its consequences under it; a contradiction seen from both sides is one finding; two
independent errors stay two. The warehouse keeps every check outcome. On documents written
for these tests (tests/helpers/documents.py) and on the synthetic sample county."""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from pipelines.catalogue import Catalogue
from pipelines.ingest.extract import extract_statements
from pipelines.quality.builders import build_all
from pipelines.quality.grouping import CheckOutcome, FindingGroup, group_findings
from tests.helpers.documents import lines_document

DEPARTMENT = "测试局"

# The 三公 figures stated in the narrative, and again in an annex sentence whose 公务接待费 is
# printed 25.00 for 20.00: its sum, its change rate and its agreement with the narrative fail.
THREE_PUBLIC = (
    "七、“三公”经费财政拨款支出决算情况说明",
    "2023年“三公”经费财政拨款支出决算为30.00万元，比2022年增加3.00万元，增长11.11%。",
    "其中：因公出国（境）费0万元；公务用车购置及运行维护费10.00万元；"
    "公务接待费20.00万元，比2022年增加2.00万元，增长11.11%。",
)
ANNEX = (
    "附件1",
    "部门整体支出绩效自评报告",
    "“三公”经费支出情况：2023年三公经费支出合计30.00万元。无因公出国（境）费用；"
    "公务用车购置及运行维护费10.00万元，其中：公务用车运行维护费10.00万元，公务用车购置费0元；"
    "公务接待费25.00万元，比上年增加2.00万元，增加11.11%。",
)
# The table's 收入总计 and 支出总计 (one row, both sides) against one narrative figure that
# names both totals at once: seen from both sides, one contradiction.
TOTALS_TABLE = (
    "第二部分 2023年度部门决算表",
    "财政拨款收入支出决算总表",
    "单位：万元",
    "收入\t\t支出\t",
    "项目\t金额\t项目\t金额",
    "一、一般公共预算财政拨款\t100.00\t一、一般公共服务支出\t100.00",
    "本年收入合计\t100.00\t本年支出合计\t100.00",
    "总计\t100.00\t总计\t100.00",
)
TOTALS_TEXT = (
    "四、财政拨款收入支出决算总体情况说明",
    "2023年度财政拨款收入支出总计10.00万元。",
)
# An error of its own: 5.00 on 45.00 is 11.11%, not 20.00%.
ADMIN = (
    "八、机关运行经费支出情况说明",
    "2023年机关运行经费支出50.00万元，比2022年增加5.00万元，增长20.00%。",
)
NARRATIVE_HEAD = ("第三部分 2023年度部门决算情况说明",)


def _lines(*parts: tuple[str, ...]) -> list[str]:
    return [f"{DEPARTMENT}2023年度部门决算", *(line for part in parts for line in part)]


def _failed_outcomes(lines: list[str], resolver) -> list[CheckOutcome]:
    """The checks of a document built as the runner builds them; a row fails when its stated
    figure is outside the interval the other figures allow (as the suites decide)."""
    doc = lines_document(*lines)
    statements = pd.DataFrame(
        [{"report_id": "r", **s.as_row()} for s in extract_statements(doc, 2023, resolver)]
    )
    reports = pd.DataFrame([{"report_id": "r", "department": DEPARTMENT, "fiscal_year": 2023}])
    functions = pd.DataFrame(
        columns=["report_id", "subject_code", "subject_name", "amount_wan", "statement_no"]
    )
    outcomes = []
    for family, frame in build_all(statements, functions, reports, Catalogue.load()).items():
        if family not in ("share", "sum", "yoy", "budget", "cross_section"):
            continue
        for r in frame.itertuples():
            failed = not (r.lower <= r.observed <= r.upper)
            refs = frozenset(str(n) for n in json.loads(r.figure_refs or "[]"))
            outcomes.append(
                CheckOutcome(
                    f"{r.check_id}@{r.statement_no}",
                    r.check_id,
                    family,
                    r.severity,
                    not failed,
                    int(r.statement_no),
                    refs,
                )
            )
    return outcomes


def test_one_wrong_annex_figure_is_one_group_led_by_the_figure_itself(resolver) -> None:
    outcomes = _failed_outcomes(_lines(NARRATIVE_HEAD, THREE_PUBLIC, ANNEX), resolver)
    failed = sorted(o.check_id for o in outcomes if not o.passed)
    assert failed == ["cross_section.amount", "sum.three_public_total", "yoy.change_pct"]
    (group,) = group_findings(outcomes)
    # the lead compares the annex figure with the narrative's; the sum and the rate follow
    assert group.lead.startswith("cross_section.amount@")
    assert sorted(c.split("@")[0] for c in group.consequences) == [
        "sum.three_public_total",
        "yoy.change_pct",
    ]
    annex_figure = group.lead.split("@")[1]
    assert group.suspect == annex_figure
    # the same outcomes in another order: the same groups
    assert group_findings(reversed(outcomes)) == [group]


def test_two_independent_errors_stay_two_findings(resolver) -> None:
    outcomes = _failed_outcomes(_lines(NARRATIVE_HEAD, THREE_PUBLIC, ANNEX, ADMIN), resolver)
    groups = group_findings(outcomes)
    assert len(groups) == 2
    alone = next(g for g in groups if not g.consequences)
    assert alone.lead.startswith("yoy.change_pct@") and alone.suspect is None


def test_a_whole_that_most_of_its_shares_agree_with_is_not_the_cause() -> None:
    """Two shares of one total fail on their own; three others agree with the total: two
    findings, not one blamed on the total."""

    def share(n: int, passed: bool) -> CheckOutcome:
        return CheckOutcome(
            f"s{n}", "share.interval", "share", "error", passed, n, frozenset({str(n), "100"})
        )

    outcomes = [share(1, False), share(2, False), share(3, True), share(4, True), share(5, True)]
    assert group_findings(outcomes) == [FindingGroup("s1"), FindingGroup("s2")]
    # with the total agreeing with none of them, it is the suspect
    outcomes = [share(1, False), share(2, False)]
    assert group_findings(outcomes) == [FindingGroup("s1", ("s2",), "100")]


def test_only_figure_errors_are_grouped() -> None:
    """A warning, a note, or a finding of another family about the same statement stands alone."""
    outcomes = [
        CheckOutcome(
            "a", "cross_section.amount", "cross_section", "error", False, 7, frozenset({"7", "3"})
        ),
        CheckOutcome("b", "yoy.change_pct", "yoy", "error", False, 7, frozenset({"7"})),
        CheckOutcome("c", "code.name_mismatch", "code", "warning", False, 7, frozenset({"7"})),
        CheckOutcome("d", "share.interval", "share", "info", False, 7, frozenset({"7", "9"})),
    ]
    groups = group_findings(outcomes)
    assert FindingGroup("a", ("b",), "7") in groups
    assert FindingGroup("c") in groups and FindingGroup("d") in groups and len(groups) == 3


# -- through the pipeline: the warehouse, the review, the index --------------------------------


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    from pipelines.orchestration.run import Locations, run_pipeline

    root = tmp_path_factory.mktemp("groups")
    raw = root / "raw"
    (raw / "2023").mkdir(parents=True)
    text = "\n".join(_lines(TOTALS_TABLE, NARRATIVE_HEAD, TOTALS_TEXT, THREE_PUBLIC, ADMIN, ANNEX))
    (raw / "2023" / f"{DEPARTMENT}.txt").write_text(text + "\n", encoding="utf-8")
    loc = Locations(raw, root / "wh" / "budget.duckdb", root / "out")
    run_pipeline(loc, workers=1)
    return loc


def _page_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<style>.*?</style>|<script>.*?</script>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_warehouse_keeps_every_failed_check(county) -> None:
    with duckdb.connect(str(county.warehouse), read_only=True) as con:
        failed = con.execute(
            "SELECT check_id, count(*) FROM quality.check_result "
            "WHERE NOT passed AND severity = 'error' AND family IN "
            "('share', 'sum', 'yoy', 'budget', 'cross_section') GROUP BY 1 ORDER BY 1"
        ).fetchall()
        groups = con.execute(
            "SELECT members, count(*) FROM quality.finding_group g JOIN quality.check_result q "
            "USING (report_id, finding_id) WHERE g.is_lead AND q.severity = 'error' "
            "AND q.family IN ('share', 'sum', 'yoy', 'budget', 'cross_section') "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        errors = con.execute("SELECT errors, failed_checks FROM mart.quality_scorecard").fetchone()
    # the annex figure (3 checks), the two totals against one figure (2), the rate (1)
    assert failed == [
        ("cross_section.amount", 3),
        ("sum.three_public_total", 1),
        ("yoy.change_pct", 2),
    ]
    assert groups == [(1, 1), (2, 1), (3, 1)]
    assert errors[0] == 3 and errors[1] >= 6


def test_the_review_shows_one_finding_per_cause(county) -> None:
    page = county.reports_dir / "2023" / f"{DEPARTMENT}.html"
    text = _page_text(page)
    assert "发现3处错误" in text
    assert "错误（须修改）（3）" in text
    # the annex figure leads its group and names itself as the likely cause
    assert text.count("由此导致") == 2
    assert "都涉及附件（第" in text and "所写的“公务接待费”25.00万元" in text
    assert "都涉及正文（第" in text and "财政拨款收入支出总计”10.00万元" in text
    # the consequences are listed under their lead, with their own place and check
    lead = text.index("公务接待费在附件")
    assert lead < text.index("由此导致", lead) < text.index("“三公”经费合计写为30.00万元", lead)
    # the workbook: one row per finding, its consequences in its 问题说明
    rows = list(
        load_workbook(page.with_suffix(".xlsx"), read_only=True).active.iter_rows(values_only=True)
    )
    header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    errors = [r for r in rows[header + 1 :] if r[1] == "错误"]
    assert len(errors) == 3
    grouped = [r for r in errors if "由此导致" in (r[3] or "")]
    assert len(grouped) == 2
    assert any(
        "“三公”经费合计写为30.00万元" in r[3] and "变动率写为+11.11%" in r[3] for r in grouped
    )


def test_the_index_and_the_findings_page_count_findings_not_checks(county) -> None:
    index = _page_text(county.export_dir / "2023" / "index.html")
    row = re.search(rf"{DEPARTMENT}.*?发现(\d+)处错误", index, flags=re.S)
    assert row and row.group(1) == "3"
    findings = (county.export_dir / "2023" / "findings.html").read_text(encoding="utf-8")
    assert findings.count('data-level="error"') == 3
    assert "由此导致" in findings


def test_a_dismissed_lead_dismisses_its_consequences(county, tmp_path: Path) -> None:
    """A decision is made on what the review shows: the lead. Its consequences are neither
    counted nor boxed while it stands."""
    import shutil

    from pipelines.orchestration.run import Locations, run_pipeline, update_warehouse

    root = tmp_path
    shutil.copytree(county.raw_dir, root / "raw")
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb", root / "out")
    run_pipeline(loc, workers=1)
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        lead, members = con.execute(
            "SELECT lead_id, members FROM quality.finding_group WHERE is_lead AND members = 3"
        ).fetchone()
    update = update_warehouse(
        loc, dispositions=[{"finding_id": lead, "status": "不是问题", "reason": "测试"}]
    )
    assert update.dispositions.applied == 1
    # the asset checks' counts: the group's checks count apart, as dismissed
    dismissed = update.checks.dismissed_by_family
    assert dismissed["cross_section"].get("error") == 1
    assert dismissed["sum"].get("error") == 1 and dismissed["yoy"].get("error") == 1
    assert update.checks.failed_by_family["yoy"].get("error") == 1  # the rate of its own
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        assert con.execute("SELECT errors, dismissed FROM mart.quality_scorecard").fetchone() == (
            2,
            1,
        )
        statuses = con.execute(
            "SELECT status, count(*) FROM quality.finding_status WHERE lead_id = ? GROUP BY 1",
            [lead],
        ).fetchall()
    assert statuses == [("dismissed", members)]


# -- the Dagster asset checks ---------------------------------------------------------------


@pytest.fixture
def job_county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tools.sample import generate_county
    from tools.sample.faults import inject_fault

    raw = tmp_path / "raw"
    (path,) = generate_county(raw, n_departments=1, years=(2024,), seed=3, formats=("txt",))
    inject_fault(path, "share", random.Random(1))
    for extra in raw.rglob("*.json"):
        extra.unlink()
    monkeypatch.setenv("COUNTY_RUN_HELPER", "inline")
    from pipelines.orchestration.definitions import build_defs
    from pipelines.settings import Settings

    settings = Settings(
        raw_dir=str(raw),
        warehouse=str(tmp_path / "wh" / "budget.duckdb"),
        out_dir=str(tmp_path / "out"),
        reviews_dir=str(tmp_path / "reviews"),
    )
    return build_defs(settings), tmp_path


def _share_check(result) -> dg.AssetCheckEvaluation:
    (evaluation,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "share_findings"
    ]
    return evaluation


def test_asset_checks_do_not_count_dismissed_findings(job_county) -> None:
    defs, root = job_county
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("county_job")
    result = job.execute_in_process(instance=instance)
    assert result.success
    first = _share_check(result)
    assert not first.passed and first.metadata["errors"].value == 1
    assert first.metadata["dismissed"].value == 0
    with duckdb.connect(str(root / "wh" / "budget.duckdb"), read_only=True) as con:
        (finding_id,) = con.execute(
            "SELECT finding_id FROM quality.check_result "
            "WHERE NOT passed AND check_id = 'share.interval' AND severity = 'error'"
        ).fetchone()
    dismiss = {"finding_id": finding_id, "status": "不是问题", "reason": "口径不同"}
    result = job.execute_in_process(
        instance=instance,
        run_config={"ops": {"warehouse_update": {"config": {"dispositions": [dismiss]}}}},
    )
    assert result.success
    after = _share_check(result)
    assert after.passed and after.metadata["errors"].value == 0
    assert after.metadata["dismissed"].value == 1 and after.metadata["dismissed_errors"].value == 1
    # and the next run, with no config, still passes
    assert _share_check(job.execute_in_process(instance=instance)).passed
