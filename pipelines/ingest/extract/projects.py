"""项目支出绩效目标完成情况表: one row per project (name, budget, executed, indicators).

The form is a two-column layout rather than a grid: label cells ("项目名称", "预算数:",
"执行数:") are followed by their values, and the indicator rows list 一级/二级/三级指标 with
the expected and the achieved value. Every row keeps its location.
"""

from __future__ import annotations

import json
import re

from pipelines.ingest.document import Block
from pipelines.text import compact

_NUMBER = re.compile(r"^-?\d[\d,]*(?:\.\d+)?$")


def _number(cell: str) -> float | None:
    text = compact(cell).replace(",", "").rstrip("万元")
    return float(text) if _NUMBER.match(text) else None


def _after(cells: list[str], label: str, occurrence: int = 0) -> float | None:
    """The number in the first non-empty cell after the ``occurrence``-th cell starting with ``label``."""
    seen = 0
    for i, cell in enumerate(cells):
        if compact(cell).startswith(label):
            if seen == occurrence:
                for nxt in cells[i + 1 :]:
                    if nxt.strip():
                        return _number(nxt)
                return None
            seen += 1
    return None


def parse_projects(rows: list[Block]) -> list[dict]:
    """Projects found in one table (a form may hold several, each opening with 项目名称)."""
    projects: list[dict] = []
    current: dict | None = None
    in_indicators = False
    for row in rows:
        cells = [c.strip() for c in row.cells if c.strip()]
        if not cells:
            continue
        head = compact(cells[0])
        if head.startswith("项目名称") and len(cells) > 1:
            current = {
                "project_name": cells[1],
                "budget_wan": None,
                "executed_wan": None,
                "fiscal_budget_wan": None,
                "fiscal_executed_wan": None,
                "indicators": [],
                "source_text": row.text,
                "source_location": row.location,
            }
            projects.append(current)
            in_indicators = False
            continue
        if current is None:
            continue
        joined = compact("".join(cells))
        if "预算数" in joined and "执行数" in joined:
            current["budget_wan"] = _after(cells, "预算数")
            current["executed_wan"] = _after(cells, "执行数")
        elif "财政拨款" in joined and current["fiscal_budget_wan"] is None:
            current["fiscal_budget_wan"] = _after(cells, "其中-财政拨款") or _after(
                cells, "其中财政拨款"
            )
            current["fiscal_executed_wan"] = _after(cells, "其中-财政拨款", 1) or _after(
                cells, "其中财政拨款", 1
            )
        elif "一级指标" in joined:
            in_indicators = True
        elif in_indicators and len(cells) >= 4:
            *levels, expected, actual = cells[-5:] if len(cells) >= 5 else ["", *cells[-4:]]
            current["indicators"].append(
                {
                    "一级指标": levels[0],
                    "二级指标": levels[1],
                    "三级指标": levels[2],
                    "预期": expected,
                    "实际": actual,
                }
            )
    for p in projects:
        p["indicator_count"] = len(p["indicators"])
        p["indicators"] = json.dumps(p["indicators"], ensure_ascii=False)
    return projects
