"""findings.html for one year's exports: every finding of every department on one page.

A static page with no external resource (it opens from a file share on an offline intranet):
the rows are written into the HTML, and a few lines of inline script hide the rows that the
three filters (部门, 级别, 检查类别) leave out. The filters can also be set from the address
(``findings.html#level=error&department=…``), so that a link can open a filtered view.
Document text is HTML-escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.publish.index import _href, _text, page_head
from pipelines.publish.review import FAMILY_NAMES, SEVERITY_TITLES, check_name, review_file_stem
from pipelines.quality.dispositions import finding_states
from pipelines.quality.grouping import causes_of, full_message, groups_of, nest

FINDINGS_NAME = "findings.html"
LEVELS = {"error": "错误", "warning": "提醒", "info": "提示"}


@dataclass(frozen=True)
class Finding:
    department: str
    level: str  # error, warning, info
    family: str
    message: str
    quote: str
    location: str
    check_id: str
    review: Path | None  # the department's review page
    status: str = "open"  # the reviewer's: open, confirmed, dismissed, reopened
    status_note: str = ""  # the status with its reason, or why it was reopened
    consequences: int = 0  # failed checks listed under this one (one wrong figure, see
    # pipelines/quality/grouping.py); ``message`` lists them
    # the families of the finding and of its consequences: the family filter finds a sum
    # error listed under a cross-section finding too
    families: tuple[str, ...] = ()

    @property
    def check_name(self) -> str:
        """The check in the bureau's words (the English id stays in the warehouse)."""
        return check_name(self.check_id, self.family)


def read_findings(con: duckdb.DuckDBPyConnection, year: int, reports_dir: Path) -> list[Finding]:
    """Every finding of ``year``'s reports, by department, level (errors first), family: one
    per group of failed checks resting on one figure, its consequences in its message."""
    report_ids = [
        rid
        for (rid,) in con.execute(
            "SELECT report_id FROM core.report WHERE fiscal_year = ?", [year]
        ).fetchall()
    ]
    states = finding_states(con, report_ids)
    groups, causes = groups_of(con, report_ids), causes_of(con, report_ids)
    rows = con.execute(
        """
        SELECT r.department, q.severity, q.family, q.message, q.source_text, q.source_location,
               q.check_id, q.finding_id, r.report_id
        FROM quality.check_result q JOIN core.report r USING (report_id)
        WHERE NOT q.passed AND r.fiscal_year = ?
        ORDER BY r.department, CASE q.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                 q.family, q.statement_no NULLS LAST, q.check_id, q.source_location, q.message
        """,
        [year],
    ).fetchall()
    names = ("department", "severity", "family", "message", "source_text", "source_location",
             "check_id", "finding_id", "report_id")  # fmt: skip
    findings = []
    for row in nest([dict(zip(names, r, strict=True)) for r in rows], groups, causes):
        department, level, family, _, source_text, location, check_id, fid, _ = (
            row[n] for n in names
        )
        message = full_message(row)
        page = reports_dir / str(year) / f"{review_file_stem(department or '')}.html"
        state = states.get(fid or "")
        findings.append(
            Finding(
                department=department or "（未知）",
                level=level,
                family=family,
                message=message or "",
                quote=source_text or "",
                location=location or "",
                check_id=check_id or "",
                review=page if page.exists() else None,
                status=state.status if state else "open",
                status_note=state.note() if state else "",
                consequences=len(row["consequences"]),
                families=tuple(
                    dict.fromkeys([family, *(c["family"] for c in row["consequences"])])
                ),
            )
        )
    return findings


_CSS = """
body { font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
  SimSun, sans-serif; color: #222; line-height: 1.5; margin: 1.5rem; }
h1 { font-size: 1.5rem; border-bottom: 2px solid #0072B2; padding-bottom: .3rem; }
.filters label { margin-right: 1.2rem; }
.filters select { font-size: 1rem; margin-left: .3rem; }
#shown { color: #444; margin: .8rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .4rem; text-align: left; vertical-align: top; }
th { background: #DDEBF7; position: sticky; top: 0; }
td.message { white-space: pre-wrap; }
td.quote { font-family: SimSun, serif; color: #333; white-space: pre-wrap; max-width: 30rem; }
tr.error td.level { color: #b00020; font-weight: bold; }
tr.warning td.level { color: #8a5a00; }
tr.info td.level { color: #555; }
tr.dismissed td, tr.dismissed td.level { color: #999; font-weight: normal; }
@media print { .filters, #shown { display: none; } th { position: static; } }
""".strip()

