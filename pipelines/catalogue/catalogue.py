"""Year-dependent catalogue of functional subject codes, loaded from data/functional_subjects.csv."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
LEVEL_BY_LENGTH = {3: "类", 5: "款", 7: "项"}


def level_of(code: str) -> str | None:
    return LEVEL_BY_LENGTH.get(len(code))


@dataclass(frozen=True)
class Subject:
    code: str
    level: str
    name: str
    valid_from: int
    valid_to: int


class Catalogue:
    """All names a code has had; which name is official in which fiscal year."""

    def __init__(
        self, subjects: list[Subject], aliases: dict[str, list[str]] | None = None
    ) -> None:
        self.subjects = subjects
        # Names no catalogue of 2019+ carries but reports still print (pre-2019 names).
        self.aliases = aliases or {}
        self._by_code: dict[str, list[Subject]] = defaultdict(list)
        self._children: dict[str, list[str]] = defaultdict(list)
        for s in subjects:
            if s.code not in self._by_code:
                parent = parent_code(s.code)
                if parent:
                    self._children[parent].append(s.code)
            self._by_code[s.code].append(s)

    @classmethod
    def load(cls, path: Path | None = None) -> Catalogue:
        return _load_cached(str(path or DATA_DIR / "functional_subjects.csv"))

    def codes(self, level: str | None = None) -> list[str]:
        return [c for c in self._by_code if level is None or level_of(c) == level]

    def exists(self, code: str, year: int | None = None) -> bool:
        rows = self._by_code.get(code, [])
        return any(year is None or s.valid_from <= year <= s.valid_to for s in rows)

    def name(self, code: str, year: int | None = None) -> str | None:
        """The official name in ``year``; without a year (or outside its validity) the latest name."""
        rows = self._by_code.get(code)
        if not rows:
            return None
        if year is not None:
            for s in rows:
                if s.valid_from <= year <= s.valid_to:
                    return s.name
        return max(rows, key=lambda s: s.valid_to).name

    def names(self, code: str) -> list[str]:
        """Every name the code has carried, latest first, then its known aliases."""
        rows = sorted(self._by_code.get(code, []), key=lambda s: -s.valid_to)
        return list(dict.fromkeys([s.name for s in rows] + self.aliases.get(code, [])))

    def children(self, code: str) -> list[str]:
        return self._children.get(code, [])


def parent_code(code: str) -> str | None:
    return {5: code[:3], 7: code[:5]}.get(len(code))


@lru_cache(maxsize=4)
def _load_cached(path: str) -> Catalogue:
    subjects: list[Subject] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            subjects.append(
                Subject(
                    code=row["code"].strip(),
                    level=row["level"].strip(),
                    name=row["name"].strip(),
                    valid_from=int(row["valid_from"]),
                    valid_to=int(row["valid_to"]),
                )
            )
    aliases: dict[str, list[str]] = defaultdict(list)
    alias_path = Path(path).with_name("aliases.csv")
    if alias_path.exists():
        with open(alias_path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                aliases[row["code"].strip()].append(row["alias"].strip())
    return Catalogue(subjects, dict(aliases))
