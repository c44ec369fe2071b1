"""Published comparison tables (schema mart), built in SQL from the core tables.

Every mart is rebuilt in one transaction from the whole warehouse, so it always matches the
core tables. A figure stated in several places is taken from the main text first, then the
tables, then the annexes (the cross_section checks report any disagreement between them).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa

from pipelines.failpoints import failpoint
from pipelines.warehouse.transactions import transaction

# The figure a report states for a metric: main text first, then tables, then annexes.
PRIMARY_FACT_SQL = """
CREATE OR REPLACE TEMP TABLE primary_fact AS
WITH ranked AS (
    SELECT report_id, metric, amount_wan, count_value, budget_wan, change_wan, change_pct,
           completion_pct, flat,
           (CASE part WHEN 'narrative' THEN 0 WHEN 'table' THEN 1 WHEN 'overview' THEN 2 ELSE 3 END) * 1000000 + statement_no AS pick
    FROM core.statement
    WHERE metric IS NOT NULL AND subject_code IS NULL AND part IN ('narrative', 'table', 'annex', 'overview')
)
SELECT report_id, metric,
       arg_min(amount_wan, pick) FILTER (WHERE amount_wan IS NOT NULL) AS amount_wan,
       arg_min(count_value, pick) FILTER (WHERE count_value IS NOT NULL) AS count_value,
       arg_min(budget_wan, pick) FILTER (WHERE budget_wan IS NOT NULL) AS budget_wan,
       arg_min(completion_pct, pick) FILTER (WHERE completion_pct IS NOT NULL) AS completion_pct,
       -- the change on last year as the report states it ("与上年持平" is a change of 0)
       coalesce(arg_min(change_wan, pick) FILTER (WHERE change_wan IS NOT NULL),
                CASE WHEN bool_or(flat) THEN 0.0 END) AS change_wan,
       coalesce(arg_min(change_pct, pick) FILTER (WHERE change_pct IS NOT NULL),
                CASE WHEN bool_or(flat) THEN 0.0 END) AS change_pct
FROM ranked GROUP BY report_id, metric
"""

# 一般公共预算财政拨款支出 by 类, 款 and 项 per report. A 款 the report does not state is summed
# from its stated 项 (is_derived), a 类 from its 款.
GPB_SUBJECTS_SQL = """
CREATE OR REPLACE TEMP TABLE gpb_subjects AS
WITH lines AS (
    SELECT report_id, subject_code, level, amount_wan
    FROM core.expenditure_by_function
    WHERE is_primary AND basis = '一般公共预算财政拨款' AND subject_code IS NOT NULL
),
xiang AS (SELECT report_id, subject_code, amount_wan, FALSE AS is_derived FROM lines WHERE level = '项'),
kuan AS (
    SELECT report_id, subject_code, amount_wan, FALSE AS is_derived FROM lines WHERE level = '款'
    UNION ALL
    SELECT report_id, substr(subject_code, 1, 5), round(sum(amount_wan), 2), TRUE
    FROM xiang x WHERE NOT EXISTS (
        SELECT 1 FROM lines k WHERE k.report_id = x.report_id AND k.level = '款'
          AND k.subject_code = substr(x.subject_code, 1, 5))
    GROUP BY 1, 2
),
lei AS (
    SELECT report_id, subject_code, amount_wan, FALSE AS is_derived FROM lines WHERE level = '类'
    UNION ALL
    SELECT report_id, substr(subject_code, 1, 3), round(sum(amount_wan), 2), TRUE
    FROM kuan x WHERE NOT EXISTS (
        SELECT 1 FROM lines c WHERE c.report_id = x.report_id AND c.level = '类'
          AND c.subject_code = substr(x.subject_code, 1, 3))
    GROUP BY 1, 2
)
SELECT report_id, '类' AS level, subject_code, amount_wan, is_derived FROM lei
UNION ALL SELECT report_id, '款', subject_code, amount_wan, is_derived FROM kuan
UNION ALL SELECT report_id, '项', subject_code, amount_wan, is_derived FROM xiang
"""

DEPARTMENT_TOTALS_SQL = """
CREATE OR REPLACE TEMP TABLE department_total AS
SELECT r.report_id,
       coalesce(f.amount_wan, s.sum_wan) AS total_wan,
       f.amount_wan IS NULL AS total_is_derived
FROM core.report r
LEFT JOIN primary_fact f ON f.report_id = r.report_id AND f.metric = 'gpb_expenditure'
LEFT JOIN (SELECT report_id, round(sum(amount_wan), 2) AS sum_wan FROM gpb_subjects WHERE level = '类' GROUP BY 1) s
       ON s.report_id = r.report_id
