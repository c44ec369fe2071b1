"""One cause, one finding: failed checks that rest on one wrong figure shown as one finding.

A figure printed wrong makes every check that uses it fail: an annex amount breaks its table's
sum, disagrees with the narrative and no longer matches its own change rate. The warehouse
keeps each of those outcomes (quality.check_result); the reviews, the index and the counts
show them as one finding, led by the outcome that points best at the figure, with the others
listed under it as its consequences (由此导致). A contradiction seen from both sides (one
printed figure read as two statements, e.g. "财政拨款收入支出总计0.3万元" as the income and the
expenditure total, each failing against the table) is one finding too.

What a check rests on is the set of figures it compares (quality.check_result.figure_refs: the
statements, a table row's 基本支出/项目支出 column as a figure of its own; two statements read
from one printed figure are one). Failed checks are grouped around a figure they all involve —
a suspect — when the evidence points at it: at least two failed checks involve it, and more
failed checks involve it than passed checks compare it with other figures and agree (a total
that most of its shares agree with is not the cause of the others failing). The figure
involved in the most failed checks is taken first; each failed check belongs to one group at
most. Only the figure-comparing families at error level are grouped; every other finding
stands alone.

The lead is, among the group, the check that reports on the suspect statement itself (its
``statement_no``), preferring a comparison of the figure with the same figure elsewhere, then
a sum, a share, a budget rate, a change; ties go by statement, check and finding id, so the
same outcomes always give the same lead. Reviewers' decisions apply to the lead's id.

``group_findings`` is pure; ``refresh_groups`` stores its result in quality.finding_group for
the reports whose checks were just recomputed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.quality.builders import PART_NAMES
from pipelines.warehouse.schema import FINDING_GROUP_COLUMNS, FINDING_GROUP_TABLE

# Families whose checks compare stated figures with each other: a wrong figure shows in these.
FIGURE_FAMILIES = ("cross_section", "sum", "share", "budget", "yoy")
_SEVERITY = "error"
# Which check of a group best names the cause, when several report on the suspect statement.
_LEAD_RANK = {
    "cross_section.amount": 0,
    "sum": 1,
    "share": 2,
    "budget": 3,
    "yoy": 4,
    "cross_section": 5,  # a change or parts' changes disagreeing: a consequence, mostly
}


def _rank(check_id: str) -> int:
    if check_id in _LEAD_RANK:
        return _LEAD_RANK[check_id]
    return _LEAD_RANK.get(check_id.split(".", 1)[0], len(_LEAD_RANK))


@dataclass(frozen=True)
class CheckOutcome:
    """One check outcome of one report, as grouping sees it."""

    finding_id: str | None
    check_id: str
    family: str
    severity: str
    passed: bool
    statement_no: int | None  # the statement the check reports on
    # the figures it compares: "12" for statement 12 (one per printed figure), "12:basic" for
    # the 基本支出 column of its table row
    statements: frozenset[str]
    figure_no: int | None = None  # the printed figure of ``statement_no`` (default: itself)

    @property
    def figure(self) -> str | None:
        no = self.figure_no if self.figure_no is not None else self.statement_no
        return None if no is None else str(no)


@dataclass(frozen=True)
class FindingGroup:
    lead: str  # finding_id of the outcome shown
    consequences: tuple[str, ...] = ()  # finding_ids listed under it, in review order
    suspect: str | None = None  # the figure every member involves ("12", "12:basic")

    @property
    def members(self) -> tuple[str, ...]:
        return (self.lead, *self.consequences)


def group_findings(outcomes: Iterable[CheckOutcome]) -> list[FindingGroup]:
    """The failed outcomes (with a finding_id) of ONE report as groups; every failed outcome
    is in exactly one group, alone or with the others resting on the same suspect figure."""
    outcomes = list(outcomes)
    failed = [o for o in outcomes if not o.passed and o.finding_id]
    groupable = [
        o
        for o in failed
        if o.severity == _SEVERITY and o.family in FIGURE_FAMILIES and o.statements
    ]
    fails: dict[str, int] = defaultdict(int)
    for o in groupable:
        for s in o.statements:
            fails[s] += 1
    # checks that compare a figure with others and agree: evidence the figure is right
    agrees: dict[str, int] = defaultdict(int)
    for o in outcomes:
        if o.passed and o.family in FIGURE_FAMILIES and len(o.statements) > 1:
            for s in o.statements:
                agrees[s] += 1
    suspects = {s for s, n in fails.items() if n >= 2 and n > agrees[s]}

    groups: list[FindingGroup] = []
    left = {o.finding_id: o for o in groupable}
    while suspects:
        tally: dict[str, list[CheckOutcome]] = defaultdict(list)
        for o in left.values():
            for s in o.statements & suspects:
                tally[s].append(o)
        if not tally:
            break

        # most failed checks first; then the statement most of them report on; then order
        suspect = min(
            tally,
            key=lambda s, t=tally: (-len(t[s]), -sum(o.figure == s for o in t[s]), _order(s)),
        )
        members = tally[suspect]
        suspects.discard(suspect)
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda o: _lead_key(o, suspect))
        groups.append(
            FindingGroup(
                ordered[0].finding_id,
                tuple(o.finding_id for o in _review_order(ordered[1:])),
                suspect,
            )
        )
        for o in members:
            del left[o.finding_id]
    grouped = {f for g in groups for f in g.members}
    groups.extend(FindingGroup(o.finding_id) for o in failed if o.finding_id not in grouped)
    return groups


def _order(ref: str) -> tuple:
    no, _, column = ref.partition(":")
    return (int(no) if no.isdigit() else 1 << 30, column)


def _lead_key(o: CheckOutcome, suspect: str) -> tuple:
    return (
        o.figure != suspect,
        _rank(o.check_id),
        o.statement_no if o.statement_no is not None else 1 << 30,
        o.check_id,
        o.finding_id,
    )


def _review_order(outcomes: list[CheckOutcome]) -> list[CheckOutcome]:
    return sorted(
        outcomes,
        key=lambda o: (
            o.statement_no if o.statement_no is not None else 1 << 30,
            o.check_id,
            o.finding_id,
        ),
    )


# -- the warehouse ----------------------------------------------------------------------------

# One printed figure may be read as two statements ("收入支出总计0.3万元": the income and the
# expenditure total): outside the tables' cells, statements of one block with the same label
# and the same printed value are one figure, named by the first of them.
_SAME_FIGURE = """
SELECT report_id, statement_no,
       min(statement_no) OVER (PARTITION BY report_id, block_index, label, value_text,
                               amount_wan) AS figure_no
