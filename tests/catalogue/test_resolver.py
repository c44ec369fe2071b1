"""Subject names to codes: old and new names, 支出 or not, full or half width; unknown kept as None."""

from __future__ import annotations

import pytest

from pipelines.catalogue import Catalogue


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (("一般公共服务", "政府办公厅（室）及相关机构事务", "行政运行"), "2010301"),
        (("一般公共服务支出", "政府办公厅(室)及相关机构事务", "行政运行"), "2010301"),
        (
            ("社会保障和就业支出", "行政事业单位离退休", "机关事业单位基本养老保险缴费支出"),
            "2080505",
        ),
        (("社会保障和就业", "行政事业单位养老支出", "机关事业单位基本养老保险缴费"), "2080505"),
        (("医疗卫生与计划生育支出", "行政事业单位医疗", "行政单位医疗"), "2101101"),
        (("卫生健康支出", "行政事业单位医疗", "行政单位医疗"), "2101101"),
        (("住房保障支出", "住房改革支出", "住房公积金"), "2210201"),
        (("灾害防治及应急管理支出", "地震事务支出", "其他地震事务支出"), "2240599"),
        (("ｗ一般公共服务",), None),
        (("一般公共服务",), "201"),
        (("文化体育与传媒支出",), "207"),
    ],
)
def test_paths_resolve(resolver, path, code):
    assert resolver.resolve_path(*path, year=2023).code == code


def test_unresolved_keeps_name_and_reason(resolver):
    res = resolver.resolve_path("一般公共服务", "并不存在的款", "行政运行", year=2023)
    assert res.code is None and res.level == "项" and res.name == "行政运行"
    assert "并不存在的款" in res.warnings[0]


def test_split_and_joined_table_codes(resolver):
    assert resolver.resolve_row("201 03 01", "行政运行", 2023).code == "2010301"
    assert resolver.resolve_row("2010301", "行政运行", 2023).level == "项"
    assert resolver.resolve_row("20199", None, 2023).level == "款"
    assert resolver.resolve_row("2019", None, 2023).code is None


def test_year_dependent_names():
    catalogue = Catalogue.load()
    assert catalogue.name("20805", 2019) == "行政事业单位离退休"
    assert catalogue.name("20805", 2024) == "行政事业单位养老支出"
    assert "医疗卫生与计划生育支出" in catalogue.names("210")


def test_catalogue_is_complete_for_classes_and_parents():
    catalogue = Catalogue.load()
    classes = set(catalogue.codes("类"))
    assert {"201", "205", "208", "210", "212", "213", "221", "224"} <= classes
    for code in catalogue.codes("项"):
        assert code[:5] in set(catalogue.codes("款")), code
    for code in catalogue.codes("款"):
        assert code[:3] in classes, code
