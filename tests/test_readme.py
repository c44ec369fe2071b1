"""Every command the README and docs/ show works as written from a fresh clone, cheaply:
make targets exist and dry-run, `python -m` commands use the venv's Python and accept their
options, paths named exist, and no page points at a file a user does not have."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.__main__ import build_parser

PROJECT = Path(__file__).resolve().parents[1]
PAGES = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
VENV_PYTHON = ".venv/bin/python"


def _commands(page: Path) -> list[str]:
    """The lines of the page's ```sh blocks, without comments."""
    text = page.read_text(encoding="utf-8")
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def _inline_code(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", text)]


ALL_COMMANDS = [(page.name, line) for page in PAGES for line in _commands(page)] + [
    (page.name, span)  # commands quoted in the text, placeholders aside
    for page in PAGES
    for span in _inline_code(page)
    if span.startswith(f"{VENV_PYTHON} -m ") and "<" not in span
]


def test_the_readme_starts_with_the_two_commands() -> None:
    commands = _commands(PROJECT / "README.md")
    assert commands[:2] == ["make run", "make test"]


@pytest.mark.parametrize(("page", "command"), ALL_COMMANDS)
def test_documented_command_works_as_written(page: str, command: str) -> None:
    words = shlex.split(command)
    if words[0] == "make":
        targets = [w for w in words[1:] if "=" not in w]
        makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
        for target in targets:
            assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), command
        # a dry run: the target's recipe expands with the variables as written
        done = subprocess.run(
            ["make", "-n", *words[1:]], cwd=PROJECT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{command}: {done.stderr}"
        return
    assert words[0] == VENV_PYTHON, f"{page}: {command} must use the venv's Python"
    assert words[1] == "-m", command
    module, args = words[2], words[3:]
    if module == "pipelines" and "--help" not in args:
        build_parser().parse_args(args)  # exits (fails the test) on an unknown option
        return
    if module == "pytest":
        for arg in args:
            if not arg.startswith("-"):
                assert (PROJECT / arg.split("::")[0]).exists(), command
        return
    help_args = args if "--help" in args else ["--help"]
    done = subprocess.run(
        [sys.executable, "-m", module, *help_args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{command}: {done.stderr[-2000:]}"
    for option in (a.split("=")[0] for a in args if a.startswith("--")):
        assert option in done.stdout, f"{command}: {option} is not an option of {module}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_inline_commands_use_the_venv_python(page: Path) -> None:
    for span in _inline_code(page):
        if re.search(r"(^|\s)python3? -m ", span):
            assert span.startswith(f"{VENV_PYTHON} -m "), f"{page.name}: `{span}`"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_reference_to_files_a_user_does_not_have(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text and "DESIGN.md" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):  # links and images
        if not re.match(r"[a-z]+://", target):
            assert (page.parent / target).exists(), f"{page.name}: {target}"
    for span in _inline_code(page):
        path = span.split()[0].split("::")[0].rstrip(".,:;")
        if re.match(r"(pipelines|tests|bench|docs|expectations|config)/", path) and not re.search(
            r"[<>*{}]", path
        ):
            assert (PROJECT / path).exists(), f"{page.name}: `{span}` names a missing path"
