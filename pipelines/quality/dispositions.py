"""Dispositions of findings: a reviewer's 已确认 / 不是问题 on a finding, kept across runs.

A finding (a failed row of quality.check_result) gets a stable ``finding_id`` built from what
identifies the contradiction: the department, the fiscal year, the check and what the check is
about (the statement's part, metric, subject code, share base; for a finding tied to no
statement, the words of its quote without figures). The file's name, hash, line numbers and
statement numbers are left out, so a report re-dropped under another name, or a new version
with unrelated edits, keeps its findings' ids. Its ``fingerprint`` hashes the figures the
finding rests on (observed, expected, bounds, the statement's amounts): a decision is bound to
the fingerprint it was made on, and a changed figure reopens the finding.

Decisions come from two places: the review workbooks (.xlsx) a reviewer fills and saves into
the reviews folder (settings.REVIEWS_DIR_ENV), and the main job's run config. They are stored
in quality.finding_review, one row per finding: the latest decision. An input replaces the
stored decision when it says something else and is not older (a workbook's time is its save
time, a run config's the run's), so a rerun with the same inputs changes nothing.

Plain Python and SQL, no Dagster: the Dagster layer passes the run config's entries in.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.warehouse.schema import (
    FINDING_GROUP_TABLE,
    FINDING_REVIEW_COLUMNS,
    FINDING_REVIEW_TABLE,
)

log = logging.getLogger(__name__)

CONFIRMED, DISMISSED, REOPENED, OPEN = "confirmed", "dismissed", "reopened", "open"
# What the review shows for each effective status.
STATUS_LABELS = {
    OPEN: "待处理",
    CONFIRMED: "已确认",
    DISMISSED: "不是问题",
    REOPENED: "已重新打开",
}
# What a reviewer may write in the workbook's 处理意见 column (and the run config's status);
# a blank cell says nothing. The English words are for engineers typing run config.
STATUS_WORDS = {
    "已确认": CONFIRMED,
    "不是问题": DISMISSED,
    "重新打开": REOPENED,
    "confirmed": CONFIRMED,
    "dismissed": DISMISSED,
    "reopened": REOPENED,
}
WORKBOOK_CHOICES = ("已确认", "不是问题", "重新打开")  # the workbook's drop-down list

# Column headings of the review workbook's disposition columns, read back by name (a reviewer
# may move, hide or add columns; Excel and WPS keep the headings).
COL_STATE = "处理状态"
COL_STATUS = "处理意见"
COL_REASON = "理由"
COL_WHO = "审核人"
COL_ID = "发现编号"
COL_FINGERPRINT = "数字指纹"
WORKBOOK_COLUMNS = (COL_STATE, COL_STATUS, COL_REASON, COL_WHO, COL_ID, COL_FINGERPRINT)

SOURCE_WORKBOOK, SOURCE_RUN_CONFIG = "workbook", "run_config"
_ID_PATTERN = re.compile(r"^F[0-9a-f]{16}$")
_HEADER_SEARCH_ROWS = 30  # a reviewer may add rows above the table
# Spreadsheet formats a reviewer may save in that openpyxl cannot read: said, not guessed at.
_OTHER_SHEETS = {".xls", ".et", ".ods", ".xlsm", ".csv", ".wps"}


# -- identity and fingerprint -----------------------------------------------------------------

# Words of a text without figures, spaces or punctuation: the part of a quote that says what
# a finding is about, unmoved by a changed figure or a re-wrapped line.
_WORDS = r"regexp_replace(coalesce({x}, ''), '[\s\p{{P}}\p{{S}}\p{{N}}]+', '', 'g')"
_NUMBERS = r"regexp_extract_all(coalesce({x}, ''), '\d[\d,]*(?:\.\d+)?')"

# The figures a finding rests on: its own numbers and its statement's. Rounded so that the
# same figures read twice give the same text.
_FIGURES = """json_object(
    'observed', round(observed, 4), 'expected', round(expected, 4),
    'lower', round(lower_bound, 4), 'upper', round(upper_bound, 4),
    'amount_wan', round(s_amount_wan, 4), 'count_value', round(s_count_value, 4),
    'share_pct', round(s_share_pct, 4), 'change_wan', round(s_change_wan, 4),
    'change_pct', round(s_change_pct, 4), 'budget_wan', round(s_budget_wan, 4),
    'completion_pct', round(s_completion_pct, 4), 'basic_wan', round(s_basic_wan, 4),
    'project_wan', round(s_project_wan, 4),
    'numbers', CASE WHEN NOT linked THEN {numbers} END
)::VARCHAR""".format(
    # a finding tied to no statement: the figures of its quote and message, places left out
    numbers=_NUMBERS.format(
        x=r"concat_ws(' ', source_text, "
        r"regexp_replace(message, '第\d+[行页]|表格\d+|段落\d+', '', 'g'))"
    )
)

_ASSIGN = f"""
WITH todo AS (
    SELECT q.rowid AS rid, q.report_id, q.check_id, q.statement_no, q.source_text, q.message,
           q.observed, q.expected, q.lower_bound, q.upper_bound,
           r.department, r.fiscal_year, s.statement_no IS NOT NULL AS linked,
           s.part, s.metric, s.subject_code, coalesce(s.subject_name, s.label) AS s_name,
           s.share_of,
           s.amount_wan AS s_amount_wan, s.count_value AS s_count_value,
           s.share_pct AS s_share_pct, s.change_wan AS s_change_wan,
           s.change_pct AS s_change_pct, s.budget_wan AS s_budget_wan,
           s.completion_pct AS s_completion_pct, s.basic_wan AS s_basic_wan,
           s.project_wan AS s_project_wan
    FROM quality.check_result q
    JOIN core.report r USING (report_id)
    LEFT JOIN core.statement s ON s.report_id = q.report_id AND s.statement_no = q.statement_no
    WHERE q.finding_id IS NULL
),
keyed AS (
    SELECT *,
        -- what the check is about: the statement's place in the report's structure, or the
        -- words of the quote when no statement is named (text, table, package findings)
        left(CASE WHEN linked THEN concat_ws('|', part, coalesce(metric, ''),
                      coalesce(subject_code, '?' || {_WORDS.format(x="s_name")}),
                      coalesce(share_of, ''))
             ELSE {_WORDS.format(x="source_text")} END, 200) AS about,
        {_FIGURES} AS figures
    FROM todo
),
numbered AS (
    SELECT *,
        -- the same check about the same thing twice in one report: told apart by order
        row_number() OVER (PARTITION BY report_id, check_id, about
                           ORDER BY statement_no NULLS LAST, rid) AS nth
    FROM keyed
)
SELECT rid, check_id || '|' || about || '#' || nth AS finding_key,
       'F' || sha256(concat_ws('|', coalesce(department, ''), coalesce(fiscal_year::VARCHAR, ''),
                               check_id, about, nth::VARCHAR))[:16] AS finding_id,
       figures, sha256(figures)[:16] AS fingerprint
