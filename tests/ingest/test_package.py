"""A complete package: the year's standard tables found by title, the narrative's parts; on
documents written for these tests."""

from __future__ import annotations

from helpers.documents import lines_document

from pipelines.ingest.document import Document
from pipelines.ingest.extract.extractor import extract_document
from pipelines.ingest.extract.package import REQUIRED_PARTS, package_findings, standard_tables

PARTS = [f"{k}、{name}" for k, (name, _) in enumerate(REQUIRED_PARTS, start=1)]


def _doc(*lines: str) -> Document:
    return lines_document(*lines)


def _table(name: str, blank: bool = False) -> list[str]:
    return [
        name,
        "项目\t合计",
        "合计\t" + ("" if blank else "10.00"),
        "本年支出合计\t10.00" * (not blank),
    ]


def _findings(lines: list[str], year: int = 2023) -> set[tuple[str, str]]:
    from pipelines.catalogue import Catalogue, Resolver

    doc = _doc(*[line for line in lines if line])
    _, recognized, _ = extract_document(doc, year, Resolver(Catalogue.load()))
    return {(f.check_id, f.severity) for f in package_findings(doc, recognized, year)}


def _all_tables(skip: str | None = None, blank: str | None = None) -> list[str]:
    lines: list[str] = []
    for t in standard_tables():
        if t.name != skip:
            lines += _table(t.name, blank=t.name == blank)
    return lines


def test_a_complete_package_has_no_finding():
    assert _findings(PARTS + _all_tables()) == set()


def test_a_missing_table_is_an_error_and_an_unread_one_a_warning():
    missing = _findings(PARTS + _all_tables(skip="支出决算表"))
    assert missing == {("package.table_missing", "error")}
    unread = _findings(PARTS + ["附件：支出决算表（见下页图片）"] + _all_tables(skip="支出决算表"))
    assert unread == {("package.table_unread", "warning")}


def test_2019_has_eight_tables():
    assert (
        _findings(PARTS + _all_tables(skip="国有资本经营预算财政拨款收入支出决算表"), 2019) == set()
    )


def test_an_empty_table_needs_a_note():
    name = "政府性基金预算财政拨款收入支出决算表"
    assert _findings(PARTS + _all_tables(blank=name)) == {
        ("package.empty_table_without_note", "warning")
    }
    noted = (
        PARTS + ["本部门本年度无政府性基金预算财政拨款收支，故公开空表。"] + _all_tables(blank=name)
    )
    assert _findings(noted) == set()


def test_tables_published_elsewhere_and_a_missing_part():
    found = _findings(PARTS[:-1] + ["附件：“三公”经费情况"])
    assert found == {("package.tables_elsewhere", "warning"), ("package.part_missing", "warning")}


CONTENTS = (
    ["目录"] + [f"{k}、{t.name}" for k, t in enumerate(standard_tables(), start=1)] + ["说明"]
)


def test_a_table_listed_in_the_contents_but_not_printed_is_missing():
    # The contents name every table; the 支出决算表 itself is not in the document.
    assert _findings(CONTENTS + PARTS + _all_tables(skip="支出决算表")) == {
        ("package.table_missing", "error")
    }


def test_a_table_read_without_its_title_makes_a_missing_one_unsure():
    # A table with figures whose title could not be read may be the one not found by title.
    untitled = ["项目\t合计", "一、基本支出\t6.00", "二、项目支出\t4.00", "合计\t10.00"]
    lines = CONTENTS + PARTS + _all_tables(skip="支出决算表") + ["注：单位万元"] + untitled
    assert _findings(lines) == {("package.table_unread", "warning")}


def test_a_title_ending_in_another_tables_name_does_not_stand_for_it():
    # The 三公 table titled with its 会议费 and 培训费, and the 国有资本经营 one without 收入,
    # both end in "支出决算表": read as their own tables, they do not print the 支出决算表.
    titled = {
        "财政拨款“三公”经费支出决算表": "财政拨款“三公”经费、会议费、培训费支出决算表",
        "国有资本经营预算财政拨款收入支出决算表": "国有资本经营预算财政拨款支出决算表",
    }
    lines: list[str] = []
    for t in standard_tables():
        if t.name != "支出决算表":
            lines += _table(titled.get(t.name, t.name))
    assert _findings(PARTS + lines) == {("package.table_missing", "error")}
