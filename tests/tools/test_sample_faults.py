"""Faults on demand (tools.sample.faults): one real contradiction per call, nothing else changed."""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest

from tools.sample.faults import (
    FAMILY,
    FAULT_KINDS,
    NUMBER_KINDS,
    REVIEW_KINDS,
    Fault,
    inject_fault,
    load_faults,
    make_faulty_corpus,
    ratio_bounds,
)
from tools.sample.writers import generate_county, load_truth

SEED = 5
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """4 departments x 2 years: .txt (UTF-8, UTF-8 with BOM, GB18030) and .docx."""
    return generate_county(tmp_path_factory.mktemp("clean"), 4, (2023, 2024), SEED)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def text_of(path: Path) -> str:
    """.txt decoded; .docx paragraphs and table rows (cells joined by tabs)."""
    if path.suffix == ".txt":
        return decode(path.read_bytes())
    from docx import Document

    doc = Document(str(path))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        lines += ["\t".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def numbers(text: str) -> list[str]:
    return NUMBER.findall(text.translate(FULLWIDTH_DIGITS))


def value(number: str) -> float:
    return float(number.replace(",", ""))


def copy_doc(src: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    shutil.copyfile(src, dest)
    truth = src.with_name(src.stem + ".truth.json")
    shutil.copyfile(truth, dest.with_name(truth.name))
    return dest


def check_fault(clean: Path, faulty: Path, fault: Fault, kind: str) -> None:
    # still decodes / opens, in the same encoding and with the same line ends
    if clean.suffix == ".txt":
        before, after = clean.read_bytes(), faulty.read_bytes()
        assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")
        assert after.count(b"\r\n") == before.count(b"\r\n")
        try:
            before.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        if not utf8:  # GB18030 stays GB18030
            with pytest.raises(UnicodeDecodeError):
                after.decode("utf-8")
    clean_text, faulty_text = text_of(clean), text_of(faulty)

    # exactly one number differs, from the true to the printed value
    a, b = numbers(clean_text), numbers(faulty_text)
    assert len(a) == len(b)
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    assert len(diff) == 1, [(a[i], b[i]) for i in diff]
    i = diff[0]
    assert value(a[i]) == pytest.approx(fault.true_value)
    assert value(b[i]) == pytest.approx(fault.printed_value)

    # the quote is the faulty text and shows the printed value; the hint locates it
    assert fault.quote and fault.quote in faulty_text
    assert fault.quote not in clean_text
    assert any(value(n) == pytest.approx(fault.printed_value) for n in numbers(fault.quote))
    assert fault.line_hint and fault.line_hint in fault.quote and fault.line_hint in faulty_text

    # kind, family, field and size of the change
    assert fault.kind == kind and fault.family == FAMILY[kind]
    delta = abs(Decimal(str(fault.printed_value)) - Decimal(str(fault.true_value)))
    if kind == "share":
        assert fault.field == "share_pct" and Decimal("0.02") <= delta <= Decimal("0.5")
    elif kind in ("yoy", "budget"):
        assert delta >= Decimal("0.5")
        assert fault.field == {"yoy": "change_pct", "budget": "completion_pct"}[kind]
    else:
        assert fault.field == "value" and Decimal("1.00") <= delta <= Decimal("50.00")
    if kind == "table_total":
        assert fault.section == "table"
    elif kind != "cross_section":
        assert fault.section == "narrative"
    if kind == "cross_section":
        assert fault.section in ("annex", "table")
    if kind == "item_amount":
        assert fault.metric == "gpb_by_function" and len(fault.subject_code) == 7
    if kind == "sum":
        assert fault.metric == "gpb_by_function" and len(fault.subject_code) == 3

    # the fault is recorded beside the document; the truth file is untouched
    recorded = json.loads(faulty.with_name(faulty.stem + ".faults.json").read_text("utf-8"))
    assert recorded == [asdict(fault)]
    assert load_truth(faulty) == load_truth(clean)


def check_semantics(fault: Fault, truth: dict) -> None:
    """Independent re-check that yoy and budget faults survive rounding."""
    facts = [f for f in truth["facts"] if f["section"] == "narrative"]
    p = Decimal(str(fault.printed_value))
    if fault.kind == "yoy":
        f = next(
            f
            for f in facts
            if f["metric"] == fault.metric
            and f["change_pct"] is not None
            and abs(f["change_pct"]) == fault.true_value
        )
        change = abs(Decimal(str(f["change"])))
        prior = Decimal(str(f["value"])) - Decimal(str(f["change"]))
        lo = (change - Decimal("0.005")) / (prior + Decimal("0.01")) * 100 - Decimal("0.005")
        hi = (change + Decimal("0.005")) / (prior - Decimal("0.01")) * 100 + Decimal("0.005")
        assert not lo <= p <= hi
    if fault.kind == "budget":
        f = next(
            f
            for f in facts
            if f["metric"] == fault.metric
            and f["subject_code"] == fault.subject_code
            and f["completion_pct"] == fault.true_value
        )
        budget = f["budget"] or next(
            g["budget"]
            for g in truth["facts"]
            if g["metric"] == f["metric"] and g["value"] == f["value"] and g["budget"]
        )
        v, b = Decimal(str(f["value"])), Decimal(str(budget))
        lo = (v - Decimal("0.005")) / (b + Decimal("0.005")) * 100 - Decimal("0.5")
        hi = (v + Decimal("0.005")) / (b - Decimal("0.005")) * 100 + Decimal("0.5")
        assert not lo <= p <= hi


@pytest.mark.parametrize("kind", NUMBER_KINDS)
def test_inject_each_kind(kind: str, county: list[Path], tmp_path: Path) -> None:
    placed = 0
    formats = set()
    for n, clean in enumerate(county):
        faulty = copy_doc(clean, tmp_path / str(n))
        fault = inject_fault(faulty, kind, random.Random(f"{SEED}:{n}"))
        check_fault(clean, faulty, fault, kind)
        check_semantics(fault, load_truth(clean))
        placed += 1
        formats.add(clean.suffix)
    assert placed == len(county) and formats == {".txt", ".docx"}


@pytest.fixture(scope="module")
def national_county(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Reports that carry the whole set of tables (the national template)."""
    return generate_county(
        tmp_path_factory.mktemp("national"), 2, (2023,), SEED, layouts=("national",)
    )


@pytest.mark.parametrize("kind", REVIEW_KINDS)
def test_inject_each_word_fault(
    kind: str, county: list[Path], national_county: list[Path], tmp_path: Path
) -> None:
    """A word or layout fault changes only words (or removes one table), names the check and
    level that must answer it, and what that finding must quote."""
    docs = national_county if kind == "table_removed" else county
    placed = 0
    for n, clean in enumerate(docs):
        faulty = copy_doc(clean, tmp_path / str(n))
        try:
            fault = inject_fault(faulty, kind, random.Random(f"{SEED}:{n}"))
        except ValueError:
            continue
        placed += 1
        before, after = text_of(clean), text_of(faulty)
        assert before != after
        assert fault.kind == kind and fault.family == FAMILY[kind] and fault.field == "text"
        assert fault.check_id and fault.level in ("error", "warning") and fault.marker
        if kind == "table_removed":
            assert after.count(fault.quote) == before.count(fault.quote) - 1
            assert len(after) < len(before) - len(fault.quote)
        elif kind == "blank_cell":
            assert (
                numbers(after) != numbers(before)
                and len(numbers(after)) == len(numbers(before)) - 1
            )
        else:
            assert fault.marker in after and fault.quote in after and fault.quote not in before
            if kind != "placeholder":  # the name is gone, not a number
                assert numbers(after) == numbers(before) or kind == "wrong_year"
        assert load_truth(faulty) == load_truth(clean)
        recorded = json.loads(faulty.with_name(faulty.stem + ".faults.json").read_text("utf-8"))
        assert recorded == [asdict(fault)]
    assert placed >= 1


def test_faults_append(county: list[Path], tmp_path: Path) -> None:
    faulty = copy_doc(county[0], tmp_path)
    first = inject_fault(faulty, "share", random.Random(1))
    second = inject_fault(faulty, "cross_section", random.Random(2))
    assert load_faults(faulty) == [first, second]


def test_no_candidate_or_unknown_kind(county: list[Path], tmp_path: Path) -> None:
    faulty = copy_doc(county[0], tmp_path)
    before = faulty.read_bytes()
    with pytest.raises(ValueError, match="unknown fault kind"):
        inject_fault(faulty, "typo", random.Random(0))
    truth = faulty.with_name(faulty.stem + ".truth.json")
    truth.write_text(json.dumps({**load_truth(faulty), "facts": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="no share fault"):
        inject_fault(faulty, "share", random.Random(0))
    assert faulty.read_bytes() == before
    assert not faulty.with_name(faulty.stem + ".faults.json").exists()


def test_ratio_bounds() -> None:
    lo, hi = ratio_bounds(Decimal("1.97"), Decimal("2.17"), Decimal("0.005"), Decimal("0.005"))
    assert lo == Decimal("1.965") / Decimal("2.175") * 100
    assert hi == Decimal("1.975") / Decimal("2.165") * 100
    assert ratio_bounds(Decimal(1), Decimal("0.004"), Decimal("0.005"), Decimal("0.005")) is None


def test_make_faulty_corpus_deterministic(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = make_faulty_corpus(out, 3, (2023, 2024), SEED)
        runs.append((out, result))
    (out_a, res_a), (out_b, res_b) = runs
    assert [asdict(f) for _, f in res_a] == [asdict(f) for _, f in res_b]
    assert [p.relative_to(out_a) for p, _ in res_a] == [p.relative_to(out_b) for p, _ in res_b]
    for (pa, _), (pb, _) in zip(res_a, res_b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    # every kind hits several documents; copies live under faulty/<kind>/<year>/, clean stays clean
    kinds = [f.kind for _, f in res_a]
    # (a removed table needs a full set of tables, which Sichuan-layout reports do not carry)
    assert all(kinds.count(k) >= 2 for k in FAULT_KINDS if k != "table_removed")
    for path, fault in res_a:
        rel = path.relative_to(out_a / "faulty")
        assert rel.parts[0] == fault.kind and rel.parts[1] in ("2023", "2024")
        assert path.with_name(path.stem + ".truth.json").exists()
        clean = out_a / "clean" / rel.parts[1] / path.name
        assert text_of(clean) != text_of(path)
        assert not clean.with_name(clean.stem + ".faults.json").exists()
