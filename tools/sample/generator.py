"""Deterministic model of a synthetic county: departments and yearly figures that hold together.

Everything is computed in integer 分 of 万元 (hundredths of 万元, i.e. 100 元) so that every sum
is exact at 0.01 万元. Shares and percentages are rounded half-up from exact ratios with
``decimal``. A department's figures for year *t* are the "prior year" figures of year *t + 1*;
the year before the first requested year is generated too, so the first report can state
year-over-year changes.

The county (云溪县), its towns and departments are invented. Subject codes and names come from the
project's catalogue (``pipelines/catalogue/data/functional_subjects.csv``); only codes valid in
every generated year are used.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from pipelines.catalogue.catalogue import DATA_DIR  # the product's own subject catalogue

REGION = "云溪县"

CATALOGUE_CSV = DATA_DIR / "functional_subjects.csv"

CENT = Decimal("0.01")


# ----------------------------------------------------------------------------------------------
# Rounding helpers (integer 分 in, Decimal out)
# ----------------------------------------------------------------------------------------------


def wan(fen: int) -> Decimal:
    """Integer hundredths of 万元 -> Decimal 万元 with two decimals."""
    return (Decimal(fen) / 100).quantize(CENT)


def pct(part: int, whole: int) -> Decimal:
    """round-half-up(part / whole * 100, 2). ``whole`` must be non-zero."""
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def group_shares(amounts: Sequence[int]) -> list[Decimal]:
    """Shares of a group printed so that they add to exactly 100.00.

    Each share is the rounded exact ratio; when the rounded shares miss 100.00 by 0.01 the
    largest one is moved by 0.01, as report authors do. The generator re-draws figures whose
    rounding error would be larger (see :func:`group_error`).
    """
    total = sum(amounts)
    if total == 0:
        return [Decimal("0.00") for _ in amounts]
    shares = [pct(a, total) for a in amounts]
    diff = Decimal("100.00") - sum(shares)
    if diff != 0:
        largest = max(range(len(amounts)), key=lambda i: (amounts[i], -i))
        shares[largest] += diff
    return shares


def group_error(amounts: Sequence[int]) -> Decimal:
    total = sum(amounts)
    if total == 0:
        return Decimal(0)
    return abs(Decimal("100.00") - sum(pct(a, total) for a in amounts))


def change_pct(current: int, prior: int) -> Decimal | None:
    if prior == 0:
        return None
    return pct(current - prior, prior)


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total into parts proportional to weights, summing exactly (largest remainder)."""
    if not weights:
        return []
    scaled = [max(1, int(round(w * 1_000_000))) for w in weights]
    wsum = sum(scaled)
    parts = [total * w // wsum for w in scaled]
    rem = total - sum(parts)
    order = sorted(range(len(scaled)), key=lambda i: (-(total * scaled[i] % wsum), i))
    for i in order[:rem]:
        parts[i] += 1
    return parts


# ----------------------------------------------------------------------------------------------
# Catalogue
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectRow:
    code: str
    level: str
    name: str
    valid_from: int
    valid_to: int


class SubjectCatalogue:
    """Minimal reader of the project's functional-subject CSV (code, level, name, valid_from, valid_to)."""

    def __init__(self, rows: list[SubjectRow], aliases: dict[str, list[str]] | None = None) -> None:
        self.rows = rows
        self.aliases = aliases or {}
        self._by_code: dict[str, list[SubjectRow]] = {}
        for r in rows:
            self._by_code.setdefault(r.code, []).append(r)

    @classmethod
    def load(cls, path: Path | None = None) -> SubjectCatalogue:
        path = Path(path or CATALOGUE_CSV)
        if not path.exists():
            raise FileNotFoundError(
                f"科目目录文件不存在: {path}（the generator needs the project's subject catalogue）"
            )
        rows: list[SubjectRow] = []
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for rec in csv.DictReader(fh):
                code = (rec.get("code") or "").strip()
                if not code:
                    continue
                vf = (rec.get("valid_from") or "").strip()
                vt = (rec.get("valid_to") or "").strip()
                rows.append(
                    SubjectRow(
                        code=code,
                        level=(rec.get("level") or "").strip(),
                        name=(rec.get("name") or "").strip(),
                        valid_from=int(vf) if vf else 0,
                        valid_to=int(vt) if vt else 9999,
                    )
                )
        aliases: dict[str, list[str]] = {}
        alias_path = path.with_name("aliases.csv")
        if alias_path.exists():
            with open(alias_path, encoding="utf-8-sig", newline="") as fh:
                for rec in csv.DictReader(fh):
                    code, alias = (rec.get("code") or "").strip(), (rec.get("alias") or "").strip()
                    if code and alias:
                        aliases.setdefault(code, []).append(alias)
        return cls(rows, aliases)

    def exists(self, code: str, year: int) -> bool:
        return any(r.valid_from <= year <= r.valid_to for r in self._by_code.get(code, []))

    def name(self, code: str, year: int) -> str:
        for r in self._by_code.get(code, []):
            if r.valid_from <= year <= r.valid_to:
                return r.name
        raise KeyError(f"{code} not valid in {year}")

    def other_names(self, code: str, year: int) -> list[str]:
        """Names the code carried in other years (old or new), for authors who mix them."""
        current = self.name(code, year)
        seen: list[str] = []
        for r in sorted(self._by_code.get(code, []), key=lambda r: r.valid_from):
            if r.name != current and r.name not in seen:
                seen.append(r.name)
        for alias in self.aliases.get(code, []):
            if alias != current and alias not in seen:
                seen.append(alias)
        return seen


# ----------------------------------------------------------------------------------------------
# Department types
# ----------------------------------------------------------------------------------------------

PERSONNEL_PENSION = "2080505"
PERSONNEL_ANNUITY = "2080506"
ADMIN_MEDICAL = "2101101"
INST_MEDICAL = "2101102"
CIVIL_MEDICAL_SUPPLEMENT = "2101103"
HOUSING_FUND = "2210201"
RETIREES_ADMIN = "2080501"
HOUSE_PURCHASE = "2210203"


@dataclass(frozen=True)
class DeptType:
    key: str
    name: str  # department name without the county prefix ("{town}" is filled for towns)
    run_item: str  # 行政运行 under the main 款
    # (code, basic weight, project weight) of type-specific lines; weight 0 = none of that kind
    lines: tuple[tuple[str, float, float], ...]
    size: tuple[int, int]  # total general-budget expenditure, 万元
    basic_share: tuple[float, float]
    vehicles: dict[str, tuple[int, int]]
    has_institutions: bool  # has subordinate 事业单位 (事业单位医疗, 事业运行)
    gov_fund: tuple[float, float, float]  # probability, share range of total
    non_fiscal: dict[str, tuple[float, float, float]]  # income kind -> (prob, share lo, hi)
    duties: tuple[str, ...]
    offices: tuple[str, ...]
    subunits: tuple[str, ...]
    equipment: tuple[int, int] = (0, 1)


DEPT_TYPES: dict[str, DeptType] = {
    t.key: t
    for t in [
        DeptType(
            key="office",
            name="人民政府办公室",
            run_item="2010301",
            lines=(
                ("2010302", 0, 1.0),
                ("2010303", 0.15, 0.4),
                ("2010350", 0.25, 0.1),
                ("2010399", 0, 0.8),
            ),
            size=(700, 2500),
            basic_share=(0.55, 0.75),
            vehicles={"一般公务用车": (1, 3), "应急保障用车": (0, 1)},
            has_institutions=True,
            gov_fund=(0.0, 0, 0),
            non_fiscal={},
            duties=(
                "负责县政府日常政务运转，承办县政府全体会议和常务会议的会务工作",
                "组织起草、审核以县政府和县政府办公室名义印发的公文",
                "督促检查县政府重要决策部署和领导交办事项的落实情况",
                "负责全县政务公开、政务值班和突发事件信息报送工作",
            ),
            offices=("秘书股", "综合调研股", "督查股", "行政财务股", "政务值班室"),
            subunits=("政务服务保障中心",),
        ),
        DeptType(
            key="education",
            name="教育和体育局",
            run_item="2050101",
            lines=(
                ("2050102", 0, 0.3),
                ("2050201", 0.6, 0.5),
                ("2050202", 3.0, 1.0),
                ("2050203", 2.2, 0.9),
                ("2050204", 1.2, 0.6),
                ("2050803", 0, 0.15),
                ("2050199", 0, 0.2),
            ),
            size=(9000, 20000),
            basic_share=(0.72, 0.86),
            vehicles={"一般公务用车": (1, 2), "特种专业技术用车": (0, 2)},
            has_institutions=True,
            gov_fund=(0.3, 0.01, 0.04),
            non_fiscal={"business": (0.7, 0.01, 0.03), "other": (0.5, 0.002, 0.01)},
            duties=(
                "贯彻落实国家教育和体育方针政策，拟订全县教育体育发展规划并组织实施",
                "统筹管理全县学前教育、义务教育和普通高中教育，推进教育均衡发展",
                "负责全县中小学教师队伍建设和教育经费的统筹管理",
                "组织开展全民健身活动，指导全县群众体育和学校体育工作",
            ),
            offices=("办公室", "基础教育股", "人事股", "计划财务股", "体育股", "督导室"),
            subunits=("教师发展中心", "县第一中学", "城关小学"),
            equipment=(0, 3),
        ),
        DeptType(
            key="health",
            name="卫生健康局",
            run_item="2100101",
            lines=(
                ("2100102", 0, 0.2),
                ("2100199", 0, 0.3),
                ("2100401", 0.8, 0.3),
                ("2100408", 0, 1.2),
                ("2100409", 0, 0.5),
                ("2100410", 0, 0.2),
                ("2100302", 0.9, 0.6),
                ("2100717", 0, 0.4),
            ),
            size=(3000, 12000),
            basic_share=(0.35, 0.55),
            vehicles={"一般公务用车": (1, 2), "特种专业技术用车": (1, 4)},
            has_institutions=True,
            gov_fund=(0.2, 0.01, 0.03),
            non_fiscal={"business": (0.9, 0.04, 0.12), "operating": (0.5, 0.002, 0.008)},
            duties=(
                "贯彻执行卫生健康法律法规，拟订全县卫生健康事业发展规划",
                "统筹规划全县医疗卫生服务资源配置，指导基层医疗卫生服务体系建设",
                "负责全县疾病预防控制和突发公共卫生事件的应急处置",
                "组织实施国家基本公共卫生服务项目和人口监测工作",
            ),
            offices=("办公室", "医政医管股", "疾病预防控制股", "规划财务股", "基层卫生股"),
            subunits=("疾病预防控制中心", "卫生健康综合执法大队"),
            equipment=(1, 4),
        ),
        DeptType(
            key="civil",
            name="民政局",
            run_item="2080201",
            lines=(
                ("2080202", 0, 0.3),
                ("2080208", 0, 0.6),
                ("2080299", 0, 0.3),
                ("2081002", 0, 0.8),
                ("2081004", 0.1, 0.3),
                ("2081901", 0, 0.6),
                ("2081902", 0, 1.6),
                ("2082001", 0, 0.4),
                ("2082102", 0, 0.7),
            ),
            size=(2500, 9000),
            basic_share=(0.12, 0.28),
            vehicles={"一般公务用车": (1, 2), "其他用车": (0, 1)},
            has_institutions=True,
            gov_fund=(0.7, 0.02, 0.07),
            non_fiscal={"superior_subsidy": (0.4, 0.01, 0.04)},
            duties=(
                "贯彻执行民政工作法律法规，拟订全县社会救助和社会福利政策措施",
                "负责全县城乡最低生活保障、特困人员救助供养和临时救助工作",
                "指导城乡社区治理和基层政权建设，承担行政区划和地名管理工作",
                "负责全县养老服务体系建设和殡葬管理工作",
            ),
            offices=("办公室", "社会救助股", "养老服务股", "基层政权和社区治理股"),
            subunits=("社会福利院", "殡仪服务中心"),
        ),
        DeptType(
            key="agriculture",
            name="农业农村局",
            run_item="2130101",
            lines=(
                ("2130102", 0, 0.3),
                ("2130104", 0.6, 0.2),
                ("2130106", 0, 0.5),
                ("2130108", 0, 0.4),
                ("2130110", 0, 0.2),
                ("2130109", 0, 0.3),
                ("2130122", 0, 0.5),
                ("2130504", 0, 0.4),
                ("2130505", 0, 0.3),
                ("2130199", 0, 0.9),
                ("2130705", 0, 0.7),
            ),
            size=(2000, 9000),
            basic_share=(0.18, 0.38),
            vehicles={"一般公务用车": (1, 2), "执法执勤用车": (1, 3)},
            has_institutions=True,
            gov_fund=(0.2, 0.02, 0.08),
            non_fiscal={"other": (0.4, 0.002, 0.01)},
            duties=(
                "统筹研究和组织实施全县乡村振兴战略，拟订农业农村发展规划",
                "负责种植业、畜牧业和渔业的行业管理，保障重要农产品有效供给",
                "负责农产品质量安全监督管理和农业综合执法工作",
                "指导农村集体经济发展和农村宅基地管理工作",
            ),
            offices=("办公室", "乡村发展股", "种植业股", "畜牧兽医股", "计划财务股"),
            subunits=("农业技术推广中心", "农业综合行政执法大队"),
        ),
        DeptType(
            key="natural_resources",
            name="自然资源局",
            run_item="2200101",
            lines=(
                ("2200102", 0, 0.3),
                ("2200104", 0, 0.8),
                ("2200103", 0, 0.3),
                ("2200150", 0.8, 0.2),
                ("2200199", 0, 0.5),
            ),
            size=(1200, 5000),
            basic_share=(0.35, 0.6),
            vehicles={"一般公务用车": (1, 2), "执法执勤用车": (1, 3)},
            has_institutions=True,
            gov_fund=(0.8, 0.2, 0.9),
            non_fiscal={},
            duties=(
                "履行全民所有自然资源资产管理和国土空间用途管制职责",
                "组织编制并监督实施全县国土空间规划和相关专项规划",
                "负责自然资源调查监测评价和不动产统一登记工作",
                "负责耕地保护和土地征收征用管理，查处自然资源违法案件",
            ),
            offices=("办公室", "国土空间规划股", "耕地保护股", "不动产登记股", "执法监察大队"),
            subunits=("不动产登记中心", "土地储备中心"),
            equipment=(0, 2),
        ),
        DeptType(
            key="town",
            name="{town}人民政府",
            run_item="2010301",
            lines=(
                ("2010302", 0, 0.5),
                ("2010350", 0.3, 0.1),
                ("2080208", 0, 0.4),
                ("2120101", 0, 0.3),
                ("2130199", 0, 0.6),
                ("2130705", 0, 0.9),
            ),
            size=(900, 4000),
            basic_share=(0.4, 0.6),
            vehicles={"一般公务用车": (1, 3), "应急保障用车": (0, 1)},
            has_institutions=True,
            gov_fund=(0.4, 0.05, 0.25),
            non_fiscal={},
            duties=(
                "贯彻执行上级党委、政府的决定和本级人民代表大会的决议",
                "负责本辖区经济社会发展、乡村振兴和基础设施建设管理",
                "做好辖区社会救助、基层治理、安全生产和生态环境保护工作",
                "指导村（居）民委员会工作，推进村务公开和民主管理",
            ),
            offices=("党政综合办公室", "经济发展办公室", "社会事务办公室", "综合行政执法队"),
            subunits=("便民服务中心", "农业综合服务中心"),
        ),
        DeptType(
            key="market",
            name="市场监督管理局",
            run_item="2013801",
            lines=(
                ("2013802", 0, 0.5),
                ("2013804", 0, 0.2),
                ("2013805", 0, 0.3),
                ("2013808", 0, 0.2),
                ("2013811", 0, 0.3),
                ("2013812", 0, 0.5),
                ("2013850", 0.4, 0.1),
            ),
            size=(1200, 3800),
            basic_share=(0.6, 0.8),
            vehicles={"一般公务用车": (0, 1), "执法执勤用车": (2, 6)},
            has_institutions=True,
            gov_fund=(0.0, 0, 0),
            non_fiscal={},
            duties=(
                "负责全县市场综合监督管理和市场主体登记注册工作",
                "承担食品安全、药品和特种设备安全监督管理职责",
                "组织实施质量强县战略，负责计量、标准化和认证认可工作",
                "负责反不正当竞争和价格监督检查，维护公平竞争市场秩序",
            ),
            offices=("办公室", "登记注册股", "食品安全监管股", "质量发展股", "综合执法大队"),
            subunits=("质量技术监督检测中心",),
            equipment=(0, 2),
        ),
        DeptType(
            key="culture",
            name="文化广播电视和旅游局",
            run_item="2070101",
            lines=(
                ("2070102", 0, 0.3),
                ("2070104", 0.3, 0.2),
                ("2070108", 0, 0.5),
                ("2070109", 0.2, 0.3),
                ("2070113", 0, 0.2),
                ("2070199", 0, 0.5),
                ("2070204", 0, 0.4),
            ),
            size=(300, 2500),
            basic_share=(0.45, 0.65),
            vehicles={"一般公务用车": (0, 1), "其他用车": (0, 1)},
            has_institutions=True,
            gov_fund=(0.2, 0.02, 0.1),
            non_fiscal={},
            duties=(
                "贯彻落实文化和旅游工作方针政策，拟订全县文化旅游发展规划",
                "管理全县公共文化事业，推进公共文化服务体系建设",
                "负责文物保护和非物质文化遗产保护传承工作",
                "统筹推进全域旅游发展，负责文化和旅游市场监督管理",
            ),
            offices=("办公室", "公共服务股", "产业发展股", "文物和非遗股"),
            subunits=("图书馆", "文化馆"),
        ),
        DeptType(
            key="police",
            name="公安局",
            run_item="2040201",
            lines=(
                ("2040202", 0, 0.4),
                ("2040219", 0, 0.6),
                ("2040220", 0, 0.8),
                ("2040221", 0, 0.5),
                ("2040299", 0, 0.4),
            ),
            size=(5000, 14000),
            basic_share=(0.6, 0.75),
            vehicles={"一般公务用车": (1, 2), "执法执勤用车": (10, 24), "特种专业技术用车": (1, 4)},
            has_institutions=False,
            gov_fund=(0.0, 0, 0),
            non_fiscal={},
            duties=(
                "贯彻执行国家公安工作方针政策，预防、制止和侦查违法犯罪活动",
                "维护全县社会治安秩序，处置治安事件和群体性事件",
                "负责户籍、居民身份证和出入境证件的受理工作",
                "负责全县道路交通安全管理和消防监督指导工作",
            ),
            offices=("指挥中心", "政治处", "警务保障室", "刑事侦查大队", "交通警察大队"),
            subunits=(),
            equipment=(0, 3),
        ),
        DeptType(
            key="street",
            name="{town}街道办事处",
            run_item="2010301",
            lines=(
                ("2010302", 0, 0.6),
                ("2080208", 0, 0.5),
                ("2120101", 0, 0.5),
                ("2010399", 0, 0.3),
            ),
            size=(800, 3000),
            basic_share=(0.45, 0.65),
            vehicles={"一般公务用车": (1, 2)},
            has_institutions=False,
            gov_fund=(0.3, 0.03, 0.15),
            non_fiscal={},
            duties=(
                "贯彻执行县委、县政府关于城市管理和社区建设的决策部署",
                "负责辖区社区治理、社会事务和公共服务工作",
                "组织开展辖区市容环境卫生、综合执法和安全生产工作",
                "指导社区居民委员会建设，推进网格化服务管理",
            ),
            offices=("党政办公室", "社区建设办公室", "城市管理办公室", "平安建设办公室"),
            subunits=(),
        ),
    ]
}

DEFAULT_ORDER = (
    "office",
    "education",
    "health",
    "civil",
    "agriculture",
    "natural_resources",
    "town",
    "market",
    "culture",
    "police",
    "street",
)

_TOWN_FIRST = "青柳白龙石桂云东南金玉松"
_TOWN_SECOND = "石塘沙泉门峰口岭坪河"

COMMON_REASONS_UP = (
    "新增重点项目资金",
    "人员工资标准调整及人员增加",
    "上级专项资金增加",
    "重点工作任务增加",
)
COMMON_REASONS_DOWN = (
    "厉行节约、压减一般性支出",
    "部分项目已于上年完成",
    "上级专项资金减少",
    "人员调出及退休",
)


_TOWN_PREFIX = "新上下大小长中北西安永兴和平"


def _town_name(k: int) -> str:
    """Two-character town names for the first 120 k (some repeat; callers skip those), then
    the same names behind a prefix, so a province-sized county never runs out of names."""
    period = len(_TOWN_FIRST) * len(_TOWN_SECOND)
    round_, k = divmod(k, period)
    first = _TOWN_FIRST[k % len(_TOWN_FIRST)]
    second = _TOWN_SECOND[(k * 7 + k // len(_TOWN_FIRST)) % len(_TOWN_SECOND)]
    if round_ == 0:
        return first + second
    prefix = _TOWN_PREFIX[(round_ - 1) % len(_TOWN_PREFIX)] * (
        1 + (round_ - 1) // len(_TOWN_PREFIX)
    )
    return prefix + first + second


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------


@dataclass
class Line:
    """One 项 line of general-budget expenditure."""

    code: str
    basic: int
    project: int
    budget: int

    @property
    def total(self) -> int:
        return self.basic + self.project


INCOME_KEYS = (
    "general_budget",
    "gov_fund",
    "state_capital",
    "superior_subsidy",
    "business",
    "operating",
    "subsidiary",
    "other",
)
EXPENSE_KEYS = ("basic", "project", "to_superior", "operating", "subsidiary")
THREE_KEYS = ("overseas", "purchase", "operation", "reception_domestic", "reception_foreign")


@dataclass
class YearFigures:
    year: int
    lines: list[Line]
    personnel: int
    public: int
    income: dict[str, int]
    expense: dict[str, int]
    carry_begin: int
    carry_end: int
    gov_fund_exp: int
    state_capital_exp: int
    three: dict[str, int]
    three_budget: dict[str, int]
    reception_batches: int
    reception_persons: int
    admin_operating: int
    procurement: dict[str, int]  # goods, works, services
    vehicles: dict[str, int]
    equipment_general: int
    performance_projects: int
    staff_authorized: int
    staff_active: int
    staff_retired: int

    # --- derived totals --------------------------------------------------------------------
    @property
    def gpb_total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def gpb_basic(self) -> int:
        return sum(line.basic for line in self.lines)

    @property
    def gpb_project(self) -> int:
        return sum(line.project for line in self.lines)

    @property
    def gpb_budget(self) -> int:
        return sum(line.budget for line in self.lines)

    def by_level(self, length: int) -> dict[str, tuple[int, int, int]]:
        """code prefix -> (total, basic, project) for 类 (3) or 款 (5)."""
        out: dict[str, list[int]] = {}
        for line in sorted(self.lines, key=lambda x: x.code):
            acc = out.setdefault(line.code[:length], [0, 0, 0])
            acc[0] += line.total
            acc[1] += line.basic
            acc[2] += line.project
        return {k: (v[0], v[1], v[2]) for k, v in out.items()}

    @property
    def income_fiscal(self) -> int:
        return (
            self.income["general_budget"] + self.income["gov_fund"] + self.income["state_capital"]
        )

    @property
    def income_current(self) -> int:
        return sum(self.income.values())

    @property
    def expense_current(self) -> int:
        return sum(self.expense.values())

    @property
    def income_total(self) -> int:
        return self.income_current + self.carry_begin

    @property
    def expense_total(self) -> int:
        return self.expense_current + self.carry_end

    @property
    def fiscal_exp(self) -> int:
        return self.gpb_total + self.gov_fund_exp + self.state_capital_exp

    @property
    def fiscal_income_total(self) -> int:
        return self.income_fiscal + self.carry_begin

    @property
    def fiscal_expense_total(self) -> int:
        return self.fiscal_exp + self.carry_end

    @property
    def vehicle_cost(self) -> int:
        return self.three["purchase"] + self.three["operation"]

    @property
    def reception(self) -> int:
        return self.three["reception_domestic"] + self.three["reception_foreign"]

    @property
    def three_total(self) -> int:
        return self.three["overseas"] + self.vehicle_cost + self.reception

    @property
    def three_total_budget(self) -> int:
        return sum(self.three_budget[k] for k in ("overseas", "purchase", "operation", "reception"))

    @property
    def vehicles_total(self) -> int:
        return sum(self.vehicles.values())

    @property
    def procurement_total(self) -> int:
        return sum(self.procurement.values())

    def share_groups(self) -> list[list[int]]:
        """Every group of amounts whose shares a report may print."""
        inc = self.income
        return [
            [self.income_fiscal] + [inc[k] for k in INCOME_KEYS[3:]],
            [inc[k] for k in INCOME_KEYS],
            [self.expense[k] for k in EXPENSE_KEYS],
            [v[0] for v in self.by_level(3).values()],
            [self.three["overseas"], self.vehicle_cost, self.reception],
            [self.personnel, self.public],
        ]


@dataclass
class Department:
    index: int
    type: DeptType
    name: str  # full name, with the county
    short_name: str  # without the county
    seed_key: str
    line_codes: list[str] = field(default_factory=list)
    figures: dict[int, YearFigures] = field(default_factory=dict)


def _u(rng: random.Random, lo: float, hi: float) -> float:
    return lo + (hi - lo) * rng.random()


def _fen(wan_amount: float) -> int:
    return int(round(wan_amount * 100))


def plan_departments(n: int, seed: int) -> list[Department]:
    """Names and types of n departments (deterministic)."""
    out: list[Department] = []
    town_k = 0
    used: set[str] = set()
    for i in range(n):
        key = DEFAULT_ORDER[i] if i < len(DEFAULT_ORDER) else ("town", "street")[i % 2]
        t = DEPT_TYPES[key]
        if "{town}" in t.name:
            while True:
                town = _town_name(town_k) + ("镇" if key == "town" else "街道")
                town_k += 1
                short = t.name.replace("{town}街道", town).replace("{town}", town)
                if short not in used:
                    break
        else:
            short = t.name
        used.add(short)
        out.append(
            Department(
                index=i,
                type=t,
                name=REGION + short,
                short_name=short,
                seed_key=f"{seed}:{i}:{key}",
            )
        )
    return out


def _valid_everywhere(cat: SubjectCatalogue, code: str, years: Sequence[int]) -> bool:
    return all(cat.exists(c, y) for y in years for c in (code, code[:5], code[:3]))


def choose_lines(
    dept: Department, cat: SubjectCatalogue, years: Sequence[int], rng: random.Random
) -> None:
    """Pick the department's 项 lines once: personnel lines + a random subset of its type's lines."""
    t = dept.type
    personnel = [PERSONNEL_PENSION, PERSONNEL_ANNUITY, ADMIN_MEDICAL, HOUSING_FUND]
    if t.has_institutions:
        personnel.append(INST_MEDICAL)
    if rng.random() < 0.4:
        personnel.append(RETIREES_ADMIN)
    if rng.random() < 0.3:
        personnel.append(CIVIL_MEDICAL_SUPPLEMENT)
    if rng.random() < 0.3:
        personnel.append(HOUSE_PURCHASE)
    specific = [c for c, _, _ in t.lines]
    keep_n = max(3, int(round(len(specific) * _u(rng, 0.55, 0.9))))
    # lines carrying basic expenditure (schools, 事业运行) are always kept
    must = [c for c, b, _ in t.lines if b > 0]
    rest = [c for c in specific if c not in must]
    rng.shuffle(rest)
    chosen = must + rest[: max(0, keep_n - len(must))]
    codes = [t.run_item] + chosen + personnel
    valid = [c for c in dict.fromkeys(codes) if _valid_everywhere(cat, c, years)]
    if t.run_item not in valid:
        raise ValueError(f"catalogue lacks {t.run_item} needed by {dept.name}")
    dept.line_codes = sorted(valid)


def _draw_year(
    dept: Department,
    year: int,
    prev: YearFigures | None,
    rng: random.Random,
    flags: dict[str, float],
) -> YearFigures:
    t = dept.type
    if prev is None:
        total = _fen(_u(rng, *t.size))
    else:
        total = int(prev.gpb_total * _u(rng, 0.86, 1.16))
    basic = int(total * _u(rng, *t.basic_share))
    project = total - basic
    personnel = int(basic * _u(rng, 0.78, 0.9))
    public = basic - personnel

    codes = dept.line_codes
    basic_of: dict[str, int] = dict.fromkeys(codes, 0)
    project_of: dict[str, int] = dict.fromkeys(codes, 0)
    # personnel-related lines (all basic)
    pers_weights = {
        PERSONNEL_PENSION: _u(rng, 0.10, 0.13),
        PERSONNEL_ANNUITY: _u(rng, 0.04, 0.055),
        ADMIN_MEDICAL: _u(rng, 0.03, 0.05),
        INST_MEDICAL: _u(rng, 0.02, 0.04),
        CIVIL_MEDICAL_SUPPLEMENT: _u(rng, 0.005, 0.015),
        HOUSING_FUND: _u(rng, 0.07, 0.1),
        RETIREES_ADMIN: _u(rng, 0.01, 0.04),
        HOUSE_PURCHASE: _u(rng, 0.01, 0.03),
    }
    for code, w in pers_weights.items():
        if code in basic_of:
            basic_of[code] = int(personnel * w)
    remaining_basic = basic - sum(basic_of.values())
    spec = {c: (b, p) for c, b, p in t.lines}
    basic_targets = [t.run_item] + [c for c in codes if spec.get(c, (0, 0))[0] > 0]
    run_weight = 0.12 if t.key == "education" else 1.0
    bw = [run_weight if c == t.run_item else spec[c][0] * _u(rng, 0.8, 1.2) for c in basic_targets]
    for c, amt in zip(basic_targets, allocate(remaining_basic, bw), strict=True):
        basic_of[c] += amt
    project_targets = [c for c in codes if spec.get(c, (0, 0))[1] > 0]
    pw = [spec[c][1] * _u(rng, 0.5, 1.5) for c in project_targets]
    if flags["run_project"]:
        project_targets.append(t.run_item)
        pw.append(sum(pw) * _u(rng, 0.01, 0.05))
    for c, amt in zip(project_targets, allocate(project, pw), strict=True):
        project_of[c] += amt
    lines: list[Line] = []
    for c in codes:
        actual = basic_of[c] + project_of[c]
        r = rng.random()
        if r < 0.4:
            budget = actual
        elif r < 0.85:
            budget = int(actual * _u(rng, 1.0, 1.25))
        else:
            budget = int(actual * _u(rng, 0.9, 1.0))
        lines.append(Line(code=c, basic=basic_of[c], project=project_of[c], budget=max(budget, 1)))

    # --- 三公 -----------------------------------------------------------------------------
    if prev is None:
        vehicles = {k: rng.randint(lo, hi) for k, (lo, hi) in t.vehicles.items()}
        if sum(vehicles.values()) == 0:
            first = next(iter(vehicles))
            vehicles[first] = 1
    else:
        vehicles = dict(prev.vehicles)
        if rng.random() < 0.25:
            k = rng.choice(sorted(vehicles))
            vehicles[k] = max(0, vehicles[k] + rng.choice((-1, 1)))
            if sum(vehicles.values()) == 0:
                vehicles[k] = 1
    n_veh = sum(vehicles.values())
    if prev is not None and rng.random() < 0.25 and n_veh == prev.vehicles_total:
        operation = prev.three["operation"]  # unchanged year over year (与上年持平)
    else:
        operation = _fen(n_veh * _u(rng, 0.8, 2.2))
    purchase = _fen(_u(rng, 12, 28)) if rng.random() < 0.15 else 0
    overseas = _fen(_u(rng, 1.5, 6)) if rng.random() < 0.1 else 0
    if flags["small_reception"]:
        reception = _fen(_u(rng, 0.08, 0.95))
    else:
        reception = max(_fen(1.0), int(public * _u(rng, 0.01, 0.05)))
    foreign = _fen(_u(rng, 0.1, 0.6)) if (rng.random() < 0.08 and reception > 100) else 0
    foreign = min(foreign, reception // 3)
    three = {
        "overseas": overseas,
        "purchase": purchase,
        "operation": operation,
        "reception_domestic": reception - foreign,
        "reception_foreign": foreign,
    }

    def _budget(actual: int) -> int:
        r = rng.random()
        if r < 0.35:
            return actual
        return int(actual * _u(rng, 1.0, 1.6))

    three_budget = {
        "overseas": _budget(overseas)
        if overseas
        else (_fen(_u(rng, 2, 5)) if rng.random() < 0.2 else 0),
        "purchase": _budget(purchase) if purchase else 0,
        "operation": _budget(operation),
        "reception": _budget(reception),
    }
    batches = max(1, reception // max(1, _fen(_u(rng, 0.06, 0.3))))
    persons = batches * rng.randint(3, 10) + rng.randint(0, batches)

    # --- funds and non-fiscal money ----------------------------------------------------------
    gov_fund_exp = int(total * _u(rng, t.gov_fund[1], t.gov_fund[2])) if flags["gov_fund"] else 0
    state_capital_exp = 0
    income = dict.fromkeys(INCOME_KEYS, 0)
    for kind, (_, lo, hi) in t.non_fiscal.items():
        if flags.get("nf_" + kind):
            income[kind] = int(total * _u(rng, lo, hi))
    nf_total = sum(income.values())
    expense = dict.fromkeys(EXPENSE_KEYS, 0)
    expense["operating"] = income["operating"]
    nf_rest = nf_total - income["operating"]
    nf_basic = int(nf_rest * _u(rng, 0.3, 0.6))
    expense["basic"] = basic + nf_basic
    expense["project"] = project + gov_fund_exp + state_capital_exp + (nf_rest - nf_basic)

    if prev is None:
        carry_begin = 0 if rng.random() < 0.5 else int(total * _u(rng, 0.005, 0.05))
    else:
        carry_begin = prev.carry_end
    carry_end = 0 if rng.random() < 0.45 else int(total * _u(rng, 0.005, 0.06))
    fiscal_exp = total + gov_fund_exp + state_capital_exp
    fiscal_income = fiscal_exp + carry_end - carry_begin
    if fiscal_income - gov_fund_exp <= total // 2:
        carry_end = carry_begin
        fiscal_income = fiscal_exp
    income["gov_fund"] = gov_fund_exp
    income["state_capital"] = state_capital_exp
    income["general_budget"] = fiscal_income - gov_fund_exp - state_capital_exp

    # --- other matters ----------------------------------------------------------------------
    admin_operating = public if flags["admin_equals_public"] else int(public * _u(rng, 0.6, 0.95))
    if rng.random() < 0.1:
        procurement = {"goods": 0, "works": 0, "services": 0}
    else:
        proc_total = int(total * _u(rng, 0.01, 0.18))
        if rng.random() < 0.4:
            g, w, s = allocate(
                proc_total, [_u(rng, 0.2, 0.7), _u(rng, 0.1, 0.5), _u(rng, 0.1, 0.5)]
            )
        else:
            g, s = allocate(proc_total, [_u(rng, 0.2, 0.7), _u(rng, 0.1, 0.5)])
            w = 0
        procurement = {"goods": g, "works": w, "services": s}
    if prev is None:
        equipment = rng.randint(*t.equipment)
    else:
        equipment = max(0, prev.equipment_general + (rng.choice((0, 0, 0, 1, -1))))
    per_person = _fen(_u(rng, 13, 21))
    active = max(3, personnel // per_person)
    authorized = active + rng.randint(0, max(1, active // 12))
    if prev is None:
        retired = max(1, int(active * _u(rng, 0.2, 0.6)))
    else:
        retired = max(1, prev.staff_retired + rng.randint(-2, 4))
    n_projects = sum(1 for line in lines if line.project > 0)
    performance = n_projects + rng.randint(0, 6)

    return YearFigures(
        year=year,
        lines=lines,
        personnel=personnel,
        public=public,
        income=income,
        expense=expense,
        carry_begin=carry_begin,
        carry_end=carry_end,
        gov_fund_exp=gov_fund_exp,
        state_capital_exp=state_capital_exp,
        three=three,
        three_budget=three_budget,
        reception_batches=int(batches),
        reception_persons=int(persons),
        admin_operating=admin_operating,
        procurement=procurement,
        vehicles=vehicles,
        equipment_general=equipment,
        performance_projects=performance,
        staff_authorized=authorized,
        staff_active=active,
        staff_retired=retired,
    )


def _acceptable(fig: YearFigures) -> bool:
    if any(group_error(g) > CENT for g in fig.share_groups()):
        return False
    if any(line.total <= 0 for line in fig.lines):
        return False
    return fig.three_total > 0 and fig.income["general_budget"] > 0


def build_county(
    n_departments: int,
    years: Sequence[int],
    seed: int,
    catalogue: SubjectCatalogue,
) -> list[Department]:
    """All departments with figures for every year from min(years) - 1 to max(years)."""
    years = sorted(set(years))
    if not years:
        raise ValueError("no years")
    depts = plan_departments(n_departments, seed)
    span = list(range(years[0] - 1, years[-1] + 1))
    for dept in depts:
        rng = random.Random(dept.seed_key)
        choose_lines(dept, catalogue, years, rng)
        t = dept.type
        flags: dict[str, float] = {
            "run_project": rng.random() < 0.3,
            "small_reception": rng.random() < 0.35,
            "gov_fund": rng.random() < t.gov_fund[0],
            "admin_equals_public": rng.random() < 0.7,
        }
        for kind, (prob, _, _) in t.non_fiscal.items():
            flags["nf_" + kind] = rng.random() < prob
        prev: YearFigures | None = None
        for y in span:
            for _attempt in range(200):
                fig = _draw_year(dept, y, prev, rng, flags)
                if _acceptable(fig):
                    break
            else:  # pragma: no cover - practically unreachable
                raise RuntimeError(f"could not draw consistent figures for {dept.name} {y}")
            dept.figures[y] = fig
            prev = fig
    return depts
