"""Crashes never cost data: kill the main job at every failpoint, then compare the warehouse row
by row with a clean run.

Scenario per point of ``pipelines.failpoints.POINTS``:

1. a clean run over version A of raw/ (4 departments, 2023 and 2024, .txt and .docx);
2. raw/ becomes version B (reports corrected, re-encoded, overwritten by another department's
   report, removed; new departments and a truncated file added) and the job runs with
   ``COUNTY_FAILPOINT=<point>`` in a process group of its own, which the failpoint kills with
   SIGKILL;
3. every table of the schemas core, quality and mart must equal, row for row, either the
   snapshot taken after run 1 ("before") or a clean run over B into another warehouse ("after");
4. a run without failpoint must then give exactly the clean-B tables, every review report and
   export, and an empty meta.pending.

Also: the bad inputs of tests/robustness/test_inputs.py in one raw folder beside good reports;
each must get its ingest error row, and every good report must be loaded.

``python -m tests.robustness.fault_injection`` prints a table of the fault points and the totals
(inputs tried, faults injected, runs recovered, rows lost). The pytest test
tests/robustness/test_kill_the_run.py uses the same helpers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.failpoints import ENV, POINTS
from pipelines.ingest.discover import discover
from pipelines.ingest.readers.txt_reader import decode_text
from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.publish.review import review_file_stem
from tools.sample.writers import generate_county

PROJECT = Path(__file__).resolve().parents[2]
SCHEMAS = ("core", "quality", "mart")
WORKERS = 2  # stage.chunk_written fires only when staging uses worker processes
CLI_POINTS = ("load.rows_deleted", "load.rows_inserted")  # the script kills these via the CLI
KILL_TIMEOUT = 600.0

Snapshot = dict[str, Counter[str]]  # "schema.table" -> multiset of its rows (repr of each)

# The main job without Dagster, in a process of its own (argv: raw, warehouse, workers).
_RUNNER = (
    "import sys; from pathlib import Path; from pipelines.orchestration.run import Locations, run_pipeline; "
    "run_pipeline(Locations(Path(sys.argv[1]), Path(sys.argv[2])), workers=int(sys.argv[3]))"
)


# --------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    raw_a: Path
    raw_b: Path
    changes: list[str]  # what turns A into B, for the operator


def make_corpus(root: Path, seed: int = 5) -> Corpus:
    """raw_a: 4 departments x 2023, 2024 (.txt and .docx); raw_b: the same folder after

    - a .txt report corrected (a line appended), a .docx report corrected (a paragraph added),
      a .txt report re-encoded (UTF-8 <-> GB18030, same text);
    - a .docx report's bytes replaced by another department's report;
    - a .docx report removed;
    - two new departments' reports of both years added, and a truncated .docx (an ingest
      error row).

    Nine files change or appear, so the run over B stages them with worker processes.
    """
    from docx import Document

    pool = root / "pool"
    generate_county(pool, n_departments=6, years=[2023, 2024], seed=seed, formats=["txt", "docx"])
    # The two newcomers: one department whose 2023 report is a .txt, one whose is a .docx (so
    # that each year of A keeps two of each).
    newcomers = (
        sorted((pool / "2023").glob("*.txt"))[-1].stem,
        sorted((pool / "2023").glob("*.docx"))[-1].stem,
    )
    raw_a, raw_b = root / "raw_a", root / "raw_b"
    shutil.copytree(pool, raw_b)
    shutil.copytree(pool, raw_a)
    for path in list(raw_a.rglob("*")):
        if path.is_file() and path.name.split(".")[0] in newcomers:
            path.unlink()
    # The generator's answer keys (*.truth.json) stay beside the reports: discovery skips them.
    assert all(f.path.suffix in {".txt", ".docx"} for f in discover(raw_b))

    def reports(year: str, suffix: str) -> list[Path]:
        return sorted(p for p in (raw_b / year).glob(f"*{suffix}") if p.stem not in newcomers)

    changes: list[str] = []
    txt = reports("2023", ".txt")[0]
    with open(txt, "ab") as fh:
        fh.write("\n更正说明：本报告第三部分个别文字表述有误，已予更正。\n".encode(_encoding(txt)))
    changes.append(f"corrected (line appended): {_rel(txt, raw_b)}")

    docx = reports("2024", ".docx")[0]
    document = Document(str(docx))
    document.add_paragraph("更正说明：本报告于公开后修订，修订内容为个别文字表述。")
    document.save(str(docx))
    changes.append(f"corrected (paragraph added): {_rel(docx, raw_b)}")

    txt = reports("2024", ".txt")[0]
    text, encoding = decode_text(txt.read_bytes())
    target = "utf-8" if encoding in ("gb18030", "gbk") else "gb18030"
    txt.write_bytes(text.encode(target))
    changes.append(f"re-encoded {encoding} -> {target}: {_rel(txt, raw_b)}")

    replaced, other = reports("2023", ".docx")[:2]
    replaced.write_bytes(other.read_bytes())
    changes.append(f"bytes replaced by those of {other.name}: {_rel(replaced, raw_b)}")

    removed = reports("2024", ".docx")[-1]
    removed.unlink()
    changes.append(f"removed: {_rel(removed, raw_b)}")

    changes.append(f"added: both years of {newcomers[0]} and {newcomers[1]}")
    broken = raw_b / "2024" / "损坏的报告.docx"
    data = other.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    changes.append(f"added, truncated: {_rel(broken, raw_b)}")
    return Corpus(raw_a, raw_b, changes)


def _encoding(path: Path) -> str:
    encoding = decode_text(path.read_bytes())[1]
    return "utf-8" if encoding in ("utf-8-sig", "ascii") else encoding


def _rel(path: Path, raw: Path) -> str:
    return path.relative_to(raw).as_posix()


# --------------------------------------------------------------------------- warehouse state


def snapshot(warehouse: Path) -> Snapshot:
    """Every row of every table in core, quality and mart (as a multiset of reprs, so that NaN,
    Decimal and dates compare exactly)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            f"WHERE schema_name IN {SCHEMAS} ORDER BY 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": Counter(
                repr(row) for row in con.execute(f'SELECT * FROM {s}."{t}"').fetchall()
            )
            for s, t in tables
        }


