"""Walk a document in order: track headings and parts, re-join wrapped lines, and send
paragraphs to the narrative extractor and tables to the table extractor."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from pipelines.catalogue import Resolver
from pipelines.catalogue.resolver import name_key
from pipelines.ingest.document import Block, Document
from pipelines.ingest.extract.narrative import NarrativeExtractor
from pipelines.ingest.extract.projects import parse_projects
from pipelines.ingest.extract.sections import PART_KINDS, SectionTracker, heading_style
from pipelines.ingest.extract.statement import Statement
from pipelines.ingest.extract.table_doubt import doubt_tables, mark_doubtful
from pipelines.ingest.extract.tables import TableExtractor, standard_table_name
from pipelines.text import compact

_TERMINAL = tuple("。！？!?")
_CLAUSE_END = tuple("，,、：:；;")
_LIST_ITEM = re.compile(
    r"^\s*(?:\d{1,2}\s*[、.．](?!\d)|[（(][\d一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、)"
)
_PATH_REST = re.compile(r"^[(（](?:类|款|项)[)）]")
_OPEN_PATH = re.compile(r"[(（](?:类|款)[)）][^(（)）]*$")  # a subject path cut before its end
_PATH_END = re.compile(r"^[^，。；,;]{0,20}[(（](?:款|项)[)）]")
# "…年初预算为" + "289.59 万元": a line that stops before the figure its verb introduces.
_OPEN_PREDICATE = ("为", "是", "达", "共计", "合计")
# What stands between two pages of one table: a page number, "第 3 页", "- 12 -", "续表".
_PAGE_FURNITURE = re.compile(
    r"^(?:[-—]?\d{1,4}[-—]?|第\d{1,4}页(?:共\d{1,4}页)?|续表?\d*|表\d{1,2})$"
)
_UNIT_START = re.compile(r"^\s*(?:万元|亿元|元|%|％)")
# pdftotext and similar wrap sentences at a fixed width; a line this long that does not
# end a sentence continues on the next line.
_WRAP_MIN_CHARS = 28
# The note under a table left empty: "本表无数据", "故本表为空", "本表为空表", "（本部门无此项
# 支出，故公开空表）", "本单位本年度无政府性基金预算财政拨款收支".
_EMPTY_TABLE = re.compile(
    r"本表无数据|本表为空|公开空表|此表为空|"
    r"本(?:部门|单位)(?:\d{4}年度?|本年度?)?(?:无|未发生|不涉及)[^，。；]{0,24}(?:收支|收入|支出|经费|数据|业务)"
)


@dataclass
class _Paragraph:
    text: str
    block_index: int
    location: str
    last_line: str = ""


def extract_statements(
    doc: Document, fiscal_year: int | None, resolver: Resolver
) -> list[Statement]:
    return extract_document(doc, fiscal_year, resolver)[0]


def extract_document(
    doc: Document, fiscal_year: int | None, resolver: Resolver
) -> tuple[list[Statement], list[dict], list[dict]]:
    """Every statement of the document, what the table recognizer found (one dict a table),
    and the projects of its 项目支出绩效目标完成情况表."""
    narrative = NarrativeExtractor(resolver, fiscal_year)
    tables = TableExtractor(resolver, fiscal_year)
    tracker = SectionTracker()
    recent: deque[str] = deque(maxlen=4)
    out: list[Statement] = []
    projects: list[dict] = []
    last_table: tuple[str, int] | None = None  # (title, paragraphs seen since the table)
    # The title and unit of the table just read, while nothing but page furniture follows it:
    # a table with no title of its own then is its continuation on the next page.
    continued: tuple[str, float] | None = None
    for unit in _units(doc):
        if isinstance(unit, _Paragraph) and not _PAGE_FURNITURE.match(compact(unit.text)):
            continued = None
        if isinstance(unit, _Paragraph):
            if tracker.update(unit.text):
                recent.append(unit.text)
                last_table = None
                narrative.reset()
                continue
            recent.append(unit.text)
            if last_table is not None:
                title, seen = last_table
                if _EMPTY_TABLE.search(compact(unit.text)):
                    block = Block(unit.block_index, "paragraph", unit.text, unit.location)
                    out.extend(
                        tables.empty_table(block, title, "table", tracker.path, len(out) + 1)
                    )
                    last_table = None
                else:
                    last_table = (title, seen + 1) if seen < 2 else None
            if tracker.part == "glossary":
                continue
            part = tracker.part if tracker.part in ("annex", "overview") else "narrative"
            out.extend(
                narrative.extract(
                    unit.text, unit.block_index, unit.location, part, tracker.path, len(out) + 1
                )
            )
        else:
            title = table_title(list(recent))
            factor = _unit_factor(list(recent) + [r.text for r in unit[:3]])
            if not title and continued is not None:
                title, factor = continued
            part = "annex" if tracker.part == "annex" else "table"
            section = " > ".join(x for x in (tracker.path, title.strip()) if x)
            out.extend(tables.extract(unit, title, factor, part, section, len(out) + 1))
            projects.extend(parse_projects(unit))
            last_table = (title, 0)
            continued = (title, factor) if title else None
            recent.clear()
    resolve_through_tables(out)
    rebuilt = {t["section"] for t in tables.recognized if t.get("rebuilt")}
    doubts = {d.section: d.message() for d in doubt_tables(out, strict=rebuilt)}
    for table in tables.recognized:
        section, reader_doubt = table.pop("section"), table.pop("reader_doubt")
        table.pop("rebuilt", None)
        if reader_doubt and section not in doubts:
            doubts[section] = f"表格（{table['first_location']}起）{reader_doubt}"
            mark_doubtful(out, section)
        table["doubt"] = doubts.get(section)
    return out, tables.recognized, projects


_LEVEL_DIGITS = {"类": 3, "款": 5, "项": 7}


def resolve_through_tables(statements: list[Statement]) -> None:
    """A narrative subject the catalogue does not know takes the code the report's own tables
    print beside the same name, under the same parent, at the same level; one code only."""
    printed: dict[str, set[str]] = {}
    for st in statements:
        if st.part in ("table", "annex") and st.subject_code and st.subject_name:
            printed.setdefault(name_key(st.subject_name), set()).add(st.subject_code)
    if not printed:
        return
    for st in statements:
        if st.subject_code or not st.subject_name or st.part in ("table", "annex"):
            continue
        level = re.findall(r"\((类|款|项)\)", st.label or "")
        if not level:
            continue
        digits = _LEVEL_DIGITS[level[-1]]
        codes = {
            c
            for c in printed.get(name_key(st.subject_name), ())
            if len(c) == digits and c.startswith(st.subject_parent or "")
        }
        if len(codes) == 1:
            st.subject_code = codes.pop()
            st.subject_level = level[-1]
            st.resolution_warning = None


# Lines above a table that are not its title: the note, the unit or department line.
_NOT_A_TITLE = re.compile(
    r"^(?:注|说明|备注|资料来源|单位|金额单位|编制(?:部门|单位)|部门|填报)[:：]?"
)
_TITLE_MAX_CHARS = 50
_TABLE_TITLE_CHARS = 30
UNIT_FACTORS = {"万元": 1.0, "千元": 0.1, "元": 1 / 10000, "亿元": 10000.0}


def table_title(lines: list[str]) -> str:
    """The title of the table these lines precede: the nearest line naming a standard table,
    else the nearest short line with 表/图/结构/情况 that is not a note or a unit line."""
    candidates = [
        t
        for t in reversed(lines)
        if len(compact(t)) <= _TITLE_MAX_CHARS and not _NOT_A_TITLE.match(compact(t))
    ]
    # A header line ("科目编码 科目名称 合计 基本支出 项目支出") names columns, not the table.
    named = next((t for t in candidates if standard_table_name(t) and "表" in t), None)
    if named is not None:
        return named
    return next((t for t in candidates if re.search(r"表|图|结构|情况", t)), "")


def _is_table_title(line: str) -> bool:
    text = compact(line)
    return (
        len(text) <= _TABLE_TITLE_CHARS
        and standard_table_name(text) is not None
        and bool(re.search(r"表$|表[(（][^)）]*[)）]$", text))
    )


def _unit_factor(texts: list[str]) -> float:
    """万元 per printed unit, from the table's "单位：万元" / "金额单位：元" / "单位：千元" line."""
    for text in texts:
        m = re.search(r"单位[:：]\s*(万元|千元|亿元|元)", compact(text))
        if m:
            return UNIT_FACTORS[m.group(1)]
    return 1.0


