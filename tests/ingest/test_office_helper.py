"""The LibreOffice helper skips, with its reason, whenever no file comes out of a conversion."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from helpers.office import convert_with_office


def _fake_office(folder: Path, script: str) -> None:
    folder.mkdir()
    program = folder / "soffice"
    program.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


def test_skips_when_office_exits_0_without_writing(tmp_path: Path, monkeypatch) -> None:
    # LibreOffice with Writer only: exit 0, no spreadsheet written.
    _fake_office(tmp_path / "bin", "echo 'Error: source file could not be loaded' >&2\nexit 0\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    source = tmp_path / "book.xlsx"
    source.write_bytes(b"PK")
    with pytest.raises(pytest.skip.Exception, match="wrote no xls.*could not be loaded"):
        convert_with_office(source, "xls", tmp_path / "out")


def test_skips_when_no_office_on_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match="not on PATH"):
        convert_with_office(tmp_path / "book.xlsx", "pdf", tmp_path)


def test_returns_the_written_file(tmp_path: Path, monkeypatch) -> None:
    # A converter that works: writes <stem>.<to> into --outdir (the last two arguments).
    _fake_office(
        tmp_path / "bin",
        'for a; do prev="$out"; out="$a"; done\n'
        'name=$(basename "$out"); echo converted > "$prev/${name%.*}.pdf"\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    source = tmp_path / "book.xlsx"
    source.write_bytes(b"PK")
    written = convert_with_office(source, "pdf", tmp_path / "out")
    assert written == tmp_path / "out" / "book.pdf"
    assert written.read_text(encoding="utf-8") == "converted\n"