FROM core.statement
WHERE report_id IN (SELECT report_id FROM group_target)
  AND part IS DISTINCT FROM 'table' AND value_text IS NOT NULL
QUALIFY figure_no <> statement_no
"""


def _statements(refs: object, statement_no: object, same: dict[int, int]) -> frozenset[str]:
    """A row's figure_refs as figures: a statement read twice from one printed figure is one."""
    found: list[str] = []
    if isinstance(refs, str) and refs:
        try:
            found = [str(n) for n in json.loads(refs)]
        except (ValueError, TypeError):
            found = []
    if not found and statement_no is not None and not pd.isna(statement_no):
        found = [str(int(statement_no))]
    out = set()
    for ref in found:
        no, colon, column = ref.partition(":")
        if no.isdigit():
            ref = f"{same.get(int(no), int(no))}{colon}{column}"
        out.add(ref)
    return frozenset(out)


def refresh_groups(con: duckdb.DuckDBPyConnection, report_ids: Iterable[str]) -> int:
    """Recompute quality.finding_group for ``report_ids`` (in the caller's transaction), and
    for every report with a failed finding not yet grouped (a warehouse from before groups);
    drop the groups of reports gone. Returns the groups that have more than one finding."""
    wanted = set(report_ids)
    wanted |= {
        r
        for (r,) in con.execute(
            f"""SELECT DISTINCT q.report_id FROM quality.check_result q
            WHERE NOT q.passed AND q.finding_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM {FINDING_GROUP_TABLE} g
                WHERE g.report_id = q.report_id AND g.finding_id = q.finding_id)"""
        ).fetchall()
    }
    con.execute(
        f"DELETE FROM {FINDING_GROUP_TABLE} "
        "WHERE report_id NOT IN (SELECT report_id FROM core.report)"
    )
    if not wanted:
        return 0
    con.register("group_target", pa.table({"report_id": pa.array(sorted(wanted), pa.string())}))
    try:
        con.execute(
            f"DELETE FROM {FINDING_GROUP_TABLE} "
            "WHERE report_id IN (SELECT report_id FROM group_target)"
        )
        same: dict[str, dict[int, int]] = defaultdict(dict)
        for rid, no, figure in con.execute(_SAME_FIGURE).fetchall():
            same[rid][int(no)] = int(figure)
        by_report: dict[str, list[CheckOutcome]] = defaultdict(list)
        for rid, fid, check_id, family, severity, passed, no, nos in con.execute(
            "SELECT report_id, finding_id, check_id, family, severity, passed, statement_no, "
            "figure_refs FROM quality.check_result "
            "WHERE report_id IN (SELECT report_id FROM group_target) "
            # passed checks tell only when they compare a figure with another, and only in a
            # report where two failed figure checks could share a suspect
            f"AND (NOT passed OR (family IN {FIGURE_FAMILIES!r} AND figure_refs LIKE '%,%' "
            "AND report_id IN (SELECT report_id FROM quality.check_result "
            "WHERE report_id IN (SELECT report_id FROM group_target) AND NOT passed "
            f"AND severity = '{_SEVERITY}' AND family IN {FIGURE_FAMILIES!r} "
            "GROUP BY report_id HAVING count(*) >= 2))) "
            "ORDER BY report_id, finding_id"
        ).fetchall():
            mapping = same.get(rid, {})
            by_report[rid].append(
                CheckOutcome(
                    fid,
                    check_id or "",
                    family or "",
                    severity or "",
                    bool(passed),
                    int(no) if no is not None else None,
                    _statements(nos, no, mapping),
                    mapping.get(int(no)) if no is not None else None,
                )
            )
    finally:
        con.unregister("group_target")
    records: list[tuple] = []
    shared = 0
    for rid, outcomes in by_report.items():
        for g in group_findings(outcomes):
            shared += len(g.consequences) > 0
            for fid in g.members:
                no, _, column = (g.suspect or "").partition(":")
                records.append(
                    (
                        rid,
                        fid,
                        g.lead,
                        fid == g.lead,
                        len(g.members),
                        int(no) if no.isdigit() else None,
                        column or None,
                    )
                )
    if records:
        names = [n for n, _ in FINDING_GROUP_COLUMNS]
        frame = pd.DataFrame(records, columns=names)  # noqa: F841 (scanned by name)
        con.execute(
            f"INSERT INTO {FINDING_GROUP_TABLE} ({', '.join(names)}) "
            f"SELECT {', '.join(names)} FROM frame"
        )
    return shared


