"""Map subject names as printed (narrative paths, table rows) to catalogue codes.

Tolerant of what real reports do: old and new names of one code, a missing or extra
"支出", full- and half-width brackets, spaces inside names. What cannot be resolved is
returned with ``code=None`` and a reason, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines.catalogue.catalogue import Catalogue, level_of
from pipelines.text import compact

_MARKERS = re.compile(r"\((类|款|项)\)")


def name_key(name: str) -> str:
    """Comparison key of a subject name: compact, no level markers, no "支出"."""
    key = _MARKERS.sub("", compact(name))
    return key.replace("支出", "").replace("（", "(").replace("）", ")")


@dataclass
class Resolution:
    code: str | None
    level: str | None
    name: str | None  # the name as printed (deepest level given)
    official_name: str | None = None  # catalogue name for the fiscal year
    warnings: list[str] = field(default_factory=list)
    parent_code: str | None = None  # deepest level that did resolve, when the full path did not


class Resolver:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._keys: dict[str, dict[str, set[str]]] = {"类": {}, "款": {}, "项": {}}
        for code in catalogue.codes():
            level = level_of(code)
            for name in catalogue.names(code):
                self._keys[level].setdefault(name_key(name), set()).add(code)

    def _match(self, name: str, level: str, parent: str | None) -> tuple[str | None, str | None]:
        """Return (code, warning). Exact key first, then containment among the parent's children."""
        key = name_key(name)
        candidates = self._keys[level].get(key, set())
        if parent:
            scoped = {c for c in candidates if c.startswith(parent)}
            if scoped:
                candidates = scoped
            elif candidates:
                return None, f"“{name}”在上级科目 {parent} 下不存在"
        if len(candidates) == 1:
            return next(iter(candidates)), None
        if len(candidates) > 1:
            return None, f"“{name}”对应多个科目：{'、'.join(sorted(candidates))}"
        if parent and key:
            loose = {
                c
                for c in self.catalogue.children(parent)
                for n in self.catalogue.names(c)
                if key in name_key(n) or name_key(n) in key
            }
            if len(loose) == 1:
                return next(iter(loose)), None
        return None, f"科目目录中没有“{name}”"

    def resolve_path(
        self,
        cls: str | None,
        kuan: str | None = None,
        xiang: str | None = None,
        year: int | None = None,
    ) -> Resolution:
        """Resolve a narrative path "X（类）Y（款）Z（项）"; any trailing part may be missing."""
        warnings: list[str] = []
        code = None
        printed = xiang or kuan or cls
        depth = "项" if xiang else "款" if kuan else "类"
        parent = None
        for level, name in (("类", cls), ("款", kuan), ("项", xiang)):
            if not name:
                break
            found, warning = self._match(name, level, parent)
            if found is None:
                warnings.append(warning or f"无法识别{level}“{name}”")
                code = None
                break
            code = parent = found
        if code is not None and level_of(code) != depth:
            code = None
        result = self._finish(code, depth, printed, year, warnings)
        if code is None:
            result.parent_code = parent
        return result

    def resolve_row(self, code_text: str, name: str | None, year: int | None = None) -> Resolution:
        """Resolve a table row: a printed code (joined or split), checked against its name."""
        digits = re.sub(r"\D", "", code_text or "")
        warnings: list[str] = []
        if level_of(digits) is None:
            return Resolution(None, None, name, warnings=[f"科目编码“{code_text}”位数不对"])
        if not self.catalogue.exists(digits):
            warnings.append(f"科目编码 {digits} 不在科目目录中")
        return self._finish(digits, level_of(digits), name, year, warnings)

    def _finish(
        self,
        code: str | None,
        level: str | None,
        printed: str | None,
        year: int | None,
        warnings: list[str],
    ) -> Resolution:
        official = self.catalogue.name(code, year) if code else None
        return Resolution(code, level, printed, official, warnings)


@lru_cache(maxsize=4)
def resolver_for(catalogue: Catalogue) -> Resolver:
    """One resolver per catalogue: its name index is built once per process, not per report."""
    return Resolver(catalogue)
