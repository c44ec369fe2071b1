"""Vocabulary: which label means which metric.

Patterns are searched in order in the cleaned label (NFKC, no quotes, no years), so the
more specific comes first. A label may name two metrics at once ("收入支出总计").
Adding a wording seen in a new region is a one-line change here.
"""

from __future__ import annotations

import re

# (metric, pattern, family). Family groups metrics into normalized tables.
_RAW: list[tuple[str, str, str]] = [
    # 财政拨款 totals before the general totals they contain.
    ("fiscal_income_total", r"财政拨款收入(?:支出)?总计|财政拨款收支总计", "totals"),
    ("fiscal_expenditure_total", r"财政拨款(?:收入)?支出总计|财政拨款收支总计", "totals"),
    # "政府性基金预算财政拨款年初结转和结余" is one fund's, neither the 财政拨款 nor the total one.
    (
        "fiscal_carryover_begin",
        r"(?:上年度?|年初)财政拨款结转(?:和|及)?结余|(?<!预算)财政拨款年初结转(?:和|及)?结余",
        "totals",
    ),
    (
        "fiscal_carryover_end",
        r"年末财政拨款结转(?:和|及)?结余|(?<!预算)财政拨款年末结转(?:和|及)?结余",
        "totals",
    ),
    ("income_total", r"(?<!财政拨款)收入(?:支出)?总计|(?<!财政拨款)收支总计", "totals"),
    ("expenditure_total", r"(?<!财政拨款)(?:收入)?支出总计|(?<!财政拨款)收支总计", "totals"),
    ("income_current_year", r"本年(?:度)?收入合计|本年(?:度)?收入总额", "totals"),
    ("expenditure_current_year", r"本年(?:度)?支出合计|本年(?:度)?支出总额", "totals"),
    ("carryover_begin", r"(?<!财政拨款)年初结转(?:和|及)?结余", "totals"),
    ("carryover_end", r"(?<!财政拨款)年末结转(?:和|及)?结余", "totals"),
    # The national template's 收入支出决算总表 adds these to the two sides' 总计.
    ("surplus_distribution", r"结余分配", "totals"),
    ("income_nonfiscal_balance", r"使用非财政拨款结余", "income"),
    # 三公 before 公用经费 and 支出 patterns (their labels contain 支出).
    (
        "three_public_overseas",
        r"因公出国\(境\)(?:经)?费|因公出国\(境\)费用|因公出国境",
        "three_public",
    ),
    ("three_public_vehicle_purchase", r"公务用车购置(?:费|支出)?(?!及)", "three_public"),
    ("three_public_vehicle_operation", r"公务用车运行(?:维护)?费|公务用车运行维护", "three_public"),
    (
        "three_public_vehicle",
        r"公务用车购置及运行(?:维护)?费?|公务用车及运行维护费|公务用车费",
        "three_public",
    ),
    ("reception_domestic", r"国内(?:公务)?接待", "three_public"),
    ("reception_foreign", r"外事接待|国\(境\)外(?:公务)?接待|外宾接待", "three_public"),
    ("three_public_reception", r"公务接待(?:费)?", "three_public"),
    ("three_public_total", r"三公经费|三公", "three_public"),
    ("admin_operating_expenses", r"机关运行经费", "admin"),
    ("procurement_goods", r"(?:政府采购)?货物(?:采购)?(?:支出|金额)?", "procurement"),
    ("procurement_works", r"(?:政府采购)?工程(?:采购)?(?:支出|金额)?$", "procurement"),
    ("procurement_services", r"(?:政府采购)?服务(?:采购)?(?:支出|金额)?$", "procurement"),
    # Not "政府采购授予中小企业合同金额": the share awarded to small firms.
    ("procurement_total", r"政府采购(?:支出)?(?:总额|金额|合计)?(?!授予)", "procurement"),
    # Income by source.
    ("income_general_budget", r"一般公共预算(?:财政)?拨款收入", "income"),
    ("income_gov_fund", r"政府性基金预算(?:财政)?拨款收入", "income"),
    ("income_state_capital", r"国有资本经营预算(?:财政)?拨款收入", "income"),
    ("income_fiscal", r"财政拨款收入", "income"),
    ("income_superior_subsidy", r"上级补助收入", "income"),
    ("income_business", r"事业收入", "income"),
    ("income_operating", r"经营收入", "income"),
    ("income_subsidiary", r"附属单位上缴收入", "income"),
    ("income_other", r"其他收入", "income"),
    ("income_fund_balance", r"用事业基金弥补收支差额", "income"),
    # Expenditure by fund and by type.
    ("gpb_basic", r"一般公共预算(?:财政)?(?:拨款)?基本支出", "basic"),
    ("gov_fund_expenditure", r"政府性基金预算(?:财政)?(?:拨款)?支出", "fund"),
    ("state_capital_expenditure", r"国有资本经营预算(?:财政)?(?:拨款)?支出", "fund"),
    ("gpb_expenditure", r"一般公共预算(?:财政)?(?:拨款)?支出|一般公共预算财政拨款$", "fund"),
    ("personnel_expenses", r"人员经费", "basic"),
    ("public_expenses", r"(?<!日常)公用经费|日常公用经费", "basic"),
    ("expenditure_basic", r"基本支出", "expenditure_type"),
    ("expenditure_project", r"项目支出", "expenditure_type"),
    ("expenditure_to_superior", r"上缴上级支出", "expenditure_type"),
    ("expenditure_operating", r"经营支出", "expenditure_type"),
    ("expenditure_subsidiary", r"对附属单位补助支出", "expenditure_type"),
]

