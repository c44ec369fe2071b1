"""LibreOffice conversions for tests that need an office suite, skipping when none can do it.

`soffice` on PATH is not enough: LibreOffice installed with Writer only exits 0 without writing
a spreadsheet conversion, and a first start may fail to create its profile. So the conversion
is tried, and the test skips, with the reason, unless the file it asked for was written.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def office_program() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_office(source: Path, to: str, out_dir: Path, timeout: float = 180) -> Path:
    """``source`` converted by LibreOffice to the format ``to`` (e.g. "xls", "pdf") in
    ``out_dir``; skips the calling test when LibreOffice is absent or writes nothing."""
    office = office_program()
    if office is None:
        pytest.skip("LibreOffice (soffice/libreoffice) is not on PATH")
    out_dir.mkdir(parents=True, exist_ok=True)
    # A profile of its own: a first start in a shared profile can fail or wait for a lock.
    profile = (out_dir / ".office-profile").resolve().as_uri()
    command = [
        office,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        to,
        "--outdir",
        str(out_dir),
        str(source),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.skip(f"LibreOffice did not convert {source.name} to {to} within {timeout:.0f} s")
    target = out_dir / f"{source.stem}.{to}"
    if not target.exists() or target.stat().st_size == 0:
        said = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["nothing"]
        pytest.skip(
            f"LibreOffice ({office}) wrote no {to} for {source.name} (exit {done.returncode}, "
            f"said: {said[0]}); a component may be missing, e.g. Writer without Calc"
        )
    return target