def difference(expected: Snapshot, got: Snapshot) -> dict[str, tuple[int, int]]:
    """Per table: (rows of ``expected`` missing from ``got``, rows of ``got`` not expected);
    a table missing on one side counts all its rows."""
    out = {}
    for table in sorted(set(expected) | set(got)):
        want, have = expected.get(table, Counter()), got.get(table, Counter())
        missing, extra = sum((want - have).values()), sum((have - want).values())
        if missing or extra or (table in expected) != (table in got):
            out[table] = (missing, extra)
    return out


def rows_lost(expected: Snapshot, got: Snapshot) -> int:
    """Rows of ``expected`` missing from ``got`` plus rows of ``got`` not expected."""
    return sum(m + e for m, e in difference(expected, got).values())


def classify(got: Snapshot, before: Snapshot, after: Snapshot) -> tuple[str, dict[str, str]]:
    """The warehouse state: "before", "after" or "BETWEEN", and each table's own state
    ("before", "after", "same" when before and after agree on it, or "neither")."""
    tables = {}
    for table in sorted(set(got) | set(before) | set(after)):
        is_before = table in got and table in before and got[table] == before[table]
        is_after = table in got and table in after and got[table] == after[table]
        tables[table] = (
            "same" if is_before and is_after else
            "before" if is_before else
            "after" if is_after else
            "neither"
        )  # fmt: skip
    states = set(tables.values()) - {"same"}
    if states <= {"before"}:
        return "before", tables
    if states == {"after"}:
        return "after", tables
    return "BETWEEN", tables