def _units(doc: Document):
    """Yield joined paragraphs and whole tables (lists of rows) in document order."""
    pending: _Paragraph | None = None
    table: list[Block] = []
    for block in doc.blocks:
        if block.kind == "table_row":
            if pending:
                yield pending
                pending = None
            if table and block.table_index != table[-1].table_index:
                yield table
                table = []
            table.append(block)
            continue
        if table:
            yield table
            table = []
        if (
            pending
            and doc.source_format in ("txt", "pdf")
            and _PAGE_FURNITURE.match(compact(block.text))
        ):
            continue  # "-2-" between two pages of one sentence: not part of it
        if pending and _continues(pending.last_line, block.text, doc.source_format):
            first = pending.location.split("–")[0]
            pending = _Paragraph(
                pending.text + block.text,
                pending.block_index,
                f"{first}–{block.location}",
                block.text,
            )
            continue
        if pending:
            yield pending
        pending = _Paragraph(block.text, block.index, block.location, block.text)
    if table:
        yield table
    if pending:
        yield pending


def _continues(previous_line: str, line: str, source_format: str) -> bool:
    """Whether ``line`` continues the previous physical line (a sentence wrapped by the layout)."""
    if source_format not in ("txt", "pdf"):
        return False
    prev = previous_line.strip()
    if _is_table_title(line):
        return False  # a table's title line, after a long line of the page above it
    # "第三部分 某某局2024年度部门决算" + "情况说明": a part heading wrapped by the layout.
    if re.match(r"^第[一二三四五六七八九十]+部分", compact(prev)) and len(compact(line)) <= 12:
        return not any(word in compact(prev) for word, _ in PART_KINDS)
    if not prev or prev.endswith(_TERMINAL) or heading_style(line):
        return False
    if _PATH_REST.match(compact(line)) or (
        _OPEN_PATH.search(prev) and _PATH_END.match(compact(line))
    ):
        # "（1）一般公共服务支出（类）…行政运行" + "（项）：支出决算为…", or
        # "6、卫生健康支出（类）行政事业单位医疗（款）行政单位" + "医疗（项）。"
        return True
    if heading_style(prev) and not (len(prev) >= _WRAP_MIN_CHARS and _LIST_ITEM.match(prev)):
        return False  # a heading; but a long "（1）…" list item wrapped by the layout goes on
    if _LIST_ITEM.match(line):
        return False  # "1.因公出国（境）经费…": a new item, even after "其中："
    if _UNIT_START.match(line) or prev.endswith(_CLAUSE_END) or prev.endswith(_OPEN_PREDICATE):
        return True  # "货物采购金额 122.43" + "万元、工程…"; "其中：" + the list it opens
    return len(prev) >= _WRAP_MIN_CHARS
