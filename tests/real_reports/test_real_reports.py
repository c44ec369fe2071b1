"""The real reports run through every suite; each finding is listed here with why it is right.

The seed report (泸县人民政府办公室 2023) and the three Shanghai reports (their pdftotext
layout text; the PDFs themselves come with the PDF reader) are read from ../shared/corpus/real.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines.orchestration.run import Locations, run_pipeline
from tests.conftest import real_file

SHANGHAI = ["shpt_czj_2024_final.txt", "shpt_ghzyj_2024_final.txt", "shpt_shgzb_2024_final.txt"]


def findings(loc: Locations, severity: str) -> set[tuple[str, str, str]]:
    with duckdb.connect(str(loc.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT r.source_path, q.check_id, q.source_location, q.observed, q.lower_bound, q.upper_bound "
            "FROM quality.check_result q JOIN core.report r USING (report_id) WHERE NOT q.passed AND q.severity = ?",
            [severity],
        ).fetchall()
    for *_, observed, lower, upper in rows:
        if severity == "error" and lower is not None:
            assert observed < lower or observed > upper  # never a rounding artefact
    return {(path, check_id, location) for path, check_id, location, *_ in rows}


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Locations:
    root = tmp_path_factory.mktemp("seed_checks")
    (root / "raw" / "2023").mkdir(parents=True)
    shutil.copyfile(
        real_file("000_f74364cef28d07a0.txt"), root / "raw" / "2023" / "泸县人民政府办公室.txt"
    )
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    return loc


def test_seed_report_errors(seed: Locations):
    p = "2023/泸县人民政府办公室.txt"
    assert findings(seed, "error") == {
        # 项目支出 680.58 of 本年支出合计 1970.68 is 34.54%, printed 64.54%.
        (p, "share.interval", "第35行"),
        # 公务接待费 56.41 of 三公 67.41 is 83.68%, printed 85.68% (the three shares add to 102%).
        (p, "share.interval", "第69行"),
        # 社会保障和就业 148.83 but its 项 103.04 + 43.99 + 3.49 = 150.52.
        (p, "sum.function_subjects", "第44行、第52行、第53行、第54行"),
        # 卫生健康 37.14 but its 项 1.80 + 19.37 + 9.73 + 8.04 = 38.94.
        (p, "sum.function_subjects", "第44行、第55行、第56行、第57行、第58行"),
        # 公务接待费 +8.08 on a prior of 48.33 is +16.72%, printed +8.14% (the 三公 total's rate).
        (p, "yoy.change_pct", "第75行"),
        # 机关运行经费 +14.89 on a prior of 188.89 is +7.88%, printed +19.44%.
        (p, "yoy.change_pct", "第83行"),
        # The annex's 公务接待费 +5.08 on a prior of 46.25 is +10.98%, printed +9.9%.
        (p, "yoy.change_pct", "第561行"),
        # The annex gives 公务接待费 51.33 and +5.08; the main text 56.41 and +8.08.
        (p, "cross_section.amount", "第561行"),
        (p, "cross_section.change", "第561行"),
        # The annex: 三公 67.41 but 公务用车 11.00 + 公务接待 51.33 = 62.33.
        (p, "sum.three_public_total", "第561行"),
        # A 2023 report whose annex is headed "附件：…2022年部门决算公开表" (the annexed tables
        # below it are 2023's): the heading names the wrong year.
        (p, "identity.wrong_year", "第638行"),
    }


def test_seed_report_notes(seed: Locations):
    # 一般公共服务 1680.85 / 1970.68 = 85.29%, printed 85.30% so that the 类 shares add to 100%.
    assert findings(seed, "info") == {("2023/泸县人民政府办公室.txt", "share.interval", "第44行")}
    # The text carries one of the standard tables (the annexed 三公 table): the others were
    # published as a file of their own, which the review asks for.
    assert findings(seed, "warning") == {
        ("2023/泸县人民政府办公室.txt", "package.tables_elsewhere", "全文")
    }


def test_seed_review_report(seed: Locations):
    html = (seed.reports_dir / "2023" / "泸县人民政府办公室.html").read_text(encoding="utf-8")
    # 11 failed checks, 8 findings: the annex sentence whose 公务接待费 (51.33) disagrees with
    # the narrative (56.41) breaks its 三公 sum, its change rate and its stated change too; the
    # review shows one finding naming that figure, the three others listed under it.
    assert "发现8处错误" in html and "64.54%" in html and "第35行" in html
    assert (
        html.count("由此导致") == 1 and "都涉及附件（第561行）所写的“公务接待费”51.33万元" in html
    )
    with duckdb.connect(str(seed.warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM quality.check_result WHERE NOT passed AND severity = 'error'"
        ).fetchone() == (11,)
    assert (seed.reports_dir / "2023" / "泸县人民政府办公室.xlsx").exists()
    assert (seed.data_docs_dir / "index.html").exists()


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory: pytest.TempPathFactory) -> Locations:
    root = tmp_path_factory.mktemp("shanghai_checks")
    (root / "raw" / "2024").mkdir(parents=True)
    for name in SHANGHAI:
        shutil.copyfile(real_file(name), root / "raw" / "2024" / name)
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    return loc


def test_shanghai_layout_text_runs_through_every_suite(shanghai: Locations):
    with duckdb.connect(str(shanghai.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.report").fetchone()[0] == 3
        families = {
            f for (f,) in con.execute("SELECT DISTINCT family FROM quality.check_result").fetchall()
        }
    assert {"share", "sum", "yoy", "cross_section", "code", "completeness"} <= families
    assert findings(shanghai, "error") == {
        # 一般公共服务支出 2106.66 of 2940.05 is 71.65%, printed 71.73%.
        ("2024/shpt_czj_2024_final.txt", "share.interval", "第584行–第588行"),
        # 9746.50 / 10210.34 = 95.457%: rounds to 95.46, printed 95.45 (cut, not rounded).
        ("2024/shpt_ghzyj_2024_final.txt", "budget.completion", "第667行–第673行"),
        # 9746.50 / 9759.38 = 99.868%: rounds to 99.87, printed 99.86 (cut, not rounded).
        ("2024/shpt_ghzyj_2024_final.txt", "share.interval", "第643行–第651行"),
        # The text gives 人员经费 4,896.98; the 基本支出 table's 人员经费合计 is 4,884.09 (the
        # table rebuilt from the layout text, as from the PDF).
        ("2024/shpt_ghzyj_2024_final.txt", "cross_section.amount", "第808行–第826行"),
        # Not found from this text, found from the PDF: czj's 财政拨款收入支出总计 (text 0.3,
        # table 2,961.68). pdftotext prints that table's figures apart from their labels, so
        # the table is reported as unreliable (reading.table_unreliable) and accuses no one.
        # Nor is the line order of "…（款）机关事业单位基本养老" / "161.62万元，支出决算为
        # 160.75万元" / "保险缴费支出（项）" trusted: those figures' subject is in doubt.
    }
    warnings = {check for _, check, _ in findings(shanghai, "warning")}
    # File names are abbreviations of the departments' names: reported, content wins.
    assert "identity.department_mismatch" in warnings