def pending_marks(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT * FROM meta.pending ORDER BY ALL").fetchall()


def expected_outputs(warehouse: Path) -> set[str]:
    """The files every (year, department) of the warehouse must have: its review report (HTML
    and .xlsx) under reports/<year>/, and each year's exports/<year>/index.html."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        keys = con.execute(
            "SELECT DISTINCT fiscal_year, department FROM core.report WHERE fiscal_year IS NOT NULL"
        ).fetchall()
    files = {f"exports/{y}/index.html" for y, _ in keys}
    for y, d in keys:
        files |= {f"reports/{y}/{review_file_stem(d)}{s}" for s in (".html", ".xlsx")}
    return files


def outputs(warehouse: Path) -> set[str]:
    """The review reports and export indexes present beside ``warehouse``."""
    loc = Locations(Path("."), warehouse)
    base = warehouse.parent
    found = {p.relative_to(base).as_posix() for p in loc.reports_dir.glob("*/*.html")}
    found |= {p.relative_to(base).as_posix() for p in loc.reports_dir.glob("*/*.xlsx")}
    found |= {p.relative_to(base).as_posix() for p in loc.export_dir.glob("*/index.html")}
    return found


# --------------------------------------------------------------------------- running the job


@dataclass
class Attempt:
    returncode: int | None
    seconds: float
    output: str  # the tail of the run's stdout and stderr

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


def dagster_home(root: Path) -> Path:
    """A Dagster instance folder holding this project's dagster.yaml."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT / "config" / "dagster.yaml", home / "dagster.yaml")
    return home


class SubprocessRunner:
    """Runs the main job as a new program in a new process group (``start_new_session``): the
    failpoint kills that group, never the caller. With ``cli_home`` (a DAGSTER_HOME) it is
    ``python -m pipelines run`` through Dagster, else ``run_pipeline`` with WORKERS workers."""

    def __init__(self, cli_home: Path | None = None, timeout: float = KILL_TIMEOUT):
        self.cli_home = cli_home
        self.timeout = timeout
        self.via = "cli" if cli_home else "api"

    def __call__(self, raw: Path, warehouse: Path, failpoint: str | None = None) -> Attempt:
        env = {k: v for k, v in os.environ.items() if k != ENV}
        env["DAGSTER_DISABLE_TELEMETRY"] = "1"
        if failpoint:
            env[ENV] = failpoint
        if self.cli_home is not None:
            env["DAGSTER_HOME"] = str(self.cli_home)
            command = [sys.executable, "-m", "pipelines", "run", "--raw", str(raw)]
            command += ["--warehouse", str(warehouse), "--out", str(warehouse.parent)]
        else:
            command = [sys.executable, "-c", _RUNNER, str(raw), str(warehouse), str(WORKERS)]
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this call started, nothing else
            out, _ = proc.communicate()
        tail = out.decode("utf-8", "replace")[-3000:]
        return Attempt(proc.returncode, time.perf_counter() - started, tail)


# Imported once by the fork server, so that a forked run starts warm (Great Expectations alone
# takes 5-7 s to import, which a new program would pay for every run).
_PRELOAD = [
    "pipelines.orchestration.run",
    "pipelines.quality.runner",
    "pipelines.quality.validator",
    "great_expectations",
    "pipelines.publish.charts",
    "pipelines.publish.index",
]


def _forked_run(raw: str, warehouse: str, failpoint: str | None, log: str) -> None:
    """A fork server child: first a session and process group of its own (what
    ``start_new_session`` does for a program), so that the failpoint's killpg takes this run and
    its worker processes and nothing else; then the main job."""
    import multiprocessing as mp

    os.setsid()
    # As in a program of its own: worker pools fork from this run (a forkserver child would
    # otherwise start them from a fork server outside its process group).
    mp.set_start_method("fork", force=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.pop(ENV, None)
    if failpoint:
        os.environ[ENV] = failpoint
    run_pipeline(Locations(Path(raw), Path(warehouse)), workers=WORKERS)


class ForkRunner:
    """Runs ``run_pipeline`` in a child forked from a pre-warmed fork server
    (multiprocessing "forkserver"), in a process group of its own: the same run as
    SubprocessRunner without the imports, for the pytest test."""

    via = "fork"

    def __init__(self, timeout: float = KILL_TIMEOUT):
        import multiprocessing as mp

        self.ctx = mp.get_context("forkserver")
        self.ctx.set_forkserver_preload(_PRELOAD)
        self.timeout = timeout

    def __call__(self, raw: Path, warehouse: Path, failpoint: str | None = None) -> Attempt:
        log = warehouse.parent.parent / f"run-{failpoint or 'clean'}-{time.monotonic_ns()}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        proc = self.ctx.Process(
            target=_forked_run, args=(str(raw), str(warehouse), failpoint, str(log))
        )
        proc.start()
        proc.join(self.timeout)
        if proc.exitcode is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this call started, nothing else
            proc.join()
        text = log.read_text("utf-8", "replace")[-3000:] if log.exists() else ""
        return Attempt(proc.exitcode, time.perf_counter() - started, text)


Runner = SubprocessRunner | ForkRunner


@dataclass
class Baseline:
    """Run 1 over A (its warehouse folder is copied for every fault point) and the reference
    clean run over B."""

    corpus: Corpus
    warehouse_a: Path
    before: Snapshot
    after: Snapshot
    outputs_after: set[str]
    seconds: float


def make_baseline(root: Path, runner: Runner, corpus: Corpus | None = None) -> Baseline:
    """The clean runs over A and over a copy of B, side by side."""
    started = time.perf_counter()
    corpus = corpus or make_corpus(root / "corpus")
    raw_b_copy = root / "clean_b" / "raw"
    shutil.copytree(corpus.raw_b, raw_b_copy)
    wh_a = root / "clean_a" / "warehouse" / "budget.duckdb"
    wh_b = root / "clean_b" / "warehouse" / "budget.duckdb"
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda a: runner(*a), [(corpus.raw_a, wh_a), (raw_b_copy, wh_b)]))
    for attempt in runs:
        assert attempt.returncode == 0, attempt.output
    assert not pending_marks(wh_a) and not pending_marks(wh_b)
    after_files = outputs(wh_b)
    assert expected_outputs(wh_b) <= after_files
    return Baseline(
        corpus, wh_a, snapshot(wh_a), snapshot(wh_b), after_files, time.perf_counter() - started
    )