def groups_of(
    con: duckdb.DuckDBPyConnection, report_ids: list[str] | None = None
) -> dict[str, tuple[str, bool, int | None]]:
    """finding_id -> (lead_id, is_lead, the suspect figure's statement) of the stored groups."""
    scope, params = "", []
    if report_ids is not None:
        scope, params = "WHERE report_id IN (SELECT unnest(?::VARCHAR[]))", [report_ids]
    return {
        fid: (lead, bool(is_lead), suspect)
        for fid, lead, is_lead, suspect in con.execute(
            f"SELECT finding_id, lead_id, is_lead, suspect_statement_no "
            f"FROM {FINDING_GROUP_TABLE} {scope}",
            params,
        ).fetchall()
    }


# -- what the reviews show --------------------------------------------------------------------

CONSEQUENCES = "由此导致："


def causes_of(
    con: duckdb.DuckDBPyConnection, report_ids: list[str] | None = None
) -> dict[str, str]:
    """lead finding_id -> one sentence naming the figure its group's findings all involve."""
    scope, params = "", []
    if report_ids is not None:
        scope, params = "AND g.report_id IN (SELECT unnest(?::VARCHAR[]))", [report_ids]
    out: dict[str, str] = {}
    from pipelines.ingest.extract.vocabulary import METRIC_NAMES

    for (
        lead,
        members,
        label,
        value,
        unit,
        part,
        location,
        column,
        basic,
        project,
        metric,
    ) in con.execute(
        "SELECT g.lead_id, g.members, coalesce(s.subject_name, s.label), s.value_text, s.unit, "
        "s.part, s.source_location, g.suspect_column, s.basic_wan, s.project_wan, s.metric "
        f"FROM {FINDING_GROUP_TABLE} g JOIN core.statement s "
        "ON s.report_id = g.report_id AND s.statement_no = g.suspect_statement_no "
        f"WHERE g.is_lead AND g.members > 1 {scope}",
        params,
    ).fetchall():
        if (label or "").strip() in _GENERIC and metric in METRIC_NAMES:
            label = METRIC_NAMES[metric]  # a table's 合计 row: the figure it is
        if column in _COLUMNS:  # a column of the row: its figure, named by the column
            amount = basic if column == "basic" else project
            label = f"{label or ''}{_COLUMNS[column]}"
            value, unit = (f"{amount:,.2f}" if amount is not None else ""), "万元"
        out[lead] = cause_text(members, label, value, unit, part, location)
    return out


