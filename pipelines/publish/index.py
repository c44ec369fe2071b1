"""index.html for one year's exports: workbook, tables, charts and review reports.

A single self-contained page (no external resources) that the finance bureau can open
from the export folder or print.  Every link is relative to the folder holding
index.html, and every piece of text is HTML-escaped (names come from documents).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pipelines.storage import replace_atomically

INDEX_NAME = "index.html"

_CSS = """
:root { color-scheme: light; }
body {
  font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
    "Source Han Sans SC", SimSun, sans-serif;
  color: #222; background: #fff; line-height: 1.6;
  max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem;
}
h1 { font-size: 1.6rem; border-bottom: 2px solid #0072B2; padding-bottom: .4rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-left: 4px solid #0072B2; padding-left: .5rem; }
a { color: #0058a3; }
ul { padding-left: 1.5rem; }
li { margin: .2rem 0; }
.links a { margin-left: .8rem; }
.missing { color: #b00020; font-size: .9em; margin-left: .5rem; }
.empty { color: #666; }
figure { margin: 1.5rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .95rem; color: #444; margin-top: .3rem; }
table.reviews { border-collapse: collapse; width: 100%; font-size: .95rem; }
table.reviews th, table.reviews td { border-bottom: 1px solid #ddd; padding: .3rem .5rem;
  text-align: left; vertical-align: top; }
table.reviews th { background: #DDEBF7; }
table.reviews td.n { text-align: right; }
table.reviews td.dismissed { color: #888; }
.verdict-error { color: #b00020; }
.verdict-warning { color: #8a5a00; }
.verdict-ok { color: #1b6e20; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  a { color: #000; text-decoration: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
}
""".strip()


def _href(target: Path, out_dir: Path) -> str:
    """Relative, URL-quoted and HTML-escaped link from out_dir to target."""
    rel = Path(os.path.relpath(Path(target).resolve(), Path(out_dir).resolve())).as_posix()
    return html.escape(quote(rel, safe="/"), quote=True)


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def page_head(title: str, css: str) -> list[str]:
    """The opening of a static page of the year's outputs, down to its <h1>."""
    return [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title>",
        f"<style>\n{css}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_text(title)}</h1>",
    ]


def _missing(path: Path) -> str:
    return "" if Path(path).exists() else '<span class="missing">（文件不存在）</span>'


def _link(target: Path, out_dir: Path, label: str) -> str:
    return f'<a href="{_href(target, out_dir)}">{_text(label)}</a>{_missing(target)}'


@dataclass(frozen=True)
class ReviewEntry:
    """One department's line in the index: its review, verdict, grade and counts, its source."""

    department: str
    report: Path  # the review's HTML
    verdict: str = ""
    verdict_class: str = ""  # error, warning, ok (as in the review itself)
    grade: str | None = None
    errors: int | None = None
    warnings: int | None = None
    notes: int | None = None
    workbook: Path | None = None  # the review's .xlsx
    source: Path | None = None  # the report's file under raw/
    dismissed: int | None = None  # findings a reviewer marked 不是问题 (not in the counts)
    annotated: Path | None = None  # a PDF report's copy with the findings boxed (标注版)


def _count(value: int | None) -> str:
    return "" if value is None else str(int(value))


def _review_row(entry: ReviewEntry, out_dir: Path) -> str:
    links = [_link(entry.report, out_dir, entry.department)]
    if entry.workbook is not None:
        links.append(f'<span class="links">{_link(entry.workbook, out_dir, "Excel")}</span>')
    if entry.annotated is not None:
        links.append(f'<span class="links">{_link(entry.annotated, out_dir, "标注版PDF")}</span>')
    source = _link(entry.source, out_dir, entry.source.name) if entry.source is not None else ""
    css = f' class="verdict-{_text(entry.verdict_class)}"' if entry.verdict_class else ""
    return (
        f"<tr><td>{''.join(links)}</td><td{css}>{_text(entry.verdict)}</td>"
        f"<td>{_text(entry.grade or '')}</td>"
        f'<td class="n">{_count(entry.errors)}</td><td class="n">{_count(entry.warnings)}</td>'
        f'<td class="n">{_count(entry.notes)}</td>'
        f'<td class="n dismissed">{_count(entry.dismissed)}</td><td>{source}</td></tr>'
    )


def write_index(
    out_dir: Path,
    year: int,
    workbook: Path,
    tables: list[tuple[str, Path, Path]],
    charts: list[tuple[str, Path]],
    reviews: list[ReviewEntry | tuple[str, Path]],
) -> Path:
    """Write out_dir/index.html and return its path.

    tables: (Chinese name, CSV path, Parquet path); charts: (title, PNG path);
    reviews: a ReviewEntry per department (or just (department name, review path)).  Paths
    may be absolute or relative to the current directory; links in the page are relative to
    out_dir.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"{int(year)}年度部门决算审核与比较"

    parts: list[str] = [
        *page_head(title, _CSS),
        "<h2>汇总工作簿</h2>",
        f"<p>{_link(workbook, out_dir, Path(workbook).name)}</p>",
        "<h2>数据表</h2>",
    ]

    if tables:
        parts.append("<ul>")
        for name, csv_path, parquet_path in tables:
            parts.append(
                f'<li>{_text(name)}<span class="links">'
                f"{_link(csv_path, out_dir, 'CSV')}"
                f"{_link(parquet_path, out_dir, 'Parquet')}</span></li>"
            )
        parts.append("</ul>")
    else:
        parts.append('<p class="empty">无数据表。</p>')

    parts.append("<h2>图表</h2>")
    if charts:
        for chart_title, png in charts:
            href = _href(png, out_dir)
            parts.append(
                "<figure>"
                f'<img src="{href}" alt="{_text(chart_title)}" loading="lazy">'
                f"<figcaption>{_text(chart_title)}"
                f'<span class="links"><a href="{href}">查看原图</a></span>'
                f"{_missing(png)}</figcaption>"
                "</figure>"
            )
    else:
        parts.append('<p class="empty">无图表。</p>')

    parts.append("<h2>各部门审核报告</h2>")
    findings = out_dir / "findings.html"
    if findings.exists():
        parts.append(
            f"<p>{_link(findings, out_dir, '全部审核发现（可按部门、级别、检查类别筛选）')}</p>"
        )
    if reviews:
        parts.append(
            '<table class="reviews"><thead><tr><th>部门（审核意见）</th><th>审核结论</th>'
            "<th>评级</th><th>错误</th><th>提醒</th><th>提示</th>"
            '<th title="审核人标为“不是问题”的发现，未计入错误、提醒和提示">不是问题</th>'
            "<th>原始文件</th></tr></thead>"
            "<tbody>"
        )
        for review in reviews:
            entry = review if isinstance(review, ReviewEntry) else ReviewEntry(*review)
            parts.append(_review_row(entry, out_dir))
        parts.append("</tbody></table>")
    else:
        parts.append('<p class="empty">无审核报告。</p>')

    parts += ["</body>", "</html>", ""]
    index = out_dir / INDEX_NAME
    # whole or not at all: a 0-byte index would pass for a written year on the next run
    text = "\n".join(parts)
    replace_atomically(index, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))
    return index
