"""Charts (PNG with Chinese labels, reproducible bytes) and the exports' index.html."""

from __future__ import annotations

import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import matplotlib
import pandas as pd
import pytest

from pipelines.publish import charts
from pipelines.publish.index import write_index

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEPARTMENTS = ["甲县教育局", "甲县卫生健康局", "甲县农业农村局", "甲县财政局", "<b>x</b>"]


@pytest.fixture(scope="module")
def cjk_font() -> str:
    try:
        return charts.cjk_font_name()
    except RuntimeError as exc:
        pytest.skip(f"no CJK font for chart labels: {exc}")


def _expenditure() -> pd.DataFrame:
    classes = ["一般公共服务支出", "教育支出", "卫生健康支出", "农林水支出"]
    rows = [
        (dep, cls, 1234.5 * (i + 1) + 321.0 * j)
        for i, dep in enumerate(DEPARTMENTS)
        for j, cls in enumerate(classes)
        if (i + j) % 3
    ]
    return pd.DataFrame(rows, columns=["department", "subject_name", "amount_wan"])


def _three_public() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "department": DEPARTMENTS,
            "overseas_wan": [0.0, 1.5, 0.0, 2.25, 0.0],
            "vehicle_wan": [12.3, 8.0, 25.6, 4.1, 0.9],
            "reception_wan": [1.2, 0.8, 3.3, 0.0, 0.4],
        }
    )


def _admin() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "department": DEPARTMENTS,
            "amount_wan": [120.0, 85.5, 240.0, 60.2, 33.0],
            "per_staff_wan": [2.4, float("nan"), 3.1, 1.9, 2.75],
        }
    )


def _quality() -> pd.DataFrame:
    return pd.DataFrame(
        {"department": DEPARTMENTS, "errors": [0, 2, 1, 0, 3], "warnings": [4, 1, 0, 0, 2]}
    )


CASES = {
    "expenditure_by_class": (
        charts.chart_expenditure_by_class,
        _expenditure,
        "2023年各部门一般公共预算财政拨款支出构成（按类）",
    ),
    "three_public": (charts.chart_three_public, _three_public, "2023年各部门“三公”经费支出"),
    "admin_per_staff": (
        charts.chart_admin_per_staff,
        _admin,
        "2023年各部门机关运行经费人均支出",
    ),
    "quality": (charts.chart_quality, _quality, "2023年各部门决算审核结果"),
}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", sorted(CASES))
def test_chart_is_valid_png_and_reproducible(name: str, cjk_font: str, tmp_path: Path) -> None:
    func, make_df, title = CASES[name]
    first = func(make_df(), tmp_path / "a" / f"{name}.png", title)
    second = func(make_df(), tmp_path / "b" / f"{name}.png", title)
    assert first == tmp_path / "a" / f"{name}.png"
    data = first.read_bytes()
    width, height = _png_size(data)
    assert width == round(charts.FIG_WIDTH * charts.DPI)
    assert 300 <= height <= 3000
    assert 10_000 < len(data) < 2_000_000
    from PIL import Image

    with Image.open(first) as img:
        img.verify()
    assert data == second.read_bytes(), "two runs must give identical PNG bytes"
    assert b"Software" not in data