_COLUMNS = {"basic": "（基本支出）", "project": "（项目支出）"}
_GENERIC = {"合计", "总计", "小计", "本年合计"}


def cause_text(
    members: int,
    label: str | None,
    value: str | None,
    unit: str | None,
    part: str | None,
    location: str | None,
) -> str:
    """ "以下共4项检查未通过，都涉及附件（第561行）所写的“公务接待费”51.33万元：……"."""
    where = PART_NAMES.get(part or "", part or "")
    where = f"{where}（{location}）" if location else where
    figure = f"“{label}”{value or ''}{unit or ''}" if label else f"{value or ''}{unit or ''}"
    return (
        f"以下共{members}项检查未通过，都涉及{where}所写的{figure}：很可能是这一个数字有误，"
        "请先核对它。"
    )


def nest(
    rows: list[dict],
    groups: dict[str, tuple[str, bool, int | None]],
    causes: dict[str, str] | None = None,
) -> list[dict]:
    """The findings as the review lists them: each lead (a row dict with ``finding_id``) with
    ``consequences`` (its group's other rows, in the order given) and ``cause`` (a sentence,
    or ""); rows not in a group stand alone. Order: the order of the leads in ``rows``."""
    by_lead: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        fid = r.get("finding_id") or ""
        lead, is_lead, _ = groups.get(fid, (fid, True, None))
        if not is_lead:
            by_lead[lead].append(r)
    present = {r.get("finding_id") for r in rows}
    out: list[dict] = []
    for r in rows:
        fid = r.get("finding_id") or ""
        lead, is_lead, _ = groups.get(fid, (fid, True, None))
        if not is_lead and lead in present:
            continue  # listed under its lead
        consequences = by_lead.get(fid, []) if is_lead else []
        out.append(
            {
                **r,
                "consequences": consequences,
                "cause": (causes or {}).get(fid, "") if consequences else "",
            }
        )
    return out


def full_message(finding: dict) -> str:
    """A lead's message with its cause and consequences, as one text (workbook, findings page,
    the annotated PDF's note)."""
    text = finding.get("message") or ""
    consequences = finding.get("consequences") or []
    if not consequences:
        return text
    lines = [text]
    if finding.get("cause"):
        lines.append(finding["cause"])
    lines.append(CONSEQUENCES)
    for n, c in enumerate(consequences, start=1):
        where = f"（位置：{c['source_location']}）" if c.get("source_location") else ""
        lines.append(f"{n}. {c.get('message') or ''}{where}")
    return "\n".join(lines)
