"""Messages that read right (issue 14, item 9): intervals printed with enough digits that the
stated figure is visibly outside them, one explanation per finding, check names in Chinese in
everything a reviewer reads, and a review header that gives the time it was generated, not a
path on the server."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from pipelines.ingest.extract import extract_statements
from pipelines.publish.review import check_name
from pipelines.quality.builders import _amount_bounds, _sum_row, share_checks
from tests.helpers.documents import lines_document

_NUMBER = re.compile(r"-?[\d,]+\.\d+")


def _printed_interval(message: str) -> tuple[float, float]:
    inside = message[message.index("允许舍入区间") :]
    lo, hi = (float(x.replace(",", "")) for x in _NUMBER.findall(inside)[:2])
    return lo, hi


def _figure(amount: float, no: int) -> SimpleNamespace:
    return SimpleNamespace(
        amount_wan=amount, unit="万元", metric="x", label=f"项{no}", subject_code=None,
        subject_name=None, source_location=f"第{no}行", source_text="", statement_no=no,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("stated", "children"),
    [
        (62.32, (40.10, 22.20)),  # allowed 62.285–62.315: two decimals would print 62.29–62.32
        (62.28, (40.10, 22.20)),
        (150.52, (103.04, 43.99, 3.46)),
        (1_000.03, (500.00, 500.00)),
    ],
)
def test_a_sum_interval_shows_the_stated_total_outside(stated, children) -> None:
    row = _sum_row(
        "r", _figure(stated, 1), [_figure(a, n) for n, a in enumerate(children, 2)], "sum.x"
    )
    assert not row.lower <= row.observed <= row.upper  # the check fails ...
    lo, hi = _printed_interval(row.message)
    assert not lo <= stated <= hi, row.message  # ... and the message shows why
    assert abs(lo - row.lower) <= 0.0051 and abs(hi - row.upper) <= 0.0051


def test_amount_bounds_digits() -> None:
    # two decimals would print 62.28–62.32 around a stated 62.32
    assert _amount_bounds(62.2849999, 62.3150001, 62.32) == "62.285–62.315万元"
    assert _amount_bounds(150.50, 150.54, 148.83) == "150.50–150.54万元"


def test_one_explanation_per_finding(resolver) -> None:
    """A share cut instead of rounded, in a group moved to add up to 100%: the finding gives
    the 100% explanation only, not also the cut digits."""
    doc = lines_document(
        "测试局2023年度部门决算",
        "三、支出决算情况说明",
        "2023年本年支出合计10000.00万元，其中：基本支出1234.56万元，占12.34%；"
        "项目支出3999.60万元，占40.00%；上缴上级支出4765.84万元，占47.66%。",
    )
    statements = pd.DataFrame(
        [{"report_id": "r", **s.as_row()} for s in extract_statements(doc, 2023, resolver)]
    )
    frame = share_checks(statements)
    failing = frame[(frame["observed"] < frame["lower"]) | (frame["observed"] > frame["upper"])]
    (message,) = failing["message"]
    assert "凑足100%" in message and "截去" not in message
    assert failing["severity"].tolist() == ["info"]


def test_every_check_has_a_chinese_name() -> None:
    """Every check id the project writes (literal or built from a family) is named in Chinese."""
    root = Path(__file__).resolve().parents[2] / "pipelines"
    ids = set()
    for path in root.rglob("*.py"):
        ids |= set(re.findall(r"[\"'](\b(?:share|sum|yoy|budget|cross_section|code|completeness|"
                              r"identity|reading|text|package|extract)\.[a-z_]+)[\"']",
                              path.read_text(encoding="utf-8")))  # fmt: skip
    assert len(ids) > 20
    for check_id in sorted(ids) + ["code.old_name", "completeness.vehicles_total", "sum.gpb_basic"]:
        name = check_name(check_id, check_id.split(".")[0])
        assert name and not re.search(r"[A-Za-z]", name), (check_id, name)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    """The synthetic sample county with planted faults of several families, run once."""
    from pipelines.orchestration.run import Locations, run_pipeline
    from tools.sample.faults import make_faulty_corpus

    root = tmp_path_factory.mktemp("messages")
    make_faulty_corpus(root, 1, (2024,), 5, kinds=("share",), formats=("txt",))
    raw = root / "faulty" / "share"
    loc = Locations(raw, root / "wh" / "budget.duckdb", root / "out")
    run_pipeline(loc, workers=1)
    return loc


def test_reviews_name_checks_in_chinese_and_give_their_time_not_a_path(county) -> None:
    with duckdb.connect(str(county.warehouse), read_only=True) as con:
        ids = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT check_id FROM quality.check_result WHERE NOT passed"
            ).fetchall()
        }
    assert ids
    english = re.compile("|".join(re.escape(i) for i in sorted(ids)))
    pages = sorted(county.reports_dir.rglob("*.html")) + sorted(
        county.export_dir.rglob("findings.html")
    )
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)>.*?</\1>", "", text, flags=re.S))
        assert not english.search(visible), (page.name, english.search(visible).group())
        assert str(county.raw_dir) not in text and str(county.out) not in text
    for review in sorted(county.reports_dir.rglob("*.html")):
        text = review.read_text(encoding="utf-8")
        assert re.search(r"生成时间：\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}", text)
        cells = [
            str(c) for row in load_workbook(review.with_suffix(".xlsx"), read_only=True).active.iter_rows(values_only=True)
            for c in row if c is not None
        ]  # fmt: skip
        assert not any(english.fullmatch(c) for c in cells)
        assert not any(str(county.raw_dir) in c for c in cells)
