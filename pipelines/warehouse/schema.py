"""Warehouse tables: one definition used for the DDL, the staging files and the loaders.

Names in DESIGN.md section 5 are a published contract: add columns, never rename.
"""

from __future__ import annotations

import pyarrow as pa

# Columns shared by the metric-family tables (totals, income, 三公 ...).
_FACT_COLUMNS = [
    ("report_id", "VARCHAR"),
    ("statement_no", "INTEGER"),
    ("metric", "VARCHAR"),
    ("metric_name", "VARCHAR"),
    ("label", "VARCHAR"),
    ("amount_wan", "DOUBLE"),
    ("count_value", "DOUBLE"),
    ("unit", "VARCHAR"),
    ("share_pct", "DOUBLE"),
    ("share_of", "VARCHAR"),
    ("change_wan", "DOUBLE"),
    ("change_pct", "DOUBLE"),
    ("flat", "BOOLEAN"),
    ("budget_wan", "DOUBLE"),
    ("completion_pct", "DOUBLE"),
    ("part", "VARCHAR"),
    ("section", "VARCHAR"),
    ("source_text", "VARCHAR"),
    ("source_location", "VARCHAR"),
]

# Family tables: name -> (statement families they hold, description).
FACT_TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "core.report_total": (
        ("totals", "fund"),
        "收支总计、本年收支合计、结转结余、各类财政拨款支出总额",
    ),
    "core.income_by_source": (("income",), "本年收入按来源（财政拨款、事业收入、其他收入……）"),
    "core.expenditure_by_type": (("expenditure_type",), "本年支出按性质（基本支出、项目支出……）"),
    "core.basic_expenditure": (("basic",), "一般公共预算财政拨款基本支出：人员经费与公用经费"),
    "core.three_public_expense": (("three_public",), "“三公”经费及其构成，公务接待批次与人次"),
    "core.admin_operating_expense": (("admin",), "机关运行经费"),
    "core.government_procurement": (("procurement",), "政府采购支出（货物、工程、服务）"),
    "core.asset_holding": (("assets",), "国有资产占有：车辆、大额设备数量"),
    "core.staff_count": (("staff",), "编制与人员数量"),
    "core.performance": (("performance",), "预算绩效管理：绩效目标覆盖的项目数"),
}

