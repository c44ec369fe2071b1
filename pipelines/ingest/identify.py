"""Which department and fiscal year a report is: from its content, else from its path.

Files land as raw/<fiscal year>/<department>.<ext>; the content usually says the same in its
title ("XX局2023年度部门决算") or first sentences. When both exist and disagree, the
content wins and the disagreement is reported.

Only 部门决算 are accepted. A budget (部门预算, 预算执行情况报告) or a government-level final
account (政府决算, 总决算, 一般公共预算收支决算 of a county) is refused with
``not_department_final_account``. The decision reads the title area only (the lines before the
first part heading or table of contents): every 部门决算 speaks of 预算 throughout its body
(年初预算, 预算数, 一般公共预算财政拨款), so the body says nothing about what the document is.
A title naming 部门决算 or 单位决算 always wins; a document without a recognizable title is
accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipelines.errors import IngestError
from pipelines.ingest.document import Document
from pipelines.ingest.limits import MIN_FISCAL_YEAR, max_fiscal_year
from pipelines.text import compact

_ORG_SUFFIX = r"(?:人民政府办公室|人民政府|办公室|街道办事处|管理委员会|委员会|联合会|总工会|工作部|局|委|办|中心|院|所|馆|站|队|部|会|处|社|镇|乡|学校|医院|法院|检察院)"
# What a report covers, printed after the name: "XX局（本级）", "XX委员会（汇总）".
_SCOPE = r"(?:\((?:本级|汇总|合并|本部|部门汇总|单位汇总|含下属单位)\))?"
_TITLE = re.compile(
    rf"^(?P<dept>[^\d，。:：]{{2,40}}?{_ORG_SUFFIX}){_SCOPE}(?P<year>20\d{{2}})年度?部门决算"
)
# "2023年度XX局部门决算": the year first, as many titles and cover pages print it.
_TITLE_YEAR_FIRST = re.compile(
    rf"^(?P<year>20\d{{2}})年度?(?P<dept>[^\d，。:：]{{2,40}}?{_ORG_SUFFIX}){_SCOPE}部门决算"
)
_YEAR_ONLY = re.compile(r"(?P<year>20\d{2})年度?部门决算")
_DEPT_LINE = re.compile(rf"^(?P<dept>(?:中共)?[^\d，。:：\s]{{2,30}}{_ORG_SUFFIX}){_SCOPE}$")
_DEPT_IN_TEXT = re.compile(
    rf"(?P<dept>[^\d，。:：、\s“”\"]{{2,30}}?{_ORG_SUFFIX})(?:内设|下设|核定|共有|主要职责|是)"
)
_PART = re.compile(r"^第[一二三四五六七八九十]+部分")
_REGION = re.compile(
    r"^(?:中共)?((?:[^省市]{1,7}省)?(?:[^市]{1,7}市)?[^县区旗市]{1,7}?(?:自治县|县|区|旗))"
)


@dataclass
class Identity:
    department: str
    fiscal_year: int | None
    region: str | None
    department_from: str
    fiscal_year_from: str
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (check_id, Chinese message)


def from_path(source_path: str) -> tuple[str, int | None]:
    p = PurePosixPath(source_path)
    year = None
    for part in reversed(p.parts[:-1]):
        if re.fullmatch(r"20\d{2}", part):
            year = int(part)
            break
    stem = p.stem
    if year is None:
        m = re.search(r"20\d{2}", stem)
        year = int(m.group()) if m else None
    dept = re.sub(r"20\d{2}年?度?|部门决算|决算|公开|[_\-\s]+", "", stem) or stem
    return dept, year


def _title(text: str) -> re.Match | None:
    return _TITLE.match(text) or _TITLE_YEAR_FIRST.match(text)


def from_content(doc: Document) -> tuple[str | None, int | None]:
    head = [_PART.sub("", compact(b.text)) for b in doc.blocks[:80] if b.kind == "paragraph"]
    dept = year = None
    # A title may be wrapped over the first lines: "XX区委" / "社会工作部2024年度" / "部门决算".
    for k in range(1, 5):
        m = _title("".join(head[:k]))
        if m:
            return m.group("dept"), int(m.group("year"))
    for i, line in enumerate(head[:40]):
        m = _title(line)
        if m:
            return m.group("dept"), int(m.group("year"))
        # Title split over two lines: "XX局" then "2023年度部门决算".
        m = _YEAR_ONLY.match(line)
        dept_line = _DEPT_LINE.match(head[i - 1]) if m and i > 0 else None
        if m and dept_line:
            return dept_line.group("dept"), int(m.group("year"))
    for line in head:
        m = _YEAR_ONLY.search(line)
        if m:
            year = int(m.group("year"))
            break
    for line in head[:5]:
        dept_line = _DEPT_LINE.match(line)
        if dept_line and not line.startswith("第"):
            dept = dept_line.group("dept")
            break
    if dept is None:
        for line in head:
            m = _DEPT_IN_TEXT.search(line)
            if m:
                dept = m.group("dept")
                break
    return dept, year


# ---------------------------------------------------------------- what kind of document it is

# The title area ends at the first part heading, table of contents or numbered heading.
_HEAD_END = re.compile(
    r"^(?:第[一二三四五六七八九十\d]+部分|目录|目次|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．])"
)
_HEAD_LINES = 8
_TITLE_MAX = 60  # a longer line is body text, not a title
_YEAR = r"(?:20\d{2}|[〇○零一二][〇○零一二三四五六七八九]{3})\s*年度?"
_DEPARTMENT_FINAL = re.compile(r"(?:部门|单位)(?:[（(]单位[)）])?决算")
_BUDGET = re.compile(rf"{_YEAR}.{{0,24}}?预算")
_GOVERNMENT_FINAL = re.compile(
    r"政府(?:综合财务报告|决算)|总决算|财政决算|本级决算"
    r"|(?:一般公共预算|政府性基金预算|国有资本经营预算|社会保险基金预算)(?:收支)?决算"
)
# "某某县2023年决算": a region, not an organization, before the year. Zones and parks that end in
# 区 are often departments themselves (管委会), so they do not count as a region.
_REGION_FINAL = re.compile(
    rf"^(?P<subject>[^\d，。:：]{{2,20}}?(?:省|自治区|市|自治州|州|盟|县|区|旗))(?:本级)?{_YEAR}(?:全县|全区|全市)?决算"
)
_NOT_REGION = re.compile(
    r"(?:开发区|园区|新区|景区|社区|小区|工业区|示范区|保护区|林区|库区|矿区|片区|校区|院区)$"
)


def title_area(doc: Document) -> list[str]:
    """The document's first short paragraphs, up to its first heading or table."""
    lines: list[str] = []
    for block in doc.blocks[:40]:
        text = compact(block.text)
        if block.kind != "paragraph" or _HEAD_END.match(text) or len(text) > _TITLE_MAX:
            break
        lines.append(text)
        if len(lines) == _HEAD_LINES:
            break
    return lines