def test_chart_bytes_identical_across_processes(cjk_font: str, tmp_path: Path) -> None:
    here = charts.chart_quality(_quality(), tmp_path / "here.png", "审核结果")
    code = (
        "import sys, pandas as pd\n"
        "from pathlib import Path\n"
        "from pipelines.publish import charts\n"
        f"df = pd.DataFrame({_quality().to_dict(orient='list')!r})\n"
        "charts.chart_quality(df, Path(sys.argv[1]), '审核结果')\n"
    )
    there = tmp_path / "there.png"
    subprocess.run(
        [sys.executable, "-c", code, str(there)],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert here.read_bytes() == there.read_bytes()


def test_chart_caps_at_top_30_and_grows_with_bars(cjk_font: str, tmp_path: Path) -> None:
    many = pd.DataFrame(
        {
            "department": [f"部门{i:03d}" for i in range(150)],
            "amount_wan": 10.0,
            "per_staff_wan": [float(i % 17) + 0.5 for i in range(150)],
        }
    )
    small = charts.chart_admin_per_staff(many.head(5), tmp_path / "small.png", "人均")
    capped = charts.chart_admin_per_staff(many, tmp_path / "capped.png", "人均")
    thirty = charts.chart_admin_per_staff(many.head(30), tmp_path / "thirty.png", "人均")
    h_small = _png_size(small.read_bytes())[1]
    h_capped = _png_size(capped.read_bytes())[1]
    h_thirty = _png_size(thirty.read_bytes())[1]
    assert h_small < h_thirty
    # 150 departments draw 30 bars (plus a one-line note), not 150.
    assert h_thirty <= h_capped < h_thirty + 100


def test_chart_without_rows_still_writes_png(cjk_font: str, tmp_path: Path) -> None:
    empty = _quality().iloc[0:0]
    out = charts.chart_quality(empty, tmp_path / "empty.png", "审核结果")
    assert _png_size(out.read_bytes())[0] > 0


def test_chart_does_not_change_global_rcparams(cjk_font: str, tmp_path: Path) -> None:
    before = list(matplotlib.rcParams["font.family"])
    charts.chart_quality(_quality(), tmp_path / "q.png", "审核结果")
    assert list(matplotlib.rcParams["font.family"]) == before


def test_missing_font_names_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(charts.FONT_ENV, str(tmp_path / "no-such-font.ttc"))
    with pytest.raises(RuntimeError, match="fonts-wqy-microhei"):
        charts.cjk_font_name()


def test_font_without_chinese_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    latin = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setenv(charts.FONT_ENV, str(latin))
    with pytest.raises(RuntimeError, match="fonts-wqy-microhei"):
        charts.cjk_font_name()


# ---------------------------------------------------------------- index ----


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.imgs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attrs_d = dict(attrs)
        if tag == "a" and attrs_d.get("href"):
            self.links.append(attrs_d["href"])
        if tag == "img":
            self.imgs.append(attrs_d)
            self.links.append(attrs_d["src"])


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_index_links_relative_existing_and_escaped(tmp_path: Path) -> None:
    out_dir = tmp_path / "exports" / "2023"
    workbook = _touch(out_dir / "2023年度部门决算汇总.xlsx")
    tables = [
        (
            "一般公共预算财政拨款支出（按科目）",
            _touch(out_dir / "tables" / "gpb by function.csv"),
            _touch(out_dir / "tables" / "gpb#1.parquet"),
        ),
        (
            "“三公”经费 & 机关运行经费",
            _touch(out_dir / "tables" / "三公.csv"),
            _touch(out_dir / "tables" / "三公.parquet"),
        ),
    ]
    charts_list = [
        ('各部门"三公"经费<script>', _touch(out_dir / "charts" / "三公.png")),
    ]
    reviews = [
        ("甲县教育局", _touch(tmp_path / "reviews" / "甲县教育局.html")),
        ("<b>x</b>", _touch(tmp_path / "reviews" / "x?.html")),
    ]

    index = write_index(out_dir, 2023, workbook, tables, charts_list, reviews)
    assert index == out_dir / "index.html"
    text = index.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text
    assert "2023年度部门决算审核与比较" in text
    assert "http" not in text and 'src="/' not in text  # no external resources

    parser = _Links()
    parser.feed(text)
    assert len(parser.links) == 1 + 2 * len(tables) + 2 * len(charts_list) + len(reviews)
    for href in parser.links:
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc and not href.startswith("/"), href
        assert (out_dir / unquote(parts.path)).resolve().is_file(), href
    assert any(h.startswith("../../reviews/") for h in parser.links)

    # Names from documents are escaped, never markup.
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    assert "<b>x</b>" not in text
    assert "<script>" not in text
    assert "&amp; 机关运行经费" in text
    assert parser.imgs[0]["alt"] == '各部门"三公"经费<script>'


def test_index_marks_missing_files_and_empty_sections(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    index = write_index(out_dir, 2024, out_dir / "missing.xlsx", [], [], [])
    text = index.read_text(encoding="utf-8")
    assert "2024年度部门决算审核与比较" in text
    assert "（文件不存在）" in text
    assert "无数据表" in text and "无图表" in text and "无审核报告" in text


def _colours_in(png: Path) -> set[tuple[int, int, int]]:
    from PIL import Image

    with Image.open(png) as img:
        return {rgb for _, rgb in img.convert("RGB").getcolors(maxcolors=1 << 20)}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_a_class_keeps_its_colour_across_years_whatever_its_rank(
    cjk_font: str, tmp_path: Path
) -> None:
    def year(education: float, health: float, health_name: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "department": ["甲县教育局", "甲县教育局"],
                "subject_code": ["205", "210"],
                "subject_name": ["教育支出", health_name],
                "amount_wan": [education, health],
            }
        )

    # 教育 first in one year, second in the next; 210 renamed between the years
    first = charts.chart_expenditure_by_class(
        year(900.0, 100.0, "医疗卫生与计划生育支出"), tmp_path / "2018.png", "2018"
    )
    second = charts.chart_expenditure_by_class(
        year(100.0, 900.0, "卫生健康支出"), tmp_path / "2019.png", "2019"
    )
    education, health = _rgb(charts.class_colour("205")), _rgb(charts.class_colour("210"))
    assert education != health
    for png in (first, second):
        assert {education, health} <= _colours_in(png)
    assert charts.class_colour("205") == charts.class_colour(205)
    # every 类 of the catalogue (201 … 234) its own colour, none grey like "其他各类"
    colours = [_rgb(charts.class_colour(str(code))) for code in range(201, 235)]
    assert len(set(colours)) == len(colours)
    assert not any(r == g == b for r, g, b in colours)
    # a line without a code: a colour that depends on its name only
    assert charts.class_colour(None, "其他支出") == charts.class_colour(float("nan"), "其他支出")


def test_findings_chart_labels_only_nonzero_counts(
    cjk_font: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.axes import Axes

    labels: list[str] = []
    text = Axes.text

    def recording(self, x, y, s, *args, **kwargs):
        labels.append(s)
        return text(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Axes, "text", recording)
    charts.chart_quality(_quality(), tmp_path / "q.png", "审核结果")
    counts = [label.strip() for label in labels]
    nonzero = [v for v in _quality()[["errors", "warnings"]].to_numpy().ravel() if v]
    assert sorted(counts) == sorted(f"{v:,}" for v in nonzero)
    assert "0" not in counts


def test_index_lists_each_review_with_verdict_grade_counts_and_source(tmp_path: Path) -> None:
    from pipelines.publish.index import ReviewEntry

    out_dir = tmp_path / "out" / "exports" / "2024"
    reviews = tmp_path / "out" / "reports" / "2024"
    raw = tmp_path / "raw" / "2024"
    entries = [
        ReviewEntry(
            department="甲县教育局",
            report=_touch(reviews / "甲县教育局.html"),
            verdict="发现2处错误、1处提醒，建议修改后再公开。",
            verdict_class="error",
            grade="C",
            errors=2,
            warnings=1,
            notes=0,
            workbook=_touch(reviews / "甲县教育局.xlsx"),
            source=_touch(raw / "甲县教育局 #1.docx"),
        ),
        ReviewEntry(
            department="<i>乙</i>",
            report=_touch(reviews / "乙.html"),
            verdict="未发现错误或需核对的问题。",
            verdict_class="ok",
            grade="A",
            errors=0,
            warnings=0,
            notes=1,
        ),
    ]
    index = write_index(out_dir, 2024, _touch(out_dir / "book.xlsx"), [], [], entries)
    text = index.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(text)
    for href in parser.links:
        assert (out_dir / unquote(urlsplit(href).path)).resolve().is_file(), href
    assert "../../reports/2024/%E7%94%B2%E5%8E%BF%E6%95%99%E8%82%B2%E5%B1%80.xlsx" in parser.links
    assert any(h.startswith("../../../raw/2024/") and h.endswith("%231.docx") for h in parser.links)
    assert '<td class="verdict-error">发现2处错误、1处提醒，建议修改后再公开。</td>' in text
    assert "<td>C</td>" in text and '<td class="n">2</td>' in text
    assert '<td class="verdict-ok">未发现错误或需核对的问题。</td><td>A</td>' in text
    assert "&lt;i&gt;乙&lt;/i&gt;" in text and "<i>乙</i>" not in text
