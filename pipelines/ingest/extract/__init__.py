"""The statement extractor: every number a report states, with its label, metric and quote."""

from pipelines.ingest.extract.extractor import extract_document, extract_statements
from pipelines.ingest.extract.statement import Statement

__all__ = ["Statement", "extract_document", "extract_statements"]