@dataclass
class Outcome:
    point: str
    via: str  # "cli" (python -m pipelines run, through Dagster), "api" or "fork" (run_pipeline)
    kill: Attempt
    state: str = ""  # before / after / BETWEEN
    tables: dict[str, str] = field(default_factory=dict)  # each table's state after the kill
    partial: list[str] = field(default_factory=list)  # tables neither as before nor as after
    recovery: Attempt | None = None
    diff: dict[str, tuple[int, int]] = field(default_factory=dict)  # after recovery vs clean B
    rows_lost: int = 0
    pending: list[tuple] = field(default_factory=list)  # meta.pending after recovery
    missing_outputs: list[str] = field(default_factory=list)
    stale_outputs: list[str] = field(default_factory=list)  # outputs a clean run does not have

    @property
    def recovered(self) -> bool:
        return (
            self.recovery is not None
            and self.recovery.returncode == 0
            and not self.diff
            and not self.pending
            and not self.missing_outputs
            and not self.stale_outputs
        )

    def schemas(self) -> str:
        """Each schema's state after the kill, e.g. "core=after quality=before mart=before"."""
        parts = []
        for schema in SCHEMAS:
            states = {s for t, s in self.tables.items() if t.startswith(f"{schema}.")} - {"same"}
            parts.append(f"{schema}={'/'.join(sorted(states)) or 'same'}")
        return " ".join(parts)


