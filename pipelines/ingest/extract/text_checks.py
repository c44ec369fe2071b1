"""What a reviewer marks while reading, before any arithmetic: a placeholder left for the
department's name, a heading that names another year, and the defects an edit leaves behind.

Each finding quotes its line and location. Placeholders and wrong years are errors (the
published report would be wrong on its face); text defects are warnings. They are found once
per report version, while reading, and kept in quality.check_result (families ``identity`` and
``text``) like the department and year findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.ingest.document import Document
from pipelines.text import compact

# "XX局", "XXX单位", "××区", "某某部门", "＊＊局": a name the author was to fill in.
_PLACEHOLDER = re.compile(
    r"(?:[xX×＊*]{2,}|某某)(?:县|区|市|镇|乡|街道)?"
    r"(?:局|委员会|委|办公室|办|中心|部门|单位|学校|医院|院|所|站|馆|队|部|会|处|社)"
)
# Where the report's own year must be printed: its title, part and table headings, "截至…".
_TITLE_YEAR = re.compile(
    r"(?P<year>20\d{2})\s*年度?\s*(?:(?:部门|单位)决算|决算(?:公开)?表|决算情况)"
)
_SENTENCE = re.compile(r"[，。；]")
_AS_OF = re.compile(r"截至\s*(?P<year>20\d{2})\s*年\s*(?:12\s*月\s*31\s*日|末|底)")
_PART_HEADING = re.compile(r"^第[一二三四五六七八九十]+部分")
# "与2022年相比", "比上年", "较2022年度": a comparison with the prior year is no wrong year.
_PRIOR_CONTEXT = re.compile(r"(?:与|较|比|同比|上年|去年|以前年度|结转)\s*$")
_DOUBLED = re.compile(r"([。，、；：！？])\1+")
_LEFT_OVER_EDIT = re.compile(r"大小于|小大于|增减少|减增加|增加减少|减少增加|上升下降|下降上升")
_SHARE_WITHOUT_PERCENT = re.compile(
    r"占(?:[^，。；%％\d]{0,14}?的)?(?:比重|比例)?(?:为)?\s*\d{1,3}\.\d{1,2}(?![\d.%％])"
    r"(?!\s*(?:万|元|亩|平方|人|个|辆|台|套|户|次|项|倍))"
)
_TRUNCATED_YEAR = re.compile(r"(?<!\d)(20\d)\s+年度?")
_HEADING_MAX = 40
_WRAP_TAIL = 12  # characters of the next line a wrapped date may end in


@dataclass
class TextFinding:
    check_id: str
    family: str
    severity: str
    message: str
    source_text: str
    source_location: str


def text_findings(doc: Document, fiscal_year: int | None) -> list[TextFinding]:
    out: list[TextFinding] = []
    for k, block in enumerate(doc.blocks):
        text = block.text
        if not text.strip():
            continue
        out.extend(_placeholders(text, block.location))
        if fiscal_year is not None and block.kind == "paragraph":
            # "截至2022年12月31" + "日，…": a date a text layout wrapped onto the next line
            nxt = doc.blocks[k + 1] if k + 1 < len(doc.blocks) else None
            tail = nxt.text.strip()[:_WRAP_TAIL] if nxt and nxt.kind == "paragraph" else ""
            out.extend(_other_years(text, block.location, fiscal_year, tail))
        if block.kind == "paragraph":
            out.extend(_defects(text, block.location))
    return _one_per_line(out)


def _placeholders(text: str, location: str) -> list[TextFinding]:
    m = _PLACEHOLDER.search(text.replace(" ", ""))
    if m is None:
        return []
    return [
        TextFinding(
            "identity.placeholder_name",
            "identity",
            "error",
            f"“{m.group()}”是未填写的占位名称，不应出现在公开的部门决算中，请改为部门的正式名称。",
            text.strip(),
            location,
        )
    ]


def _other_years(text: str, location: str, fiscal_year: int, tail: str = "") -> list[TextFinding]:
    """A title, part or table heading, or "截至…年12月31日", that names another year; ``tail``
    is the start of the next line, where a wrapped date ends (a date starting there is the
    next line's)."""
    out = []
    heading = not _SENTENCE.search(text) and (
        len(compact(text)) <= _HEADING_MAX or _PART_HEADING.match(compact(text))
    )
    patterns = [_AS_OF] + ([_TITLE_YEAR] if heading else [])
    for pattern in patterns:
        for m in pattern.finditer(text.rstrip() + tail if pattern is _AS_OF else text):
            if m.start() >= len(text.rstrip()):
                continue
            year = int(m.group("year"))
            if year == fiscal_year or _PRIOR_CONTEXT.search(text[: m.start()]):
                continue
            what = "资产统计时点" if pattern is _AS_OF else "标题"
            out.append(
                TextFinding(
                    "identity.wrong_year",
                    "identity",
                    "error",
                    f"{what}写为{year}年，本报告是{fiscal_year}年度部门决算，年度不一致，请更正。",
                    text.strip(),
                    location,
                )
            )
    return out


def _defects(text: str, location: str) -> list[TextFinding]:
    out = []
    checks = [
        (_DOUBLED, "text.doubled_punctuation", "标点重复（“{0}”），请删去多余的标点。"),
        (
            _LEFT_OVER_EDIT,
            "text.left_over_edit",
            "“{0}”疑为修改后残留的相反词语，请核对后保留正确的一个。",
        ),
        (
            _SHARE_WITHOUT_PERCENT,
            "text.share_without_percent",
            "占比“{0}”后缺少百分号“%”，请补上。",
        ),
        (_TRUNCATED_YEAR, "text.truncated_year", "年份“{0}”缺少一位数字，请补全。"),
    ]
    for pattern, check_id, template in checks:
        m = pattern.search(text)
        if m is None:
            continue
        shown = m.group(0).strip()
        out.append(
            TextFinding(check_id, "text", "warning", template.format(shown), text.strip(), location)
        )
    return out


def _one_per_line(findings: list[TextFinding]) -> list[TextFinding]:
    """A line repeated in a header or footer (each page) is reported once."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.check_id, f.source_text)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