# Filters rows by their data-* attributes; initial values may come from the address's #hash.
_SCRIPT = """
(function () {
  var names = ["department", "level", "family"];
  var rows = Array.prototype.slice.call(document.querySelectorAll("tbody tr"));
  var selects = {};
  names.forEach(function (n) { selects[n] = document.getElementById("filter-" + n); });
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var keep = names.every(function (n) {
        if (!selects[n].value) { return true; }
        if (n === "family") {  // the finding's family or one of its consequences'
          return (" " + row.getAttribute("data-families") + " ")
            .indexOf(" " + selects[n].value + " ") >= 0;
        }
        return row.getAttribute("data-" + n) === selects[n].value;
      });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    document.getElementById("shown-count").textContent = String(shown);
  }
  var wanted = new URLSearchParams(window.location.hash.slice(1));
  names.forEach(function (n) {
    if (wanted.has(n)) { selects[n].value = wanted.get(n); }
    selects[n].addEventListener("change", apply);
  });
  apply();
})();
""".strip()


def _select(name: str, label: str, options: list[tuple[str, str]]) -> str:
    items = "".join(f'<option value="{_text(v)}">{_text(t)}</option>' for v, t in options)
    return (
        f'<label>{_text(label)}<select id="filter-{name}">'
        f'<option value="">全部</option>{items}</select></label>'
    )


def write_findings_page(out_dir: Path, year: int, findings: list[Finding]) -> Path:
    """Write out_dir/findings.html and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"{int(year)}年度各部门决算审核发现"
    departments = sorted({f.department for f in findings})
    families = sorted(
        {x for f in findings for x in (f.families or (f.family,))},
        key=lambda f: (f not in FAMILY_NAMES, f),
    )
    parts = [
        *page_head(title, _CSS),
        '<p><a href="index.html">返回本年度汇总</a></p>',
        '<div class="filters">',
        _select("department", "部门", [(d, d) for d in departments]),
        _select("level", "级别", [(k, v) for k, v in LEVELS.items()]),
        _select("family", "检查类别", [(f, FAMILY_NAMES.get(f, f)) for f in families]),
        "</div>",
        f'<p id="shown">显示 <span id="shown-count">{len(findings)}</span> / '
        f"{len(findings)} 条（{_text('、'.join(SEVERITY_TITLES.values()))}）</p>",
    ]
    if findings:
        parts.append(
            "<table><thead><tr><th>部门</th><th>级别</th><th>检查类别</th><th>问题说明</th>"
            "<th>原文</th><th>位置</th><th>检查项</th><th>处理</th></tr></thead><tbody>"
        )
        for f in findings:
            department = (
                f'<a href="{_href(f.review, out_dir)}">{_text(f.department)}</a>'
                if f.review is not None
                else _text(f.department)
            )
            css = f"{f.level} dismissed" if f.status == "dismissed" else f.level
            parts.append(
                f'<tr class="{_text(css)}" data-department="{_text(f.department)}" '
                f'data-level="{_text(f.level)}" data-family="{_text(f.family)}" '
                f'data-families="{_text(" ".join(f.families or (f.family,)))}">'
                f"<td>{department}</td>"
                f'<td class="level">{_text(LEVELS.get(f.level, f.level))}</td>'
                f"<td>{_text(FAMILY_NAMES.get(f.family, f.family))}</td>"
                f'<td class="message">{_text(f.message)}</td>'
                f'<td class="quote">{_text(f.quote)}</td>'
                f"<td>{_text(f.location)}</td>"
                f'<td title="{_text(f.check_id)}">{_text(f.check_name)}</td>'
                f"<td>{_text(f.status_note)}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>本年度各部门报告均未发现问题。</p>")
    parts += [f"<script>\n{_SCRIPT}\n</script>", "</body>", "</html>", ""]
    page = out_dir / FINDINGS_NAME
    page.write_text("\n".join(parts), encoding="utf-8", newline="\n")
    return page