def inject(baseline: Baseline, point: str, work: Path, runner: Runner) -> Outcome:
    """Copy run 1's warehouse folder, run over B killed at ``point``, judge the state, run
    again without failpoint and compare with the clean run over B."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(baseline.warehouse_a.parent, work / "warehouse")
    warehouse = work / "warehouse" / baseline.warehouse_a.name
    raw = baseline.corpus.raw_b
    outcome = Outcome(point, runner.via, runner(raw, warehouse, point))
    got = snapshot(warehouse)
    outcome.state, outcome.tables = classify(got, baseline.before, baseline.after)
    outcome.partial = [t for t, s in outcome.tables.items() if s == "neither"]
    outcome.recovery = runner(raw, warehouse, None)
    if outcome.recovery.returncode == 0:
        recovered = snapshot(warehouse)
        outcome.diff = difference(baseline.after, recovered)
        outcome.rows_lost = rows_lost(baseline.after, recovered)
        outcome.pending = pending_marks(warehouse)
        present = outputs(warehouse)
        outcome.missing_outputs = sorted(expected_outputs(warehouse) - present)
        outcome.stale_outputs = sorted(present - baseline.outputs_after)
    return outcome


def inject_all(
    baseline: Baseline,
    root: Path,
    runner_for: dict[str, Runner],
    parallel: int = 2,
    progress: bool = False,
) -> dict[str, Outcome]:
    """Every point of ``runner_for`` (point -> runner), ``parallel`` scenarios at a time, each
    in its own folder."""

    def one(point: str) -> Outcome:
        outcome = inject(baseline, point, root / "points" / point, runner_for[point])
        if progress:
            print(f"  {point}: {outcome.state}, recovered: {outcome.recovered}", flush=True)
        return outcome

    with ThreadPoolExecutor(parallel) as pool:
        return dict(zip(runner_for, pool.map(one, runner_for), strict=True))


# --------------------------------------------------------------------------- bad inputs


@dataclass
class InputsOutcome:
    bad: dict[str, str]  # source path -> expected error code
    good: list[str]  # source paths that must be loaded
    problems: list[str]  # empty when every bad file has its row and every good one is loaded
    seconds: float

    @property
    def tried(self) -> int:
        return len(self.bad) + len(self.good)


def _params(test) -> list[tuple]:
    """The argument tuples of a test's @pytest.mark.parametrize."""
    mark = next(m for m in test.pytestmark if m.name == "parametrize")
    names = mark.args[0]
    names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    values = [getattr(v, "values", v) for v in mark.args[1]]
    return [tuple(v) if len(names) > 1 else (v[0] if isinstance(v, tuple) else v,) for v in values]