"""

# The same department's report of the year before (by name and region).
_PRIOR_YEAR = (
    "LEFT JOIN cur p ON p.department = c.department AND p.region IS NOT DISTINCT FROM c.region "
    "AND p.fiscal_year = c.fiscal_year - 1"
)


def _change(column: str) -> str:
    """Last year's figure and the change on it, for a mart built over ``cur c`` joined to ``p``."""
    return (
        f"p.{column} AS prior_year_wan, round(c.{column} - p.{column}, 2) AS change_wan, "
        f"round(100 * (c.{column} - p.{column}) / nullif(p.{column}, 0), 2) AS change_pct"
    )


def _stated_change(column: str) -> str:
    """Last year's figure and the change on it as the report itself states them (the prior
    figure is this year's less the stated change), for ``cur c`` with stated_change_*."""
    return (
        f"round(c.{column} - c.stated_change_wan, 2) AS stated_prior_year_wan, "
        "c.stated_change_wan, c.stated_change_pct"
    )


def _per_staff(column: str) -> str:
    return f"round(c.{column} / nullif(c.staff_active, 0), 4) AS per_staff_wan"


MARTS: dict[str, str] = {
    # 类 and 款 of 一般公共预算财政拨款支出 per department and year (the first published mart).
    "mart.gpb_by_function": """
        SELECT r.fiscal_year, r.region, r.department, s.level, s.subject_code, n.name AS subject_name,
               s.amount_wan, round(100 * s.amount_wan / nullif(t.total_wan, 0), 2) AS share_pct,
               t.total_wan AS department_total_wan, s.is_derived, t.total_is_derived, r.report_id
        FROM gpb_subjects s JOIN core.report r USING (report_id) JOIN department_total t USING (report_id)
        LEFT JOIN subject_name_by_year n ON n.code = s.subject_code AND n.year = r.fiscal_year
        WHERE s.level IN ('类', '款')
        ORDER BY r.fiscal_year, r.department, s.subject_code
    """,
    # Every subject line × department × year: share, rank among departments, change on last year.
    "mart.expenditure_by_subject": f"""
        WITH cur AS (
            SELECT r.fiscal_year, r.region, r.department, s.*, t.total_wan
            FROM gpb_subjects s JOIN core.report r USING (report_id) JOIN department_total t USING (report_id)
        )
        SELECT c.fiscal_year, c.region, c.department, c.level, c.subject_code, n.name AS subject_name,
               c.amount_wan, round(100 * c.amount_wan / nullif(c.total_wan, 0), 2) AS share_pct,
               rank() OVER (PARTITION BY c.fiscal_year, c.subject_code ORDER BY c.amount_wan DESC) AS county_rank,
               count(*) OVER (PARTITION BY c.fiscal_year, c.subject_code) AS departments_with_subject,
               {_change("amount_wan")},
               c.is_derived, c.report_id
        FROM cur c
        {_PRIOR_YEAR} AND p.subject_code = c.subject_code
        LEFT JOIN subject_name_by_year n ON n.code = c.subject_code AND n.year = c.fiscal_year
        ORDER BY c.fiscal_year, c.department, c.subject_code
    """,
    # 三公经费 by department: parts, budget completion, change on last year, per staff member.
    "mart.three_public_by_department": f"""
        WITH cur AS (
            SELECT r.fiscal_year, r.region, r.department, r.report_id,
                   max(f.amount_wan) FILTER (WHERE f.metric = 'three_public_total') AS total_wan,
                   max(f.amount_wan) FILTER (WHERE f.metric = 'three_public_overseas') AS overseas_wan,
                   max(f.amount_wan) FILTER (WHERE f.metric = 'three_public_vehicle') AS vehicle_wan,
                   max(f.amount_wan) FILTER (WHERE f.metric = 'three_public_vehicle_purchase') AS vehicle_purchase_wan,
                   max(f.amount_wan) FILTER (WHERE f.metric = 'three_public_vehicle_operation') AS vehicle_operation_wan,
                   max(f.amount_wan) FILTER (WHERE f.metric = 'three_public_reception') AS reception_wan,
                   max(f.count_value) FILTER (WHERE f.metric = 'reception_batches') AS reception_batches,
                   max(f.count_value) FILTER (WHERE f.metric = 'reception_persons') AS reception_persons,
                   max(f.budget_wan) FILTER (WHERE f.metric = 'three_public_total') AS budget_wan,
                   max(f.completion_pct) FILTER (WHERE f.metric = 'three_public_total') AS stated_completion_pct,
                   max(f.change_wan) FILTER (WHERE f.metric = 'three_public_total') AS stated_change_wan,
                   max(f.change_pct) FILTER (WHERE f.metric = 'three_public_total') AS stated_change_pct,
                   max(f.count_value) FILTER (WHERE f.metric = 'staff_active') AS staff_active
            FROM core.report r LEFT JOIN primary_fact f USING (report_id)
            GROUP BY ALL
        )
        SELECT c.fiscal_year, c.region, c.department, c.total_wan, c.overseas_wan, c.vehicle_wan,
               c.vehicle_purchase_wan, c.vehicle_operation_wan, c.reception_wan, c.reception_batches,
               c.reception_persons, c.budget_wan,
               -- the rate the report states, else 决算 ÷ 预算 of its own figures
               coalesce(c.stated_completion_pct,
                        round(100 * c.total_wan / nullif(c.budget_wan, 0), 2)) AS completion_pct,
               c.stated_completion_pct IS NOT NULL AS completion_is_stated,
               {_stated_change("total_wan")},
               {_change("total_wan")},
               c.staff_active, {_per_staff("total_wan")}, c.report_id
        FROM cur c
        {_PRIOR_YEAR}
        ORDER BY c.fiscal_year, c.department
    """,
    # 机关运行经费 by department, per staff member, change on last year.
    "mart.admin_operating_by_department": f"""
        WITH cur AS (
            SELECT r.fiscal_year, r.region, r.department, r.report_id,
                   max(f.amount_wan) FILTER (WHERE f.metric = 'admin_operating_expenses') AS amount_wan,
                   max(f.budget_wan) FILTER (WHERE f.metric = 'admin_operating_expenses') AS budget_wan,
                   max(f.completion_pct) FILTER (WHERE f.metric = 'admin_operating_expenses') AS stated_completion_pct,
                   max(f.change_wan) FILTER (WHERE f.metric = 'admin_operating_expenses') AS stated_change_wan,
                   max(f.change_pct) FILTER (WHERE f.metric = 'admin_operating_expenses') AS stated_change_pct,
                   max(f.count_value) FILTER (WHERE f.metric = 'staff_active') AS staff_active
            FROM core.report r LEFT JOIN primary_fact f USING (report_id)
            GROUP BY ALL
        )
        SELECT c.fiscal_year, c.region, c.department, c.amount_wan, c.budget_wan,
               coalesce(c.stated_completion_pct,
                        round(100 * c.amount_wan / nullif(c.budget_wan, 0), 2)) AS completion_pct,
               c.stated_completion_pct IS NOT NULL AS completion_is_stated,
               {_stated_change("amount_wan")},
               {_change("amount_wan")},
               c.staff_active, {_per_staff("amount_wan")}, c.report_id
        FROM cur c
        {_PRIOR_YEAR}
        ORDER BY c.fiscal_year, c.department
    """,
    # 基本支出 / 项目支出 structure, and 人员经费 / 公用经费 within 基本支出.
    "mart.expenditure_structure": """
        SELECT r.fiscal_year, r.region, r.department,
               max(f.amount_wan) FILTER (WHERE f.metric = 'expenditure_current_year') AS expenditure_wan,
               max(f.amount_wan) FILTER (WHERE f.metric = 'expenditure_basic') AS basic_wan,
               max(f.amount_wan) FILTER (WHERE f.metric = 'expenditure_project') AS project_wan,
               round(100 * basic_wan / nullif(expenditure_wan, 0), 2) AS basic_share_pct,
               round(100 * project_wan / nullif(expenditure_wan, 0), 2) AS project_share_pct,
               max(f.amount_wan) FILTER (WHERE f.metric = 'personnel_expenses') AS personnel_wan,
               max(f.amount_wan) FILTER (WHERE f.metric = 'public_expenses') AS public_wan,
               max(f.amount_wan) FILTER (WHERE f.metric = 'gpb_expenditure') AS gpb_expenditure_wan,
               r.report_id
        FROM core.report r LEFT JOIN primary_fact f USING (report_id)
        GROUP BY ALL
        ORDER BY r.fiscal_year, r.department
    """,
    # Whose reports are clean: findings per department and year, and a grade.
    # A finding a reviewer marked 不是问题 (and whose figures have not changed since) counts in
    # `dismissed`, not in the errors, warnings and notes (quality.finding_status). Failed
    # checks resting on one figure count once, as the review shows them (quality.finding_group):
    # `failed_checks` counts every failed check.
    "mart.quality_scorecard": """
        SELECT r.fiscal_year, r.region, r.department,
               count(q.check_id) AS checks,
               count(*) FILTER (WHERE open AND shown AND q.severity = 'error') AS errors,
               count(*) FILTER (WHERE open AND shown AND q.severity = 'warning') AS warnings,
               count(*) FILTER (WHERE open AND shown AND q.severity = 'info') AS notes,
               count(*) FILTER (WHERE open AND q.family = 'completeness') AS missing_statements,
               CASE WHEN errors = 0 AND warnings <= 2 THEN 'A'
                    WHEN errors = 0 THEN 'B'
                    WHEN errors <= 3 THEN 'C'
                    ELSE 'D' END AS grade,
               r.report_id,
               count(*) FILTER (WHERE NOT q.passed AND NOT open AND shown) AS dismissed,
               count(*) FILTER (WHERE NOT q.passed) AS failed_checks
        FROM core.report r
        LEFT JOIN (
            SELECT q.*, NOT q.passed AND s.status IS DISTINCT FROM 'dismissed' AS open,
                   coalesce(s.is_lead, true) AS shown
            FROM quality.check_result q
            LEFT JOIN quality.finding_status s
              ON s.report_id = q.report_id AND s.finding_id = q.finding_id AND NOT q.passed
        ) q USING (report_id)
        GROUP BY ALL
        ORDER BY r.fiscal_year, r.department
    """,
    # County totals per subject, reconciled with the departments that state it.
    "mart.county_subject_totals": """
        SELECT fiscal_year, level, subject_code, any_value(subject_name) AS subject_name,
               count(*) AS departments, round(sum(amount_wan), 2) AS total_wan,
               round(100 * sum(amount_wan) / nullif(sum(sum(amount_wan)) FILTER (WHERE level = '类')
                     OVER (PARTITION BY fiscal_year), 0), 2) AS share_of_county_pct
        FROM mart.expenditure_by_subject
        GROUP BY fiscal_year, level, subject_code
        ORDER BY fiscal_year, subject_code
    """,
}


