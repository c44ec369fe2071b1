"""Marts reconcile with the core tables; exports open with another reader and are safe."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from helpers.office import convert_with_office
from openpyxl import load_workbook

from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.publish.exports import EXPORTS, safe_text
from tools.sample import generate_county


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Locations:
    root = tmp_path_factory.mktemp("county")
    generate_county(root / "raw", n_departments=5, years=(2023, 2024), seed=9)
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    return loc


@pytest.fixture(scope="module")
def con(county: Locations):
    connection = duckdb.connect(str(county.warehouse), read_only=True)
    yield connection
    connection.close()


def test_county_totals_equal_the_sum_of_departments(con):
    diff = con.execute(
        """
        SELECT count(*) FROM mart.county_subject_totals c
        JOIN (SELECT fiscal_year, subject_code, round(sum(amount_wan), 2) AS s, count(*) AS n
              FROM mart.expenditure_by_subject GROUP BY ALL) d USING (fiscal_year, subject_code)
        WHERE abs(c.total_wan - d.s) > 0.005 OR c.departments <> d.n
        """
    ).fetchone()[0]
    assert diff == 0
    # The 类 lines of each department add up to its stated total (within rounding of n items).
    off = con.execute(
        """
        SELECT count(*) FROM (
            SELECT report_id, any_value(department_total_wan) AS total, sum(amount_wan) AS s, count(*) AS n
            FROM mart.gpb_by_function WHERE level = '类' GROUP BY report_id)
        WHERE abs(total - s) > (n + 1) * 0.005
        """
    ).fetchone()[0]
    assert off == 0


def test_shares_add_up_within_rounding(con):
    bad = con.execute(
        """
        SELECT count(*) FROM (
            SELECT report_id, sum(share_pct) AS s, count(*) AS n FROM mart.expenditure_by_subject
            WHERE level = '类' GROUP BY report_id)
        WHERE abs(s - 100) > n * 0.005 + 0.01
        """
    ).fetchone()[0]
    assert bad == 0


def test_previous_year_figures_equal_last_years_marts(con):
    mismatches = con.execute(
        """
        SELECT count(*) FROM mart.expenditure_by_subject c
        JOIN mart.expenditure_by_subject p ON p.department = c.department AND p.fiscal_year = c.fiscal_year - 1
             AND p.subject_code = c.subject_code
        WHERE c.prior_year_wan IS DISTINCT FROM p.amount_wan
        """
    ).fetchone()[0]
    assert mismatches == 0
    linked = con.execute(
        "SELECT count(*) FROM mart.three_public_by_department WHERE fiscal_year = 2024 AND prior_year_wan IS NOT NULL"
    ).fetchone()[0]
    assert linked == 5
    # The generator's 2024 reports state their change on 2023; the marts agree with it.
    stated = con.execute(
        """
        SELECT count(*) FROM mart.three_public_by_department m
        JOIN core.three_public_expense s ON s.report_id = m.report_id AND s.metric = 'three_public_total'
             AND s.part = 'narrative' AND s.change_wan IS NOT NULL
        WHERE m.fiscal_year = 2024 AND abs(m.change_wan - s.change_wan) > 0.011
        """
    ).fetchone()[0]
    assert stated == 0


def test_quality_scorecard_matches_check_results(con):
    rows = con.execute(
        """
        SELECT m.errors, (SELECT count(*) FROM quality.check_result q
                          WHERE q.report_id = m.report_id AND NOT q.passed AND q.severity = 'error')
        FROM mart.quality_scorecard m
        """
    ).fetchall()
    assert rows and all(a == b for a, b in rows)


def test_workbook_opens_with_another_reader(county: Locations, con):
    for year in (2023, 2024):
        path = county.export_dir / str(year) / f"部门决算对比_{year}.xlsx"
        book = load_workbook(path, read_only=True)  # written by XlsxWriter, read by openpyxl
        assert book.sheetnames == [t.title for t in EXPORTS]
        for table in EXPORTS:
            rows = list(book[table.title].iter_rows(values_only=True))
            assert list(rows[0]) == [c.header for c in table.columns]
            n = con.execute(
                f"SELECT count(*) FROM {table.mart} WHERE fiscal_year = ?", [year]
            ).fetchone()[0]
            assert len(rows) - 1 == n
        sample = list(book["三公经费"].iter_rows(min_row=2, max_row=2, values_only=True))[0]
        total = con.execute(
            "SELECT total_wan FROM mart.three_public_by_department WHERE fiscal_year = ? AND department = ?",
            [year, sample[2]],
        ).fetchone()[0]
        assert sample[3] == pytest.approx(total)


def _stated(con, department: str, year: int, metric: str, column: str) -> float | None:
    """The first value of ``column`` the report states for ``metric``: main text, then tables,
    then annexes (the order the marts take)."""
    row = con.execute(
        f"""
        SELECT s.{column} FROM core.statement s JOIN core.report r USING (report_id)
        WHERE r.department = ? AND r.fiscal_year = ? AND s.metric = ? AND s.{column} IS NOT NULL
          AND s.subject_code IS NULL
        ORDER BY CASE s.part WHEN 'narrative' THEN 0 WHEN 'table' THEN 1 WHEN 'overview' THEN 2
                 ELSE 3 END, s.statement_no
        LIMIT 1
        """,
        [department, year, metric],
    ).fetchone()
    return row[0] if row else None


def test_sheets_show_the_budget_completion_and_change_each_report_states(county: Locations, con):
    found = {"预算数": 0, "完成率": 0, "增减": 0}
    for year in (2023, 2024):
        book = load_workbook(county.export_dir / str(year) / f"部门决算对比_{year}.xlsx")
        for title, metric in (
            ("三公经费", "three_public_total"),
            ("机关运行经费", "admin_operating_expenses"),
        ):
            rows = list(book[title].iter_rows(values_only=True))
            col = {header: i for i, header in enumerate(rows[0])}
            for row in rows[1:]:
                department = row[col["部门"]]
                cell = dict(zip(rows[0], row, strict=True)).get
                amount = _stated(con, department, year, metric, "amount_wan")
                budget = _stated(con, department, year, metric, "budget_wan")
                rate = _stated(con, department, year, metric, "completion_pct")
                change = _stated(con, department, year, metric, "change_wan")
                change_pct = _stated(con, department, year, metric, "change_pct")
                if budget is None:
                    assert cell("预算数（万元，本报告）") is None
                else:
                    assert cell("预算数（万元，本报告）") == pytest.approx(budget)
                    found["预算数"] += 1
                if rate is not None:
                    assert cell("预算完成率（%，本报告）") == pytest.approx(rate)
                    found["完成率"] += 1
                if change is not None:
                    assert cell("增减额（万元，本报告）") == pytest.approx(change)
                    assert cell("上年数（万元，本报告）") == pytest.approx(
                        amount - change, abs=0.006
                    )
                    assert cell("增减率（%，本报告）") == pytest.approx(change_pct)
                    found["增减"] += 1
                if year == 2023:  # no report of 2022 in the warehouse: nothing computed from it
                    assert cell("上年决算数（万元，据上年报告）") is None
    # the sample's reports state their change in both sheets for every department (5 departments,
    # 2 years), and the 三公 completion rate; most print the 三公 budget
    assert found["增减"] == 20 and found["完成率"] >= 10 and found["预算数"] >= 5


def test_every_amount_header_names_its_unit():
    for table in EXPORTS:
        for column in table.columns:
            if column.kind == "amount":
                assert "万元" in column.header, (table.title, column.header)
            if column.kind == "pct":
                assert "%" in column.header or "万元/人" in column.header, column.header


def test_csv_has_bom_and_parquet_matches(county: Locations, con):
    import pandas as pd

    folder = county.export_dir / "2024"
    raw = (folder / "支出结构.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "本年支出合计" in raw.decode("utf-8-sig")
    frame = pd.read_parquet(folder / "支出结构.parquet")
    assert (
        len(frame)
        == con.execute(
            "SELECT count(*) FROM mart.expenditure_structure WHERE fiscal_year = 2024"
        ).fetchone()[0]
    )
    assert (folder / "index.html").exists()


def test_workbook_converts_to_pdf_with_libreoffice(county: Locations, tmp_path: Path):
    path = county.export_dir / "2024" / "部门决算对比_2024.xlsx"
    pdf = convert_with_office(path, "pdf", tmp_path)
    assert pdf.stat().st_size > 1000


def test_formula_like_text_is_neutralized():
    for text in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx"):
        assert safe_text(text).startswith("'")
    assert safe_text("一般公共服务") == "一般公共服务"


def _texts(folder: Path) -> dict[str, str]:
    """Review pages without their 生成时间 line (the minute each was written)."""
    return {
        str(p.relative_to(folder)): re.sub(r"生成时间：[^<]*", "", p.read_text(encoding="utf-8"))
        for p in sorted(folder.rglob("*.html"))
    }


def test_review_reports_for_some_departments(county: Locations, con, tmp_path: Path):
    from pipelines.publish import review

    full = tmp_path / "full"
    review.write_review_reports(con, full)
    departments = [
        d
        for (d,) in con.execute(
            "SELECT department FROM core.report WHERE fiscal_year = 2024 ORDER BY 1"
        ).fetchall()
    ]
    assert len(_texts(full)) == 10
    # One department's report, and one whose report has gone: its old files are removed.
    part = tmp_path / "part"
    (part / "2024").mkdir(parents=True)
    for suffix in (".html", ".xlsx"):
        (part / "2024" / f"已撤销的部门{suffix}").write_text("old", encoding="utf-8")
    written = review.write_review_reports(
        con, part, only={(2024, departments[0]), (2024, "已撤销的部门")}
    )
    stem = review.review_file_stem(departments[0])
    assert written == [part / "2024" / f"{stem}.html"]
    assert sorted(p.name for p in (part / "2024").iterdir()) == [f"{stem}.html", f"{stem}.xlsx"]
    assert _texts(part) == {k: v for k, v in _texts(full).items() if k == f"2024/{stem}.html"}
    assert review.write_review_reports(con, part, only=set()) == []

    # The workbook lists the same findings as the page, in the same order.
    book = load_workbook(full / "2024" / f"{stem}.xlsx", read_only=True)
    rows = list(book["审核意见"].iter_rows(values_only=True))
    assert rows[0][0] == f"{departments[0]} 2024年度部门决算审核意见"
    assert list(rows[3]) == [
        *("序号", "级别", "检查类别", "问题说明", "原文", "位置", "检查项"),
        # the reviewer's columns, read back by the next run (pipelines.quality.dispositions)
        *("处理状态", "处理意见", "理由", "审核人", "发现编号", "数字指纹"),
    ]
    report_id = con.execute(
        "SELECT report_id FROM core.report WHERE fiscal_year = 2024 AND department = ?",
        [departments[0]],
    ).fetchone()[0]
    failed = con.execute(
        "SELECT count(*) FROM quality.check_result WHERE report_id = ? AND NOT passed",
        [report_id],
    ).fetchone()[0]
    assert [r[0] for r in rows[4:]] == list(range(1, failed + 1))


def test_exports_for_some_years(con, tmp_path: Path):
    from pipelines.publish.exports import export_all

    (tmp_path / "2019").mkdir()
    (tmp_path / "2019" / "部门决算对比_2019.xlsx").write_bytes(b"old")
    exported = export_all(con, tmp_path, years={2024, 2019})
    assert list(exported) == [2024]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024"]  # 2019 has no reports
    files = exported[2024]
    assert files["workbook"] == tmp_path / "2024" / "部门决算对比_2024.xlsx"
    assert [t for t, _, _ in files["tables"]] == [t.title for t in EXPORTS]
    assert sorted(export_all(con, tmp_path / "all")) == [2023, 2024]


def test_exports_rewrite_only_the_files_whose_rows_changed(county: Locations, tmp_path: Path):
    from pipelines.publish.exports import export_year

    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(county.warehouse, warehouse)
    out = tmp_path / "2024"
    with duckdb.connect(str(warehouse)) as con:
        first = export_year(con, 2024, out)
        assert len(first["written"]) == 1 + 2 * len(EXPORTS)  # workbook, CSV and Parquet
        assert export_year(con, 2024, out)["written"] == []  # same rows: nothing rewritten

        # one department's 三公 total corrected: its table and the workbook, nothing else
        department = con.execute(
            "SELECT min(department) FROM mart.three_public_by_department WHERE fiscal_year = 2024"
        ).fetchone()[0]
        con.execute(
            "UPDATE mart.three_public_by_department SET total_wan = total_wan + 0.1 "
            "WHERE fiscal_year = 2024 AND department = ?",
            [department],
        )
        changed = export_year(con, 2024, out)
        assert [p.name for p in changed["written"]] == sorted(
            ["三公经费.csv", "三公经费.parquet", "部门决算对比_2024.xlsx"]
        )
        sheet = load_workbook(out / "部门决算对比_2024.xlsx", read_only=True)["三公经费"]
        totals = {row[2]: row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
        expected = con.execute(
            "SELECT total_wan FROM mart.three_public_by_department "
            "WHERE fiscal_year = 2024 AND department = ?",
            [department],
        ).fetchone()[0]
        assert totals[department] == pytest.approx(expected)

        # a file deleted by hand is written again; rewrite=True writes everything
        (out / "审核情况.csv").unlink()
        assert [p.name for p in export_year(con, 2024, out)["written"]] == ["审核情况.csv"]
        assert len(export_year(con, 2024, out, rewrite=True)["written"]) == 1 + 2 * len(EXPORTS)
    assert not list(out.glob(".*.tmp"))  # written through temporary files, none left behind


def test_index_lists_each_review_with_the_verdict_it_shows(county: Locations, con):
    from pipelines.publish.review import review_file_stem

    text = (county.export_dir / "2024" / "index.html").read_text(encoding="utf-8")
    rows = con.execute(
        "SELECT department, errors, warnings, notes, grade FROM mart.quality_scorecard "
        "WHERE fiscal_year = 2024 ORDER BY department"
    ).fetchall()
    assert len(rows) == 5
    for department, errors, warnings, notes, grade in rows:
        review = county.reports_dir / "2024" / f"{review_file_stem(department)}.html"
        line = next(line for line in text.splitlines() if f">{department}</a>" in line)
        # the verdict the review itself opens with, then grade and counts
        shown = re.search(r'<td class="verdict-\w+">([^<]+)</td>', line).group(1)
        assert shown in review.read_text(encoding="utf-8")
        assert f"<td>{grade}</td>" in line
        assert re.findall(r'<td class="n">(\d+)</td>', line) == [
            str(errors),
            str(warnings),
            str(notes),
        ]
        assert "raw/2024/" in line  # the source file it was read from


def test_findings_page_lists_every_failed_check_of_the_year(county: Locations, con):
    page = county.export_dir / "2024" / "findings.html"
    text = page.read_text(encoding="utf-8")
    failed = con.execute(
        "SELECT count(*) FROM quality.check_result q JOIN core.report r USING (report_id) "
        "WHERE NOT q.passed AND r.fiscal_year = 2024"
    ).fetchone()[0]
    assert failed > 0 and text.count(" data-level=") == failed
    index = (county.export_dir / "2024" / "index.html").read_text(encoding="utf-8")
    assert 'href="findings.html"' in index
