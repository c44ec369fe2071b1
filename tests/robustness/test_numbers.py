"""Odd numbers: accounting negatives are understood, unreadable figures never hand their share
or change to a neighbour, and no infinite or absurd amount reaches the warehouse or exports."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from pipelines.catalogue import Resolver
from pipelines.ingest.extract.narrative import NarrativeExtractor
from pipelines.ingest.extract.tables import _is_number, _number
from tests.robustness.county import (
    YEAR,
    Published,
    assert_good_published,
    planted,
    publish,
)

HEAD = "本年支出合计1706.99万元，其中：基本支出1000.00万元，占58.58%；"


def _statements(resolver: Resolver, text: str):
    return NarrativeExtractor(resolver, YEAR).extract(text, 0, "第1行", "narrative", "", 1)


@pytest.mark.parametrize(
    "printed, value",
    [("（1,706.99）万元", -1706.99), ("(1706.99)万元", -1706.99), ("△6238.99万元", -6238.99)],
)
def test_accounting_negatives_in_the_narrative(
    resolver: Resolver, printed: str, value: float
) -> None:
    [st] = _statements(resolver, f"本年支出合计{printed}。")
    assert st.metric == "expenditure_current_year" and st.amount_wan == value


def test_a_decrease_marked_twice_is_one_decrease(resolver: Resolver) -> None:
    [st] = _statements(resolver, "本年支出合计1706.99万元，较上年减少△6238.99万元。")
    assert st.change_wan == -6238.99


def test_a_list_marker_in_brackets_stays_a_marker(resolver: Resolver) -> None:
    sts = _statements(resolver, "(1)本年支出合计1706.99万元。")
    assert [s.amount_wan for s in sts] == [1706.99]


@pytest.mark.parametrize(
    "cell, value",
    [("(1,706.99)", -1706.99), ("（1706.99）", -1706.99), ("△6238.99", -6238.99), ("12.5", 12.5)],
)
def test_accounting_negatives_in_table_cells(cell: str, value: float) -> None:
    assert _is_number(cell) and _number(cell) == value


def test_a_row_marker_cell_is_no_number() -> None:
    assert not _is_number("(1)")


@pytest.mark.parametrize("figure", ["NaN", "inf", "叁佰陆拾伍点陆", "1.7995e2"])
def test_unreadable_figure_keeps_its_share(resolver: Resolver, figure: str) -> None:
    sts = _statements(resolver, f"{HEAD}项目支出{figure}万元，占41.42%。")
    shares = {s.label: s.share_pct for s in sts}
    assert shares["基本支出"] == 58.58  # the neighbour keeps its own share, not 41.42
    assert 41.42 not in shares.values()
    unreadable = [s for s in sts if s.value_text == figure]
    assert len(unreadable) == 1 and unreadable[0].amount_wan is None
    # no junk from the pieces of the figure ("2万元" of "1.7995e2万元")
    assert {s.amount_wan for s in sts} == {1706.99, 1000.0, None}


def test_unreadable_change_keeps_its_rate(resolver: Resolver) -> None:
    sts = _statements(resolver, "本年支出合计1706.99万元，较上年减少NaN万元，下降5.00%。")
    assert all(s.change_pct is None and s.change_wan is None for s in sts)


# ------------------------------------------------------------------------ whole job


def test_absurd_and_unreadable_figures_beside_good_reports(
    clean: tuple[Path, Published], tmp_path: Path
) -> None:
    """A report stating a 400-digit amount, an amount beyond the plausible size, "NaN万元" and
    an accounting negative: it loads, the bad figures are refused with warnings, nothing
    infinite reaches the warehouse, and every year's exports are written."""
    raw = planted(clean[0], tmp_path)
    source = next((raw / str(YEAR)).glob("*.txt"))
    lines = source.read_text(encoding="utf-8").splitlines()
    odd = (
        f"本年收入合计{'9' * 400}万元，占100.00%。本年支出合计{'8' * 12}万元。"
        "其他支出NaN万元，占12.34%。其他收入（1,706.99）万元。"
    )
    text = "\n".join([lines[0].replace("云溪县", "云山县"), odd, *lines[1:]])
    (raw / str(YEAR) / "云山县某局.txt").write_text(text.replace("云溪县", "云山县"), "utf-8")
    result = publish(raw, tmp_path / "warehouse")
    assert_good_published(result, clean[1], same_exports=False)
    path = f"{YEAR}/云山县某局.txt"
    assert path in result.reports
    with duckdb.connect(str(result.loc.warehouse), read_only=True) as con:
        rid = con.execute("SELECT report_id FROM core.report WHERE source_path = ?", [path])
        rid = rid.fetchone()[0]
        values = con.execute(
            "SELECT amount_wan, share_pct, value_text FROM core.statement WHERE report_id = ?",
            [rid],
        ).fetchall()
        warnings = con.execute(
            "SELECT message, source_text FROM quality.check_result WHERE report_id = ? "
            "AND check_id = 'extract.implausible_figure'",
            [rid],
        ).fetchall()
    assert all(a is None or (math.isfinite(a) and abs(a) < 1e8) for a, _, _ in values)
    assert 12.34 not in {s for _, s, _ in values}
    assert (-1706.99, None, "-1,706.99") in values
    assert len(warnings) == 3  # 400 digits, 12 digits, NaN
    assert all("未入库" in m for m, _ in warnings)
    for csv in result.exports.values():
        assert b"inf" not in csv.lower() and b"nan" not in csv.lower()
    assert (result.loc.export_dir / str(YEAR) / f"部门决算对比_{YEAR}.xlsx").exists()


def test_exports_never_receive_an_infinite_figure(
    clean: tuple[Path, Published], tmp_path: Path
) -> None:
    """DuckDB divides by zero to inf; whatever reaches a mart as ±inf or NaN is a blank cell
    in the workbook and CSV and a null in Parquet."""
    import pandas as pd
    from openpyxl import load_workbook

    from pipelines.publish.exports import export_year

    warehouse = tmp_path / "budget.duckdb"
    warehouse.write_bytes(clean[1].loc.warehouse.read_bytes())
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE mart.expenditure_structure SET basic_share_pct = 1.0 / 0.0, "
            "project_share_pct = 'nan'::DOUBLE"
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        files = export_year(con, YEAR, tmp_path / "out")
    book = load_workbook(files["workbook"])
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in values)
    csv = (tmp_path / "out" / "支出结构.csv").read_text(encoding="utf-8-sig")
    assert "inf" not in csv.lower() and "nan" not in csv.lower()
    frame = pd.read_parquet(tmp_path / "out" / "支出结构.parquet")
    assert frame["basic_share_pct"].isna().all() and frame["project_share_pct"].isna().all()
