"""Stated limits on the work one file may cost, each configurable from the environment
(the settings and their defaults are in pipelines.settings.LIMITS).

A file beyond a limit is refused with ``file_too_complex`` (the message names the limit and
the setting that raises it; ``detail`` records limit, value and what was observed), so that
one odd file never holds up a county's run. Values are read when used, so a test or an
operator can change them without restarting anything. Defaults sit far above any real
report seen (README, "Bad input" states the figures measured on the real reports).
"""

from __future__ import annotations

from datetime import date

from pipelines.errors import IngestError
from pipelines.settings import LIMITS, limit

# Fiscal years accepted: departments have published 部门决算 since about 2010; the upper
# bound is next year (a report is published after its year ends, a draft may run ahead).
MIN_FISCAL_YEAR = 2010


def env_name(name: str) -> str:
    return LIMITS[name][0]


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