def bad_inputs_sweep(root: Path) -> InputsOutcome:
    """One full run over the county of tests/robustness/test_inputs.py plus every bad file of
    that module (same names, bytes and expected error codes, read from its test parameters) and
    its good-but-odd inputs (GB18030 text under an odd name, a .docm, a .xlsm)."""
    from pipelines.ingest import readers
    from pipelines.ingest.readers import docx_reader, sheet_reader

    from . import test_inputs as ti

    started = time.perf_counter()
    raw = root / "raw"
    generate_county(
        raw, n_departments=3, years=(int(ti.YEAR),), seed=7, formats=("txt", "docx+xlsx", "docx")
    )
    base = ti._run(raw, root / "baseline")  # the good reports as they are, for comparison
    assert not base.errors and len(base.reports) == 3, base

    folder = raw / ti.YEAR
    bad: dict[str, tuple[bytes, str, str]] = {}  # name -> (bytes, code, stage)
    for name, content in _params(ti.test_empty_file):
        bad[name] = (content, "empty_file", "read")
    for name, make, code in _params(ti.test_truncated_or_corrupt_document):
        bad[name] = (make(raw), code, "read")
    bad["加密的报告.pdf"] = (ti._pdf_bytes(encrypt="secret"), "encrypted_pdf", "read")
    bad["扫描件.pdf"] = (ti._pdf_bytes(image_only=True), "scanned_pdf", "read")
    for name, content, _ in _params(ti.test_budget_or_government_final_account_is_refused):
        data = ti._docx_bytes(*content.splitlines()) if name.endswith(".docx") else content.encode()
        bad[name] = (data, "not_department_final_account", "identify")
    bad["旧版文件.doc"] = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "unsupported_doc",
        "read",
    )
    limit = 64 * 1024  # the size limit and zip-bomb limits lowered as the module's tests do
    bad["超大的报告.pdf"] = (b"%PDF-1.7\n" + b"0" * (limit + 1000), "file_too_large", "read")
    bomb_limit = 2 * 2**20
    zeros = b"\0" * (4 * bomb_limit)
    bad["压缩炸弹.docx"] = (
        ti._rezip(
            ti._docx_bytes("云溪县某某局2024年度部门决算"), {}, {"word/media/image1.png": zeros}
        ),
        "docx_too_large",
        "read",
    )
    bad["压缩炸弹.xlsx"] = (
        ti._rezip(ti._xlsx_bytes([["收入支出决算总表"]]), {}, {"xl/media/image1.png": zeros}),
        "xlsx_too_large",
        "read",
    )
    for name, (content, _, _) in bad.items():
        (folder / name).write_bytes(content)

    # Good inputs in unusual clothes: each must load as the plain report did.
    text, _ = decode_text((raw / ti.TXT).read_bytes())
    odd_name = _params(ti.test_odd_file_names_are_read_and_kept_exactly)[-1][0]
    (raw / ti.TXT).unlink()
    (folder / odd_name).write_bytes(
        (text + "\n附注：本报告经办人为㐀某某。\n").replace("\n", "\r\n").encode("gb18030")
    )
    docm = f"{ti.YEAR}/{Path(ti.DOCX).stem}.docm"
    (raw / docm).write_bytes(ti._with_word_macros((raw / ti.DOCX).read_bytes(), True))
    (raw / ti.DOCX).unlink()
    xlsm = f"{ti.YEAR}/含宏的决算公开表.xlsm"
    (raw / xlsm).write_bytes(ti._with_excel_macros((raw / ti.ATTACHMENT).read_bytes()))
    # The cases of issue 17 (tests/robustness/test_stray_files.py, test_bounded_work.py,
    # test_numbers.py): source path -> (expected code, stage); limits lowered for the run.
    stray = _plant_stray_files(raw, text, ti.YEAR)
    odd_figures = f"{ti.YEAR}/云山县某局.txt"
    (raw / odd_figures).write_text(
        text.replace("云溪县", "云山县").replace(
            "\n", f"\n本年收入合计{'9' * 400}万元。其他支出NaN万元，占12.34%。\n", 1
        ),
        encoding="utf-8",
    )
    good = {
        odd_figures: None,  # loaded; its absurd and unreadable figures refused with warnings
        f"{ti.YEAR}/{odd_name}": base.reports[ti.TXT][:3],
        docm: base.reports[ti.DOCX][:3],
        ti.WITH_ATTACHMENT: base.reports[ti.WITH_ATTACHMENT][:3],
        xlsm: None,  # the 附表 workbook on its own: loaded, its figures are not compared
    }

    saved = (readers.MAX_FILE_BYTES, docx_reader.MAX_UNCOMPRESSED_BYTES)
    saved += (sheet_reader.MAX_UNCOMPRESSED_BYTES,)
    readers.MAX_FILE_BYTES = limit
    docx_reader.MAX_UNCOMPRESSED_BYTES = sheet_reader.MAX_UNCOMPRESSED_BYTES = bomb_limit
    saved_env = {k: os.environ.get(k) for k in _LOWERED_LIMITS}
    os.environ.update(_LOWERED_LIMITS)
    try:  # one process: the lowered limits hold in the readers
        loc = Locations(raw, root / "warehouse" / "budget.duckdb")
        summary = run_pipeline(loc, workers=1)
    finally:
        readers.MAX_FILE_BYTES, docx_reader.MAX_UNCOMPRESSED_BYTES = saved[:2]
        sheet_reader.MAX_UNCOMPRESSED_BYTES = saved[2]
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    result = ti._read_back(loc)

    problems = []
    for name, (_, code, stage) in bad.items():
        path = f"{ti.YEAR}/{name}"
        if path in result.reports:
            problems.append(f"{path}: loaded, expected {code}")
        elif result.errors.get(path, (None, None))[:2] != (stage, code):
            problems.append(f"{path}: ingest error {result.errors.get(path)}, expected {code}")
    for path, expected in good.items():
        if path in result.errors:
            problems.append(f"{path}: refused {result.errors[path]}")
        elif path not in result.reports:
            problems.append(f"{path}: not loaded")
        elif expected is not None and result.reports[path][:3] != expected:
            problems.append(f"{path}: loaded as {result.reports[path]}, expected {expected}")
    if result.reports[f"{ti.YEAR}/{odd_name}"][3] != "gb18030":
        problems.append(f"{odd_name}: encoding {result.reports[f'{ti.YEAR}/{odd_name}'][3]}")
    for path, (code, stage) in stray.items():
        if path in result.reports:
            problems.append(f"{path}: loaded, expected {code}")
        elif result.errors.get(path, (None, None))[:2] != (stage, code):
            problems.append(f"{path}: ingest error {result.errors.get(path)}, expected {code}")
    if set(result.errors) - {f"{ti.YEAR}/{n}" for n in bad} - set(stray):
        problems.append(f"unexpected ingest errors: {sorted(set(result.errors))}")
    missing = expected_outputs(loc.warehouse) - outputs(loc.warehouse)
    if missing or not summary.exports:
        problems.append(f"outputs missing: {sorted(missing)}")
    return InputsOutcome(
        {f"{ti.YEAR}/{n}": c for n, (_, c, _) in bad.items()}
        | {path: code for path, (code, _) in stray.items()},
        list(good),
        problems,
        time.perf_counter() - started,
    )


