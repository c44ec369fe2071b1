"""Find report files under raw/ and fingerprint them (raw/ is only ever read)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.readers import SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    source_path: str  # relative to the raw root, POSIX style: "2023/某某局.docx"
    sha256: str  # of the file, or of the file and its attachments together
    size: int
    # Tables published as a separate workbook beside the report ("某某局_附表.xlsx"):
    # (absolute path, path relative to the raw root). They are read as part of the report.
    attachments: tuple[tuple[Path, str], ...] = ()


_SHEETS = {".xlsx", ".xlsm", ".xls"}
# "某某局_附表.xlsx", "某某局-公开表.xls", "某某局 决算公开表.xlsx" beside "某某局.docx".
_ATTACHMENT = re.compile(
    r"^[\s_\-—·（(]*(?:部门)?(?:决算)?(?:公开)?(?:附表|公开表|决算表|附件)\d*[)）]?$"
)


def discover(raw_dir: Path) -> list[SourceFile]:
    """Every report under ``raw_dir`` in a stable order, with its table attachments; README,
    hidden and temp files skipped."""
    paths: list[Path] = []
    for path in sorted(raw_dir.rglob("*")):
        rel = path.relative_to(raw_dir)
        if not path.is_file() or any(part.startswith((".", "~$")) for part in rel.parts):
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            paths.append(path)
    attached: dict[Path, list[Path]] = {}
    mains = {(p.parent, p.stem): p for p in paths if p.suffix.lower() not in _SHEETS}
    for p in paths:
        if p.suffix.lower() not in _SHEETS:
            continue
        owner = next(
            (
                main
                for (folder, stem), main in mains.items()
                if folder == p.parent
                and p.stem.startswith(stem)
                and _ATTACHMENT.match(p.stem[len(stem) :])
            ),
            None,
        )
        if owner is not None:
            attached.setdefault(owner, []).append(p)
    taken = {a for group in attached.values() for a in group}
    files: list[SourceFile] = []
    for path in paths:
        if path in taken:
            continue
        extras = attached.get(path, [])
        try:
            digest = _sha256(path)
            if extras:
                digest = hashlib.sha256(
                    "".join([digest] + [_sha256(a) for a in extras]).encode()
                ).hexdigest()
            size = path.stat().st_size + sum(a.stat().st_size for a in extras)
        except FileNotFoundError:
            continue  # removed while we listed the folder: as if it had never been there
        files.append(
            SourceFile(
                path,
                path.relative_to(raw_dir).as_posix(),
                digest,
                size,
                tuple((a, a.relative_to(raw_dir).as_posix()) for a in extras),
            )
        )
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
