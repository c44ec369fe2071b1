"""Which department and fiscal year a report is: from its content, else from its path.

Files land as raw/<fiscal year>/<department>.<ext>; the content usually says the same in its
title ("XX局2023年度部门决算") or first sentences. When both exist and disagree, the
content wins and the disagreement is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipelines.document import Document
from pipelines.text import compact

_ORG_SUFFIX = r"(?:人民政府办公室|人民政府|办公室|街道办事处|管理委员会|委员会|联合会|总工会|工作部|局|委|办|中心|院|所|馆|站|队|部|会|处|社|镇|乡|学校|医院|法院|检察院)"
_TITLE = re.compile(
    rf"^(?P<dept>[^\d，。:：]{{2,40}}?{_ORG_SUFFIX})(?:\(本级\))?(?P<year>20\d{{2}})年度?部门决算"
)
_YEAR_ONLY = re.compile(r"(?P<year>20\d{2})年度?部门决算")
_DEPT_LINE = re.compile(rf"^(?:中共)?[^\d，。:：\s]{{2,30}}{_ORG_SUFFIX}$")
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


def from_content(doc: Document) -> tuple[str | None, int | None]:
    head = [_PART.sub("", compact(b.text)) for b in doc.blocks[:80] if b.kind == "paragraph"]
    dept = year = None
    # A title may be wrapped over the first lines: "XX区委" / "社会工作部2024年度" / "部门决算".
    for k in range(1, 5):
        m = _TITLE.match("".join(head[:k]))
        if m:
            return m.group("dept"), int(m.group("year"))
    for i, line in enumerate(head[:40]):
        m = _TITLE.match(line)
        if m:
            return m.group("dept"), int(m.group("year"))
        # Title split over two lines: "XX局" then "2023年度部门决算".
        m = _YEAR_ONLY.match(line)
        if m and i > 0 and _DEPT_LINE.match(head[i - 1]):
            return head[i - 1], int(m.group("year"))
    for line in head:
        m = _YEAR_ONLY.search(line)
        if m:
            year = int(m.group("year"))
            break
    for line in head[:5]:
        if _DEPT_LINE.match(line) and not line.startswith("第"):
            dept = line
            break
    if dept is None:
        for line in head:
            m = _DEPT_IN_TEXT.search(line)
            if m:
                dept = m.group("dept")
                break
    return dept, year


def identify(doc: Document) -> Identity:
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
    return Identity(
        department=department,
        fiscal_year=text_year or path_year,
        region=m.group(1) if m else None,
        department_from="content" if text_dept else "path",
        fiscal_year_from="content" if text_year else ("path" if path_year else "unknown"),
        warnings=warnings,
    )
