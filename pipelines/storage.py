"""Storage failures in plain words, and files written whole or not at all.

A full disk, a damaged warehouse file or a folder that cannot be written used to surface as a
library traceback (or worse, as a second error that hid the first: "cannot rollback - no
transaction is active" after a COMMIT that failed for lack of space). Here each becomes a
``StorageError`` whose message says, in Chinese, what happened and what to do, with the
original error kept in ``detail`` (and chained as the cause).
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

_DISK_FULL = ("no space left on device", "disk full", "not enough space")
_DAMAGED = (
    "not a valid duckdb database file",
    "corrupt database file",
    "could not read enough bytes",
    "checksum",
)
_DENIED = ("permission denied", "read-only file system")


class StorageError(RuntimeError):
    """A storage failure, said for the bureau (``message``) and for engineers (``detail``)."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(f"{message}\n原始错误 / original error: {detail}")
        self.message = message
        self.detail = detail


def _kind(exc: BaseException) -> str | None:
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or any(w in text for w in _DISK_FULL):
        return "disk_full"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or any(w in text for w in _DENIED):
        return "denied"
    if isinstance(exc, duckdb.Error) and any(w in text for w in _DAMAGED):
        return "damaged"
    return None


def is_storage_failure(exc: BaseException) -> bool:
    """A full disk, a denied write or a damaged warehouse: the step stops and says so."""
    return _kind(exc) is not None


def explain(exc: BaseException, what: str, path: Path, warehouse: Path) -> StorageError | None:
    """The plain-words error for ``exc`` raised while ``what`` (e.g. "写入审核意见") at ``path``;
    None when ``exc`` is no storage failure."""
    kind = _kind(exc)
    detail = f"{type(exc).__name__}: {exc}"
    if kind == "disk_full":
        return StorageError(
            f"{what}时磁盘空间不足（{path} 所在的磁盘已满）。本次未完成的工作已保留，"
            "数据仓库仍是本次运行之前（或已提交步骤之后）的完整状态，不会留下写了一半的文件。"
            "请清理该磁盘的空间后重新运行，未完成的部分会自动补上。",
            detail,
        )
    if kind == "denied":
        return StorageError(
            f"{what}时无权写入 {path}（权限不足或磁盘为只读）。请检查该目录的写入权限后重新运行。",
            detail,
        )
    if kind == "damaged":
        return StorageError(
            f"数据仓库文件 {warehouse} 已损坏或不是 DuckDB 数据库文件（可能是磁盘故障、复制不完整，"
            "或被其他程序改写），无法打开。数据仓库中的内容全部由 raw/ 中的报告生成："
            f"删除该文件（以及同目录下的 {warehouse.name}.wal，如有）后重新运行即可从 raw/ 全部重建。"
            "如 raw/ 中的报告已不全，请先从备份恢复该文件。",
            detail,
        )
    return None


@contextmanager
def plain_words(what: str, path: Path, warehouse: Path) -> Iterator[None]:
    """Re-raise a storage failure inside the block as a ``StorageError`` (others unchanged)."""
    try:
        yield
    except StorageError:
        raise
    except (OSError, duckdb.Error) as exc:
        err = explain(exc, what, path, warehouse)
        if err is None:
            raise
        raise err from exc


def replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through a temporary file beside it, renamed into place when complete: a
    full disk or a killed run leaves the old file or none, never a 0-byte or half file (the
    temporary file is removed on failure)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