# What each mart holds, as the Dagster UI describes its asset (mart/<name>).
MART_DESCRIPTIONS: dict[str, str] = {
    "mart.gpb_by_function": "类 and 款 of 一般公共预算财政拨款支出 per department and year: amount, "
    "share of the department's total.",
    "mart.expenditure_by_subject": "Every subject line (类/款/项) × department × year: amount, "
    "share, rank among departments, change on last year.",
    "mart.three_public_by_department": "三公经费 by department: parts, budget completion, change "
    "on last year, per staff member.",
    "mart.admin_operating_by_department": "机关运行经费 by department, per staff member, change "
    "on last year.",
    "mart.expenditure_structure": "基本支出 / 项目支出 structure, and 人员经费 / 公用经费 within "
    "基本支出, per department and year.",
    "mart.quality_scorecard": "Findings per department and year (errors, warnings, notes, "
    "dismissed) and a grade: whose reports are clean.",
    "mart.county_subject_totals": "County totals per subject, reconciled with the departments "
    "that state it.",
}


def build_marts(
    con: duckdb.DuckDBPyConnection,
    catalogue_names: list[tuple[str, int, str]],
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> dict[str, int]:
    """Rebuild every mart in one transaction; ``catalogue_names`` = (code, year, official name).

    ``before_commit`` runs inside the transaction (bookkeeping that must commit with the marts).
    """
    with transaction(con):
        con.execute("CREATE SCHEMA IF NOT EXISTS mart")
        names = pa.table(
            {
                "code": pa.array([c for c, _, _ in catalogue_names], pa.string()),
                "year": pa.array([y for _, y, _ in catalogue_names], pa.int32()),
                "name": pa.array([n for _, _, n in catalogue_names], pa.string()),
            }
        )
        con.register("catalogue_names", names)  # one bulk insert, not a statement per row
        con.execute("CREATE OR REPLACE TEMP TABLE subject_name_by_year AS FROM catalogue_names")
        con.unregister("catalogue_names")
        con.execute(PRIMARY_FACT_SQL)
        con.execute(GPB_SUBJECTS_SQL)
        con.execute(DEPARTMENT_TOTALS_SQL)
        for name, sql in MARTS.items():
            con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
        if before_commit is not None:
            before_commit(con)
        failpoint("marts.built")
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in MARTS}
