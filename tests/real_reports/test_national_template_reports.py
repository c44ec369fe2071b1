"""Two real reports of the national template (行次 columns, 公开NN表 / 表N titles), read from
their PDFs, and six real budgets that must be refused.

- 西安市卫生健康委员会 2022: a consolidated (汇总) report, narrative first, tables 公开01–09表,
  the 9th a 三公 + 会议费 + 培训费 table with 预算数/决算数 as rows; rulings drawn as curves.
- 佛山市轨道交通局 2019: 8 tables 表1–表8, no thousands separators, 行次 columns with a mistyped
  row number, 三公 table with 预算数/决算数 as column groups.

Figures of the Foshan report come from ../shared/corpus/real/truth (verified by hand). The Xi'an
report has no truth file: its 一般公共预算财政拨款支出决算表 is read independently from the
`pdftotext -layout` text beside the PDF, and its totals were checked by hand against the PDF.
"""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest

from pipelines.orchestration.run import Locations, run_pipeline
from tests.conftest import REAL_CORPUS, real_file

XIAN = "xian_weijian_2022_final"
FOSHAN = "foshan_guidao_2019_final"
BUDGETS = [
    "changsha_xinfang_2026_budget.pdf",
    "guangzhou_xinfang_2026_budget.pdf",
    "hangzhou_qixiang_2026_budget.pdf",
    "jiangsu_gjfy_2019_budget.pdf",
    "jiangsu_swbgt_2019_budget_tables.pdf",
    "jiangsu_swbgt_2019_budget_text.pdf",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("national")
    for year, name in ((2022, XIAN), (2019, FOSHAN)):
        (root / "raw" / str(year)).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_file(f"{name}.pdf"), root / "raw" / str(year) / f"{name}.pdf")
    (root / "raw" / "2026").mkdir()
    for name in BUDGETS:
        shutil.copyfile(real_file(f"budgets/{name}"), root / "raw" / "2026" / name)
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    con = duckdb.connect(str(loc.warehouse), read_only=True)
    yield con
    con.close()


def _figures(con, name: str, metric: str) -> list[tuple]:
    return con.execute(
        "SELECT amount_wan, basic_wan, project_wan, budget_wan FROM core.statement s "
        "JOIN core.report r USING (report_id) WHERE r.source_path LIKE ? AND s.metric = ? "
        "AND s.part = 'table' ORDER BY statement_no",
        [f"%{name}.pdf", metric],
    ).fetchall()


def _gpb_lines(con, name: str) -> dict[str, float]:
    rows = con.execute(
        "SELECT s.subject_code, s.amount_wan FROM core.statement s JOIN core.report r "
        "USING (report_id) WHERE r.source_path LIKE ? AND s.metric = 'gpb_by_function' "
        "AND s.part = 'table' ORDER BY statement_no",
        [f"%{name}.pdf"],
    ).fetchall()
    return {code: amount for code, amount in rows}


def _errors(con, name: str) -> set[tuple[str, str]]:
    return set(
        con.execute(
            "SELECT q.check_id, q.source_location FROM quality.check_result q JOIN core.report r "
            "USING (report_id) WHERE r.source_path LIKE ? AND NOT q.passed AND q.severity = 'error'",
            [f"%{name}.pdf"],
        ).fetchall()
    )


def test_both_reports_are_identified(warehouse):
    rows = warehouse.execute(
        "SELECT department, fiscal_year FROM core.report ORDER BY fiscal_year"
    ).fetchall()
    assert rows == [("佛山市轨道交通局", 2019), ("西安市卫生健康委员会", 2022)]


def test_the_six_budgets_are_refused(warehouse):
    rows = warehouse.execute(
        "SELECT source_path, error_code FROM core.ingest_error ORDER BY source_path"
    ).fetchall()
    assert rows == [(f"2026/{name}", "not_department_final_account") for name in BUDGETS]


# -- Foshan 2019, against the verified figures ------------------------------------------------


@pytest.fixture(scope="module")
def foshan_truth() -> dict:
    path = REAL_CORPUS / "truth" / f"{FOSHAN}.json"
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/corpus/real is team-only)")
    return json.loads(path.read_text(encoding="utf-8"))["tables"]


def test_foshan_every_gpb_line_with_code_and_amount(warehouse, foshan_truth):
    assert _gpb_lines(warehouse, FOSHAN) == foshan_truth["gpb_by_function"]


def test_foshan_totals(warehouse, foshan_truth):
    t = foshan_truth
    assert _figures(warehouse, FOSHAN, "income_current_year")[0][0] == t["income_total_this_year"]
    assert (
        _figures(warehouse, FOSHAN, "expenditure_current_year")[0][0]
        == t["expenditure_total_this_year"]
    )
    assert _figures(warehouse, FOSHAN, "income_total")[0][0] == t["grand_total"]
    assert _figures(warehouse, FOSHAN, "carryover_end")[0][0] == t["carryover_end"]
    gpb = _figures(warehouse, FOSHAN, "gpb_expenditure")[0]
    assert gpb[:3] == (
        t["gpb_expenditure_total"],
        t["gpb_basic_expenditure"],
        t["gpb_project_expenditure"],
    )
    assert _figures(warehouse, FOSHAN, "personnel_expenses")[0][0] == t["personnel_expenditure"]
    assert _figures(warehouse, FOSHAN, "public_expenses")[0][0] == t["public_use_expenditure"]