# Limits lowered for the bad-input run, so that small files reach them.
_LOWERED_LIMITS = {"COUNTY_MAX_LINE_CHARS": "10000", "COUNTY_MAX_SHEET_ROWS": "1000"}


def _plant_stray_files(raw: Path, text: str, year: str) -> dict[str, tuple[str, str]]:
    """The stray files and links of issue 17 beside the county; returns path -> (code, stage)."""
    import xlsxwriter

    (raw / "说明.txt").write_text("本目录存放各部门报送的材料，请按年度放置。\n", "utf-8")
    (raw / year / "README.txt").write_text("Put each report under raw/<year>/.\n", "utf-8")
    (raw / "abc").mkdir()
    yearless = (
        text.replace(year, "本").replace(str(int(year) - 1), "上").replace("云溪县", "云岭县")
    )
    (raw / "abc" / "某某局.txt").write_text(yearless, "utf-8")
    os.symlink("/etc/passwd", raw / year / "系统用户.txt")
    os.symlink(raw / "nowhere.txt", raw / year / "已删除.txt")
    os.symlink(raw / year, raw / "年度链接")
    sentence = "一般公共服务支出100.00万元，占10.00%，较上年增加5.00万元，增长5.00%。"
    (raw / year / "超长单行.txt").write_text(
        f"某某局{year}年度部门决算\n{sentence * 400}\n", "utf-8"
    )
    book = xlsxwriter.Workbook(str(raw / year / "百万行.xlsx"), {"constant_memory": True})
    sheet = book.add_worksheet()
    for r in range(5000):
        sheet.write_row(r, 0, ["2010301", "行政运行", 100.0])
    book.close()
    return {
        "说明.txt": ("not_a_report", "identify"),
        f"{year}/README.txt": ("not_a_report", "identify"),
        "abc/某某局.txt": ("unknown_fiscal_year", "identify"),
        f"{year}/系统用户.txt": ("link_outside_raw", "discover"),
        f"{year}/已删除.txt": ("dangling_link", "discover"),
        "年度链接": ("folder_link", "discover"),
        f"{year}/超长单行.txt": ("file_too_complex", "extract"),
        f"{year}/百万行.xlsx": ("file_too_complex", "read"),
    }


# --------------------------------------------------------------------------- the report