FROM numbered
"""


def assign_finding_ids(con: duckdb.DuckDBPyConnection) -> int:
    """Give every check outcome that has none its finding_id, key, figures and fingerprint
    (in the caller's transaction). Rows already numbered keep theirs; returns rows numbered."""
    todo = con.execute(
        "SELECT count(*) FROM quality.check_result WHERE finding_id IS NULL"
    ).fetchone()[0]
    if not todo:
        return 0
    con.execute(
        f"""
        UPDATE quality.check_result AS q
        SET finding_key = s.finding_key, finding_id = s.finding_id, figures = s.figures,
            fingerprint = s.fingerprint
        FROM ({_ASSIGN}) AS s
        WHERE q.rowid = s.rid
        """
    )
    return todo


# Each failed check with its effective status: the decision stands while the figures are those
# it was made on; a changed figure, or a reviewer's 重新打开, makes it "reopened". A finding
# shown as a consequence of another (quality.finding_group) takes its lead's decision: the
# reviewer decides on what the review shows, the lead.
FINDING_STATUS_VIEW = f"""
CREATE OR REPLACE VIEW quality.finding_status AS
SELECT q.report_id, q.finding_id, q.check_id, q.severity, q.fingerprint,
       f.status AS decided_status, f.fingerprint AS decided_fingerprint,
       f.reason, f.who, f.decided_at, f.source, f.figures AS decided_figures,
       CASE WHEN f.finding_id IS NULL THEN '{OPEN}'
            WHEN f.status = '{REOPENED}' THEN '{REOPENED}'
            WHEN f.fingerprint IS DISTINCT FROM coalesce(l.fingerprint, q.fingerprint)
                THEN '{REOPENED}'
            ELSE f.status END AS status,
       coalesce(g.lead_id, q.finding_id) AS lead_id,
       coalesce(g.is_lead, true) AS is_lead
FROM quality.check_result q
LEFT JOIN {FINDING_GROUP_TABLE} g
  ON g.report_id = q.report_id AND g.finding_id = q.finding_id
LEFT JOIN quality.check_result l
  ON NOT g.is_lead AND l.report_id = q.report_id AND l.finding_id = g.lead_id AND NOT l.passed
LEFT JOIN {FINDING_REVIEW_TABLE} f ON f.finding_id = coalesce(g.lead_id, q.finding_id)
WHERE NOT q.passed
"""


def ensure_status_view(con: duckdb.DuckDBPyConnection) -> None:
    """quality.finding_status: each failed finding with its effective decision (made again
    when an older warehouse has the view without its groups)."""
    sql = con.execute(
        "SELECT sql FROM duckdb_views() WHERE schema_name = 'quality' "
        "AND view_name = 'finding_status'"
    ).fetchone()
    if sql is None or "lead_id" not in sql[0]:
        con.execute(FINDING_STATUS_VIEW)


# -- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One reviewer's word on one finding, from a workbook row or a run config entry."""

    finding_id: str
    status: str  # confirmed, dismissed, reopened
    reason: str
    who: str
    decided_at: datetime
    source: str  # workbook or run_config
    source_detail: str  # the workbook and row, or the run
    fingerprint: str | None = None  # the figures the reviewer saw; None: the current ones


@dataclass
class DispositionOutcome:
    """What a run did with the decisions it was given."""

    read: int = 0  # decisions read (workbook rows with a status, run config entries)
    applied: int = 0  # stored as new or changed decisions
    unchanged: int = 0  # already stored as said
    superseded: int = 0  # older than a stored decision that says otherwise
    problems: list[str] = field(default_factory=list)  # Chinese, for the run log
    keys: set[tuple[int, str]] = field(default_factory=set)  # (year, department) changed


def _clean(value: object, fold: bool = False) -> str:
    """A cell or config value as plain text, spaces trimmed; ``fold``: full-width letters and
    spaces folded too (for ids and statuses, not for a reviewer's own words)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a reason typed as a number, stored by Excel as 1.0
    text = str(value)
    return (unicodedata.normalize("NFKC", text) if fold else text).strip()


def parse_status(value: object) -> str | None:
    """The status a cell or config value names; "" for blank; None for anything else."""
    text = _clean(value, fold=True)
    if not text:
        return ""
    return STATUS_WORDS.get(text) or STATUS_WORDS.get(text.lower())


def decisions_from_config(
    entries: Iterable[Mapping[str, object]], when: datetime, run_id: str
) -> tuple[list[Decision], list[str]]:
    """The run config's ``dispositions`` entries ({finding_id, status, reason, who}) as
    decisions made at ``when``; entries that cannot be used are reported, not raised."""
    decisions: list[Decision] = []
    problems: list[str] = []
    for n, entry in enumerate(entries, start=1):
        finding_id = _clean(entry.get("finding_id"), fold=True)
        status = parse_status(entry.get("status"))
        reason, who = _clean(entry.get("reason")), _clean(entry.get("who"))
        where = f"运行配置 dispositions 第{n}项"
        if not finding_id:
            problems.append(f"{where}：缺少 finding_id（发现编号），已忽略。")
        elif not status:
            problems.append(
                f"{where}（{finding_id}）：处理意见“{_clean(entry.get('status'))}”无法识别"
                f"（只接受：{'、'.join(WORKBOOK_CHOICES)}，或 confirmed、dismissed、reopened），已忽略。"
            )
        elif status == DISMISSED and not reason:
            problems.append(
                f"{where}（{finding_id}）：标为“不是问题”须填写理由（reason），已忽略。"
            )
        else:
            decisions.append(
                Decision(finding_id, status, reason, who, when, SOURCE_RUN_CONFIG, f"run {run_id}")
            )
    return decisions, problems


def read_review_workbooks(folder: Path | None) -> tuple[list[Decision], list[str]]:
    """Every decision written in the review workbooks under ``folder`` (any depth).

    A workbook's decisions carry its save time. Tolerated: sheets re-saved by Excel or WPS,
    rows and columns added, blank cells, notes below the table; a file that cannot be read is
    reported and skipped, never raised."""
    decisions: list[Decision] = []
    problems: list[str] = []
    if folder is None or not folder.is_dir():
        return decisions, problems
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith(("~$", ".")):
            continue  # Excel's and WPS's lock files, hidden files
        name = path.relative_to(folder).as_posix()
        suffix = path.suffix.lower()
        if suffix in _OTHER_SHEETS:
            problems.append(
                f"审核意见回收目录中的 {name} 不是 .xlsx 格式，未读取；请在 Excel 或 WPS 中"
                "“另存为” Excel 工作簿（.xlsx）后放回。"
            )
            continue
        if suffix != ".xlsx":
            continue
        try:
            found, trouble = _read_workbook(path, name)
        except Exception as exc:  # a damaged or encrypted file stops nothing
            problems.append(
                f"审核意见回收目录中的 {name} 无法打开（{type(exc).__name__}），未读取；"
                "请用 Excel 或 WPS 打开确认后重新保存。"
            )
            continue
        decisions.extend(found)
        problems.extend(trouble)
    return decisions, problems


def _read_workbook(path: Path, name: str) -> tuple[list[Decision], list[str]]:
    from openpyxl import load_workbook

    saved = datetime.fromtimestamp(path.stat().st_mtime)
    book = load_workbook(path, read_only=True, data_only=True)
    decisions: dict[str, Decision] = {}
    problems: list[str] = []
    columns_found = False
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            columns: dict[str, int] | None = None
            for row_no, row in enumerate(rows, start=1):
                if columns is None:
                    if row_no > _HEADER_SEARCH_ROWS:
                        break
                    heads = {_clean(v, True): j for j, v in enumerate(row) if _clean(v, True)}
                    if COL_ID in heads and COL_STATUS in heads:
                        columns = heads
                        columns_found = True
                    continue

                def cell(heading: str, row: tuple = row, columns: dict = columns) -> object:
                    j = columns.get(heading)
                    return row[j] if j is not None and j < len(row) else None

                finding_id = _clean(cell(COL_ID), fold=True)
                raw_status = cell(COL_STATUS)
                status = parse_status(raw_status)
                if status == "":
                    continue  # no decision on this row (or a note, or an empty row)
                where = f"审核意见工作簿 {name}（{sheet.title}）第{row_no}行"
                if not finding_id:
                    problems.append(f"{where}：填写了处理意见但没有发现编号，已忽略。")
                    continue
                if status is None:
                    problems.append(
                        f"{where}（{finding_id}）：处理意见“{_clean(raw_status)}”无法识别"
                        f"（只接受：{'、'.join(WORKBOOK_CHOICES)}，或留空），已忽略。"
                    )
                    continue
                reason = _clean(cell(COL_REASON))
                if status == DISMISSED and not reason:
                    problems.append(f"{where}（{finding_id}）：标为“不是问题”须填写理由，已忽略。")
                    continue
                earlier = decisions.get(finding_id)
                decision = Decision(
                    finding_id,
                    status,
                    reason,
                    _clean(cell(COL_WHO)),
                    saved,
                    SOURCE_WORKBOOK,
                    f"{name} 第{row_no}行",
                    _clean(cell(COL_FINGERPRINT), fold=True) or None,
                )
                if earlier is not None and _content(earlier) != _content(decision):
                    problems.append(
                        f"{where}：发现编号 {finding_id} 在本工作簿中出现多次且处理意见不同，"
                        "采用最后一行。"
                    )
                decisions[finding_id] = decision
    finally:
        book.close()
    if not columns_found:
        problems.append(
            f"审核意见工作簿 {name} 中没有找到“{COL_ID}”和“{COL_STATUS}”两列，未读取；"
            "请使用系统生成的审核意见工作簿填写。"
        )
    return list(decisions.values()), problems


def _content(d: Decision) -> tuple:
    return (d.status, d.reason, d.who, d.fingerprint)


def apply_decisions(
    con: duckdb.DuckDBPyConnection, decisions: list[Decision]
) -> DispositionOutcome:
    """Store the decisions in quality.finding_review (in the caller's transaction), oldest
    first, so the latest word on a finding wins. A decision on an id no current check outcome
    has is reported and not stored (a typo, or a report not loaded)."""
    outcome = DispositionOutcome(read=len(decisions))
    if not decisions:
        return outcome
    ids = sorted({d.finding_id for d in decisions})
    current = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT q.finding_id, q.fingerprint, q.figures, r.department, r.fiscal_year, "
            "q.check_id FROM quality.check_result q JOIN core.report r USING (report_id) "
            "WHERE q.finding_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchall()
    }
    stored = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT finding_id, status, reason, who, fingerprint, decided_at, figures "
            f"FROM {FINDING_REVIEW_TABLE} WHERE finding_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchall()
    }
    # run config after workbooks of the same time: it is the later, deliberate act
    ordered = sorted(
        enumerate(decisions),
        key=lambda p: (p[1].decided_at, p[1].source == SOURCE_RUN_CONFIG, p[0]),
    )
    for _, d in ordered:
        before = stored.get(d.finding_id)
        if d.finding_id not in current and before is not None and _same(before, d, before[3]):
            # an old workbook echoing a decision on a finding since gone (the report was
            # corrected): nothing new, nothing to warn about
            outcome.unchanged += 1
            continue
        if d.finding_id not in current:
            shape = "" if _ID_PATTERN.match(d.finding_id) else "（编号格式也不对）"
            outcome.problems.append(
                f"{_where(d)}：发现编号 {d.finding_id} 不在本次检查结果中{shape}"
                "（报告可能已修改或移除，或编号有误），已忽略。"
            )
            continue
        fingerprint, figures, department, year, check_id = current[d.finding_id]
        seen = d.fingerprint or fingerprint
        if before is not None:
            if _same(before, d, seen):
                outcome.unchanged += 1
                continue
            if before[4] is not None and before[4] > d.decided_at:
                outcome.superseded += 1
                continue
        # the figures the reviewer saw: the current ones, or those stored with that fingerprint
        if seen == fingerprint:
            kept_figures = figures
        elif before is not None and before[3] == seen:
            kept_figures = before[5]
        else:
            kept_figures = None
        con.execute(f"DELETE FROM {FINDING_REVIEW_TABLE} WHERE finding_id = ?", [d.finding_id])
        con.execute(
            f"INSERT INTO {FINDING_REVIEW_TABLE} "
            f"({', '.join(n for n, _ in FINDING_REVIEW_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in FINDING_REVIEW_COLUMNS)})",
            [
                d.finding_id,
                d.status,
                d.reason,
                d.who,
                d.decided_at,
                seen,
                kept_figures,
                d.source,
                d.source_detail,
                department,
                year,
                check_id,
            ],
        )
        stored[d.finding_id] = (d.status, d.reason, d.who, seen, d.decided_at, kept_figures)
        outcome.applied += 1
        if year is not None:
            outcome.keys.add((year, department))
    for problem in outcome.problems:
        log.warning(problem)
    return outcome


def _same(stored: tuple, d: Decision, fingerprint: str | None) -> bool:
    """Whether a stored decision (status, reason, who, fingerprint, ...) says what ``d`` says."""
    status, reason, who, fp = stored[:4]
    return (status, reason or "", who or "", fp) == (
        d.status,
        d.reason,
        d.who,
        d.fingerprint or fingerprint,
    )


def _where(d: Decision) -> str:
    return f"审核意见工作簿 {d.source_detail}" if d.source == SOURCE_WORKBOOK else d.source_detail


# -- what the reviews show --------------------------------------------------------------------

_FIGURE_NAMES = {
    "observed": "报告所写数",
    "expected": "计算应为",
    "lower": "允许区间下限",
    "upper": "允许区间上限",
    "amount_wan": "金额",
    "count_value": "数量",
    "share_pct": "占比",
    "change_wan": "变动额",
    "change_pct": "变动率",
    "budget_wan": "预算数",
    "completion_pct": "完成率",
    "basic_wan": "基本支出",
    "project_wan": "项目支出",
    "numbers": "原文数字",
}


@dataclass(frozen=True)
class FindingState:
    """A finding's effective status and what to say about it."""

    finding_id: str
    fingerprint: str
    status: str  # open, confirmed, dismissed, reopened
    reason: str = ""
    who: str = ""
    decided_at: datetime | None = None
    why: str = ""  # for a reopened finding: why it is open again

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def counted(self) -> bool:
        """Whether it counts in the department's errors, warnings and notes."""
        return self.status != DISMISSED

    def note(self) -> str:
        """One line for the review: the status with its reason, who and when."""
        if self.status == OPEN:
            return ""
        if self.status == REOPENED:
            return f"{self.label}：{self.why}"
        said = [self.label]
        if self.reason:
            said.append(f"理由：{self.reason}")
        by = "，".join(x for x in (self.who, _day(self.decided_at)) if x)
        if by:
            said.append(f"（{by}）")
        return "；".join(said[:2]) + (said[2] if len(said) > 2 else "")


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else ""


def _figures(text: str | None) -> dict | None:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _changes(before: dict | None, now: dict | None) -> str:
    if before is None or now is None:
        return "处理时依据的数字与本次检查的数字不同"
    changed = [
        f"{_FIGURE_NAMES.get(k, k)} {_show(before.get(k))}→{_show(now.get(k))}"
        for k in now
        if before.get(k) != now.get(k)
    ]
    return "相关数字已变化：" + "；".join(changed) if changed else "相关数字已变化"


def _show(value: object) -> str:
    if value is None:
        return "无"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "无"
    return f"{value:g}" if isinstance(value, float) else str(value)


def finding_states(
    con: duckdb.DuckDBPyConnection, report_ids: list[str] | None = None
) -> dict[str, FindingState]:
    """The effective status of every failed check of ``report_ids`` (all reports: None)."""
    scope, params = ("", [])
    if report_ids is not None:
        scope, params = "AND s.report_id IN (SELECT unnest(?::VARCHAR[]))", [report_ids]
    rows = con.execute(
        "SELECT s.finding_id, s.fingerprint, s.status, s.decided_status, s.reason, s.who, "
        "s.decided_at, s.decided_figures, q.figures "
        "FROM quality.finding_status s JOIN quality.check_result q "
        "ON q.report_id = s.report_id AND q.finding_id = s.finding_id AND NOT q.passed "
        f"WHERE s.finding_id IS NOT NULL {scope}",
        params,
    ).fetchall()
    states: dict[str, FindingState] = {}
    for fid, fp, status, decided, reason, who, when, before, now in rows:
        why = ""
        if status == REOPENED:
            if decided == REOPENED:
                why = f"审核人要求重新审核（{reason}）" if reason else "审核人要求重新审核"
            else:
                earlier = STATUS_LABELS.get(decided, decided)
                why = (
                    f"曾于{_day(when)}标为“{earlier}”，之后{_changes(_figures(before), _figures(now))}，"
                    "请重新审核"
                )
        states[fid] = FindingState(fid, fp or "", status, reason or "", who or "", when, why)
    return states