def test_foshan_three_public_budget_and_final_per_part(warehouse, foshan_truth):
    tp = foshan_truth["three_public"]
    parts = {
        "three_public_total": "total",
        "three_public_overseas": "abroad",
        "three_public_vehicle": "vehicle_total",
        "three_public_vehicle_purchase": "vehicle_purchase",
        "three_public_vehicle_operation": "vehicle_operation",
        "three_public_reception": "reception",
    }
    for metric, key in parts.items():
        amount, _, _, budget = _figures(warehouse, FOSHAN, metric)[0]
        assert (amount, budget) == (tp[key], tp[f"budget_{key}"]), metric


def test_foshan_has_no_error(warehouse, foshan_truth):
    # The truth file lists no contradiction of this report; four differences of 0.01 are
    # rounding (rounding_only), and must not be called errors.
    assert _errors(warehouse, FOSHAN) == set()


# -- Xi'an 2022 ------------------------------------------------------------------------------

_TABLE_LINE = re.compile(r"^\s*(2\d{2}(?:\d{2}){0,2})\s+\S+\s+([\d,]+\.\d{2})")


def _gpb_table_from_layout_text() -> dict[str, float]:
    """The 一般公共预算财政拨款支出决算表 (公开05表) as pdftotext lays it out: code, name, 小计."""
    text = real_file(f"{XIAN}.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(text) if "公开05表" in line)
    end = next(i for i in range(start, len(text)) if "公开06表" in text[i])
    out: dict[str, float] = {}
    for line in text[start:end]:
        m = _TABLE_LINE.match(line)
        if m:
            out[m.group(1)] = float(m.group(2).replace(",", ""))
    return out


def test_xian_every_gpb_line_with_code_and_amount(warehouse):
    expected = _gpb_table_from_layout_text()
    assert len(expected) > 60  # the table runs over three pages
    assert _gpb_lines(warehouse, XIAN) == expected


def test_xian_totals(warehouse):
    # As printed in 公开01表, 公开03表, 公开05表 and 公开06表 (checked against the PDF).
    assert _figures(warehouse, XIAN, "income_current_year")[0][0] == 2015094.22
    assert _figures(warehouse, XIAN, "expenditure_current_year")[0][0] == 2074962.01
    assert _figures(warehouse, XIAN, "surplus_distribution")[0][0] == 6374.88
    assert _figures(warehouse, XIAN, "income_total")[0][0] == 2480372.70
    spend = [f for f in _figures(warehouse, XIAN, "expenditure_current_year") if f[1] is not None]
    assert spend[0][:3] == (2074962.01, 1168039.29, 906922.72)
    assert _figures(warehouse, XIAN, "gpb_expenditure")[0][:3] == (
        296047.75,
        98606.29,
        197441.45,
    )
    assert _figures(warehouse, XIAN, "personnel_expenses")[0][0] == 96513.21
    assert _figures(warehouse, XIAN, "public_expenses")[0][0] == 2093.08
    assert _figures(warehouse, XIAN, "fiscal_income_total")[0][0] == 864177.93


def test_xian_three_public_rows_of_budget_and_final(warehouse):
    # 公开09表 prints 预算数 and 决算数 as two rows; 会议费 and 培训费 are not 三公.
    got = {
        m: _figures(warehouse, XIAN, m)[0][::3]
        for m in (
            "three_public_total",
            "three_public_overseas",
            "three_public_vehicle",
            "three_public_vehicle_purchase",
            "three_public_vehicle_operation",
            "three_public_reception",
        )
    }
    assert got == {
        "three_public_total": (587.55, 593.46),
        "three_public_overseas": (0.0, 0.0),
        "three_public_vehicle": (587.44, 591.60),
        "three_public_vehicle_purchase": (136.48, 136.48),
        "three_public_vehicle_operation": (450.96, 455.12),
        "three_public_reception": (0.11, 1.86),
    }


def test_xian_errors_are_real_contradictions(warehouse):
    assert _errors(warehouse, XIAN) == {
        # Annex, performance self-evaluation no. 54: "全年预算数21143.98万元，执行数21143.98万元，
        # 完成预算的35%": equal budget and execution are 100%, not 35%.
        ("budget.completion", "第46页第13行–第46页第16行"),
    }


def test_row_numbers_are_recorded_as_such(warehouse):
    ordinal = warehouse.execute(
        "SELECT t.table_name, t.ordinal_columns FROM core.report_table t JOIN core.report r "
        "USING (report_id) WHERE r.department = '西安市卫生健康委员会' "
        "AND t.table_name = '收入支出决算总表'"
    ).fetchall()
    assert ordinal == [("收入支出决算总表", "1, 4")]
