"""Accuracy scoreboard: how often the pipeline is right, per kind of figure, per report layout
and output format, and per kind of check.

Generates a synthetic county (clean reports, and copies with one planted fault each) whose
departments use the layouts of ``render.LAYOUTS`` (national template with 行次 and 公开NN表,
Shanghai's split codes, the Sichuan county layout, a narrative-first consolidated report, tables
in 元) in the output formats asked for (.txt, .docx, .pdf, and the PDF's text as
``pdftotext -layout`` and pdfplumber give it), runs the pipeline's steps over both (the same
functions the Dagster main job's assets call), and prints: extraction precision and recall per
metric family, then per layout, per format and per layout × format (read back from the
warehouse and compared with each document's ground truth), check recall and false errors per
check family, and per layout and format.

    python -m tools.sample.scoreboard --departments 10 --years 2023 2024 --seed 3 --json score.json

Facts of a metric the pipeline has no name for (会议费 and 培训费 of the national 三公 table)
are counted apart ("unmodelled") rather than as misses.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest.extract.vocabulary import FAMILY
from pipelines.orchestration.run import Locations, check, ingest, load
from tools.sample.fault_score import FaultScore, answers, corpus_arguments, format_table
from tools.sample.faults import make_faulty_corpus
from tools.sample.render import LAYOUTS
from tools.sample.score import EXTRA_FAMILY, MODELLED, columns_of
from tools.sample.writers import SUPPORTED_FORMATS

DEFAULT_LAYOUTS = LAYOUTS
# Where a statement's part (extract.sections) sits in the truth's sections.
_SECTION_OF_PART = {"table": "table", "annex": "annex"}
DEFAULT_FORMATS = ("txt", "docx", "pdf", "pdftotext", "pdfplumber")


def family_of(metric: str, code: str | None) -> str:
    if metric in EXTRA_FAMILY and code:
        return "function"
    return FAMILY.get(metric) or EXTRA_FAMILY.get(metric, "other")


@dataclass
class ExtractionScore:
    truth: Counter = field(default_factory=Counter)  # family -> facts the documents state
    found: Counter = field(default_factory=Counter)  # family -> of those, extracted
    extracted: Counter = field(default_factory=Counter)  # family -> statements with a truth metric
    matched: Counter = field(default_factory=Counter)  # family -> of those, matching a fact
    unmodelled: int = 0  # facts of a metric the pipeline has no name for (not scored)
    misses: list[dict] = field(default_factory=list)  # facts not extracted
    wrong: list[dict] = field(default_factory=list)  # statements matching no fact

    def add(self, other: ExtractionScore) -> None:
        for mine, theirs in (
            (self.truth, other.truth),
            (self.found, other.found),
            (self.extracted, other.extracted),
            (self.matched, other.matched),
        ):
            mine.update(theirs)
        self.unmodelled += other.unmodelled
        self.misses += other.misses
        self.wrong += other.wrong

    @property
    def recall(self) -> float | None:
        t = sum(self.truth.values())
        return sum(self.found.values()) / t if t else None

    @property
    def precision(self) -> float | None:
        x = sum(self.extracted.values())
        return sum(self.matched.values()) / x if x else None

    def as_dict(self) -> dict:
        fams = sorted(set(self.truth) | set(self.extracted))
        return {
            f: {
                "facts": self.truth[f],
                "recall": self.found[f] / self.truth[f] if self.truth[f] else None,
                "statements": self.extracted[f],
                "precision": self.matched[f] / self.extracted[f] if self.extracted[f] else None,
            }
            for f in fams
        }


def score_warehouse_extraction(raw: Path, warehouse: Path) -> ExtractionScore:
    """Compare every truth fact with the statements the warehouse holds for its document."""
    result = ExtractionScore()
    for one in score_documents(raw, warehouse).values():
        result.add(one)
    return result


def _truths(raw: Path) -> dict[str, dict]:
    """Document path (relative to ``raw``) -> its truth file's content."""
    out = {}
    for truth_path in sorted(raw.rglob("*.truth.json")):
        stem = truth_path.name.removesuffix(".truth.json")
        doc = next(
            p
            for p in truth_path.parent.glob(f"{stem}.*")
            if p.suffix != ".json" and not p.stem.endswith("_附表")
        )
        out[doc.relative_to(raw).as_posix()] = json.loads(truth_path.read_text(encoding="utf-8"))
    return out