TABLES: dict[str, list[tuple[str, str]]] = {
    "core.report": [
        ("report_id", "VARCHAR"),
        ("department", "VARCHAR"),
        ("region", "VARCHAR"),
        ("fiscal_year", "INTEGER"),
        ("source_path", "VARCHAR"),
        ("source_sha256", "VARCHAR"),
        ("source_format", "VARCHAR"),
        ("source_encoding", "VARCHAR"),
        ("source_bytes", "BIGINT"),
        ("department_from", "VARCHAR"),  # content or path
        ("fiscal_year_from", "VARCHAR"),
        ("block_count", "INTEGER"),
        ("statement_count", "INTEGER"),
    ],
    "core.statement": [
        ("report_id", "VARCHAR"),
        ("statement_no", "INTEGER"),
        ("block_index", "INTEGER"),
        ("part", "VARCHAR"),
        ("section", "VARCHAR"),
        ("label", "VARCHAR"),
        ("metric", "VARCHAR"),
        ("subject_code", "VARCHAR"),
        ("subject_level", "VARCHAR"),
        ("subject_name", "VARCHAR"),
        ("amount_wan", "DOUBLE"),
        ("count_value", "DOUBLE"),
        ("unit", "VARCHAR"),
        ("value_text", "VARCHAR"),
        ("unit_assumed", "BOOLEAN"),
        ("share_pct", "DOUBLE"),
        ("share_of", "VARCHAR"),
        ("change_wan", "DOUBLE"),
        ("change_pct", "DOUBLE"),
        ("flat", "BOOLEAN"),
        ("budget_wan", "DOUBLE"),
        ("completion_pct", "DOUBLE"),
        ("basic_wan", "DOUBLE"),
        ("project_wan", "DOUBLE"),
        ("resolution_warning", "VARCHAR"),
        ("share_decimals", "INTEGER"),
        ("change_pct_decimals", "INTEGER"),
        ("completion_decimals", "INTEGER"),
        ("subject_parent", "VARCHAR"),
        ("doubtful", "BOOLEAN"),  # from a table that fails its own identities (table_doubt)
        ("budget_direction", "VARCHAR"),  # 决算 stated above/below/equal to 预算 in words
        ("source_text", "VARCHAR"),
        ("source_location", "VARCHAR"),
        # PDF only: the page (1-based) of the statement's first figure, and each figure's boxes
        # as JSON {"amount": [[page, x0, y0, x1, y1], ...], "share": ...} (pipelines/ingest/figure_boxes.py)
        ("page_no", "INTEGER"),
        ("figure_boxes", "VARCHAR"),
    ],
    "core.report_table": [
        ("report_id", "VARCHAR"),
        ("table_no", "INTEGER"),
        ("title", "VARCHAR"),
        ("table_name", "VARCHAR"),  # which standard table (收入支出决算总表 …), NULL when unknown
        ("unit", "VARCHAR"),
        ("header_rows", "INTEGER"),
        ("columns", "VARCHAR"),  # column roles the recognizer read from the header
        ("ordinal_columns", "VARCHAR"),  # columns of row numbers (行次, 序号), never amounts
        ("doubt", "VARCHAR"),  # why the table's figures could not be read with confidence
        ("row_count", "INTEGER"),
        ("is_empty", "BOOLEAN"),  # 本表无数据
        ("first_location", "VARCHAR"),
        ("last_location", "VARCHAR"),
    ],
    "core.project_performance": [
        ("report_id", "VARCHAR"),
        ("project_no", "INTEGER"),
        ("project_name", "VARCHAR"),
        ("budget_wan", "DOUBLE"),
        ("executed_wan", "DOUBLE"),
        ("fiscal_budget_wan", "DOUBLE"),
        ("fiscal_executed_wan", "DOUBLE"),
        ("indicator_count", "INTEGER"),
        ("indicators", "VARCHAR"),  # JSON list: 一级/二级/三级指标, 预期, 实际
        ("source_text", "VARCHAR"),
        ("source_location", "VARCHAR"),
    ],
    "core.expenditure_by_function": [
        ("report_id", "VARCHAR"),
        ("subject_code", "VARCHAR"),
        ("level", "VARCHAR"),
        ("subject_name", "VARCHAR"),
        ("amount_wan", "DOUBLE"),
        ("official_name", "VARCHAR"),
        (
            "basis",
            "VARCHAR",
        ),  # 一般公共预算财政拨款 / 政府性基金预算财政拨款 / 国有资本经营预算财政拨款 / 全部资金
        (
            "is_primary",
            "BOOLEAN",
        ),  # one row per (report, basis, subject): table first, then narrative
        ("share_pct", "DOUBLE"),
        ("change_wan", "DOUBLE"),
        ("change_pct", "DOUBLE"),
        ("budget_wan", "DOUBLE"),
        ("completion_pct", "DOUBLE"),
        ("basic_wan", "DOUBLE"),
        ("project_wan", "DOUBLE"),
        ("part", "VARCHAR"),
        ("statement_no", "INTEGER"),
        ("source_text", "VARCHAR"),
        ("source_location", "VARCHAR"),
    ],
    "quality.check_result": [
        ("report_id", "VARCHAR"),
        ("check_id", "VARCHAR"),
        ("family", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("passed", "BOOLEAN"),
        ("expected", "DOUBLE"),
        ("observed", "DOUBLE"),
        ("message", "VARCHAR"),
        ("source_text", "VARCHAR"),
        ("source_location", "VARCHAR"),
        ("statement_no", "INTEGER"),
        (
            "lower_bound",
            "DOUBLE",
        ),  # the interval the other stated figures allow (rounding included)
        ("upper_bound", "DOUBLE"),
        # PDF only, for a finding made while reading (no statement): where its quote is, as
        # JSON [[page, x0, y0, x1, y1], ...]; a statement's finding uses the statement's boxes
        ("page_no", "INTEGER"),
        ("source_boxes", "VARCHAR"),
        # The finding's identity across runs and file versions (pipelines.quality.dispositions): built
        # from department, year, check and what the check is about, never from the file.
        ("finding_key", "VARCHAR"),
        ("finding_id", "VARCHAR"),
        ("figures", "VARCHAR"),  # JSON: the figures the outcome rests on
        ("fingerprint", "VARCHAR"),  # hash of `figures`: a change reopens a decided finding
        # JSON list of the figures the check compares: the statement_no of each statement, or
        # "<statement_no>:basic" / ":project" for a column of a table row; what tells that
        # failed checks rest on one figure (pipelines/quality/grouping.py)
        ("figure_refs", "VARCHAR"),
    ],
    **{name: list(_FACT_COLUMNS) for name in FACT_TABLES},
}

# Tables whose rows belong to one report version (replaced together in one transaction).
REPORT_TABLES = list(TABLES)

# The reviewers' decisions on findings (已确认 / 不是问题 / 重新打开), one row per finding_id:
# the latest decision. Not a report table: a decision outlives the file version it was made
# on (a renamed or re-saved report keeps its findings' ids, so its decisions).
FINDING_REVIEW_TABLE = "quality.finding_review"
FINDING_REVIEW_COLUMNS = [
    ("finding_id", "VARCHAR"),
    ("status", "VARCHAR"),  # confirmed, dismissed, reopened
    ("reason", "VARCHAR"),
    ("who", "VARCHAR"),
    ("decided_at", "TIMESTAMP"),  # the workbook's save time, or the run's start (run config)
    ("fingerprint", "VARCHAR"),  # the finding's figures the decision was made on
    ("figures", "VARCHAR"),  # those figures (JSON), to say what changed when it reopens
    ("source", "VARCHAR"),  # workbook or run_config
    ("source_detail", "VARCHAR"),  # the workbook and row, or the Dagster run id
    ("department", "VARCHAR"),
    ("fiscal_year", "INTEGER"),
    ("check_id", "VARCHAR"),
]

# One cause, one finding: failed checks that rest on one suspect figure are shown as one
# finding, its lead with the others listed as its consequences (pipelines/quality/grouping.py).
# One row per failed check with a finding_id (a finding alone is its own lead); recomputed
# with the report's checks. quality.check_result keeps every outcome.
FINDING_GROUP_TABLE = "quality.finding_group"
FINDING_GROUP_COLUMNS = [
    ("report_id", "VARCHAR"),
    ("finding_id", "VARCHAR"),
    ("lead_id", "VARCHAR"),  # the finding the review shows; decisions are made on it
    ("is_lead", "BOOLEAN"),
    ("members", "INTEGER"),  # findings in the group, the lead included
    ("suspect_statement_no", "INTEGER"),  # the statement whose figure all members involve
    ("suspect_column", "VARCHAR"),  # basic / project: that column of its table row
]

INGEST_ERROR_COLUMNS = [
    ("source_path", "VARCHAR"),
    ("source_sha256", "VARCHAR"),
    ("stage", "VARCHAR"),
    ("error_code", "VARCHAR"),
    ("message", "VARCHAR"),
    ("detail", "VARCHAR"),
]

_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([(name, _ARROW[kind]) for name, kind in TABLES[table]])


def staging_name(table: str) -> str:
    return table.replace(".", "__") + ".parquet"
