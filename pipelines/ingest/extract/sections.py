"""Headings and the parts of a report (概况, 决算表, 情况说明, 名词解释, 附件)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.text import normalize

_CN = "一二三四五六七八九十"
# (style, pattern); the style decides nesting: a heading of a style already open closes
# everything below it. This copes with reports that mix "1、", "四、" and "9、".
_STYLES = [
    ("part", re.compile(rf"^第[{_CN}]+部分")),
    ("cn", re.compile(rf"^[{_CN}]+\s*[、.]")),
    ("paren_cn", re.compile(rf"^\([{_CN}]+\)")),
    ("arabic", re.compile(r"^\d{1,2}\s*(?:、|\.(?!\d))")),  # "9.31" is a figure
    ("paren_arabic", re.compile(r"^\(\d{1,2}\)")),
]
_AMOUNT = re.compile(r"\d\s*(?:万元|元|%)")

PART_KINDS = [
    ("名词解释", "glossary"),
    ("附件", "annex"),
    ("附表", "annex"),
    ("决算表", "table"),
    ("公开表", "table"),
    ("情况说明", "narrative"),
    ("概况", "overview"),
]


def heading_style(text: str) -> str | None:
    """The numbering style of a heading, or None when the line is body text."""
    t = normalize(text).strip()
    if len(t) > 60 or _AMOUNT.search(t) or "(类)" in t:
        return None  # a figure or a subject path: a list item, not a heading
    for style, pattern in _STYLES:
        if pattern.match(t):
            # "1、支出决算为…" is a list item, not a heading; headings are short.
            if style in ("arabic", "paren_arabic") and len(t) > 40:
                return None
            return style
    if re.fullmatch(r"附件\s*\d*", t):
        return "part"
    return None


@dataclass
class SectionTracker:
    stack: list[tuple[str, str]] = field(default_factory=list)
    part: str = "narrative"

    def update(self, text: str) -> bool:
        """Record ``text`` if it is a heading; return whether it was one."""
        style = heading_style(text)
        if style is None:
            return False
        clean = normalize(text).strip()
        if style == "part":
            self.stack = []
            self.part = next((kind for word, kind in PART_KINDS if word in clean), self.part)
            if clean.startswith("附件"):
                self.part = "annex"
        else:
            styles = [s for s, _ in self.stack]
            if style in styles:
                del self.stack[styles.index(style) :]
        self.stack.append((style, clean))
        return True

    @property
    def path(self) -> str:
        return " > ".join(title for _, title in self.stack)
