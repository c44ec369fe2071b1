"""Errors with a message for the finance bureau (Chinese) and a stable code for engineers."""

from __future__ import annotations


class IngestError(Exception):
    """A file that cannot be ingested; recorded in core.ingest_error, the run goes on."""

    def __init__(self, stage: str, code: str, message: str, detail: str | None = None) -> None:
        super().__init__(f"[{stage}/{code}] {message}")
        self.stage = stage
        self.code = code
        self.message = message
        self.detail = detail  # for engineers: the limit hit, the original error


class NoCJKFont(RuntimeError):
    """No usable CJK font on this machine: the charts are left out and the index says so. Only
    this failure is tolerated while drawing charts; any other (a dead helper) fails the run."""
