"""Find report files under raw/ and fingerprint them (raw/ is only ever read)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipelines.readers import SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    source_path: str  # relative to the raw root, POSIX style: "2023/某某局.docx"
    sha256: str
    size: int


def discover(raw_dir: Path) -> list[SourceFile]:
    """Every report file under ``raw_dir`` in a stable order; README, hidden and temp files skipped."""
    files: list[SourceFile] = []
    for path in sorted(raw_dir.rglob("*")):
        rel = path.relative_to(raw_dir)
        if not path.is_file() or any(part.startswith((".", "~$")) for part in rel.parts):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        files.append(SourceFile(path, rel.as_posix(), _sha256(path), path.stat().st_size))
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