# A table's title line: "收支预算总表", "财政拨款支出预算表（功能科目）", "公开03表 支出决算表".
_TABLE_TITLE = re.compile(r"(?P<kind>预算|决算)(?:总)?表")
_TABLE_TITLE_MAX = 40


def _table_titles_only_budget(doc: Document) -> str | None:
    """The first budget table title when the document's table titles name 预算表 and never
    决算表: a tables-only budget package (no cover, no title page) is still a budget."""
    first_budget = None
    for block in doc.blocks:
        text = compact(block.text) if block.kind == "paragraph" else ""
        if not text or len(text) > _TABLE_TITLE_MAX:
            continue
        m = _TABLE_TITLE.search(text)
        if m is None:
            continue
        if m.group("kind") == "决算":
            return None
        first_budget = first_budget or text
    return first_budget


def document_kind(doc: Document) -> tuple[str, str] | None:
    """None for a 部门决算 (or a document without a recognizable title); otherwise what the
    title says the document is, ("budget" | "government_final", title)."""
    lines = title_area(doc)
    joined = "".join(lines)  # a title may be wrapped over several lines
    if _DEPARTMENT_FINAL.search(joined):
        return None
    if "决算" not in joined:
        budget_table = _table_titles_only_budget(doc)
        if budget_table:
            return "budget", budget_table
    if not joined:
        return None
    title = " ".join(lines)[:80]
    if "决算" not in joined and any(_BUDGET.search(t) for t in [*lines, joined]):
        return "budget", title
    for text in [*lines, joined]:
        region = _REGION_FINAL.match(text)
        if _GOVERNMENT_FINAL.search(text) or (
            region and not _NOT_REGION.search(region.group("subject"))
        ):
            return "government_final", title
    return None


def reject_other_documents(doc: Document) -> None:
    """Raise ``not_department_final_account`` for a budget or a government-level final account."""
    kind = document_kind(doc)
    if kind is None:
        return
    what, title = kind
    if what == "budget":
        appears = (
            "部门预算（预算公开文件）"
            if re.search(r"部门预算|单位预算", title.replace(" ", ""))
            else "预算执行情况报告或预算草案"
            if re.search(r"预算执行|预算草案", title.replace(" ", ""))
            else "预算文件"
        )
    else:
        appears = (
            "政府层面的财政决算（本级或全县总决算、一般公共预算收支决算等），不是某个部门的决算"
        )
    raise IngestError(
        "identify",
        "not_department_final_account",
        f"文件标题为“{title}”，看起来是{appears}，不是部门决算。本系统只接收部门决算"
        "（各部门、单位的年度决算公开报告），该文件未入库。如放错了文件，请从 raw/ 移除，"
        "或换成该部门的决算报告后重新运行。",
    )


