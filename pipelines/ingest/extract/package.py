"""A complete package: every standard table of the report's year, found by its title in any
order, and the mandatory parts of the narrative.

The set of tables is data (catalogue/data/standard_tables.csv: which tables, in which years),
not code. A table is missing only when its title appears nowhere in the document: when the
title is printed but no table was read under it, the finding says the table could not be read
(a warning), because the reader, not the department, may be at fault. A table read empty
without a note saying why (本表无数据, 本部门无…) is a warning.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.catalogue.catalogue import DATA_DIR
from pipelines.ingest.document import Document
from pipelines.ingest.extract.text_checks import TextFinding
from pipelines.text import compact

# Below this share of the year's standard tables found in the document, the tables are taken
# to be published elsewhere rather than missing one by one.
ELSEWHERE_SHARE = 0.5
TABLES_CSV = DATA_DIR / "standard_tables.csv"

# Parts of the narrative a 部门决算 must have: (name, words a heading or sentence uses).
REQUIRED_PARTS = [
    ("部门概况", r"部门概况|部门基本情况|单位概况|主要职能|主要职责"),
    ("收入支出决算总体情况", r"收入支出决算总体情况|收支决算总体情况|收入支出总体情况"),
    (
        "财政拨款收入支出决算总体情况",
        r"财政拨款收入支出(?:决算)?(?:总体情况|总表说明|情况说明)|财政拨款收支(?:决算)?总体情况",
    ),
    ("一般公共预算财政拨款支出决算情况", r"一般公共预算财政拨款支出决算"),
    ("一般公共预算财政拨款基本支出决算情况", r"基本支出决算情况|基本支出情况"),
    ("“三公”经费支出决算情况", r"三公"),
    ("机关运行经费支出情况", r"机关运行经费"),
    ("政府采购支出情况", r"政府采购"),
    ("国有资产占有使用情况", r"国有资产"),
    ("预算绩效情况", r"绩效"),
    ("名词解释", r"名词解释|专业名词"),
]


@dataclass(frozen=True)
class StandardTable:
    name: str
    words: str
    required_from: int
    required_to: int


@lru_cache(maxsize=1)
def standard_tables() -> tuple[StandardTable, ...]:
    with TABLES_CSV.open(encoding="utf-8") as fh:
        return tuple(
            StandardTable(
                r["table_name"], r["title_words"], int(r["required_from"]), int(r["required_to"])
            )
            for r in csv.DictReader(fh)
        )


def package_findings(
    doc: Document, recognized: list[dict], fiscal_year: int | None
) -> list[TextFinding]:
    out: list[TextFinding] = []
    paragraphs = compact("".join(_paragraphs_outside_contents(doc)))
    body = compact("".join(b.text for b in doc.blocks))
    found = {t.get("table_name") for t in recognized if t.get("table_name")}
    due = [
        t
        for t in standard_tables()
        if fiscal_year is None or t.required_from <= fiscal_year <= t.required_to
    ]
    present = len(found & {t.name for t in due})
    if present < ELSEWHERE_SHARE * len(due):
        # Few or none of the standard tables: they were published as a file of their own (an
        # annexed workbook, a second PDF), not left out table by table.
        return [
            TextFinding(
                "package.tables_elsewhere",
                "package",
                "warning",
                (
                    f"本文件只找到{present}张部门决算公开表（应有{len(due)}张）。"
                    if present
                    else "本文件中没有找到部门决算公开表（收入支出决算总表等）。"
                )
                + "如各表另有文件（如 Excel 附表），请以“报告文件名_附表”命名后放在同一目录，"
                "系统会一并读取和核对。",
                "",
                "全文",
            ),
            *_parts(body),
        ]
    untitled = "、".join(
        t.get("first_location") or ""
        for t in recognized
        if not t.get("table_name") and not t.get("all_blank") and t.get("row_count", 0) >= 3
    )
    read_titles = sorted(
        {t["title"] for t in recognized if t.get("table_name") and t.get("title")},
        key=len,
        reverse=True,
    )
    for table in due:
        if table.name in found:
            continue
        # Its title printed on its own, not inside another table's ("支出决算表" is in
        # "一般公共预算财政拨款支出决算表").
        others = sorted(
            (t.name for t in standard_tables() if t.name != table.name and table.words in t.name),
            key=len,
            reverse=True,
        )
        alone = re.sub(r"[\"“”]", "", paragraphs)
        # Nor inside the printed title of a table that was read ("…会议费、培训费支出决算表" is
        # the 三公 table's, "国有资本经营预算财政拨款支出决算表" the 国有资本 one's).
        for name in [*read_titles, *others]:
            alone = alone.replace(re.sub(r"[\"“”]", "", compact(name)), "")
        words = re.sub(r"[\"“”]", "", compact(table.words))
        # Words that are a title already ("支出决算表") stand alone; others ("三公") need the
        # 表 that makes them a title.
        tail = "" if words.endswith("表") else r"[^，。；]{0,16}表"
        printed = re.search(re.escape(words) + tail, alone) is not None
        if printed:
            message = (
                f"文中提到“{table.name}”，但未能读出该表的内容（可能是图片、版式特殊或表格被拆分），"
                "请对照原文核对该表是否完整公开。"
            )
        elif untitled:
            # A table was read whose title could not be: it may be this one.
            message = (
                f"未找到标题为“{table.name}”的表；文中有未能识别标题的表格（{untitled}），"
                "可能就是该表，请对照原文核对该表是否公开。"
            )
        else:
            message = (
                f"未找到“{table.name}”。部门决算应公开该表（无数据时也应公开空表并说明），请补充。"
            )
        unsure = printed or bool(untitled)
        out.append(
            TextFinding(
                "package.table_unread" if unsure else "package.table_missing",
                "package",
                "warning" if unsure else "error",
                message,
                table.name,
                "全文",
            )
        )
    for t in recognized:
        if not t.get("table_name") or not t.get("all_blank") or t.get("is_empty") or t.get("doubt"):
            continue  # a table whose figures could not be read has its own finding
        words = next((x.words for x in due if x.name == t["table_name"]), t["table_name"])
        if re.search(rf"空表|无[^，。；]{{0,12}}{re.escape(words)}", body):
            continue  # the narrative says why ("本部门无国有资本经营预算财政拨款收支，已公开空表")
        out.append(
            TextFinding(
                "package.empty_table_without_note",
                "package",
                "warning",
                f"“{t['table_name']}”没有数据，也没有说明原因（如“本表无数据”“本部门无…收支”），"
                "请补充说明。",
                t.get("title") or t["table_name"],
                t.get("first_location") or "",
            )
        )
    return out + _parts(body)


# A line of a table of contents: a table's title, alone, perhaps numbered ("五、…决算表").
_CONTENTS_LINE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\d+[、.．]|附表\d+|表\d+)?[^，。；]{2,30}表$"
)
_CONTENTS_RUN = 3


def _paragraphs_outside_contents(doc: Document) -> list[str]:
    """The paragraphs' text without the runs of table titles a table of contents lists (three
    or more title lines in a row, nothing between them): a title listed there says nothing of
    whether the table is printed."""
    kept: list[str] = []
    run: list[str] = []
    for b in [*doc.blocks, None]:
        if b is not None and b.kind == "paragraph" and _CONTENTS_LINE.match(compact(b.text)):
            run.append(b.text)
            continue
        if len(run) < _CONTENTS_RUN:
            kept.extend(run)
        run = []
        if b is not None and b.kind == "paragraph":
            kept.append(b.text)
    return kept


def _parts(body: str) -> list[TextFinding]:
    return [
        TextFinding(
            "package.part_missing",
            "package",
            "warning",
            f"未找到“{name}”的说明。部门决算应公开该部分内容，请核对是否遗漏。",
            name,
            "全文",
        )
        for name, words in REQUIRED_PARTS
        if not re.search(words, body)
    ]