def score_documents(raw: Path, warehouse: Path) -> dict[str, ExtractionScore]:
    """Extraction precision and recall of each document, against its ground truth."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT r.source_path, s.metric, s.subject_code, s.amount_wan, s.count_value, s.basic_wan, "
            "s.project_wan, s.source_text, s.source_location, s.part FROM core.statement s "
            "JOIN core.report r USING (report_id) WHERE s.metric IS NOT NULL"
        ).fetchall()
    truths = {path: t["facts"] for path, t in _truths(raw).items()}
    truth_metrics = {f["metric"] for facts in truths.values() for f in facts}
    results = {path: ExtractionScore() for path in truths}
    # path -> (metric, code, value) -> the parts (table, narrative …) of the matching statements
    pools: dict[str, dict[tuple, list[str]]] = {path: defaultdict(list) for path in truths}
    quotes: dict[str, dict[tuple, str]] = defaultdict(dict)
    for path, metric, code, amount, count, basic, project, text, location, part in rows:
        if path not in pools:
            continue
        keys = []
        value = amount if amount is not None else count
        if value is not None and metric in truth_metrics:
            keys.append((metric, code, round(value, 4)))
        for column_metric, column in columns_of(metric, basic, project):
            keys.append((column_metric, code, round(column, 4)))
        for key in keys:
            pools[path][key].append(_SECTION_OF_PART.get(part, "narrative"))
            results[path].extracted[family_of(key[0], key[1])] += 1
            quotes[path].setdefault(key, f"{location}: {text}")
    for path, facts in truths.items():
        pool, result = pools[path], results[path]
        scored = []
        for fact in facts:
            if fact["metric"] not in MODELLED:
                result.unmodelled += 1
                continue
            scored.append(fact)
            fam = family_of(fact["metric"], fact["subject_code"])
            result.truth[fam] += 1
        # A figure stated in two places is matched to a statement of its own section first, so
        # a miss is reported where it is (the 收入总计 of the text, not of the table).
        unmatched = []
        for fact in scored:
            key = (fact["metric"], fact["subject_code"], round(fact["value"], 4))
            if fact["section"] in pool[key]:
                pool[key].remove(fact["section"])
                fam = family_of(fact["metric"], fact["subject_code"])
                result.found[fam] += 1
                result.matched[fam] += 1
            else:
                unmatched.append((key, fact))
        for key, fact in unmatched:
            fam = family_of(fact["metric"], fact["subject_code"])
            if pool[key]:
                pool[key].pop()
                result.found[fam] += 1
                result.matched[fam] += 1
            else:
                result.misses.append(
                    {
                        "file": path,
                        "section": fact["section"],
                        "metric": fact["metric"],
                        "code": fact["subject_code"],
                        "value": fact["value"],
                        "label": fact.get("label"),
                    }
                )
        for key, left in pool.items():
            if left:
                result.wrong.append(
                    {
                        "file": path,
                        "metric": key[0],
                        "code": key[1],
                        "value": key[2],
                        "count": len(left),
                        "quote": quotes[path].get(key, ""),
                    }
                )
    return results


def run(
    root: Path, departments: int, years: tuple[int, ...], seed: int
) -> tuple[ExtractionScore, FaultScore]:
    """The seed layout only (the figures the README quoted before layouts were added)."""
    from tools.sample.fault_score import score

    checks = score(root, departments, years, seed)
    extraction = score_warehouse_extraction(root / "clean", root / "wh" / "clean.duckdb")
    return extraction, checks


# ------------------------------------------------------------------ per layout and format --
@dataclass
class GroupScore:
    """Extraction and checks of the reports of one layout, one format, or one pair."""

    extraction: ExtractionScore = field(default_factory=ExtractionScore)
    reports: int = 0
    planted: int = 0
    found: int = 0
    false_errors: int = 0
    false_error_examples: list[dict] = field(default_factory=list)
    missed_faults: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        e = self.extraction
        return {
            "reports": self.reports,
            "facts": sum(e.truth.values()),
            "unmodelled_facts": e.unmodelled,
            "recall": e.recall,
            "statements": sum(e.extracted.values()),
            "precision": e.precision,
            "faults_planted": self.planted,
            "faults_found": self.found,
            "fault_recall": self.found / self.planted if self.planted else None,
            "false_errors": self.false_errors,
            "misses": e.misses,
            "wrong_statements": e.wrong,
            "false_error_examples": self.false_error_examples,
            "missed_faults": self.missed_faults,
        }


@dataclass
class LayoutScore:
    by_layout: dict[str, GroupScore] = field(default_factory=dict)
    by_format: dict[str, GroupScore] = field(default_factory=dict)
    by_pair: dict[str, GroupScore] = field(default_factory=dict)
    extraction: ExtractionScore = field(default_factory=ExtractionScore)
    checks: FaultScore = field(default_factory=FaultScore)

    def groups(self, doc: dict) -> list[GroupScore]:
        layout, fmt = doc.get("layout", "sichuan"), doc["format"]
        return [
            self.by_layout.setdefault(layout, GroupScore()),
            self.by_format.setdefault(fmt, GroupScore()),
            self.by_pair.setdefault(f"{layout} × {fmt}", GroupScore()),
        ]

    def as_dict(self) -> dict:
        return {
            "by_layout": {k: v.as_dict() for k, v in sorted(self.by_layout.items())},
            "by_format": {k: v.as_dict() for k, v in sorted(self.by_format.items())},
            "by_layout_and_format": {k: v.as_dict() for k, v in sorted(self.by_pair.items())},
            "extraction": self.extraction.as_dict(),
            "checks": self.checks.as_dict(),
        }


def _pipeline(raw: Path, warehouse: Path, workers: int | None) -> None:
    loc = Locations(raw, warehouse)
    ingest(loc, workers=workers)
    load(loc)
    check(loc, data_docs=False)


def _errors(
    warehouse: Path, severities: tuple[str, ...] = ("error",)
) -> dict[str, list[tuple[str, str, str, str, str, str]]]:
    """source_path -> its failed findings of these levels
    (family, check, severity, message, quote, location)."""
    out: dict[str, list] = defaultdict(list)
    marks = ", ".join("?" for _ in severities)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for row in con.execute(
            "SELECT r.source_path, q.family, q.check_id, q.severity, q.message, q.source_text, "
            "q.source_location FROM quality.check_result q JOIN core.report r USING (report_id) "
            f"WHERE NOT q.passed AND q.severity IN ({marks})",
            list(severities),
        ).fetchall():
            out[row[0]].append(row[1:])
    return out


def score_layouts(
    root: Path,
    departments: int,
    years: Sequence[int],
    seed: int,
    layouts: Sequence[str] = DEFAULT_LAYOUTS,
    formats: Sequence[str] = DEFAULT_FORMATS,
    workers: int | None = None,
) -> LayoutScore:
    """Generate the county under ``root``, run the pipeline on the clean reports and on each
    fault kind's copies, and score every report under its layout and format."""
    result = LayoutScore()
    pairs = make_faulty_corpus(
        root, departments, tuple(years), seed, formats=formats, layouts=layouts
    )
    clean, wh = root / "clean", root / "wh"
    _pipeline(clean, wh / "clean.duckdb", workers)
    docs = _truths(clean)
    per_doc = score_documents(clean, wh / "clean.duckdb")
    errors = _errors(wh / "clean.duckdb")
    for path, doc in docs.items():
        for g in result.groups(doc):
            g.reports += 1
            g.extraction.add(per_doc[path])
            found = errors.get(path, [])
            g.false_errors += len(found)
            g.false_error_examples += [
                {
                    "file": path,
                    "family": f,
                    "check": c,
                    "message": m,
                    "quote": q,
                    "location": loc,
                }
                for f, c, _level, m, q, loc in found[:5]
            ]
        result.extraction.add(per_doc[path])
        result.checks.clean_reports += 1
        for family, *_ in errors.get(path, []):
            result.checks.false_errors[family] += 1
    by_kind: dict[str, list] = defaultdict(list)
    for path, fault in pairs:
        by_kind[fault.kind].append((path, fault))
    for kind, items in sorted(by_kind.items()):
        raw = root / "faulty" / kind
        warehouse = wh / f"{kind}.duckdb"
        _pipeline(raw, warehouse, workers)
        findings = _errors(warehouse, ("error", "warning"))
        for path, fault in items:
            rel = path.relative_to(raw).as_posix()
            doc = docs[rel]
            hit = any(
                answers(fault, f, c, level, m, q)
                for f, c, level, m, q, _loc in findings.get(rel, [])
            )
            result.checks.planted[fault.family] += 1
            result.checks.found[fault.family] += hit
            for g in result.groups(doc):
                g.planted += 1
                g.found += hit
                if not hit:
                    g.missed_faults.append({"file": rel, **fault.to_dict()})
            if not hit:
                result.checks.missed.append({"file": rel, **fault.to_dict()})
    return result


