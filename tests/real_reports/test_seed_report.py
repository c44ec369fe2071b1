"""The seed report (泸县人民政府办公室 2023): every amount of its 第二部分, read from the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.orchestration.run import Locations, run_pipeline

# 一般公共预算财政拨款支出决算具体情况: the 13 项 lines, as stated.
SEED_ITEMS = {
    "2010301": 822.72,
    "2010302": 403.00,
    "2010350": 204.13,
    "2010399": 251.00,
    "2080505": 103.04,
    "2080506": 43.99,
    "2080599": 3.49,
    "2100410": 1.80,
    "2101101": 19.37,
    "2101102": 9.73,
    "2101103": 8.04,
    "2210201": 77.28,
    "2240599": 26.58,
}
# The structure paragraph: 类 lines with their stated shares.
SEED_CLASSES = {
    "201": (1680.85, 85.30),
    "208": (148.83, 7.55),
    "210": (37.14, 1.88),
    "221": (77.28, 3.92),
    "224": (26.58, 1.35),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    from tests.conftest import SEED_REPORT, real_file

    root = tmp_path_factory.mktemp("seed")
    raw = root / "raw" / "2023"
    raw.mkdir(parents=True)
    (raw / "泸县人民政府办公室.txt").write_bytes(real_file(SEED_REPORT.name).read_bytes())
    loc = Locations(root / "raw", root / "warehouse" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    con = duckdb.connect(str(loc.warehouse), read_only=True)
    yield con
    con.close()


def one(con, sql: str, *params):
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) >= 1, f"no row for {sql} {params}"
    return rows[0]


def narrative_metric(con, metric: str, part: str = "narrative"):
    return one(
        con,
        "SELECT amount_wan, share_pct, change_wan, change_pct, budget_wan, completion_pct, source_text, source_location "
        "FROM core.statement WHERE metric = ? AND part = ? ORDER BY statement_no",
        metric,
        part,
    )


def test_report_identity(warehouse):
    dept, year, region, fmt = one(
        warehouse, "SELECT department, fiscal_year, region, source_format FROM core.report"
    )
    assert (dept, year, region, fmt) == ("泸县人民政府办公室", 2023, "泸县", "txt")


def test_item_lines_with_codes(warehouse):
    rows = warehouse.execute(
        "SELECT subject_code, amount_wan, completion_pct, level, source_location FROM core.expenditure_by_function "
        "WHERE level = '项' AND basis = '一般公共预算财政拨款' AND part = 'narrative'"
    ).fetchall()
    assert {code: amount for code, amount, *_ in rows} == SEED_ITEMS
    assert all(pct == 100.0 for _, _, pct, _, _ in rows)
    # Provenance: each line is quoted with its line number.
    assert all(loc.startswith("第") and loc.endswith("行") for *_, loc in rows)


def test_class_lines_with_shares(warehouse):
    rows = warehouse.execute(
        "SELECT e.subject_code, e.amount_wan, e.share_pct FROM core.expenditure_by_function e "
        "WHERE level = '类' AND part = 'narrative'"
    ).fetchall()
    assert {code: (amount, share) for code, amount, share in rows} == SEED_CLASSES


def test_totals_and_changes(warehouse):
    assert narrative_metric(warehouse, "income_total")[:4] == (1970.68, None, -84.56, -4.11)
    assert narrative_metric(warehouse, "expenditure_total")[:4] == (1970.68, None, -84.56, -4.11)
    assert narrative_metric(warehouse, "income_current_year")[0] == 1970.68
    assert narrative_metric(warehouse, "expenditure_current_year")[0] == 1970.68
    assert narrative_metric(warehouse, "fiscal_income_total")[:4] == (1970.68, None, -84.56, -4.11)
    assert narrative_metric(warehouse, "gpb_expenditure")[:4] == (1970.68, 100.0, -84.56, -4.11)
    amount, share, *_ = one(
        warehouse,
        "SELECT amount_wan, share_pct, share_of FROM core.income_by_source WHERE metric = 'income_general_budget'",
    )
    assert (amount, share) == (1970.68, 100.0)


def test_basic_and_project(warehouse):
    rows = dict(
        warehouse.execute(
            "SELECT metric, [amount_wan, share_pct] FROM core.expenditure_by_type WHERE part = 'narrative'"
        ).fetchall()
    )
    assert rows["expenditure_basic"] == [1290.10, 65.46]
    # The report prints 64.54% for 项目支出 (680.58 of 1970.68 is 34.53%): kept as printed.
    assert rows["expenditure_project"] == [680.58, 64.54]


def test_personnel_and_public(warehouse):
    rows = dict(
        warehouse.execute(
            "SELECT metric, amount_wan FROM core.basic_expenditure WHERE part = 'narrative'"
        ).fetchall()
    )
    assert rows == {"gpb_basic": 1290.10, "personnel_expenses": 1086.32, "public_expenses": 203.78}


def test_three_public(warehouse):
    total = narrative_metric(warehouse, "three_public_total")
    assert total[0] == 67.41 and total[2:4] == (5.08, 8.14) and total[5] == 46.17
    facts = warehouse.execute(
        "SELECT metric, amount_wan, count_value, share_pct, completion_pct, flat FROM core.three_public_expense "
        "WHERE part = 'narrative' ORDER BY statement_no"
    ).fetchall()
    by_metric: dict[str, list[tuple]] = {}
    for metric, *rest in facts:
        by_metric.setdefault(metric, []).append(tuple(rest))
    assert (0.0, None, 0.0, None, False) in by_metric["three_public_overseas"]
    assert (11.0, None, 16.32, None, False) in by_metric["three_public_vehicle"]
    assert (56.41, None, 85.68, None, False) in by_metric["three_public_reception"]
    assert by_metric["three_public_vehicle_purchase"][0][0] == 0.0
    assert by_metric["three_public_vehicle_operation"][0] == (
        11.0,
        None,
        None,
        100.0,
        True,
    )  # 与上年持平
    assert by_metric["reception_domestic"][0][0] == 56.41
    assert by_metric["reception_batches"][0][1] == 232
    assert by_metric["reception_persons"][0][1] == 4825
    reception = [r for r in by_metric["three_public_reception"] if r[3] == 66.36]
    assert reception, "公务接待费 56.41 with 完成预算66.36%"


def test_admin_operating_expenses(warehouse):
    amount, _share, change, pct, *_ = narrative_metric(warehouse, "admin_operating_expenses")
    assert (amount, change, pct) == (203.78, 14.89, 19.44)


def test_procurement_and_assets(warehouse):
    procurement = dict(
        warehouse.execute("SELECT metric, amount_wan FROM core.government_procurement").fetchall()
    )
    assert procurement == {
        "procurement_total": 0.0,
        "procurement_goods": 0.0,
        "procurement_works": 0.0,
        "procurement_services": 0.0,
    }
    vehicles = warehouse.execute(
        "SELECT count_value FROM core.asset_holding WHERE metric = 'vehicles_total' AND part = 'narrative'"
    ).fetchall()
    assert (2.0,) in vehicles


def test_every_statement_quoted(warehouse):
    missing = warehouse.execute(
        "SELECT count(*) FROM core.statement WHERE source_text IS NULL OR source_text = '' OR source_location = ''"
    ).fetchone()[0]
    assert missing == 0


def test_mart_and_export(warehouse, tmp_path: Path):
    rows = dict(
        warehouse.execute(
            "SELECT subject_code, amount_wan FROM mart.gpb_by_function WHERE department = '泸县人民政府办公室'"
        ).fetchall()
    )
    assert rows["201"] == 1680.85
    assert rows["20103"] == pytest.approx(822.72 + 403.00 + 204.13 + 251.00)  # summed from its 项


def test_project_performance_forms(warehouse):
    rows = warehouse.execute(
        "SELECT project_name, budget_wan, executed_wan, fiscal_budget_wan, indicator_count, source_location "
        "FROM core.project_performance ORDER BY project_no"
    ).fetchall()
    assert [(r[1], r[2], r[3]) for r in rows] == [
        (165.0, 165.0, 165.0),
        (55.0, 55.0, 55.0),
        (150.0, 150.0, 150.0),
        (200.0, 200.0, 200.0),
    ]
    assert all(r[4] >= 5 and r[5].startswith("第") for r in rows)
    indicators = warehouse.execute(
        "SELECT indicators FROM core.project_performance LIMIT 1"
    ).fetchone()[0]
    assert "数量指标" in indicators and "满意度指标" in indicators
