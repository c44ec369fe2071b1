"""The synthetic county generator: determinism, internal consistency of every truth file, formats."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tools.sample import generate_county, load_truth
from tools.sample.generator import CATALOGUE_CSV

YEARS = (2023, 2024)
CENT = Decimal("0.01")
METRICS = {
    "income_total", "expenditure_total", "income_current_year", "expenditure_current_year",
    "carryover_begin", "carryover_end", "income_fiscal", "income_general_budget", "income_gov_fund",
    "income_state_capital", "income_superior_subsidy", "income_business", "income_operating",
    "income_subsidiary", "income_other", "expenditure_basic", "expenditure_project",
    "expenditure_to_superior", "expenditure_operating", "expenditure_subsidiary",
    "fiscal_income_total", "fiscal_expenditure_total", "gpb_expenditure", "gpb_by_function",
    "gpb_basic", "personnel_expenses", "public_expenses", "three_public_total",
    "three_public_overseas", "three_public_vehicle", "three_public_vehicle_purchase",
    "three_public_vehicle_operation", "three_public_reception", "reception_domestic",
    "reception_foreign", "reception_batches", "reception_persons", "gov_fund_expenditure",
    "state_capital_expenditure", "admin_operating_expenses", "procurement_total",
    "procurement_goods", "procurement_works", "procurement_services", "vehicles_total",
    "equipment_general", "staff_authorized", "staff_active", "staff_retired",
    "performance_projects",
    # additions: the 项目支出 column of the general-budget table, and the vehicle breakdown
    "gpb_project", "vehicles_by_type",
}  # fmt: skip
UNITS = {"万元", "个", "辆", "人", "批次", "人次", "台套"}
FACT_KEYS = {
    "metric", "subject_code", "value", "unit", "share_pct", "change", "change_pct", "budget",
    "completion_pct", "section", "label",
}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not CATALOGUE_CSV.exists(), reason="subject catalogue CSV not present"
)


def d(x: float | None) -> Decimal:
    return Decimal(str(x))


def rhu(num: Decimal, den: Decimal) -> Decimal:
    return (num * 100 / den).quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("county")
    generate_county(out, n_departments=10, years=YEARS, seed=20241)
    return out


@pytest.fixture(scope="module")
def truths(county: Path) -> list[dict]:
    return [load_truth(p) for p in sorted(county.glob("*/*.truth.json"))]


def by_metric(truth: dict) -> dict[tuple[str, str | None], list[dict]]:
    out: dict[tuple[str, str | None], list[dict]] = defaultdict(list)
    for f in truth["facts"]:
        out[(f["metric"], f["subject_code"])].append(f)
    return out


def value(
    truth: dict, metric: str, code: str | None = None, default: Decimal | None = None
) -> Decimal:
    facts = by_metric(truth).get((metric, code))
    if not facts:
        if default is not None:
            return default
        raise KeyError((truth["department"], metric, code))
    return d(facts[0]["value"])


def test_layout_and_formats(county: Path, truths: list[dict]) -> None:
    docs = [p for p in county.glob("*/*") if not p.name.endswith(".truth.json")]
    assert len(docs) == 20 and len(truths) == 20
    for year in YEARS:
        exts = [
            p.suffix for p in (county / str(year)).iterdir() if not p.name.endswith(".truth.json")
        ]
        assert abs(exts.count(".txt") - exts.count(".docx")) <= 1
        for p in (county / str(year)).iterdir():
            if not p.name.endswith(".truth.json"):
                assert p.name.startswith("云溪县")
                assert p.with_name(p.stem + ".truth.json").exists()
    encodings = {t["encoding"] for t in truths if t["format"] == "txt"}
    assert {"utf-8", "utf-8-sig", "gb18030"} <= encodings
    assert sum(t["encoding"] == "utf-8-sig" for t in truths) == 1


def test_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    pa = generate_county(a, n_departments=10, years=YEARS, seed=20241)
    pb = generate_county(b, n_departments=10, years=YEARS, seed=20241)
    assert [p.relative_to(a) for p in pa] == [p.relative_to(b) for p in pb]
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    c = tmp_path / "c"
    generate_county(c, n_departments=3, years=YEARS, seed=7)
    office = "2023/云溪县人民政府办公室.truth.json"
    assert load_truth(c / office)["facts"] != load_truth(a / office)["facts"]


def test_truth_schema(truths: list[dict]) -> None:
    for t in truths:
        assert t["region"] == "云溪县" and t["fiscal_year"] in YEARS
        assert t["format"] in ("txt", "docx")
        for f in t["facts"]:
            assert set(f) == FACT_KEYS, f
            assert f["metric"] in METRICS, f
            assert f["unit"] in UNITS, f
            assert f["section"] in ("narrative", "table", "annex"), f


def test_same_figure_same_value_everywhere(truths: list[dict]) -> None:
    for t in truths:
        for (metric, code), facts in by_metric(t).items():
            if metric == "vehicles_by_type":
                continue
            assert len({f["value"] for f in facts}) == 1, (t["department"], metric, code, facts)


def test_sums(truths: list[dict]) -> None:
    for t in truths:
        m = by_metric(t)
        name = (t["department"], t["fiscal_year"])
        gpb = value(t, "gpb_expenditure")
        items = {
            c: d(fs[0]["value"])
            for (k, c), fs in m.items()
            if k == "gpb_by_function" and len(c) == 7
        }
        classes = {
            c: d(fs[0]["value"])
            for (k, c), fs in m.items()
            if k == "gpb_by_function" and len(c) == 3
        }
        kuans = {
            c: d(fs[0]["value"])
            for (k, c), fs in m.items()
            if k == "gpb_by_function" and len(c) == 5
        }
        assert sum(items.values()) == gpb, name
        assert sum(classes.values()) == gpb, name
        for c3, v in classes.items():
            assert sum(x for c, x in items.items() if c[:3] == c3) == v, (name, c3)
        for c5, v in kuans.items():
            assert sum(x for c, x in items.items() if c[:5] == c5) == v, (name, c5)
        # table columns: 基本 + 项目 = 合计 on every row
        for (k, code), fs in m.items():
            if k == "gpb_by_function" and (("gpb_basic", code) in m or ("gpb_project", code) in m):
                b = value(t, "gpb_basic", code, Decimal(0))
                p = value(t, "gpb_project", code, Decimal(0))
                assert b + p == d(fs[0]["value"]), (name, code)
        assert value(t, "personnel_expenses") + value(t, "public_expenses") == value(
            t, "gpb_basic"
        ), name
        exp_parts = [
            "expenditure_basic", "expenditure_project", "expenditure_to_superior",
            "expenditure_operating", "expenditure_subsidiary",
        ]  # fmt: skip
        assert sum(value(t, k, default=Decimal(0)) for k in exp_parts) == value(
            t, "expenditure_current_year"
        ), name
        narrative_sources = {
            f["metric"]: d(f["value"])
            for f in t["facts"]
            if f["section"] == "narrative"
            and f["metric"].startswith("income_")
            and f["share_pct"] is not None
        }
        assert sum(narrative_sources.values()) == value(t, "income_current_year"), name
        fiscal = value(t, "income_fiscal", default=Decimal(-1))
        if fiscal >= 0:
            parts = ("income_general_budget", "income_gov_fund", "income_state_capital")
            if ("income_general_budget", None) in m:
                assert sum(value(t, k, default=Decimal(0)) for k in parts) == fiscal, name
        total = value(t, "income_current_year") + value(t, "carryover_begin")
        assert total == value(t, "income_total") == value(t, "expenditure_total"), name
        assert value(t, "expenditure_current_year") + value(t, "carryover_end") == total, name
        assert value(t, "fiscal_income_total") == value(t, "fiscal_expenditure_total"), name
        veh = value(t, "three_public_vehicle")
        assert (
            value(t, "three_public_vehicle_purchase") + value(t, "three_public_vehicle_operation")
            == veh
        )
        rec = value(t, "three_public_reception")
        assert (
            value(t, "reception_domestic") + value(t, "reception_foreign", default=Decimal(0))
            == rec
        )
        assert value(t, "three_public_overseas") + veh + rec == value(t, "three_public_total"), name
        if ("procurement_total", None) in m:
            parts = ("procurement_goods", "procurement_works", "procurement_services")
            assert sum(value(t, k) for k in parts) == value(t, "procurement_total"), name
        by_type = [f["value"] for f in t["facts"] if f["metric"] == "vehicles_by_type"]
        if by_type:
            assert sum(by_type) == value(t, "vehicles_total"), name
        tb = {
            f["metric"]: d(f["budget"])
            for f in t["facts"]
            if f["section"] == "table"
            and f["metric"].startswith("three_public")
            and f["budget"] is not None
        }
        if tb:
            assert (
                tb["three_public_vehicle_purchase"] + tb["three_public_vehicle_operation"]
                == tb["three_public_vehicle"]
            )
            parts = ("three_public_overseas", "three_public_vehicle", "three_public_reception")
            assert sum(tb[k] for k in parts) == tb["three_public_total"], name


def test_shares(truths: list[dict]) -> None:
    groups = {
        "income": ("income_current_year", lambda k: k.startswith("income_")),
        "expense": ("expenditure_current_year", lambda k: k.startswith("expenditure_")),
        "class": ("gpb_expenditure", lambda k: k == "gpb_by_function"),
        "three": ("three_public_total", lambda k: k.startswith("three_public_")),
        "basic": ("gpb_basic", lambda k: k in ("personnel_expenses", "public_expenses")),
    }
    for t in truths:
        name = (t["department"], t["fiscal_year"])
        shared = [f for f in t["facts"] if f["share_pct"] is not None]
        seen = set()
        for gname, (total_metric, member) in groups.items():
            members = [f for f in shared if member(f["metric"]) and f["metric"] != total_metric]
            if not members:
                continue
            total = value(t, total_metric)
            moved = 0
            for f in members:
                seen.add(id(f))
                exact = rhu(d(f["value"]), total)
                diff = abs(exact - d(f["share_pct"]))
                assert diff <= CENT, (name, gname, f)
                moved += diff > 0
            assert moved <= 1, (name, gname)
            # the printed group adds to 100.00 (items left out are zero)
            assert sum(d(f["share_pct"]) for f in members) == Decimal("100.00"), (name, gname)
        for f in shared:
            if id(f) in seen:
                continue
            assert f["metric"] == "gpb_expenditure", f
            assert rhu(d(f["value"]), value(t, "expenditure_current_year")) == d(f["share_pct"])


def test_changes_and_completion(truths: list[dict]) -> None:
    for t in truths:
        for f in t["facts"]:
            if f["change"] is not None:
                prior = d(f["value"]) - d(f["change"])
                if prior == 0:
                    assert f["change_pct"] is None, f
                else:
                    assert rhu(d(f["change"]), prior) == d(f["change_pct"]), f
            if f["completion_pct"] is not None:
                assert f["budget"] is None or rhu(d(f["value"]), d(f["budget"])) == d(
                    f["completion_pct"]
                ), f
            if f["budget"] is not None and f["completion_pct"] is not None:
                assert rhu(d(f["value"]), d(f["budget"])) == d(f["completion_pct"])


def test_gpb_completion_consistent_with_items(truths: list[dict]) -> None:
    for t in truths:
        budgets = [
            d(f["budget"])
            for f in t["facts"]
            if f["metric"] == "gpb_by_function" and f["budget"] is not None
        ]
        items = [
            f
            for f in t["facts"]
            if f["metric"] == "gpb_by_function" and len(f["subject_code"]) == 7
        ]
        if len(budgets) == len([f for f in items if f["section"] == "narrative"]):
            total_budget = [
                f["budget"] for f in t["facts"] if f["metric"] == "gpb_expenditure" and f["budget"]
            ]
            if total_budget:
                assert sum(budgets) == d(total_budget[0])


def test_next_year_prior_equals_this_year(truths: list[dict]) -> None:
    index = {(t["department"], t["fiscal_year"]): t for t in truths}
    checked = 0
    for (dept, year), t in index.items():
        before = index.get((dept, year - 1))
        if before is None:
            continue
        for f in t["facts"]:
            if f["change"] is None:
                continue
            prior = d(f["value"]) - d(f["change"])
            assert prior == value(before, f["metric"], f["subject_code"]), (dept, year, f)
            checked += 1
    assert checked > 50


def test_codes_exist_in_catalogue(truths: list[dict]) -> None:
    valid: dict[str, list[tuple[int, int]]] = defaultdict(list)
    with open(CATALOGUE_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            valid[row["code"]].append((int(row["valid_from"]), int(row["valid_to"])))
    for t in truths:
        y = t["fiscal_year"]
        for f in t["facts"]:
            code = f["subject_code"]
            if code is not None:
                assert any(a <= y <= b for a, b in valid[code]), (code, y)


def test_encodings(county: Path, truths: list[dict]) -> None:
    for t in truths:
        if t["format"] != "txt":
            continue
        path = county / str(t["fiscal_year"]) / f"{t['department']}.txt"
        data = path.read_bytes()
        if t["encoding"] == "gb18030":
            assert "部门决算" in data.decode("gb18030")
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        elif t["encoding"] == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
            data.decode("utf-8")
        else:
            assert not data.startswith(b"\xef\xbb\xbf")
            data.decode("utf-8")


def test_docx_has_real_tables(county: Path, truths: list[dict]) -> None:
    import docx

    n = 0
    for t in truths:
        if t["format"] != "docx":
            continue
        path = county / str(t["fiscal_year"]) / f"{t['department']}.docx"
        doc = docx.Document(str(path))
        assert doc.tables, path
        texts = [c.text for tbl in doc.tables for row in tbl.rows for c in row.cells]
        assert "基本支出" in texts and "项目支出" in texts
        table_rows = [
            f for f in t["facts"] if f["metric"] == "gpb_by_function" and f["section"] == "table"
        ]
        assert table_rows
        n += 1
    assert n >= 5


def _normalize(text: str) -> str:
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return text.replace(",", "").replace(" ", "")


def _document_text(county: Path, t: dict) -> str:
    path = county / str(t["fiscal_year"]) / f"{t['department']}.{t['format']}"
    if t["format"] == "txt":
        return path.read_bytes().decode(t["encoding"])
    import docx

    doc = docx.Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += ["\t".join(c.text for c in row.cells) for tbl in doc.tables for row in tbl.rows]
    return "\n".join(parts)


def test_stated_figures_appear_in_text(county: Path, truths: list[dict]) -> None:
    for t in truths:
        text = _normalize(_document_text(county, t))
        for f in t["facts"]:
            v = f["value"]
            if f["unit"] != "万元":
                assert str(v) in text, f
            elif v:
                as_wan = f"{v:.2f}"
                as_yuan = str(int(round(v * 10000)))
                assert as_wan in text or as_yuan in text, f


def test_cli(tmp_path: Path) -> None:
    from tools.sample.__main__ import main

    assert (
        main(["--out", str(tmp_path), "--departments", "2", "--years", "2024", "--formats", "txt"])
        == 0
    )
    files = sorted(p.name for p in (tmp_path / "2024").iterdir())
    assert len(files) == 4 and all(n.endswith((".txt", ".truth.json")) for n in files)