def _pct(x: float | None) -> str:
    return f"{x:6.1%}" if x is not None else "   n/a"


def format_groups(groups: dict[str, GroupScore], title: str) -> str:
    width = max([len(title)] + [len(k) for k in groups]) + 2
    lines = [
        f"{title:<{width}}reports  facts  recall  precision  faults  found  recall  false errors",
        f"{'-' * (width - 2):<{width}}-------  -----  ------  ---------  ------  -----  ------  ------------",
    ]
    for key, g in sorted(groups.items()):
        e = g.extraction
        lines.append(
            f"{key:<{width}}{g.reports:>7}  {sum(e.truth.values()):>5}  {_pct(e.recall)}  "
            f"{_pct(e.precision):>9}  {g.planted:>6}  {g.found:>5}  "
            f"{_pct(g.found / g.planted if g.planted else None)}  {g.false_errors:>12}"
        )
    return "\n".join(lines)


def format_misreadings(groups: dict[str, GroupScore], limit: int) -> str:
    """A few examples of each layout's misses, wrong statements and false errors."""
    out = []
    for key, g in sorted(groups.items()):
        e = g.extraction
        if not (e.misses or e.wrong or g.false_error_examples or g.missed_faults):
            continue
        out.append(f"[{key}]")
        for m in e.misses[:limit]:
            out.append(
                f"  missed   {m['file']} {m['section']} {m['metric']} {m['code'] or ''} "
                f"{m['value']} ({m['label']})"
            )
        for w in e.wrong[:limit]:
            out.append(
                f"  wrong    {w['file']} {w['metric']} {w['code'] or ''} {w['value']} "
                f"<- {w['quote'][:90]}"
            )
        for x in g.false_error_examples[:limit]:
            out.append(
                f"  error    {x['file']} {x['check']}: {x['message'][:80]} <- {x['quote'][:60]}"
            )
        for f in g.missed_faults[:limit]:
            out.append(f"  fault    {f['file']} {f['kind']} {f['metric']} {f['printed_value']}")
    return "\n".join(out)


