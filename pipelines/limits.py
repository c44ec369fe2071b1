"""Stated limits on the work one file may cost, each configurable from the environment.

A file beyond a limit is refused with ``file_too_complex`` (the message names the limit and
the setting that raises it; ``detail`` records limit, value and what was observed), so that
one odd file never holds up a county's run. Values are read when used, so a test or an
operator can change them without restarting anything. Defaults sit far above any real
report seen (README, "Bad input" states the figures measured on the real reports).
"""

from __future__ import annotations

import os
from datetime import date

from pipelines.errors import IngestError

# name -> (environment variable, default)
_SETTINGS: dict[str, tuple[str, float]] = {
    # characters in one line or paragraph (a joined paragraph counts as one)
    "line_chars": ("COUNTY_MAX_LINE_CHARS", 2_000_000),
    # statements extracted from one report
    "statements": ("COUNTY_MAX_STATEMENTS", 50_000),
    # rows in one worksheet of an .xlsx/.xls
    "sheet_rows": ("COUNTY_MAX_SHEET_ROWS", 50_000),
    # wall seconds to read and extract one file (the worker is interrupted past it)
    "file_seconds": ("COUNTY_MAX_FILE_SECONDS", 120),
    # the largest amount a department states, in 万元 (1e8 万元 = 1 万亿元: no county,
    # city or province department comes near it); beyond it a figure is refused as misprinted
    "amount_wan": ("COUNTY_MAX_AMOUNT_WAN", 1e8),
    # a file modified less than this many seconds before discovery looks at it is left for
    # the next run (a copy in progress; every write moves its time); README "Bad input"
    "settle_seconds": ("COUNTY_SETTLE_SECONDS", 5),
}

# Fiscal years accepted: departments have published 部门决算 since about 2010; the upper
# bound is next year (a report is published after its year ends, a draft may run ahead).
MIN_FISCAL_YEAR = 2010


def limit(name: str) -> float:
    """The current value of limit ``name`` (environment, else the default)."""
    env, default = _SETTINGS[name]
    raw = os.environ.get(env)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        return default


def env_name(name: str) -> str:
    return _SETTINGS[name][0]


def max_fiscal_year() -> int:
    return date.today().year + 1


_WHAT = {
    "line_chars": "单行（或单个段落）的字符数",
    "statements": "提取出的数据条数",
    "sheet_rows": "单个工作表的行数",
}


class TooComplex(IngestError):
    """A file past one of the limits: ``file_too_complex``, recorded with the limit it hit."""

    def __init__(self, name: str, observed: float, where: str = "", at_least: bool = False) -> None:
        value = limit(name)
        if name == "file_seconds":
            what = f"该文件的读取和提取用时已达上限 {value:g} 秒，处理被中止"
        else:
            where_text = f"（{where}）" if where else ""
            amount = f"{'至少' if at_least else ''}为 {observed:,.0f}"
            what = f"该文件{where_text}{_WHAT[name]}{amount}，超过上限 {value:,.0f}"
        super().__init__(
            "extract" if name != "sheet_rows" else "read",
            "file_too_complex",
            f"{what}。为保证全县其他报告按时处理，该文件未入库（正常的部门决算远低于此上限，"
            "疑为导出异常或放错了文件）。请检查文件内容后重新导出；确属正常报告的，"
            f"可由数据工程师调高环境变量 {env_name(name)} 后重新运行。",
            detail=f"limit={name} setting={env_name(name)} value={value:g} observed={observed:g}",
        )