# Signs that a document is a 部门决算 at all: a standard table's title, or an amount in 万元/元
# ("单位：万元" over a table counts). Either may sit anywhere, so the whole text is scanned
# (one regex pass per block, stopping at the first sign).
_STANDARD_TABLE = re.compile(
    r"收入支出决算(?:总)?表|收入决算表|支出决算表|财政拨款(?:收入)?支出决算(?:总)?表"
    r"|[\"“]?三公[\"”]?经费支出(?:决算)?表|公开\s*\d{1,2}\s*表"
)
_AMOUNT_WITH_UNIT = re.compile(r"\d\s*(?:亿元|万元|元)|单位\s*[:：]\s*(?:万元|元)")
_SENTENCE_PUNCT = re.compile(r"[。；;！？!?]")


def shows_final_account(doc: Document) -> bool:
    """Whether anything in ``doc`` says it is a final-accounts report: a title line naming
    决算, a standard table title, or an amount with its unit. A README or notes file has none."""
    if any("决算" in line and not _SENTENCE_PUNCT.search(line) for line in title_area(doc)):
        return True
    return any(
        _STANDARD_TABLE.search(b.text) or _AMOUNT_WITH_UNIT.search(b.text) for b in doc.blocks
    )


def _not_a_report() -> IngestError:
    return IngestError(
        "identify",
        "not_a_report",
        "文件中既没有含“决算”的标题，也没有决算公开表的表名或以万元/元计的金额，看起来不是部门决算报告"
        "（如说明、清单或其他资料），未入库。如放错了文件，请从 raw/ 移走；"
        "如确是决算报告，请检查导出是否完整后重新放入 raw/。",
    )


def _check_year(year: int | None, doc: Document) -> None:
    """A report must have a plausible fiscal year: without one it cannot be compared or published."""
    if year is None:
        raise IngestError(
            "identify",
            "unknown_fiscal_year",
            "无法确定该报告的年度：标题和正文中没有“20XX年度部门决算”之类的年度，"
            "文件也不在以年度命名的文件夹（raw/<年度>/）中。未确定年度的报告无法比较和发布，未入库。"
            f"请把文件放到 raw/<年度>/ 下（如 raw/{max_fiscal_year() - 2}/"
            f"{doc.source_path.rsplit('/', 1)[-1]}）后重新运行。",
        )
    if not MIN_FISCAL_YEAR <= year <= max_fiscal_year():
        raise IngestError(
            "identify",
            "implausible_fiscal_year",
            f"报告的年度识别为{year}年，不在可接受的范围（{MIN_FISCAL_YEAR}年至{max_fiscal_year()}年）内，"
            "疑为标题或文件夹名有误，未入库。请核对报告标题中的年度或文件所在的年度文件夹后重新运行。",
        )


def identify(doc: Document) -> Identity:
    """Department, fiscal year and region of a 部门决算; IngestError for any other document,
    for a document with no sign of being a final-accounts report (``not_a_report``) and for a
    report without a plausible fiscal year (``unknown_fiscal_year``, ``implausible_fiscal_year``)."""
    reject_other_documents(doc)
    if not shows_final_account(doc):
        raise _not_a_report()
    path_dept, path_year = from_path(doc.source_path)
    text_dept, text_year = from_content(doc)
    warnings: list[tuple[str, str]] = []
    if text_year and path_year and text_year != path_year:
        warnings.append(
            (
                "identity.fiscal_year_mismatch",
                f"报告正文写明的年度为{text_year}年，但文件放在{path_year}年的目录（{doc.source_path}）。已按正文取{text_year}年，请核对文件位置。",
            )
        )
    if text_dept and path_dept and text_dept not in path_dept and path_dept not in text_dept:
        warnings.append(
            (
                "identity.department_mismatch",
                f"报告正文中的部门名称为“{text_dept}”，文件名为“{path_dept}”。已按正文取“{text_dept}”，请核对文件是否放错。",
            )
        )
    department = text_dept or path_dept
    m = _REGION.match(department)
    _check_year(text_year or path_year, doc)
    return Identity(
        department=department,
        fiscal_year=text_year or path_year,
        region=m.group(1) if m else None,
        department_from="content" if text_dept else "path",
        fiscal_year_from="content" if text_year else ("path" if path_year else "unknown"),
        warnings=warnings,
    )