def format_extraction(e: ExtractionScore) -> str:
    lines = [
        "metric family    facts  recall   statements  precision",
        "---------------  -----  ------   ----------  ---------",
    ]
    for fam, v in e.as_dict().items():
        recall = f"{v['recall']:6.1%}" if v["recall"] is not None else "   n/a"
        precision = f"{v['precision']:9.1%}" if v["precision"] is not None else "      n/a"
        lines.append(f"{fam:<15}  {v['facts']:>5}  {recall}   {v['statements']:>10}  {precision}")
    t, f = sum(e.truth.values()), sum(e.found.values())
    x, m = sum(e.extracted.values()), sum(e.matched.values())
    lines.append(f"{'all':<15}  {t:>5}  {f / max(t, 1):6.1%}   {x:>10}  {m / max(x, 1):9.1%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    # The county is written by this process a moment before it is read: complete, not a copy
    # in transfer (see COUNTY_SETTLE_SECONDS).
    os.environ.setdefault("COUNTY_SETTLE_SECONDS", "0")
    parser = corpus_arguments(__doc__)
    parser.add_argument("--layouts", nargs="+", default=list(DEFAULT_LAYOUTS), choices=LAYOUTS)
    parser.add_argument(
        "--formats", nargs="+", default=list(DEFAULT_FORMATS), choices=SUPPORTED_FORMATS
    )
    parser.add_argument("--examples", type=int, default=3, help="misreadings shown per layout")
    parser.add_argument(
        "--keep", type=Path, help="generate and score in this (new) folder and keep it"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        s = score_layouts(root, args.departments, args.years, args.seed, args.layouts, args.formats)
    print("Extraction (clean reports, against ground truth)")
    print(format_extraction(s.extraction))
    print()
    print("Checks (one planted fault per copy; false errors on the clean reports)")
    print(format_table(s.checks))
    for title, groups in (
        ("layout", s.by_layout),
        ("format", s.by_format),
        ("layout × format", s.by_pair),
    ):
        print()
        print(format_groups(groups, title))
    examples = format_misreadings(s.by_layout, args.examples)
    if examples:
        print()
        print("Misreadings (examples per layout)")
        print(examples)
    if args.json:
        payload = {
            "corpus": {
                "departments": args.departments,
                "years": args.years,
                "seed": args.seed,
                "layouts": args.layouts,
                "formats": args.formats,
            },
            **s.as_dict(),
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
