"""Find report files under raw/ and fingerprint them (raw/ is only ever read)."""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.limits import limit
from pipelines.ingest.readers import SUPPORTED_SUFFIXES

# (stage, error_code, Chinese message, detail): why discovery refuses an entry of raw/
Refusal = tuple[str, str, str, str | None]


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    source_path: str  # relative to the raw root, POSIX style: "2023/某某局.docx"
    sha256: str  # of the file, or of the file and its attachments together
    size: int
    # Tables published as a separate workbook beside the report ("某某局_附表.xlsx"):
    # (absolute path, path relative to the raw root). They are read as part of the report.
    attachments: tuple[tuple[Path, str], ...] = ()
    # Set when discovery refuses the entry (a link leading out of raw/, a folder link, a
    # dangling link): it is not read, it gets this row in core.ingest_error.
    refusal: Refusal | None = None
    # Modified moments before the run (a copy in progress): left for the next run.
    deferred: bool = False


_SHEETS = {".xlsx", ".xlsm", ".xls"}
# "某某局_附表.xlsx", "某某局-公开表.xls", "某某局 决算公开表.xlsx" beside "某某局.docx".
_ATTACHMENT = re.compile(
    r"^[\s_\-—·（(]*(?:部门)?(?:决算)?(?:公开)?(?:附表|公开表|决算表|附件)\d*[)）]?$"
)


def _hidden(rel: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in rel.parts)


def _link_row(code: str, message: str, link: Path) -> Refusal:
    return ("discover", code, message, f"symlink -> {os.readlink(link)}")


def _links(
    raw_dir: Path, root: Path, links: list[Path], regular: set[Path]
) -> tuple[dict[Path, Path], list[SourceFile]]:
    """Symbolic links under raw/, resolved: a file link inside raw/ is read (once: a link to a
    file discovery reads anyway is refused as a duplicate), every other link gets a row.

    Returns (link -> the file it stands for, refused entries). A refused entry's hash is that
    of the link's target text, so an unchanged link is not reconsidered on every run.
    """
    readable: dict[Path, Path] = {}
    refused: list[SourceFile] = []
    for link in links:
        rel = link.relative_to(raw_dir).as_posix()
        try:
            target = link.resolve()
        except (RuntimeError, OSError):  # a loop of links: leads nowhere
            target = raw_dir / ".no-such-target"
        row: Refusal | None = None
        if not target.exists():
            row = _link_row(
                "dangling_link",
                f"“{rel}”是一个链接（快捷方式），但它指向的文件已不存在，未读取。"
                "请删除该链接，或把报告文件本身放入 raw/ 后重新运行。",
                link,
            )
        elif target.is_dir():
            row = _link_row(
                "folder_link",
                f"“{rel}”是指向文件夹的链接，链接的文件夹不会被读取（raw/ 之外的内容一律不读，"
                "raw/ 之内的文件已在其原位置读取）。如需入库，请把报告文件本身放入 raw/ 后重新运行。",
                link,
            )
        elif not target.is_relative_to(root):
            row = _link_row(
                "link_outside_raw",
                f"“{rel}”是一个链接，指向 raw/ 之外的文件，出于安全考虑未读取"
                "（只处理 raw/ 中的文件）。如该报告需要入库，请把文件本身复制到 raw/ 后重新运行。",
                link,
            )
        elif link.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue  # a link named like an unsupported file: skipped, as the file would be
        elif target in regular:
            row = _link_row(
                "duplicate_link",
                f"“{rel}”是指向 raw/ 中另一文件“{target.relative_to(root).as_posix()}”的链接，"
                "该文件已按其原位置读取一次，链接不再重复读取。无需处理；如不需要该链接，请删除它。",
                link,
            )
        else:
            readable[link] = target
            continue
        digest = hashlib.sha256(f"{row[1]}\n{row[3]}".encode()).hexdigest()
        refused.append(SourceFile(link, rel, digest, 0, refusal=row))
    return readable, refused


def discover(raw_dir: Path, settle_seconds: float | None = None) -> list[SourceFile]:
    """Every report under ``raw_dir`` in a stable order, with its table attachments; README,
    hidden and temp files skipped.

    Nothing outside raw/ is read: symbolic links are resolved (see ``_links``). A file modified
    less than ``settle_seconds`` ago (default: the ``settle_seconds`` limit) is returned with
    ``deferred`` set and no hash: it may still be being copied, and the next run reads it.
    """
    root = raw_dir.resolve()
    settle = limit("settle_seconds") if settle_seconds is None else settle_seconds
    now = time.time()
    paths: list[Path] = []
    links: list[Path] = []
    for path in sorted(raw_dir.rglob("*")):
        rel = path.relative_to(raw_dir)
        if _hidden(rel):
            continue
        if path.is_symlink():
            links.append(path)
            continue
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            paths.append(path)
    readable, refused = _links(raw_dir, root, links, {p.resolve() for p in paths})
    paths = sorted([*paths, *readable])
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
        real = [readable.get(p, p) for p in (path, *extras)]  # a link is read as its target
        rel = path.relative_to(raw_dir).as_posix()
        attachments = tuple(
            (r, a.relative_to(raw_dir).as_posix()) for r, a in zip(real[1:], extras, strict=True)
        )
        try:
            if settle > 0 and max(p.stat().st_mtime for p in real) > now - settle:
                files.append(SourceFile(real[0], rel, "", 0, attachments, deferred=True))
                continue
            digest = _sha256(real[0])
            if extras:
                digest = hashlib.sha256(
                    "".join([digest] + [_sha256(a) for a in real[1:]]).encode()
                ).hexdigest()
            size = sum(p.stat().st_size for p in real)
        except FileNotFoundError:
            continue  # removed while we listed the folder: as if it had never been there
        files.append(SourceFile(real[0], rel, digest, size, attachments))
    return files + refused


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
