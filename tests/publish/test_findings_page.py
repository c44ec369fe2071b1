"""The county's findings page: every finding on one static page, filtered by department, level
and family without any network (checked in headless Chromium where it is installed)."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipelines.publish.findings_page import Finding, write_findings_page

CHROMIUM = Path("/usr/bin/chromium")


def _finding(department: str, level: str, family: str, message: str, review=None) -> Finding:
    return Finding(
        department, level, family, message, "原文“一句话”", "第3行", f"{family}.x", review
    )


FINDINGS = [
    _finding("甲县教育局", "error", "share", "占比与金额不符"),
    _finding("甲县教育局", "warning", "code", "科目名称为旧称"),
    _finding("乙县<b>财政局</b>", "error", "sum", "合计与各项之和不符"),
    _finding("乙县<b>财政局</b>", "error", "share", "占比与金额不符"),
    _finding("乙县<b>财政局</b>", "info", "share", "为凑足100%调整0.01"),
]


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.scripts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "data-level" in a:
            self.rows.append(a)
        if tag in ("script", "img") and a.get("src"):
            self.scripts.append(a["src"])
        if tag == "link" and a.get("href"):
            self.scripts.append(a["href"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _page(tmp_path: Path) -> Path:
    review = tmp_path / "reports" / "2024" / "甲县教育局.html"
    review.parent.mkdir(parents=True)
    review.write_text("审核意见", encoding="utf-8")
    findings = [*FINDINGS]
    findings[0] = _finding("甲县教育局", "error", "share", "占比与金额不符", review)
    return write_findings_page(tmp_path / "exports" / "2024", 2024, findings)


def test_page_holds_every_finding_escaped_with_no_external_resource(tmp_path: Path) -> None:
    page = _page(tmp_path)
    text = page.read_text(encoding="utf-8")
    parser = _Rows()
    parser.feed(text)
    assert len(parser.rows) == len(FINDINGS)
    assert [r["data-level"] for r in parser.rows] == [f.level for f in FINDINGS]
    assert parser.scripts == []  # the filter script is inline; nothing is fetched
    assert "http" not in text
    assert "乙县&lt;b&gt;财政局&lt;/b&gt;" in text and "<b>财政局</b>" not in text
    assert (
        "../../reports/2024/" + "%E7%94%B2%E5%8E%BF%E6%95%99%E8%82%B2%E5%B1%80.html" in parser.links
    )
    # one option per department, level and family found, plus 全部
    assert text.count('<option value="">全部</option>') == 3
    assert '<option value="share">占比</option>' in text


def test_no_findings_says_so(tmp_path: Path) -> None:
    text = write_findings_page(tmp_path, 2023, []).read_text(encoding="utf-8")
    assert "均未发现问题" in text and "<tbody>" not in text


def _visible_rows(page: Path, fragment: str) -> list[str]:
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = re.findall(r"<tr ([^>]*data-level[^>]*)>", done.stdout)
    assert len(rows) == len(FINDINGS), done.stderr[-2000:]
    return [re.search(r'data-level="(\w+)"', r).group(1) for r in rows if " hidden" not in r]


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")
def test_filters_work_in_headless_chromium(tmp_path: Path) -> None:
    page = _page(tmp_path)
    assert _visible_rows(page, "") == [f.level for f in FINDINGS]
    assert _visible_rows(page, "#level=error") == ["error", "error", "error"]
    department = "乙县<b>财政局</b>"
    assert _visible_rows(page, f"#department={department}&family=share") == ["error", "info"]


def test_the_family_filter_finds_a_consequence_of_another_family(tmp_path: Path) -> None:
    """One wrong figure shown as one finding: a cross-section lead with a broken sum listed
    under it is found by the 合计 filter too, and that family is offered even when no lead has
    it."""
    grouped = Finding(
        "甲县教育局", "error", "cross_section", "正文与决算表不一致；由此导致：合计与各项之和不符",
        "原文", "第3行", "cross_section.amount", None, consequences=1,
        families=("cross_section", "sum"),
    )  # fmt: skip
    alone = _finding("甲县教育局", "error", "share", "占比与金额不符")
    page = write_findings_page(tmp_path, 2024, [grouped, alone])
    text = page.read_text(encoding="utf-8")
    parser = _Rows()
    parser.feed(text)
    assert [r["data-families"] for r in parser.rows] == ["cross_section sum", "share"]
    assert [r["data-family"] for r in parser.rows] == ["cross_section", "share"]
    assert '<option value="sum">' in text  # offered although only a consequence is a sum
    if CHROMIUM.exists():
        rows = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--dump-dom", page.as_uri() + "#family=sum"],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
        shown = re.findall(r"<tr ([^>]*data-level[^>]*)>", rows)
        assert len(shown) == 2
        assert [" hidden" in r for r in shown] == [False, True]
