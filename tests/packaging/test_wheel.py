"""The package as a server installs it: a wheel built the ordinary way, installed non-editable in
a fresh virtual environment, runs the main job on a synthetic county and finds its planted
faults; without one of its check suites the run fails, naming the suite.

The fresh environment gets the project's dependencies from this test's own environment (a path
line in a .pth file: no download, and that environment's editable install of the project is not
seen), and the wheel itself with ``pip install --no-deps``. The runs start outside the
repository, so only the installed copy of ``pipelines`` can be imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import duckdb
import pytest

from tools.sample.fault_score import answers
from tools.sample.faults import make_faulty_corpus

PROJECT = Path(__file__).resolve().parents[2]
# what a wheel is built from: the package, its suites and its build files
SOURCES = ("pipelines", "expectations", "pyproject.toml", "setup.py")
KINDS = ("share", "sum", "placeholder")


def _build_wheel(workdir: Path) -> Path:
    source = workdir / "source"
    source.mkdir()
    for name in SOURCES:
        path = PROJECT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    dist = workdir / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(source)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = dist.glob("county_final_accounts-*.whl")
    return wheel


def _fresh_env(workdir: Path, wheel: Path) -> Path:
    env_dir = workdir / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # the dependencies, from this environment (its .pth files, the editable project, are not read)
    (Path(site) / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return python


def _run(python: Path, raw: Path, root: Path, name: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNTY_", "PYTHON"))}
    env.pop("DAGSTER_HOME", None)
    env["COUNTY_SETTLE_SECONDS"] = "0"  # just written: complete
    return subprocess.run(
        [str(python), "-m", "pipelines", "run", "--raw", str(raw),
         "--warehouse", str(root / "wh" / f"{name}.duckdb"), "--out", str(root / "out" / name),
         "--reviews", str(root / "reviews")],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("wheel")
    python = _fresh_env(root, _build_wheel(root))
    return python, root


def test_the_wheel_carries_the_suites_templates_and_catalogue(installed) -> None:
    python, root = installed
    where = subprocess.run(
        [str(python), "-c", "import pipelines, pathlib; print(pathlib.Path(pipelines.__file__).parent)"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    package = Path(where)
    assert package.is_relative_to(root / "venv"), f"imported {package}, not the installed wheel"
    suites = sorted(p.name for p in (package / "quality" / "suites").glob("*.json"))
    assert suites == sorted(p.name for p in (PROJECT / "expectations").glob("*.json"))
    assert (package / "publish" / "templates" / "review.html.j2").is_file()
    assert (package / "catalogue" / "data" / "functional_subjects.csv").is_file()
    assert (package / "ingest" / "extract").is_dir()
    assert not (package.parent / "tools").exists()  # the generator stays in the repository


def test_the_installed_package_finds_the_planted_faults(installed) -> None:
    python, root = installed
    pairs = make_faulty_corpus(root / "county", 3, (2023, 2024), seed=7, kinds=KINDS)
    assert {fault.kind for _, fault in pairs} == set(KINDS)
    for kind in KINDS:
        raw = root / "county" / "faulty" / kind
        result = _run(python, raw, root, kind)
        assert result.returncode == 0, result.stderr[-3000:]
        with duckdb.connect(str(root / "wh" / f"{kind}.duckdb"), read_only=True) as con:
            for path, fault in (p for p in pairs if p[1].kind == kind):
                findings = con.execute(
                    "SELECT q.family, q.check_id, q.severity, q.message, q.source_text "
                    "FROM quality.check_result q JOIN core.report r USING (report_id) "
                    "WHERE r.source_path = ? AND NOT q.passed",
                    [path.relative_to(raw).as_posix()],
                ).fetchall()
                assert any(answers(fault, *f) for f in findings), (kind, path.name, fault)
        reviews = list((root / "out" / kind / "reports").rglob("*.html"))
        assert reviews, "the review reports are written from the packaged template"


def test_a_missing_suite_fails_the_run_naming_it(installed) -> None:
    python, root = installed
    suites = next((root / "venv").rglob("pipelines/quality/suites"))
    (suites / "share.json").unlink()
    raw = root / "county" / "clean"
    if not raw.is_dir():
        make_faulty_corpus(root / "county", 3, (2023, 2024), seed=7, kinds=KINDS)
    result = _run(python, raw, root, "no_share_suite")
    assert result.returncode != 0
    assert "share.json" in result.stderr, result.stderr[-3000:]