def table(outcomes: Iterable[Outcome]) -> str:
    header = (
        f"{'fault point':<24} {'via':<4} {'killed?':<8} {'after kill':<10} "
        f"{'schemas after kill':<38} {'recovered?':<10} {'rows lost':>9} {'kill s':>7} {'rec s':>6}"
    )
    lines = [header, "-" * len(header)]
    for o in outcomes:
        lines.append(
            f"{o.point:<24} {o.via:<4} {'yes' if o.kill.killed else f'NO ({o.kill.returncode})':<8} "
            f"{o.state:<10} {o.schemas():<38} {'yes' if o.recovered else 'NO':<10} "
            f"{o.rows_lost:>9} {o.kill.seconds:>7.1f} "
            f"{o.recovery.seconds if o.recovery else float('nan'):>6.1f}"
        )
        for t in o.partial:
            lines.append(f"    neither as before nor as after the kill: {t}")
        for t, (m, e) in o.diff.items():
            lines.append(f"    after recovery {t}: {m} rows missing, {e} extra")
        if o.pending:
            lines.append(f"    meta.pending after recovery: {o.pending[:5]} ({len(o.pending)})")
        for f in o.missing_outputs:
            lines.append(f"    missing after recovery: {f}")
        for f in o.stale_outputs:
            lines.append(f"    stale after recovery: {f}")
        if o.recovery is not None and o.recovery.returncode != 0:
            lines.append(
                f"    recovery failed ({o.recovery.returncode}): {o.recovery.output[-800:]}"
            )
        if not o.kill.killed:
            lines.append(f"    run was not killed: {o.kill.output[-800:]}")
    return "\n".join(lines)


def totals(outcomes: list[Outcome], inputs: InputsOutcome | None, corpus_files: int) -> str:
    tried = corpus_files + (inputs.tried if inputs else 0)
    injected = sum(o.kill.killed for o in outcomes)
    recovered = sum(o.kill.killed and o.recovered for o in outcomes)
    lost = sum(o.rows_lost for o in outcomes)
    between = sum(o.state == "BETWEEN" for o in outcomes)
    refused = f", {len(inputs.bad)} bad + {len(inputs.good)} good in one run" if inputs else ""
    return (
        f"inputs tried: {tried} ({corpus_files} report versions in the fault corpus{refused}) | "
        f"faults injected: {injected}/{len(outcomes)} | runs recovered: {recovered}/{injected} | "
        f"states between: {between} | rows lost: {lost}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.robustness.fault_injection", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--points", nargs="*", default=list(POINTS), choices=POINTS)
    parser.add_argument("--api-only", action="store_true", help="no Dagster CLI runs (faster)")
    parser.add_argument("--no-inputs", action="store_true", help="skip the bad-input run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--parallel", type=int, default=2, help="scenarios at a time")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="county-fault-injection-"))
    started = time.perf_counter()
    try:
        api = SubprocessRunner()
        baseline = make_baseline(root, api)
        print(f"corpus A -> B ({baseline.seconds:.1f} s for the clean runs over A and B):")
        for change in baseline.corpus.changes:
            print(f"  {change}")
        cli = api if args.api_only else SubprocessRunner(dagster_home(root))
        runner_for = {p: cli if p in CLI_POINTS else api for p in args.points}
        found = inject_all(baseline, root, runner_for, args.parallel, progress=True)
        outcomes = [found[p] for p in args.points]
        inputs = None if args.no_inputs else bad_inputs_sweep(root / "inputs")
        print()
        print(table(outcomes))
        if inputs is not None:
            print(
                f"\nbad inputs in one run: {len(inputs.bad)} bad files (each must get its ingest "
                f"error row), {len(inputs.good)} good-but-odd reports (each must load): "
                f"{len(inputs.problems)} problems ({inputs.seconds:.1f} s)"
            )
            for problem in inputs.problems:
                print(f"  PROBLEM {problem}")
        versions = len(discover(baseline.corpus.raw_a)) + len(
            {(f.source_path, f.sha256) for f in discover(baseline.corpus.raw_b)}
            - {(f.source_path, f.sha256) for f in discover(baseline.corpus.raw_a)}
        )
        print()
        print(totals(outcomes, inputs, versions))
        print(f"({time.perf_counter() - started:.0f} s in all; work folder {root})")
        ok = all(o.kill.killed and o.recovered and o.state != "BETWEEN" for o in outcomes)
        ok = ok and all(not o.partial for o in outcomes) and (inputs is None or not inputs.problems)
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
