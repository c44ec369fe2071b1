"""Published comparison tables (schema mart), built in SQL from the core tables."""

from __future__ import annotations

import duckdb

# 一般公共预算财政拨款支出 by 类 and 款, per department and year. A 款 the report does not
# state is summed from its stated 项 (is_derived), a 类 from its 款; the share is of the
# department's stated total (or, where it states none, of the sum of its 类).
GPB_BY_FUNCTION_SQL = """
CREATE OR REPLACE TABLE mart.gpb_by_function AS
WITH lines AS (
    SELECT e.report_id, e.subject_code, e.level, e.amount_wan
    FROM core.expenditure_by_function e
    WHERE e.is_primary AND e.basis = '一般公共预算财政拨款' AND e.subject_code IS NOT NULL
),
kuan AS (
    SELECT report_id, subject_code, amount_wan, FALSE AS is_derived FROM lines WHERE level = '款'
    UNION ALL
    SELECT report_id, substr(subject_code, 1, 5), round(sum(amount_wan), 2), TRUE
    FROM lines x WHERE level = '项' AND NOT EXISTS (
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
),
subjects AS (
    SELECT report_id, '类' AS level, subject_code, amount_wan, is_derived FROM lei
    UNION ALL
    SELECT report_id, '款', subject_code, amount_wan, is_derived FROM kuan
),
stated_total AS (
    SELECT report_id, arg_min(amount_wan, statement_no) AS total_wan
    FROM core.report_total WHERE metric = 'gpb_expenditure' AND amount_wan IS NOT NULL
    GROUP BY report_id
),
totals AS (
    SELECT r.report_id, coalesce(t.total_wan, s.sum_wan) AS total_wan, t.total_wan IS NULL AS total_is_derived
    FROM core.report r
    LEFT JOIN stated_total t USING (report_id)
    LEFT JOIN (SELECT report_id, round(sum(amount_wan), 2) AS sum_wan FROM lei GROUP BY 1) s USING (report_id)
)
SELECT r.fiscal_year, r.region, r.department, s.level, s.subject_code,
       s.amount_wan,
       round(100 * s.amount_wan / nullif(t.total_wan, 0), 2) AS share_pct,
       t.total_wan AS department_total_wan,
       s.is_derived, t.total_is_derived,
       r.report_id
FROM subjects s
JOIN core.report r USING (report_id)
JOIN totals t USING (report_id)
ORDER BY r.fiscal_year, r.department, s.subject_code
"""


def build_marts(
    con: duckdb.DuckDBPyConnection, catalogue_names: list[tuple[str, int, str]]
) -> dict[str, int]:
    """Rebuild every mart in one transaction; ``catalogue_names`` = (code, year, official name)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS mart")
        con.execute(GPB_BY_FUNCTION_SQL)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE subject_name_by_year (code VARCHAR, year INTEGER, name VARCHAR)"
        )
        if catalogue_names:
            con.executemany("INSERT INTO subject_name_by_year VALUES (?, ?, ?)", catalogue_names)
        con.execute("ALTER TABLE mart.gpb_by_function ADD COLUMN subject_name VARCHAR")
        con.execute(
            "UPDATE mart.gpb_by_function m SET subject_name = n.name FROM subject_name_by_year n "
            "WHERE n.code = m.subject_code AND n.year = m.fiscal_year"
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {
        "mart.gpb_by_function": con.execute("SELECT count(*) FROM mart.gpb_by_function").fetchone()[
            0
        ]
    }