METRICS: list[tuple[str, re.Pattern[str], str]] = [(m, re.compile(p), f) for m, p, f in _RAW]
FAMILY: dict[str, str] = {m: f for m, _, f in _RAW} | {
    "gpb_by_function": "function",
    "gov_fund_by_function": "function",
    "state_capital_by_function": "function",
    "expenditure_by_function_all": "function",
}

# Metrics that only make sense inside their own section, to avoid e.g. "服务" elsewhere.
SECTION_BOUND = {"procurement_goods", "procurement_works", "procurement_services"}

# Counts: unit -> (metric chooser by label)
COUNT_UNITS = r"批次|人次|辆|台\(套\)|台套|台|套|名|人|个项目|个"


# An unqualified total in a paragraph about 财政拨款 totals is the 财政拨款 one.
FISCAL_OF = {
    "income_total": "fiscal_income_total",
    "expenditure_total": "fiscal_expenditure_total",
}

# A bare "支出" right after a fund's income names that fund's expenditure:
# "政府性基金预算财政拨款收入412.18万元，支出412.18万元".
COUNTERPART = {
    "income_gov_fund": "gov_fund_expenditure",
    "income_state_capital": "state_capital_expenditure",
    "income_general_budget": "gpb_expenditure",
    "income_total": "expenditure_total",
    "income_current_year": "expenditure_current_year",
    "fiscal_income_total": "fiscal_expenditure_total",
}


def metrics_for_label(label: str, section: str = "") -> list[str]:
    """All metrics a cleaned label names (usually one); [] when the label is not in the vocabulary."""
    # "收入支出总计" / "收支总计" names both totals at once.
    if re.search(r"财政拨款收入支出总计|财政拨款收支总计", label):
        return ["fiscal_income_total", "fiscal_expenditure_total"]
    if re.search(r"收入支出总计|收支总计", label):
        return ["income_total", "expenditure_total"]
    found: list[str] = []
    for metric, pattern, _family in METRICS:
        if metric in SECTION_BOUND and "采购" not in label + section:
            continue
        if pattern.search(label):
            found.append(metric)
            break
    return found


def count_metric(unit: str, label: str, right: str) -> str | None:
    """Metric of a count such as "232批次" or "2辆" from its unit and surrounding words."""
    text = label + right
    if unit == "批次":
        return "reception_batches"
    if unit == "人次":
        return "reception_persons"
    if unit == "辆":
        if "购置" in label or "更新" in label:
            return "vehicles_purchased"
        if re.search(r"共有|合计|总数|共计|实有|现有|保有量", label):
            return "vehicles_total"
        return "vehicles_by_type"
    if unit in {"台(套)", "台套", "台", "套"}:
        if "专用设备" in label:
            return "equipment_special"
        if "通用设备" in label:
            return "equipment_general"
        return "equipment_valuable"
    if unit in {"名", "人"}:
        if "编制" in label:
            return "staff_authorized"
        if "在职" in label:
            return "staff_active"
        if "退休" in label or "离休" in label:
            return "staff_retired"
        if "临聘" in label or "聘用" in label:
            return "staff_contract"
        return None
    if unit in {"个项目", "个"}:
        if "绩效目标" in text or "绩效自评" in text or "绩效评价" in text:
            return "performance_projects"
        if "内设机构" in label:
            return "internal_divisions"
        return None
    return None


FAMILY.update(
    {
        # the income side of 财政拨款收入支出决算总表, by fund
        "fiscal_income_general_budget": "income",
        "fiscal_income_gov_fund": "income",
        "fiscal_income_state_capital": "income",
        "vehicles_total": "assets",
        "vehicles_by_type": "assets",
        "vehicles_purchased": "assets",
        "equipment_general": "assets",
        "equipment_special": "assets",
        "equipment_valuable": "assets",
        "staff_authorized": "staff",
        "staff_active": "staff",
        "staff_retired": "staff",
        "staff_contract": "staff",
        "performance_projects": "performance",
        "reception_batches": "three_public",
        "reception_persons": "three_public",
    }
)

# Chinese names of the metrics, for the bureau's outputs.
METRIC_NAMES: dict[str, str] = {
    "fiscal_income_total": "财政拨款收入总计",
    "fiscal_expenditure_total": "财政拨款支出总计",
    "fiscal_carryover_begin": "年初财政拨款结转和结余",
    "fiscal_carryover_end": "年末财政拨款结转和结余",
    "income_total": "收入总计",
    "expenditure_total": "支出总计",
    "income_current_year": "本年收入合计",
    "expenditure_current_year": "本年支出合计",
    "carryover_begin": "年初结转和结余",
    "carryover_end": "年末结转和结余",
    "surplus_distribution": "结余分配",
    "income_nonfiscal_balance": "使用非财政拨款结余",
    "three_public_overseas": "因公出国（境）费",
    "three_public_vehicle_purchase": "公务用车购置费",
    "three_public_vehicle_operation": "公务用车运行维护费",
    "three_public_vehicle": "公务用车购置及运行维护费",
    "reception_domestic": "国内公务接待费",
    "reception_foreign": "外事接待费",
    "three_public_reception": "公务接待费",
    "three_public_total": "“三公”经费合计",
    "reception_batches": "公务接待批次",
    "reception_persons": "公务接待人次",
    "admin_operating_expenses": "机关运行经费",
    "procurement_goods": "政府采购货物",
    "procurement_works": "政府采购工程",
    "procurement_services": "政府采购服务",
    "procurement_total": "政府采购合计",
    "fiscal_income_general_budget": "财政拨款收入：一般公共预算财政拨款",
    "fiscal_income_gov_fund": "财政拨款收入：政府性基金预算财政拨款",
    "fiscal_income_state_capital": "财政拨款收入：国有资本经营预算财政拨款",
    "income_general_budget": "一般公共预算财政拨款收入",
    "income_gov_fund": "政府性基金预算财政拨款收入",
    "income_state_capital": "国有资本经营预算财政拨款收入",
    "income_fiscal": "财政拨款收入",
    "income_superior_subsidy": "上级补助收入",
    "income_business": "事业收入",
    "income_operating": "经营收入",
    "income_subsidiary": "附属单位上缴收入",
    "income_other": "其他收入",
    "income_fund_balance": "用事业基金弥补收支差额",
    "gpb_basic": "一般公共预算财政拨款基本支出",
    "gov_fund_expenditure": "政府性基金预算财政拨款支出",
    "state_capital_expenditure": "国有资本经营预算财政拨款支出",
    "gpb_expenditure": "一般公共预算财政拨款支出",
    "personnel_expenses": "人员经费",
    "public_expenses": "公用经费",
    "expenditure_basic": "基本支出",
    "expenditure_project": "项目支出",
    "expenditure_to_superior": "上缴上级支出",
    "expenditure_operating": "经营支出",
    "expenditure_subsidiary": "对附属单位补助支出",
    "gpb_by_function": "一般公共预算财政拨款支出（按功能分类）",
    "gov_fund_by_function": "政府性基金预算财政拨款支出（按功能分类）",
    "state_capital_by_function": "国有资本经营预算财政拨款支出（按功能分类）",
    "expenditure_by_function_all": "本年支出（按功能分类）",
    "income_by_function": "本年收入（按功能分类）",
    "vehicles_total": "车辆总数",
    "vehicles_by_type": "车辆（按类型）",
    "vehicles_purchased": "本年购置车辆",
    "equipment_general": "大额通用设备",
    "equipment_special": "大额专用设备",
    "equipment_valuable": "大额设备",
    "staff_authorized": "编制数",
    "staff_active": "在职人数",
    "staff_retired": "退休人数",
    "staff_contract": "临聘人数",
    "performance_projects": "绩效目标管理项目数",
    "internal_divisions": "内设机构数",
}


# What adds up to what: parent metric -> alternative lists of the metrics it is the sum of
# (the sum checks take the first list whose members a report states; a table's own identities
# in extract/table_doubt.py take them too).
BREAKDOWNS: dict[str, list[list[str]]] = {
    "income_current_year": [
        [
            "income_general_budget",
            "income_gov_fund",
            "income_state_capital",
            "income_superior_subsidy",
            "income_business",
            "income_operating",
            "income_subsidiary",
            "income_other",
        ],
        [
            "income_fiscal",
            "income_superior_subsidy",
            "income_business",
            "income_operating",
            "income_subsidiary",
            "income_other",
        ],
    ],
    "expenditure_current_year": [
        [
            "expenditure_basic",
            "expenditure_project",
            "expenditure_to_superior",
            "expenditure_operating",
            "expenditure_subsidiary",
        ]
    ],
    "gpb_basic": [["personnel_expenses", "public_expenses"]],
    "three_public_total": [
        ["three_public_overseas", "three_public_vehicle", "three_public_reception"]
    ],
    "three_public_vehicle": [["three_public_vehicle_purchase", "three_public_vehicle_operation"]],
    "three_public_reception": [["reception_domestic", "reception_foreign"]],
    "procurement_total": [["procurement_goods", "procurement_works", "procurement_services"]],
    "income_total": [
        [
            "income_current_year",
            "carryover_begin",
            "income_fund_balance",
            "income_nonfiscal_balance",
        ]
    ],
    "expenditure_total": [["expenditure_current_year", "carryover_end", "surplus_distribution"]],
}
